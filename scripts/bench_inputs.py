"""Benchmark reading project inputs against plain pyogrio/openpyxl reads of the same files.

Prints, for each input, redline's ``read_projects`` time and the time of the bare read it
builds on (baseline, measured in the same run), with the ratio. The extra cost is CRS
inference and reprojection, geometry normalisation, the in-China check and building the
projects frame. Run: ``python scripts/bench_inputs.py [N]`` (N features/parcels, default 5000).
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import shapely

import redline

X0, Y0, ZONE = 480_000.0, 2_700_000.0, 39_000_000.0


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int) -> None:
    warnings.filterwarnings("ignore", message="'crs' was not provided")
    rng = np.random.default_rng(1)
    xs = X0 + rng.uniform(0, 50_000, n) + ZONE
    ys = Y0 + rng.uniform(0, 50_000, n)
    boxes = shapely.box(xs, ys, xs + 80, ys + 60)
    names = [f"地块{i}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shp_dir = folder / "shp"
        shp_dir.mkdir()
        gpd.GeoDataFrame({"XMMC": names}, geometry=boxes).to_file(
            shp_dir / "sites.shp", encoding="GBK", engine="pyogrio")
        (shp_dir / "sites.cpg").unlink()
        zipped = folder / "sites.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in shp_dir.iterdir():
                zf.write(part, f"data/{part.name}")
        xlsx = folder / "corners.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["地块", "点号", "X", "Y"])
        for i, geom in enumerate(boxes):
            for k, (x, y) in enumerate(shapely.get_coordinates(geom)[:-1], 1):
                sheet.append([names[i], f"J{k}", y, x])
        book.save(xlsx)

        cases = [
            ("zipped GBK shapefile, zone 39, no .prj", lambda: redline.read_projects(zipped),
             "pyogrio.read_dataframe", lambda: pyogrio.read_dataframe(
                 f"/vsizip/{zipped}/data/sites.shp", encoding="GB18030")),
            ("XLSX corner table, zone 39", lambda: redline.read_projects(xlsx),
             "openpyxl rows", lambda: list(openpyxl.load_workbook(
                 xlsx, read_only=True).active.iter_rows(values_only=True))),
        ]
        print(f"{n} features / parcels; best of 3 (seconds)")
        for label, ours, base_label, base in cases:
            t_ours, t_base = best_of(ours), best_of(base)
            print(f"{label:42s} read_projects {t_ours:7.3f}   {base_label} {t_base:7.3f}   "
                  f"ratio {t_ours / t_base:5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
