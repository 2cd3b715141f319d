"""The HTML report in a real browser (headless Chromium) with the network cut off.

The browser is Debian's ``chromium`` (``.ci/run`` installs it when missing), driven by
Playwright with the system browser; when there is none, Playwright's own Chromium is used
if ``playwright install chromium`` put one in place.
Every request that is not a local file is aborted and recorded. The tests skip, saying
why, only when no Chromium or no Playwright is available.
"""

from __future__ import annotations

import os
import shutil

import pytest

from test_report import hostile_pack, result  # noqa: F401 - fixtures shared with the report tests

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    candidates = [os.environ.get("REDLINE_CHROMIUM"), "chromium", "chromium-browser",
                  "google-chrome", "google-chrome-stable"]
    for name in filter(None, candidates):
        path = shutil.which(name) or (name if os.path.isfile(name) else None)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A fresh headless Chromium profile with every non-file request aborted."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (it comes with the 'test' extra)")
    executable = _chromium()  # None: Playwright's own Chromium, if `playwright install` ran
    with sync_api.sync_playwright() as pw:
        try:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable,
                headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        except sync_api.Error as exc:
            if executable is not None:
                raise
            pytest.skip("no Chromium found: install Debian's 'chromium' package (.ci/run does), "
                        "set REDLINE_CHROMIUM to a Chromium executable or run `playwright install "
                        f"chromium` ({str(exc).splitlines()[0]})")
        blocked: list[str] = []

        def cut_network(route):
            if route.request.url.startswith(("file:", "data:", "about:")):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", cut_network)
        context.blocked = blocked
        yield context
        context.close()


def _open(browser, path):
    page = browser.new_page()
    problems = {"pageerror": [], "console": [], "dialog": []}
    page.on("pageerror", lambda exc: problems["pageerror"].append(str(exc)))
    page.on("console", lambda msg: problems["console"].append(msg.text) if msg.type == "error" else None)

    def on_dialog(dialog):
        problems["dialog"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    browser.blocked.clear()
    page.goto(path.as_uri())
    page.wait_for_selector(".folium-map path.leaflet-interactive", timeout=20_000)
    page.wait_for_timeout(500)
    return page, problems


def _strokes(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("paths => paths.map(p => p.getAttribute('stroke'))")


def test_offline_report_draws_project_and_zones_without_errors(browser, result, tmp_path):  # noqa: F811
    from redline.report import write_html

    path = write_html(result, tmp_path / "report.html", offline=True)
    page, problems = _open(browser, path)
    assert page.locator(".folium-map").is_visible()
    assert page.locator("path.rl-project").count() == 4
    assert set(_strokes(page, "path.rl-project")) == {"#d50000"}
    assert page.locator("path.rl-ecological_redline").count() == 2  # the red line and the hostile one
    assert set(_strokes(page, "path.rl-nature_reserve")) == {"#4a148c", "#6a1b9a", "#8e24aa"}
    assert page.locator("path.rl-pieces").count() >= 2 and page.locator("path.rl-near").count() >= 1
    assert page.locator(".rl-legend").is_visible() and page.locator(".leaflet-control-layers").count()
    assert problems == {"pageerror": [], "console": [], "dialog": []}  # no hostile text ran
    assert browser.blocked == []  # nothing was even requested from the network
    # the map lists every pack layer as an overlay
    labels = page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    assert any("生态保护红线" in text for text in labels) and len(labels) >= 14

    # the measure tool: three clicks and a double click measure a distance and an area
    page.evaluate("document.querySelector('.folium-map').scrollIntoView({block: 'center'})")
    page.locator(".rl-measure a").click()
    box = page.locator(".folium-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-80, -80), (80, -80), (80, 80)):
        page.mouse.click(x + dx, y + dy)
    page.mouse.dblclick(x - 80, y + 80)
    tip = page.locator(".rl-measure-tip").inner_text()
    assert "距离" in tip and "面积" in tip and "m²" in tip

    # "show on map" zooms to the project
    zoom_before = page.evaluate("Object.values(window).find(v => v instanceof L.Map).getZoom()")
    page.locator("a.locate").first.click()
    page.wait_for_timeout(600)
    zoom_after = page.evaluate("Object.values(window).find(v => v instanceof L.Map).getZoom()")
    assert zoom_after > zoom_before
    page.close()


def test_online_report_still_draws_when_tiles_fail(browser, result, tmp_path):  # noqa: F811
    from redline.report import write_html

    path = write_html(result, tmp_path / "report.html")
    page, problems = _open(browser, path)
    assert page.locator("path.rl-project").count() == 4
    assert problems["pageerror"] == [] and problems["dialog"] == []
    assert browser.blocked and all("tile.openstreetmap.org" in url for url in browser.blocked)
    page.wait_for_selector(".rl-offline", timeout=10_000)  # the note that tiles are unreachable
    assert "底图瓦片无法加载" in page.locator(".rl-offline").inner_text()
    page.close()
