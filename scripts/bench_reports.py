"""Benchmark the report renderers against writing the result document (JSON) in the same run.

Screens the demo projects (illustrative pack) once, then times, best of N runs, each
renderer on that result: the result document (``result.to_json``, the baseline), the
HTML report (figures and interactive map embedded), the Word report, the workbook, the
CSV files, one static figure (PNG) and the interactive map alone. Prints seconds and the
ratio to the baseline. Run: ``python scripts/bench_reports.py [N]`` (default 3).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import redline
from redline.demo import demo_projects
from redline.report import write_csv, write_docx, write_html, write_xlsx
from redline.report.figure import figure_bytes
from redline.report.webmap import make_map


def best_of(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(repeat: int = 3) -> None:
    pack = redline.load_pack()
    projects = demo_projects(pack)
    result = redline.screen(projects, pack)
    first = result.projects["project_id"].iloc[0]
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    figure_bytes(result, first, "png")  # warm the font cache and matplotlib once
    cases = {
        "result.json (baseline)": lambda: (out / "result.json").write_text(result.to_json(),
                                                                         encoding="utf-8"),
        "report.html (figures + map)": lambda: write_html(result, out / "report.html",
                                                          offline=True),
        "report.docx (figures)": lambda: write_docx(result, out / "report.docx"),
        "projects.xlsx": lambda: write_xlsx(result, out / "projects.xlsx"),
        "projects.csv + findings.csv": lambda: write_csv(result, out),
        "one figure (PNG)": lambda: figure_bytes(result, first, "png"),
        "interactive map (HTML)": lambda: make_map(result, offline=True).get_root().render(),
    }
    print(f"{len(result.projects)} demo projects, {len(result.findings)} findings; "
          f"best of {repeat}")
    base = None
    for name, func in cases.items():
        seconds = best_of(func, repeat)
        base = base or seconds
        print(f"{name:32s} {seconds:8.3f} s   ×{seconds / base:8.1f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
