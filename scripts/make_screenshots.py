"""Screenshots of the demo report and figure for the README (``docs/*.png``).

Screens demo projects P01 (a plant that overlaps a red line) and P15 (a chemical plant in a
key control unit, in conflict with the access list) against the bundled ILLUSTRATIVE pack,
writes their HTML reports with Leaflet inlined (no network), opens them in headless
Chromium (Debian's ``chromium`` or ``$REDLINE_CHROMIUM``, driven by Playwright) and saves
small palette PNGs: the head of P01's report, its interactive map, P15's access-list
section, and a reduced copy of P01's static figure.
Run: ``python scripts/make_screenshots.py [OUTDIR]`` (default ``docs``).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

import redline
from redline.demo import demo_projects
from redline.report import write_html
from redline.report.figure import figure_bytes

MAP_PROJECT, ACCESS_PROJECT = "P01", "P15"
WIDTH = 1100


def small_png(data: bytes, path: Path, width: int | None = None) -> None:
    """Save ``data`` (PNG bytes) as a 256-colour PNG, scaled down to ``width`` if given."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if width and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({image.width}×{image.height}, {path.stat().st_size / 1024:.0f} KiB)")


def main(outdir: str = "docs") -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    pack = redline.load_pack()
    projects = demo_projects(pack)
    results = {pid: redline.screen(projects[projects.project_id == pid], pack)
               for pid in (MAP_PROJECT, ACCESS_PROJECT)}
    small_png(figure_bytes(results[MAP_PROJECT], MAP_PROJECT, "png"), out / "figure.png", width=720)
    chromium = os.environ.get("REDLINE_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        sys.exit("no Chromium: install Debian's 'chromium' or set REDLINE_CHROMIUM")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])

        def open_report(pid: str):
            report = write_html(results[pid], Path(tmp) / f"{pid}.html", offline=True)
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                ("file:", "data:")) else route.abort())
            page.goto(report.as_uri())
            page.wait_for_selector("path.rl-project", state="attached")
            page.wait_for_timeout(800)
            return page

        page = open_report(MAP_PROJECT)
        head = page.locator("header.doc-head").bounding_box()
        verdict = page.locator("article.project section").nth(1).bounding_box()
        clip = {"x": 0, "y": head["y"], "width": WIDTH,
                "height": verdict["y"] + verdict["height"] - head["y"] + 8}
        small_png(page.screenshot(clip=clip, full_page=True), out / "report.png", width=880)
        small_png(page.locator(".map-frame").screenshot(), out / "report-map.png", width=880)
        page = open_report(ACCESS_PROJECT)
        small_png(page.locator("section.access").screenshot(), out / "report-access.png", width=880)
        browser.close()

if __name__ == "__main__":
    main(*sys.argv[1:])
