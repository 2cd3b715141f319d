"""The raster layers of the ILLUSTRATIVE demo pack: a land-cover COG and a DEM.

Used by ``make_demo_pack.py`` (kept apart so that the vector generator stays as it was).
Both rasters are synthetic and derived from the generated vector layers, so that they
agree with them (farmland patches are cropland, urban boundaries are built-up, rivers are
water, the red-line hills are forested and high), and deterministic (fixed seed, fixed
GDAL creation options, no timestamps).

- ``land_cover.tif``: a Cloud-Optimized GeoTIFF, uint8, 30 m cells in EPSG:4548 (the
  projected CRS the scene is drawn in), classes loosely modelled on the first-level
  classes of China's third national land survey (第三次全国国土调查); 0 = no data
  (beyond 500 m outside the county).
- ``dem.tif``: a GeoTIFF, int16 metres, 3 arc-second cells (about 90 m) in EPSG:4490
  (geographic), from an analytic relief: a river valley descending downstream, hills
  under the red lines and the reserve, and smooth undulations.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import rasterio.shutil
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

#: value -> (code, Chinese name, English name); written into catalog.toml too.
LEGEND = {
    1: ("01", "耕地", "cropland"),
    2: ("02", "种植园用地", "plantation (orchard, tea)"),
    3: ("03", "林地", "forest"),
    4: ("04", "草地", "grassland"),
    5: ("00", "湿地", "wetland"),
    6: ("20", "城镇村及工矿用地", "built-up (urban, village, industrial)"),
    7: ("10", "交通运输用地", "transport"),
    8: ("11", "水域及水利设施用地", "water and water works"),
    9: ("12", "其他土地", "other land"),
}
LAND_COVER_CELL_M = 30.0
DEM_CELL_DEG = 1.0 / 1200.0  # 3 arc-seconds
RASTER_SEED_OFFSET = 7  # the rasters draw from their own generator: vectors stay unchanged

RASTER_CATALOG = '''
[[layers]]
id = "land_cover"
kind = "land_cover"
title = "土地覆盖(示意)"
path = "land_cover.tif"

[layers.legend]
''' + "".join(f'{v} = {{ code = "{c}", zh = "{zh}", en = "{en}" }}\n'
              for v, (c, zh, en) in LEGEND.items()) + '''
[[layers]]
id = "dem"
kind = "terrain"
title = "数字高程模型(示意)"
path = "dem.tif"
'''


class Relief:
    """An analytic elevation (m) over the metric plane of the scene."""

    def __init__(self, rng: np.random.Generator, scene) -> None:
        # Simplified rivers: the relief needs their course, not every vertex (speed).
        self.main = scene.main.simplify(30.0)
        self.tributary = scene.tributary.simplify(30.0)
        layers = scene.layers
        hills = [*layers["eco_redline"].geometry, layers["nature_reserve"].geometry.iloc[0]]
        self.hills = [(np.asarray(h.centroid.coords[0]), math.sqrt(h.area) * 0.9,
                       rng.uniform(550.0, 900.0)) for h in hills]
        n = 12
        wavelength = rng.uniform(1500.0, 9000.0, n)
        angle = rng.uniform(0.0, 2 * math.pi, n)
        self.waves = (2 * math.pi / wavelength[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1),
                      rng.uniform(0.0, 2 * math.pi, n), rng.uniform(2.0, 8.0, n))

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        points = shapely.points(x, y)
        to_river = np.minimum(shapely.distance(points, self.main),
                              shapely.distance(points, self.tributary))
        along = shapely.line_locate_point(self.main, points) / self.main.length
        floor = 95.0 - 70.0 * along  # the valley floor descends downstream
        z = floor + 0.012 * to_river + 4e-7 * to_river**2
        for centre, radius, height in self.hills:
            d2 = ((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / radius**2
            z = z + height * np.exp(-d2)
        k, phase, amplitude = self.waves
        z = z + (amplitude[:, None] * np.cos(k[:, :1] * x + k[:, 1:] * y + phase[:, None])).sum(0)
        return z


def write_rasters(scene, out: Path, *, seed: int, metric_crs: str, lonlat_crs: str,
                  check) -> dict[str, float]:
    """Write ``land_cover.tif`` and ``dem.tif`` into ``out`` and check them.

    Parameters
    ----------
    scene
        The generated scene (metric layers, county outline, rivers).
    out
        The staging pack folder.
    seed
        The pack's seed (the rasters use their own generator derived from it).
    metric_crs, lonlat_crs
        The scene's projected CRS and the pack's geographic CRS.
    check
        The generator's check recorder (``check(condition, message)``).

    Returns
    -------
    dict
        Facts for the README (sizes, class shares).
    """
    rng = np.random.default_rng(seed + RASTER_SEED_OFFSET)
    relief = Relief(rng, scene)
    facts = {}
    facts.update(_write_land_cover(scene, relief, rng, out / "land_cover.tif", metric_crs, check))
    facts.update(_write_dem(scene, relief, out / "dem.tif", metric_crs, lonlat_crs, check))
    return facts


def _write_land_cover(scene, relief: Relief, rng: np.random.Generator, path: Path,
                      metric_crs: str, check) -> dict[str, float]:
    cell = LAND_COVER_CELL_M
    minx, miny, maxx, maxy = scene.county.buffer(1000.0).bounds
    x0, y1 = math.floor(minx / cell) * cell, math.ceil(maxy / cell) * cell
    width = math.ceil((maxx - x0) / cell)
    height = math.ceil((y1 - miny) / cell)
    transform = from_origin(x0, y1, cell, cell)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    x = x0 + (cols + 0.5) * cell
    y = y1 - (rows + 0.5) * cell
    # Elevation on 3 x 3 blocks of cells (90 m) is detailed enough to pick classes by.
    coarse = 3
    cx = x0 + (np.arange(-(-width // coarse)) + 0.5) * cell * coarse
    cy = y1 - (np.arange(-(-height // coarse)) + 0.5) * cell * coarse
    gx, gy = np.meshgrid(cx, cy)
    z = relief(gx.ravel(), gy.ravel()).reshape(gx.shape)
    z = np.repeat(np.repeat(z, coarse, axis=0), coarse, axis=1)[:height, :width]
    # A smooth random field picks among the classes that fit each elevation band.
    n = 8
    wavelength = rng.uniform(700.0, 4000.0, n)
    angle = rng.uniform(0.0, 2 * math.pi, n)
    k = 2 * math.pi / wavelength[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    phase = rng.uniform(0, 2 * math.pi, n)
    field = sum(np.cos(k[i, 0] * x + k[i, 1] * y + phase[i]) for i in range(n)) / math.sqrt(2 * n)
    grid = np.where(z > 330, np.where(field > 0.35, 4, 3),
                    np.where(z > 160, np.where(field > 0.2, 2, np.where(field < -0.45, 4, 3)),
                             np.where(field > 0.25, 2, np.where(field < -0.5, 9, 1))))
    grid = grid.astype(np.uint8)
    layers = scene.layers

    def burn(geoms, value: int) -> None:
        shapes = [(g, value) for g in geoms if g is not None and not g.is_empty]
        if shapes:
            rasterio.features.rasterize(shapes, out=grid, transform=transform)

    burn(list(layers["eco_redline"].geometry) + list(layers["nature_reserve"].geometry), 3)
    # Villages: small built-up blocks in the lowlands.
    lowland = np.argwhere((z < 140) & (grid == 1))
    picks = lowland[rng.choice(len(lowland), size=40, replace=False)]
    villages = [shapely.box(x0 + c * cell, y1 - (r + 6) * cell, x0 + (c + 6) * cell, y1 - r * cell)
                for r, c in picks]
    burn(villages, 6)
    seats = [g.centroid for g in layers["urban_boundary"].geometry]
    road = shapely.LineString([seats[0], seats[1]])
    burn([road.buffer(20.0)], 7)
    burn([scene.main.buffer(110.0)], 5)  # wetland fringes along the main stem
    burn(layers["basic_farmland"].geometry.buffer(0), 1)
    burn(layers["urban_boundary"].geometry, 6)
    burn([scene.main.buffer(45.0), scene.tributary.buffer(18.0)], 8)
    outside = rasterio.features.geometry_mask([scene.county.buffer(500.0)], (height, width),
                                              transform)
    grid[outside] = 0
    with rasterio.MemoryFile() as memory, memory.open(
            driver="GTiff", dtype="uint8", count=1, width=width, height=height, crs=metric_crs,
            transform=transform, nodata=0) as tmp:
        tmp.write(grid, 1)
        rasterio.shutil.copy(tmp, path, driver="COG", compress="DEFLATE", level=9,
                             blocksize=256, overview_resampling="NEAREST")
    with rasterio.open(path) as ds:
        back = ds.read(1)
        check(ds.crs.to_string() == metric_crs and back.shape == (height, width)
              and np.array_equal(back, grid) and ds.block_shapes[0] == (256, 256),
              f"land_cover.tif: {width} x {height} cells of 30 m, EPSG:4548, tiled COG")
    patches = layers["basic_farmland"].geometry.buffer(0)
    inner = patches.buffer(-40.0)
    inner = inner[~inner.is_empty]
    px = shapely.get_coordinates(inner.representative_point().to_numpy())
    r = ((y1 - px[:, 1]) // cell).astype(int)
    c = ((px[:, 0] - x0) // cell).astype(int)
    apart = (shapely.distance(shapely.points(px), scene.main) > 50.0) & ~shapely.intersects(
        shapely.union_all(layers["urban_boundary"].geometry.to_numpy()), shapely.points(px))
    check(bool((grid[r, c][apart] == 1).all()),
          "land_cover.tif: the interior of every farmland patch is cropland (01)")
    inside = grid[~outside]
    shares = {f"land_cover_share_{v}": float((inside == v).mean() * 100) for v in LEGEND}
    check(all(shares[f"land_cover_share_{v}"] > 0 for v in LEGEND),
          "land_cover.tif: every legend class occurs")
    return {"land_cover_width": width, "land_cover_height": height, **shares}


def _write_dem(scene, relief: Relief, path: Path, metric_crs: str, lonlat_crs: str,
               check) -> dict[str, float]:
    to_lonlat = Transformer.from_crs(metric_crs, lonlat_crs, always_xy=True)
    to_metric = Transformer.from_crs(lonlat_crs, metric_crs, always_xy=True)
    box = shapely.segmentize(scene.county.buffer(1500.0).envelope, 500.0)
    lon, lat = to_lonlat.transform(*shapely.get_coordinates(box).T)
    d = DEM_CELL_DEG
    lon0, lat1 = math.floor(lon.min() / d) * d, math.ceil(lat.max() / d) * d
    width = math.ceil((lon.max() - lon0) / d)
    height = math.ceil((lat1 - lat.min()) / d)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    x, y = to_metric.transform(lon0 + (cols.ravel() + 0.5) * d, lat1 - (rows.ravel() + 0.5) * d)
    z = np.round(relief(np.asarray(x), np.asarray(y))).astype(np.int16).reshape(height, width)
    transform = from_origin(lon0, lat1, d, d)
    with rasterio.open(path, "w", driver="GTiff", dtype="int16", count=1, width=width,
                       height=height, crs=lonlat_crs, transform=transform, nodata=-32768,
                       tiled=True, blockxsize=256, blockysize=256, compress="DEFLATE",
                       predictor=2, zlevel=9) as ds:
        ds.write(z, 1)
    with rasterio.open(path) as ds:
        back = ds.read(1)
        check(ds.crs.to_epsg() == 4490 and np.array_equal(back, z),
              f"dem.tif: {width} x {height} cells of 3 arc-seconds, EPSG:4490")
    check(int(z.min()) > 0 and int(z.max()) < 1500,
          f"dem.tif: elevations {int(z.min())}-{int(z.max())} m")
    return {"dem_width": width, "dem_height": height, "dem_min": float(z.min()),
            "dem_max": float(z.max())}
