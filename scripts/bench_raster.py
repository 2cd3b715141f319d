#!/usr/bin/env python
"""Benchmark land-cover occupation: 10,000 footprints against a 10^8-cell tiled COG.

Usage::

    python scripts/bench_raster.py [--footprints 10000] [--size 10000] [--out bench-out/raster]

The first run writes the raster (``--size`` × ``--size`` cells of 10 m, uint8, eight
classes, EPSG:4548, a tiled and compressed Cloud-Optimized GeoTIFF) and the footprints
(rotated rectangles and irregular polygons of 0.05–20 ha, one in a hundred across the
raster's edge) into ``--out`` (git-ignored); later runs reuse them. Each method then runs
in its own process, so that its peak resident memory is its own:

- ``redline``: ``redline.screen`` with a pack holding that one land_cover layer (tiles
  read once each, exact coverage, true cell areas; the pack is loaded before timing);
- ``measure_rasters``: ``redline.raster.measure_rasters`` on a GeoDataFrame of the
  footprints (the entry point for batch engines: raster layers only, no rules);
- ``mask+centre`` (baseline): per footprint, ``rasterio.mask.mask(crop=True)`` and a
  count of the cells whose centre is inside, times the nominal cell area;
- ``exactextract`` (baseline): ``exactextract.exact_extract`` on the file with the
  ``unique``, ``frac`` and ``count`` operations (exact coverage, nominal cell area).

Printed per method: wall time, footprints per second, peak RSS (and its growth over
the RSS of the process with every library imported and the footprints loaded), the
ratios against redline, and the accuracy of the class areas: |sum of class areas − footprint area| /
footprint area for footprints inside the raster (the raster has no nodata, so the classes
should add up to the footprint; the footprint area is the ellipsoidal one).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:4548"
CELL = 10.0
ORIGIN = (400_000.0, 2_750_000.0)  # west of the CM 117°E, about 24.8°N
METHODS = ("redline", "measure_rasters", "mask+centre", "exactextract")


# ----------------------------------------------------------------------------- data


def make_raster(path: Path, size: int) -> None:
    """Write the land-cover COG, strip by strip (never the whole array in memory)."""
    import rasterio
    import rasterio.shutil
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(20261125)
    n = 8
    wavelength = rng.uniform(400.0, 6000.0, n)
    angle = rng.uniform(0, 2 * math.pi, n)
    k = 2 * math.pi / wavelength[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    phase = rng.uniform(0, 2 * math.pi, n)
    staging = path.with_suffix(".staging.tif")
    transform = from_origin(*ORIGIN, CELL, CELL)
    with rasterio.open(staging, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="uint8", crs=CRS, transform=transform, tiled=True, blockxsize=512,
                       blockysize=512, compress="DEFLATE", BIGTIFF="IF_SAFER") as ds:
        strip = 512
        x = (np.arange(size) + 0.5) * CELL
        for row0 in range(0, size, strip):
            rows = min(strip, size - row0)
            y = -(np.arange(row0, row0 + rows) + 0.5) * CELL
            field = np.zeros((rows, size))
            for i in range(n):
                field += np.cos(k[i, 0] * x[None, :] + k[i, 1] * y[:, None] + phase[i])
            classes = np.clip(((field / math.sqrt(2 * n)) + 1.2) * 3.3, 0, 7).astype(np.uint8) + 1
            speckle = rng.random(classes.shape) < 0.03  # classification noise
            classes[speckle] = rng.integers(1, 9, speckle.sum())
            ds.write(classes, 1, window=Window(0, row0, size, rows))
    rasterio.shutil.copy(staging, path, driver="COG", compress="DEFLATE", blocksize=512,
                         overview_resampling="NEAREST", BIGTIFF="IF_SAFER")
    staging.unlink()


def make_footprints(path: Path, count: int, size: int) -> None:
    """Random footprints (lon/lat WKB) over the raster, 1 % across its edge."""
    import shapely
    from pyproj import Transformer

    rng = np.random.default_rng(7)
    extent = size * CELL
    margin = 300.0
    x = rng.uniform(margin, extent - margin, count)
    y = rng.uniform(margin, extent - margin, count)
    edge = rng.random(count) < 0.01
    x[edge] = rng.choice([0.0, extent], edge.sum())
    area = np.exp(rng.uniform(np.log(500.0), np.log(200_000.0), count))
    aspect = rng.uniform(1.0, 3.0, count)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    rects = shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    angles = rng.uniform(0, 180, count)
    geoms = np.array([shapely.affinity.rotate(g, a) for g, a in zip(rects, angles, strict=True)])
    blobs = rng.random(count) < 0.3  # irregular polygons: convex hulls of scattered points
    for i in np.flatnonzero(blobs):
        r = math.sqrt(area[i] / math.pi)
        pts = rng.normal(0, r / 1.6, (12, 2)) + np.array([x[i], y[i]])
        geoms[i] = shapely.MultiPoint(pts).convex_hull
    geoms = shapely.transform(geoms, lambda c: c + np.array(ORIGIN) * [1, 1] - [0, extent])
    to_ll = Transformer.from_crs(CRS, "EPSG:4490", always_xy=True)
    lonlat = shapely.transform(geoms, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
    np.save(path, shapely.to_wkb(lonlat), allow_pickle=True)


def footprint_areas(lonlat) -> np.ndarray:
    """Ellipsoidal areas (m²) with redline's equal-area projection (checked to 1e-4)."""
    import shapely

    from redline.crs import Projector, equal_area_crs

    return shapely.area(Projector(equal_area_crs(tuple(shapely.total_bounds(lonlat)))).to_metric(
        lonlat))


# --------------------------------------------------------------------------- methods


def bench_pack(raster: Path):
    """A pack holding the one land-cover layer."""
    import redline

    folder = raster.parent / "pack"
    folder.mkdir(exist_ok=True)
    (folder / "catalog.toml").write_text(f'''[pack]
id = "bench"
version = "1"

[[layers]]
id = "land_cover"
kind = "land_cover"
title = "benchmark land cover"
path = "{raster.resolve()}"
''', encoding="utf-8")
    return redline.load_pack(folder)


def run_redline(raster: Path, lonlat) -> tuple[float, np.ndarray]:
    import redline
    from redline.projects import make_projects

    pack = bench_pack(raster)
    n = len(lonlat)
    projects = make_projects(lonlat, project_id=[f"F{i}" for i in range(n)], name=[None] * n,
                             kind=["footprint"] * n, source=["bench"] * n,
                             crs_in=["EPSG:4490"] * n)
    start = time.perf_counter()
    result = redline.screen(projects, pack)
    seconds = time.perf_counter() - start
    classes = result.land_cover[result.land_cover["part"] == "class"]
    sums = classes.groupby("project_id")["area_m2"].sum()
    return seconds, sums.reindex([f"F{i}" for i in range(n)]).fillna(0).to_numpy()


def run_measure(raster: Path, lonlat) -> tuple[float, np.ndarray]:
    import geopandas as gpd

    from redline.raster import measure_rasters

    pack = bench_pack(raster)
    n = len(lonlat)
    frame = gpd.GeoDataFrame({"id": [f"F{i}" for i in range(n)]}, geometry=lonlat,
                             crs="EPSG:4490")
    start = time.perf_counter()
    measured = measure_rasters(frame, pack, id_column="id")
    seconds = time.perf_counter() - start
    table = measured.land_cover
    sums = table[table["part"] == "class"].groupby("project_id")["area_m2"].sum()
    return seconds, sums.reindex(frame["id"]).fillna(0).to_numpy()


def run_mask_centre(raster: Path, lonlat) -> tuple[float, np.ndarray]:
    import rasterio
    import rasterio.mask
    import shapely
    from pyproj import Transformer

    to_raster = Transformer.from_crs("EPSG:4490", CRS, always_xy=True)
    geoms = shapely.transform(lonlat, lambda c: np.column_stack(to_raster.transform(c[:, 0], c[:, 1])))
    sums = np.zeros(len(geoms))
    start = time.perf_counter()
    with rasterio.open(raster) as ds:
        cell_area = abs(ds.transform.a * ds.transform.e)
        for i, geom in enumerate(geoms):
            try:
                data, _ = rasterio.mask.mask(ds, [geom], crop=True, filled=False)
            except ValueError:  # no overlap with the raster
                continue
            classes, counts = np.unique(data.compressed(), return_counts=True)
            per_class = dict(zip(classes.tolist(), (counts * cell_area).tolist(), strict=True))
            sums[i] = sum(per_class.values())
    return time.perf_counter() - start, sums


def run_exactextract(raster: Path, lonlat) -> tuple[float, np.ndarray]:
    import geopandas as gpd
    from exactextract import exact_extract

    frame = gpd.GeoDataFrame(geometry=lonlat, crs="EPSG:4490").to_crs(CRS)
    start = time.perf_counter()
    out = exact_extract(str(raster), frame, ["unique", "frac", "count"], output="pandas")
    seconds = time.perf_counter() - start
    cell_area = CELL * CELL
    sums = np.array([sum(frac) * count * cell_area if count else 0.0
                     for frac, count in zip(out["frac"], out["count"], strict=True)])
    return seconds, sums


def child(method: str, out: Path, count: int) -> None:
    import shapely

    lonlat = shapely.from_wkb(np.load(out / "footprints.npy", allow_pickle=True))[:count]
    raster = out / "landcover_cog.tif"
    func = {"redline": run_redline, "measure_rasters": run_measure,
            "mask+centre": run_mask_centre, "exactextract": run_exactextract}[method]
    import exactextract  # noqa: F401  every method's libraries, so that the RSS growth
    import geopandas  # noqa: F401  below is the method's working memory
    import rasterio.mask  # noqa: F401

    import redline.raster  # noqa: F401

    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, sums = func(raster, lonlat)
    area = footprint_areas(lonlat)
    with open(out / "inside.npy", "rb") as fh:
        inside = np.load(fh)[:count]
    err = np.abs(sums[inside] - area[inside]) / area[inside]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"method": method, "seconds": seconds, "peak_mb": peak_mb,
                      "growth_mb": peak_mb - base_mb,
                      "err_median": float(np.median(err)), "err_p95": float(np.quantile(err, 0.95)),
                      "err_max": float(err.max())}))


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footprints", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10_000, help="raster width = height (cells)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out" / "raster")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per method (alternating); the median time is printed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.out, args.footprints)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    raster = args.out / "landcover_cog.tif"
    stamp = args.out / "made.json"
    made = json.loads(stamp.read_text()) if stamp.exists() else {}
    if made.get("size") != args.size or not raster.exists():
        print(f"writing {raster} ({args.size}×{args.size} cells) …", flush=True)
        start = time.perf_counter()
        make_raster(raster, args.size)
        print(f"  {time.perf_counter() - start:.0f} s, {raster.stat().st_size / 1e6:.0f} MB",
              flush=True)
        made = {"size": args.size}
    if made.get("footprints", 0) < args.footprints:
        import shapely

        make_footprints(args.out / "footprints.npy", args.footprints, args.size)
        lonlat = shapely.from_wkb(np.load(args.out / "footprints.npy", allow_pickle=True))
        from pyproj import Transformer

        to_raster = Transformer.from_crs("EPSG:4490", CRS, always_xy=True)
        geoms = shapely.transform(lonlat, lambda c: np.column_stack(
            to_raster.transform(c[:, 0], c[:, 1])))
        extent = shapely.box(ORIGIN[0], ORIGIN[1] - args.size * CELL, ORIGIN[0] + args.size * CELL,
                             ORIGIN[1])
        np.save(args.out / "inside.npy", shapely.contains(extent, geoms))
        made["footprints"] = args.footprints
    stamp.write_text(json.dumps(made))

    import rasterio

    with rasterio.open(raster) as ds:
        cells = ds.width * ds.height
        tiled = ds.block_shapes[0]
    print(f"raster: {cells:,} cells ({cells / 1e8:.2f}·10^8), blocks {tiled}, COG, "
          f"{raster.stat().st_size / 1e6:.0f} MB; footprints: {args.footprints:,}")
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeat):  # methods alternate, so that load on the machine hits all
        for method in args.methods.split(","):
            run = subprocess.run([sys.executable, __file__, "--child", method, "--out",
                                  str(args.out), "--footprints", str(args.footprints)],
                                 capture_output=True, text=True, check=False)
            if run.returncode:
                print(f"{method}: failed\n{run.stderr[-2000:]}")
                continue
            runs.setdefault(method, []).append(json.loads(run.stdout.strip().splitlines()[-1]))
    results = {}
    for method, done in runs.items():
        results[method] = {**done[0], "seconds": float(np.median([r["seconds"] for r in done])),
                           "peak_mb": max(r["peak_mb"] for r in done),
                           "growth_mb": max(r["growth_mb"] for r in done)}
    if not results:
        return 1
    ref = results.get("redline")
    print(f"\nmedian of {args.repeat} run(s) per method; peak RSS: the highest run")
    print(f"{'method':<17}{'seconds':>8}{'footprints/s':>14}{'peak RSS MB':>13}"
          f"{'(growth)':>10}{'time vs redline':>17}{'area error median / p95 / max':>34}")
    for method, r in results.items():
        ratio = f"{r['seconds'] / ref['seconds']:.2f}×" if ref else "—"
        print(f"{method:<17}{r['seconds']:>8.1f}{args.footprints / r['seconds']:>14,.0f}"
              f"{r['peak_mb']:>13,.0f}{r['growth_mb']:>10,.0f}{ratio:>17}"
              f"{r['err_median']:>14.1e} / {r['err_p95']:.1e} / {r['err_max']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
