"""Raster layers: land-cover occupation, terrain and raster constraints against independent sums.

Rasters are written in the fixtures with rasterio, in a projected CRS (EPSG:4548, the
synthetic pack's) and a geographic one (EPSG:4490), with nodata. Expected values are
computed independently of redline: each cell is a shapely box in the raster CRS, its
intersection with the footprint is moved to lon/lat and measured with pyproj.Geod.
"""

import json
import re
import shutil

import jsonschema
import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from pyproj import Geod, Proj, Transformer
from rasterio.transform import from_origin

import redline
from conftest import METRIC, X0, Y0, box, make, to_ll, write_projects
from redline import _raster_grid
from redline.cli import cli
from redline.errors import PackError
from redline.raster import RasterLayer
from redline.result import json_schema

GEOD = Geod(ellps="GRS80")
CELL = 30.0
# Projected land cover: 100 × 120 cells of 30 m, top-left at local (1000, 9000).
LC_ORIGIN = (X0 + 1_000.0, Y0 + 9_000.0)
LC_SHAPE = (120, 100)
# Geographic land cover: cells of 0.0003° × 0.00025°, top-left near local (5000, 9000).
GEO_RES = (0.0003, 0.00025)


def lc_values(shape):
    """Classes 1–4 in blocks of 3 rows × 4 columns: neighbouring blocks always differ."""
    rows, cols = np.indices(shape)
    return (1 + ((rows // 3) + 2 * (cols // 4)) % 4).astype(np.uint8)


def write_tif(path, data, crs, transform, nodata):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, transform=transform, nodata=nodata,
                       tiled=True, blockxsize=64, blockysize=64) as ds:
        ds.write(data, 1)


CATALOG_EXTRA = '''
[[layers]]
id = "lc"
kind = "land_cover"
title = "土地覆盖"
path = "lc.tif"
[layers.legend]
1 = { code = "01", zh = "耕地", en = "cropland" }
2 = { code = "03", zh = "林地", en = "forest" }
3 = { code = "04", zh = "草地", en = "grassland" }
4 = { code = "20", zh = "建设用地", en = "built-up" }

[[layers]]
id = "lc_geo"
kind = "land_cover"
title = "土地覆盖(地理坐标)"
path = "lc_geo.tif"
[layers.legend]
1 = "耕地"
2 = "林地"

[[layers]]
id = "dem"
kind = "terrain"
title = "高程"
path = "dem.tif"

[[layers]]
id = "dem_geo"
kind = "terrain"
title = "高程(地理坐标)"
path = "dem_geo.tif"

[[layers]]
id = "sens"
kind = "raster_constraint"
title = "生态敏感性"
path = "sens.tif"
[layers.classes]
"5" = "extreme"
[[layers.thresholds]]
class = "high"
min = 3
max = 5
[layers.class_titles]
extreme = { zh = "极敏感区", en = "extremely sensitive" }
high = { zh = "高度敏感区", en = "highly sensitive" }
[layers.verdicts]
extreme = "restricted"
high = "attention"
[[layers.basis]]
document = "某省生态敏感性评价技术规定(示意)"
article = "第五条"
verified = false
'''

# Dem: z = 100 + GX·(easting offset) + GY·(northing offset) in projected metres.
GX, GY = 0.05, -0.02
GEO_G = 0.08  # geographic DEM: 8 m per 100 m northwards


@pytest.fixture(scope="module")
def raster_dir(tmp_path_factory, pack_dir):
    folder = shutil.copytree(pack_dir, tmp_path_factory.mktemp("rasters") / "p")
    lc = lc_values(LC_SHAPE)
    lc[40:60, 60:80] = 0  # a nodata block
    t_lc = from_origin(*LC_ORIGIN, CELL, CELL)
    write_tif(folder / "lc.tif", lc, METRIC, t_lc, 0)

    lon0, lat1 = to_ll(shapely.Point(X0 + 5_000, Y0 + 9_000)).coords[0]
    geo = lc_values((150, 120))
    geo[(geo > 2)] = 1 + (geo[(geo > 2)] % 2)  # only classes 1 and 2
    geo[100:, :30] = 255
    write_tif(folder / "lc_geo.tif", geo, "EPSG:4490", from_origin(lon0, lat1, *GEO_RES), 255)

    rows, cols = np.indices((120, 100))
    dem = (100 + GX * (cols + 0.5) * CELL - GY * (rows + 0.5) * CELL).astype("float32")
    dem[90:100, 10:20] = -9999
    write_tif(folder / "dem.tif", dem, METRIC, t_lc, -9999)

    res = 0.0004
    lat = lat1 - (np.arange(150) + 0.5) * res
    meridian = _meridian_arc(lat)
    z = 50 + GEO_G * (meridian - meridian[-1])
    write_tif(folder / "dem_geo.tif", np.repeat(z[:, None], 100, axis=1).astype("float64"),
              "EPSG:4490", from_origin(lon0, lat1, res, res), None)

    sens = (1 + (rows // 4 + cols // 4) % 5).astype("float32")
    write_tif(folder / "sens.tif", sens, METRIC, t_lc, None)
    catalog = folder / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + CATALOG_EXTRA, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rpack(raster_dir):
    return redline.load_pack(raster_dir)


def _meridian_arc(lat_deg):
    """Distance (m) along the meridian from the equator, with pyproj.Geod."""
    lat_deg = np.asarray(lat_deg, dtype=float)
    return np.asarray(GEOD.inv(np.zeros_like(lat_deg), np.zeros_like(lat_deg),
                               np.zeros_like(lat_deg), lat_deg)[2])


# ----------------------------------------------------------------- independent sums


def ring_area(geom_ll) -> float:
    """Geodesic area (m²) of any polygonal lon/lat geometry with pyproj.Geod."""
    total = 0.0
    for part in shapely.get_parts(geom_ll):
        if part.geom_type == "Polygon" and not part.is_empty:
            oriented = shapely.geometry.polygon.orient(part, 1.0)
            total += abs(GEOD.geometry_area_perimeter(oriented)[0])
    return total


def expected_cells(footprint_metric, path):
    """{value: area} over valid cells, nodata area, and area outside the raster.

    Every cell near the footprint is a box in the raster CRS; its intersection with the
    footprint goes back to lon/lat and is measured with pyproj.Geod.
    """
    with rasterio.open(path) as ds:
        data, t, crs, nodata = ds.read(1), ds.transform, ds.crs, ds.nodata
    to_raster = Transformer.from_crs(METRIC, crs, always_xy=True)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)
    geom = shapely.transform(footprint_metric,
                             lambda c: np.column_stack(to_raster.transform(c[:, 0], c[:, 1])))
    minx, miny, maxx, maxy = geom.bounds
    c0, c1 = int(np.floor((minx - t.c) / t.a)), int(np.floor((maxx - t.c) / t.a))
    r0, r1 = int(np.floor((maxy - t.f) / t.e)), int(np.floor((miny - t.f) / t.e))
    by_value, nodata_area = {}, 0.0
    for r in range(max(r0, 0), min(r1, data.shape[0] - 1) + 1):
        for c in range(max(c0, 0), min(c1, data.shape[1] - 1) + 1):
            cell = shapely.box(t.c + c * t.a, t.f + (r + 1) * t.e, t.c + (c + 1) * t.a,
                               t.f + r * t.e)
            piece = shapely.intersection(cell, geom)
            if piece.is_empty or piece.area == 0:
                continue
            piece_ll = shapely.transform(
                shapely.segmentize(piece, abs(t.a) / 4),
                lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
            area = ring_area(piece_ll)
            value = data[r, c]
            if value == nodata or not np.isfinite(value):
                nodata_area += area
            else:
                by_value[float(value)] = by_value.get(float(value), 0.0) + area
    total = ring_area(to_ll(footprint_metric))
    outside = total - sum(by_value.values()) - nodata_area
    return by_value, nodata_area, max(outside, 0.0), total


def land(result, layer, pid="P1"):
    if isinstance(pid, list):  # several projects
        rows = result.land_cover[result.land_cover["project_id"].isin(pid)]
    else:
        rows = result.land_cover_of(pid)
    return rows[rows["layer"] == layer]


def check_land_cover(result, layer, footprint, path, pid="P1", rel=1e-5):
    by_value, nodata, outside, total = expected_cells(footprint, path)
    rows = land(result, layer, pid)
    classes = rows[rows["part"] == "class"]
    got = dict(zip(classes["value"], classes["area_m2"], strict=True))
    assert set(got) == set(by_value)
    for value, area in by_value.items():
        assert got[value] == pytest.approx(area, rel=rel, abs=0.01), value
        share = classes.loc[classes["value"] == value, "share_pct"].iloc[0]
        assert share == pytest.approx(area / total * 100, rel=rel, abs=1e-4)
    parts = dict(zip(rows["part"], rows["area_m2"], strict=False))
    assert parts.get("nodata", 0.0) == pytest.approx(nodata, rel=rel, abs=0.01)
    # (edges straight in the raster CRS or in lon/lat differ by ~1e-8 of a km-wide footprint)
    assert parts.get("outside", 0.0) == pytest.approx(outside, rel=1e-4, abs=max(0.05, total * 1e-7))
    # classes + no data + outside = the footprint's area
    assert rows["area_m2"].sum() == pytest.approx(total, rel=1e-5)
    if nodata == 0 and outside == 0:  # where the raster covers it: within 0.5 %
        assert classes["area_m2"].sum() == pytest.approx(total, rel=0.005)
    return by_value, nodata, outside, total


# ---------------------------------------------------------------------- land cover


def lc_x(col):
    return LC_ORIGIN[0] - X0 + col * CELL


def lc_y(row):
    return LC_ORIGIN[1] - Y0 - row * CELL


FOOTPRINTS = {
    "inside": box(1_500, 6_000, 2_400, 6_800),
    "rotated_over_nodata": shapely.affinity.rotate(box(2_600, 7_100, 3_700, 7_700), 27,
                                                   use_radians=False),
    "straddles_edge": box(3_800, 7_000, 4_300, 7_400),  # the raster ends at x = 4000
    "smaller_than_a_cell": box(2_013, 6_041, 2_025, 6_055),  # 12 m × 14 m in one cell
    "four_cells_corner": box(lc_x(36) - 10, lc_y(99) - 10, lc_x(36) + 10, lc_y(99) + 10),
}


@pytest.mark.parametrize("name", sorted(FOOTPRINTS))
def test_land_cover_projected_raster(rpack, name):
    footprint = FOOTPRINTS[name]
    result = redline.screen(make([footprint]), rpack)
    by_value, nodata, outside, total = check_land_cover(result, "lc", footprint,
                                                        rpack.layer("lc").path)
    if name == "rotated_over_nodata":
        assert nodata > 10_000 and len(by_value) == 4
        assert any("raster layer lc" in w and "no data" in w
                   for w in result.projects.iloc[0].warnings)
    if name == "straddles_edge":
        assert outside == pytest.approx(total * 0.6, rel=1e-3)
        assert land(result, "lc").query("part == 'outside'")["share_pct"].iloc[0] == \
            pytest.approx(60.0, rel=1e-3)
    if name == "four_cells_corner":  # four distinct classes, a quarter each
        shares = land(result, "lc")["share_pct"].to_numpy()
        assert len(shares) == 4 and shares == pytest.approx([25.0] * 4, rel=1e-4)
    if name == "smaller_than_a_cell":
        assert len(by_value) == 1 and total == pytest.approx(168.0, rel=1e-3)


@pytest.mark.parametrize("name", ["inside", "straddles_edge", "smaller_than_a_cell",
                                  "over_nodata"])
def test_land_cover_geographic_raster(rpack, name):
    # lc_geo: 120 cols × 0.0003° (~30.4 m) by 150 rows × 0.00025° (~27.7 m) from (5000, 9000);
    # no data in rows ≥ 100, cols < 30; the east edge is at about x = 5000 + 3650.
    footprint = {
        "inside": box(5_400, 6_500, 6_300, 8_600),
        "straddles_edge": box(8_400, 7_000, 8_900, 7_400),
        "smaller_than_a_cell": box(6_003, 7_004, 6_011, 7_015),
        "over_nodata": box(5_100, 5_200, 6_000, 6_300),
    }[name]
    result = redline.screen(make([footprint]), rpack)
    by_value, nodata, outside, _ = check_land_cover(result, "lc_geo", footprint,
                                                    rpack.layer("lc_geo").path)
    assert {"straddles_edge": outside > 0, "over_nodata": nodata > 0}.get(name, True)
    if name == "smaller_than_a_cell":
        assert len(by_value) == 1


def test_exact_coverage_against_cell_centre_count(rpack, capsys):
    """Exact coverage vs counting the cells whose centre lies in the footprint.

    On 200 small footprints (5–60 m across, on 30 m cells) the exact method matches the
    independent per-class areas to ~1e-6 of the footprint; counting centres misses or
    doubles whole cells, so its error is tens of percent on such footprints.
    """
    rng = np.random.default_rng(7)
    n = 200
    centres = np.column_stack([rng.uniform(1_300, 3_700, n), rng.uniform(5_600, 7_300, n)])
    size = rng.uniform(5, 60, (n, 2))
    angle = rng.uniform(0, 180, n)
    footprints = [shapely.affinity.rotate(box(x - w / 2, y - h / 2, x + w / 2, y + h / 2), a)
                  for (x, y), (w, h), a in zip(centres, size, angle, strict=True)]
    result = redline.screen(make(footprints), rpack)
    path = rpack.layer("lc").path
    with rasterio.open(path) as ds:
        data, t = ds.read(1), ds.transform
    to_ll_lc = Transformer.from_crs(METRIC, "EPSG:4490", always_xy=True)
    exact_err, centre_err = [], []
    for i, footprint in enumerate(footprints):
        truth, nodata, _, total = expected_cells(footprint, path)
        rows = land(result, "lc", f"P{i + 1}")
        classes = rows[rows["part"] == "class"]
        got = dict(zip(classes["value"], classes["area_m2"], strict=True))
        got_nodata = rows.loc[rows["part"] == "nodata", "area_m2"].sum()
        assert got_nodata == pytest.approx(nodata, rel=1e-5, abs=1e-3)
        # centre count: cells whose centre falls in the footprint, each its full true area
        minx, miny, maxx, maxy = footprint.bounds
        cols = np.arange(int((minx - t.c) // t.a) - 1, int((maxx - t.c) // t.a) + 2)
        rws = np.arange(int((maxy - t.f) // t.e) - 1, int((miny - t.f) // t.e) + 2)
        cc, rr = np.meshgrid(cols, rws)
        cx, cy = t.c + (cc + 0.5) * t.a, t.f + (rr + 0.5) * t.e
        inside = shapely.contains_xy(footprint, cx, cy)
        centre = {}
        for r, c in zip(rr[inside], cc[inside], strict=True):
            cell = shapely.box(t.c + c * t.a, t.f + (r + 1) * t.e, t.c + (c + 1) * t.a,
                               t.f + r * t.e)
            area = ring_area(shapely.transform(
                cell, lambda xy: np.column_stack(to_ll_lc.transform(xy[:, 0], xy[:, 1]))))
            centre[float(data[r, c])] = centre.get(float(data[r, c]), 0.0) + area
        values = set(truth) | set(got) | set(centre)
        exact_err.append(sum(abs(got.get(v, 0) - truth.get(v, 0)) for v in values) / total)
        centre_err.append(sum(abs(centre.get(v, 0) - truth.get(v, 0)) for v in values) / total)
    exact_err, centre_err = np.array(exact_err), np.array(centre_err)
    with capsys.disabled():
        print(f"\n200 footprints of 5-60 m on 30 m cells, error of per-class areas relative to the "
              f"footprint area: exact mean {exact_err.mean():.2e} max {exact_err.max():.2e}; "
              f"cell-centre count mean {centre_err.mean():.1%} max {centre_err.max():.1%}")
    assert exact_err.max() < 1e-4
    assert centre_err.mean() > 0.2 and centre_err.max() >= 1.0


def test_land_cover_of_lines_and_points(rpack):
    line = shapely.LineString([(X0 + 1_200, Y0 + 6_100), (X0 + 2_350, Y0 + 6_430),
                               (X0 + 2_900, Y0 + 5_900)])
    point = shapely.Point(X0 + 2_013, Y0 + 6_041)
    result = redline.screen(make([line, point]), rpack)
    rows = land(result, "lc", "P1")
    # independent: the line cut by every cell box, pieces measured geodesically
    with rasterio.open(rpack.layer("lc").path) as ds:
        data, t = ds.read(1), ds.transform
    expected = {}
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            cell = shapely.box(t.c + c * t.a, t.f + (r + 1) * t.e, t.c + (c + 1) * t.a,
                               t.f + r * t.e)
            piece = shapely.intersection(line, cell)
            if piece.length > 0:
                length = GEOD.geometry_length(to_ll(piece))
                expected[float(data[r, c])] = expected.get(float(data[r, c]), 0.0) + length
    got = dict(zip(rows["value"], rows["length_m"], strict=True))
    assert got.keys() == expected.keys()
    for value, length in expected.items():
        assert got[value] == pytest.approx(length, rel=1e-6)
    assert rows["length_m"].sum() == pytest.approx(GEOD.geometry_length(to_ll(line)), rel=1e-9)
    at_point = land(result, "lc", "P2")
    r, c = int((t.f - point.y) // CELL), int((point.x - t.c) // CELL)
    assert list(at_point["value"]) == [float(data[r, c])]
    assert at_point["share_pct"].iloc[0] == 100.0 and np.isnan(at_point["area_m2"].iloc[0])


def test_cell_areas_against_geod(rpack):
    """True cell areas: geographic quadrangles and projected cells (with scale) vs Geod."""
    geo = _raster_grid.CellArea(rpack.layer("lc_geo").grid)
    t = rpack.layer("lc_geo").grid.transform
    rows = np.array([0, 75, 149])
    for row, area in zip(rows, geo(rows, np.zeros(3, int)), strict=True):
        lat_top, lat_bottom = t.f + row * t.e, t.f + (row + 1) * t.e
        # the cell's edges follow parallels: densify them before a geodesic polygon area
        lons = np.linspace(t.c, t.c + t.a, 50)
        ring = np.concatenate([np.column_stack([lons, np.full(50, lat_bottom)]),
                               np.column_stack([lons[::-1], np.full(50, lat_top)])])
        assert area == pytest.approx(ring_area(shapely.Polygon(ring)), rel=1e-8)
    proj = _raster_grid.CellArea(rpack.layer("lc").grid)
    t = rpack.layer("lc").grid.transform
    to_lonlat = Transformer.from_crs(METRIC, "EPSG:4490", always_xy=True)
    for row, col in ((0, 0), (60, 50), (119, 99)):
        cell = shapely.box(t.c + col * t.a, t.f + (row + 1) * t.e, t.c + (col + 1) * t.a,
                           t.f + row * t.e)
        cell_ll = shapely.transform(shapely.segmentize(cell, 3.0), lambda xy: np.column_stack(
            to_lonlat.transform(xy[:, 0], xy[:, 1])))
        expected = ring_area(cell_ll)
        got = proj(np.array([row]), np.array([col]))[0]
        assert got == pytest.approx(expected, rel=1e-7)
        assert abs(got - 900.0) > 1e-3  # the scale factor matters: not the nominal 900 m²


# ------------------------------------------------------------------------- terrain


def test_terrain_projected_plane(rpack):
    footprint = box(1_600, 6_200, 2_300, 6_900)
    result = redline.screen(make([footprint]), rpack)
    row = result.terrain_of("P1").set_index("layer").loc["dem"]
    lon, lat = to_ll(footprint.centroid).coords[0]
    k = Proj(METRIC).get_factors(lon, lat).meridional_scale
    slope = np.degrees(np.arctan(np.hypot(GX, GY) * k))
    assert row.slope_min_deg == pytest.approx(slope, rel=1e-5)
    assert row.slope_max_deg == pytest.approx(slope, rel=1e-5)
    assert row.slope_mean_deg == pytest.approx(slope, rel=1e-5)
    # elevations: min/max of the cells touched, mean weighted by the covered area
    with rasterio.open(rpack.layer("dem").path) as ds:
        dem = ds.read(1)
    by_value, _, _, _ = expected_cells(footprint, rpack.layer("dem").path)
    assert row.elevation_min == pytest.approx(min(by_value), abs=1e-3)
    assert row.elevation_max == pytest.approx(max(by_value), abs=1e-3)
    mean = sum(v * a for v, a in by_value.items()) / sum(by_value.values())
    assert row.elevation_mean == pytest.approx(mean, rel=1e-6)
    assert row.covered_pct == pytest.approx(100.0)
    assert dem.max() > row.elevation_max  # only the window around the project counts


def test_terrain_skips_nodata_and_the_slope_next_to_it(rpack):
    # the nodata hole: rows 90–99, cols 10–19 → local x 1300–1600, y 6000–6300
    footprint = box(1_250, 5_950, 1_450, 6_150)
    result = redline.screen(make([footprint]), rpack)
    row = result.terrain_of("P1").set_index("layer").loc["dem"]
    by_value, nodata, _, total = expected_cells(footprint, rpack.layer("dem").path)
    assert row.covered_pct == pytest.approx(100 * (1 - nodata / total), rel=1e-5)
    assert row.elevation_min == pytest.approx(min(by_value), abs=1e-3)
    slope = np.degrees(np.arctan(np.hypot(GX, GY)))
    assert row.slope_max_deg == pytest.approx(slope, rel=1e-3)  # no spike at the hole's edge


def test_terrain_geographic_dem(rpack):
    footprint = box(5_500, 6_500, 6_500, 7_500)
    result = redline.screen(make([footprint]), rpack)
    row = result.terrain_of("P1").set_index("layer").loc["dem_geo"]
    expected = np.degrees(np.arctan(GEO_G))
    assert row.slope_mean_deg == pytest.approx(expected, rel=1e-4)
    assert row.slope_min_deg == pytest.approx(expected, rel=1e-4)


# ------------------------------------------------------------ raster constraints


def sens_findings(result, pid="P1", layer="sens"):
    f = result.findings_of(pid)
    return f[f["layer"] == layer].set_index("zone_class")


def test_raster_constraint_findings_match_independent_areas(rpack):
    footprint = box(1_100, 6_300, 1_700, 6_700)
    result = redline.screen(make([footprint]), rpack)
    by_value, _, _, total = expected_cells(footprint, rpack.layer("sens").path)
    f = sens_findings(result)
    assert set(f.index) == {"extreme", "high"}
    extreme = by_value[5.0]
    high = by_value.get(3.0, 0) + by_value.get(4.0, 0)
    assert f.loc["extreme", "overlap_m2"] == pytest.approx(extreme, rel=1e-5)
    assert f.loc["high", "overlap_m2"] == pytest.approx(high, rel=1e-5)
    assert f.loc["extreme", "overlap_pct"] == pytest.approx(extreme / total * 100, rel=1e-5)
    assert f.loc["extreme", "verdict"] == "restricted"
    assert f.loc["extreme", "rule"] == "catalog.sens.extreme"
    assert "某省生态敏感性评价技术规定" in f.loc["extreme", "basis"]
    assert f.loc["high", "verdict"] == "attention"
    assert f.loc["extreme", "zone_name"] == "极敏感区" and f.loc["extreme", "zone_code"] == "5"
    # the overlap piece: the footprint's part in the class cells, as geometry
    assert ring_area(f.loc["extreme", "geometry"]) == pytest.approx(extreme, rel=1e-5)
    assert result.projects.iloc[0].verdict == "restricted"
    assert any("极敏感区" in r for r in result.reasons("P1"))


def test_raster_constraint_sliver_line_and_point(rpack):
    with rasterio.open(rpack.layer("sens").path) as ds:
        sens, t = ds.read(1), ds.transform
    # the top-left cell of a block of 5s: its upper and left neighbours are not 5
    r, c = next((r, c) for r, c in np.argwhere(sens == 5) if r >= 4 and c >= 4
                and r % 4 == 0 and c % 4 == 0)
    x, y = t.c + c * t.a - X0, t.f + r * t.e - Y0  # top-left corner of an extreme cell
    sliver = box(x - 20, y - 0.5, x + 0.5, y + 20)  # 0.5 m × 0.5 m inside the cell
    neighbours = sens[r - 1:r + 1, c - 1:c + 1]
    assert neighbours[1, 1] == 5 and (neighbours.ravel()[:3] != 5).all()
    line = shapely.LineString([(X0 + x + 5, Y0 + y - 3), (X0 + x + 5, Y0 + y - 25)])  # in-cell
    point = shapely.Point(X0 + x + 10, Y0 + y - 10)
    result = redline.screen(make([sliver, line, point]), rpack)
    f = sens_findings(result, "P1").loc["extreme"]
    assert f.relation == "touches" and f.overlap_m2 == pytest.approx(0.25, rel=1e-3)
    assert f.verdict == "attention" and f.rule == "catalog.sens.touches"
    f = sens_findings(result, "P2").loc["extreme"]
    assert f.relation == "inside"
    assert f.overlap_length_m == pytest.approx(GEOD.geometry_length(to_ll(line)), rel=1e-9)
    assert f.verdict == "restricted"
    f = sens_findings(result, "P3").loc["extreme"]
    assert f.relation == "inside" and f.verdict == "restricted"


def test_catalog_rules_are_overridden_by_rule_files_and_limited_to_their_layer(tmp_path,
                                                                             raster_dir):
    folder = shutil.copytree(raster_dir, tmp_path / "p")
    # a second layer on the same raster, with the same class names but another verdict
    catalog = folder / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + '''
[[layers]]
id = "sens_strict"
kind = "raster_constraint"
title = "生态敏感性(严格)"
path = "sens.tif"
[layers.classes]
"5" = "extreme"
[layers.verdicts]
extreme = "prohibited"
''', encoding="utf-8")
    pack = redline.load_pack(folder)
    projects = make([box(1_100, 6_300, 1_700, 6_700)])
    result = redline.screen(projects, pack)
    assert sens_findings(result).loc["extreme", "verdict"] == "restricted"
    strict = sens_findings(result, layer="sens_strict").loc["extreme"]
    assert strict.verdict == "prohibited" and strict.rule == "catalog.sens_strict.extreme"
    assert "图层包「测试图层包」目录" in strict.basis  # no basis given: the catalog is cited
    assert result.to_dict()["rules"]["id"] == "national+synthetic-catalog"
    rules = tmp_path / "local.toml"
    rules.write_text('''
[ruleset]
id = "local"
version = "1"

[[rules]]
id = "catalog.sens_strict.extreme"
disabled = true

[[rules]]
id = "catalog.sens.extreme"
layer_kinds = ["raster_constraint"]
layers = ["sens"]
zone_classes = ["extreme"]
relations = ["overlaps", "inside"]
verdict = "prohibited"
message = { zh = "本地规定:极敏感区禁止建设", en = "Local rule: no construction there" }
basis = [{ document = "某市规定(示意)", article = "第三条" }]
''', encoding="utf-8")
    result = redline.screen(projects, pack, rules=[rules])
    assert sens_findings(result).loc["extreme", "verdict"] == "prohibited"
    assert sens_findings(result, layer="sens_strict").loc["extreme", "verdict"] == "clear"


# ----------------------------------------------------------- reads, pack, outputs


def test_each_tile_window_is_read_once_for_all_projects(rpack, monkeypatch):
    reads = []
    original = RasterLayer.read

    def spy(self, dataset, window):
        reads.append((self.id, window))
        return original(self, dataset, window)

    monkeypatch.setattr(RasterLayer, "read", spy)
    rng = np.random.default_rng(3)
    xy = np.column_stack([rng.uniform(1_200, 3_800, 60), rng.uniform(5_600, 8_800, 60)])
    projects = make([box(x, y, x + 40, y + 25) for x, y in xy])
    whole = redline.screen(projects, rpack)
    # all 60 projects lie in one 1024-cell tile: one read per layer they reach
    assert sorted(layer for layer, _ in reads) == ["dem", "lc", "sens"]
    for layer_id, (r0, r1, c0, c1) in reads:
        grid = rpack.layer(layer_id).grid
        assert (r1 - r0) * (c1 - c0) < grid.width * grid.height  # a window, not the raster
    # with 16-cell tiles: more, smaller windows, each read once, the same areas
    reads.clear()
    monkeypatch.setattr(_raster_grid, "TILE", 16)
    tiled = redline.screen(projects, rpack)
    lc_reads = [w for layer, w in reads if layer == "lc"]
    assert len(lc_reads) == len(set(lc_reads)) > 10
    assert all(r1 - r0 <= 16 and c1 - c0 <= 16 for r0, r1, c0, c1 in lc_reads)
    a = whole.land_cover.sort_values(["project_id", "layer", "part", "value"])
    b = tiled.land_cover.sort_values(["project_id", "layer", "part", "value"])
    assert a["area_m2"].to_numpy() == pytest.approx(b["area_m2"].to_numpy(), rel=1e-9)
    # a footprint cut into many tile pieces still sums exactly
    big = box(1_130, 7_210, 2_350, 8_190)  # about 41 × 33 cells: nine 16-cell tiles
    check_land_cover(redline.screen(make([big]), rpack), "lc", big, rpack.layer("lc").path)


def test_measure_rasters_takes_a_frame_of_footprints_and_reads_each_window_once(
        rpack, monkeypatch):
    """The batch entry point: a GeoDataFrame in its own CRS, one read per tile and layer."""
    import geopandas as gpd

    from redline.raster import measure_rasters

    reads = []
    original = RasterLayer.read

    def spy(self, dataset, window):
        reads.append((self.id, window))
        return original(self, dataset, window)

    monkeypatch.setattr(RasterLayer, "read", spy)
    monkeypatch.setattr(_raster_grid, "TILE", 32)
    rng = np.random.default_rng(11)
    xy = np.column_stack([rng.uniform(1_100, 3_900, 80), rng.uniform(5_500, 8_900, 80)])
    geoms = [box(x, y, x + rng.uniform(5, 90), y + rng.uniform(5, 90)) for x, y in xy]
    geoms.append(FOOTPRINTS["straddles_edge"])
    frame = gpd.GeoDataFrame({"XMBH": [f"B{i:03d}" for i in range(len(geoms))]},
                             geometry=geoms, crs=METRIC)  # metres, not lon/lat
    frame.loc[len(frame)] = ["EMPTY", None]  # a missing geometry gives no rows
    measured = measure_rasters(frame, rpack, id_column="XMBH", layers=["lc", "sens"])
    assert {layer for layer, _ in reads} == {"lc", "sens"}
    lc_reads = [w for layer, w in reads if layer == "lc"]
    assert len(lc_reads) == len(set(lc_reads)) > 4  # one read per tile window
    assert set(measured.land_cover["layer"]) == {"lc"} and measured.terrain.empty
    assert "EMPTY" not in set(measured.land_cover["project_id"])
    assert len(measured.warnings) == len(frame)
    assert any("raster layer lc" in w for w in measured.warnings[len(geoms) - 1])
    # the same numbers as the full screen, and as the independent per-cell sums
    screened = redline.screen(make(geoms, ids=list(frame["XMBH"][:-1])), rpack)
    keys = ["project_id", "part", "value"]
    a = measured.land_cover.sort_values(keys)
    b = land(screened, "lc", list(frame["XMBH"][:-1])).sort_values(keys)
    assert list(a["project_id"]) == list(b["project_id"])
    assert a["area_m2"].to_numpy() == pytest.approx(b["area_m2"].to_numpy(), rel=1e-9)
    for i in (0, 17, len(geoms) - 1):
        by_value, _, outside, total = expected_cells(geoms[i], rpack.layer("lc").path)
        rows = a[a["project_id"] == frame["XMBH"][i]]
        got = dict(zip(rows.loc[rows["part"] == "class", "value"],
                       rows.loc[rows["part"] == "class", "area_m2"], strict=True))
        assert got == pytest.approx(by_value, rel=1e-5)
        assert rows["area_m2"].sum() == pytest.approx(total, rel=1e-5)
        assert rows.loc[rows["part"] == "outside", "area_m2"].sum() == pytest.approx(
            outside, rel=1e-4, abs=0.05)
    sens = measured.findings
    assert sens is not None and set(sens["layer"]) == {"sens"}
    assert sens["row"].max() < len(frame)
    with pytest.raises(redline.errors.RedlineError, match="no raster layer nope"):
        measure_rasters(frame, rpack, id_column="XMBH", layers=["nope"])


def test_projects_frame_carries_land_cover_and_the_wide_table_adds_up(rpack, tmp_path):
    import pyogrio

    from redline.raster import land_cover_wide
    from redline.report.files import write_outputs

    footprints = [FOOTPRINTS["inside"], FOOTPRINTS["straddles_edge"],
                  FOOTPRINTS["rotated_over_nodata"]]
    result = redline.screen(make(footprints), rpack)
    projects = result.projects.set_index("project_id")
    for pid in ("P1", "P2", "P3"):
        rows = result.land_cover_of(pid)
        listed = projects.loc[pid, "land_cover"]
        assert [(r["layer"], r["part"], r["area_m2"]) for r in listed] == list(
            zip(rows["layer"], rows["part"], rows["area_m2"], strict=True))
        terrain = result.terrain_of(pid)
        assert "dem" in set(terrain["layer"])
        assert [(r["layer"], r["elevation_mean"]) for r in projects.loc[pid, "terrain"]] == list(
            zip(terrain["layer"], terrain["elevation_mean"], strict=True))
    # one column per class of the projected layer (plus no data / outside), rows add up
    lc = result.land_cover[result.land_cover["layer"] == "lc"]
    wide = land_cover_wide(lc)
    assert list(wide.index) == ["P1", "P2", "P3"]
    assert list(wide.columns[:4]) == ["耕地", "林地", "草地", "建设用地"]
    assert list(wide.columns[4:]) == ["无数据", "栅格范围外"]
    assert wide.sum(axis=1).to_numpy() == pytest.approx(projects["area_m2"].to_numpy(), rel=1e-5)
    assert wide.loc["P2", "栅格范围外"] == pytest.approx(projects.loc["P2", "area_m2"] * 0.6,
                                                     rel=1e-3)
    shares = land_cover_wide(result.land_cover, lang="en", amount="share_pct")
    assert "lc/cropland" in shares.columns and "lc_geo/耕地" not in shares.columns
    # the GeoPackage / GeoJSON outputs hold it as one text cell per project
    write_outputs(result, tmp_path, ["gpkg"], lang="zh")
    table = pyogrio.read_dataframe(tmp_path / "result.gpkg", layer="projects")
    top = lc[lc["project_id"] == "P1"].iloc[0]
    assert table.loc[0, "land_cover"].startswith(f"{top.name_zh} {top.area_m2:.1f} m² (")


def test_pack_lists_raster_layers_with_checksums(rpack, raster_dir):
    described = {layer["id"]: layer for layer in rpack.describe()["layers"]}
    lc = described["lc"]
    import hashlib

    assert lc["sha256"] == hashlib.sha256((raster_dir / "lc.tif").read_bytes()).hexdigest()
    assert lc["kind"] == "land_cover" and lc["features"] == 0
    assert lc["raster"] == {"width": 100, "height": 120, "crs": "EPSG:4548",
                            "cell_size": [30.0, 30.0], "band": 1, "nodata": 0.0}
    assert [r.id for r in rpack.rasters] == ["lc", "lc_geo", "dem", "dem_geo", "sens"]
    assert not [i for i in rpack.issues if "raster" in i.message]
    run = CliRunner().invoke(cli, ["pack", "check", str(raster_dir)])
    assert run.exit_code == 0, run.output
    assert "raster 100×120" in run.output and "extreme, high" in run.output
    run = CliRunner().invoke(cli, ["pack", "info", str(raster_dir)])
    assert lc["sha256"] in run.output


@pytest.mark.parametrize(("old", "new", "message"), [
    ('1 = { code = "01", zh = "耕地", en = "cropland" }',
     'x = { code = "01", zh = "耕地" }', "key 'x' is not a raster value"),
    ('extreme = "restricted"', 'extreme = "forbidden"', "'forbidden' is not one of"),
    ('high = "attention"', 'high = "attention"\nmedium = "attention"',
     "class 'medium' in class_titles/verdicts is not a class"),
    ('"5" = "extreme"\n[[layers.thresholds]]\nclass = "high"\nmin = 3\nmax = 5\n', '',
     "a raster_constraint layer needs [layers.classes] or [[layers.thresholds]]"),
    ('[[layers.thresholds]]\nclass = "high"\nmin = 3\nmax = 5\n', '',
     "class 'high' in class_titles/verdicts is not a class"),
    ('path = "dem.tif"', 'path = "dem.tif"\nband = 2', "has 1 band(s); band 2 asked"),
    ('path = "dem.tif"', 'path = "catalog.toml"', "cannot be read as a raster"),
])
def test_bad_raster_entries_are_pack_errors(tmp_path, raster_dir, old, new, message):
    folder = shutil.copytree(raster_dir, tmp_path / "p")
    catalog = folder / "catalog.toml"
    text = catalog.read_text(encoding="utf-8")
    assert old in text
    catalog.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PackError, match=re.escape(message)):
        redline.load_pack(folder)
    run = CliRunner().invoke(cli, ["pack", "check", str(folder)])
    assert run.exit_code == 2 and "Traceback" not in run.output


def test_values_missing_from_the_legend_are_named_undefined(tmp_path, raster_dir):
    folder = shutil.copytree(raster_dir, tmp_path / "p")
    catalog = folder / "catalog.toml"
    line = '4 = { code = "20", zh = "建设用地", en = "built-up" }\n'
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(line, "", 1), encoding="utf-8")
    pack = redline.load_pack(folder)
    footprint = FOOTPRINTS["four_cells_corner"]
    rows = land(redline.screen(make([footprint]), pack), "lc")
    by_value, *_ = expected_cells(footprint, pack.layer("lc").path)
    assert len(rows) == 4 and set(rows["value"]) == set(by_value) == {1.0, 2.0, 3.0, 4.0}
    four = rows[rows["value"] == 4.0].iloc[0]
    assert (four.code, four.name_zh, four.name_en) == (None, "未定义值 4", "undefined value 4")
    assert four.area_m2 == pytest.approx(by_value[4.0], rel=1e-5)
    assert set(rows.loc[rows["value"] != 4.0, "name_zh"]) == {"耕地", "林地", "草地"}


def test_rotated_raster_is_refused(tmp_path, raster_dir):
    folder = shutil.copytree(raster_dir, tmp_path / "p")
    from affine import Affine

    rotated = Affine.translation(X0, Y0) @ Affine.rotation(10) @ Affine.scale(30, -30)
    write_tif(folder / "lc.tif", lc_values(LC_SHAPE), METRIC, rotated, 0)
    with pytest.raises(PackError, match="not north-up"):
        redline.load_pack(folder)


def test_json_blocks_validate_and_console_prints_the_land_cover_table(tmp_path, raster_dir):
    path = write_projects(tmp_path / "site.geojson", [box(3_800, 7_000, 4_300, 7_400)])
    run = CliRunner().invoke(cli, ["screen", str(path), "--pack", str(raster_dir), "--json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, json_schema())
    project = doc["projects"][0]
    lc = {block["layer"]: block for block in project["land_cover"]}["lc"]
    assert lc["title"] == "土地覆盖"
    assert [u["part"] for u in lc["uncovered"]] == ["outside"]
    assert lc["uncovered"][0]["share_pct"] == pytest.approx(60.0, abs=0.01)
    assert lc["covered_pct"] == pytest.approx(40.0, abs=0.01)
    assert sum(c["area_m2"] for c in lc["classes"]) + lc["uncovered"][0]["area_m2"] == \
        pytest.approx(project["area_m2"], rel=1e-6)
    assert {c["name"] for c in lc["classes"]} <= {"耕地", "林地", "草地", "建设用地"}
    assert all(isinstance(c["value"], int) for c in lc["classes"])
    assert {t["layer"] for t in project["terrain"]} == {"dem"}  # dem_geo does not reach it
    assert any(f["layer"] == "sens" for f in project["findings"])
    assert {layer["id"] for layer in doc["pack"]["layers"]} >= {"lc", "dem", "sens"}
    en = CliRunner().invoke(cli, ["screen", str(path), "--pack", str(raster_dir), "--json",
                                  "--lang", "en"])
    names = {c["name"] for b in json.loads(en.stdout)["projects"][0]["land_cover"]
             for c in b["classes"]}
    assert names <= {"cropland", "forest", "grassland", "built-up"} and names
    table = CliRunner().invoke(cli, ["screen", str(path), "--pack", str(raster_dir)])
    assert "占地类型 · 土地覆盖" in table.stdout and "栅格范围外" in table.stdout
    assert "地形 · 高程:高程" in table.stdout
