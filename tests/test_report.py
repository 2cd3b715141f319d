"""Reports and maps: every file is written, opened again and checked against the result.

The result comes from the synthetic pack of ``conftest.py`` plus one extra red-line
layer whose zone carries hostile text (a ``<script>`` name, a template-literal
``${...}`` and a spreadsheet formula), screened with projects whose names are hostile
too. The files are read back with python-docx, openpyxl, csv, PIL and an XML parser.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import re
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from PIL import Image
from pyproj import Geod

import redline
from conftest import METRIC, box, make, write_pack, write_projects
from redline.cli import cli
from redline.gcj02 import wgs84_to_gcj02
from redline.report import write_outputs
from redline.report.style import VERDICT_TINTS
from redline.report.webmap import map_parts
from test_raster import raster_dir, rpack  # noqa: F401 - raster pack fixtures of #7

HOSTILE_ZONE = '<script>alert("zone")</script>'
HOSTILE_PROJECT = "<script>alert('project')</script>${alert(1)}"
FORMULA_PROJECT = '=HYPERLINK("http://example.invalid","click")'
EVIL_ATTR = "</script><script>alert(2)</script>"
GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory):
    """The synthetic pack plus a red-line layer with hostile names and attributes."""
    folder = write_pack(tmp_path_factory.mktemp("hostile") / "pack", layers_extra='''
[[layers]]
id = "evil"
kind = "ecological_redline"
title = "地方生态保护红线<b>"
path = "evil.geojson"
name_field = "MC"
''')
    evil = gpd.GeoDataFrame({"MC": [HOSTILE_ZONE], "BZ": [EVIL_ATTR], "GS": ["=1+1"]},
                            geometry=[box(9_000, 1_000, 9_600, 1_600)], crs=METRIC).to_crs(4490)
    evil.to_file(folder / "evil.geojson", driver="GeoJSON")
    return redline.load_pack(folder)


@pytest.fixture(scope="module")
def result(hostile_pack):
    projects = make(
        [box(1_500, 1_500, 1_700, 1_700),        # inside the red line: prohibited
         box(9_100, 1_100, 9_300, 1_300),        # inside the hostile zone
         box(3_200, 1_500, 3_400, 1_700),        # 200 m from the red line: attention
         box(3_000, 16_000, 3_500, 16_500)],     # in town: clear
        ids=["A-1", "A-2", "A-3", "A-4"],
        names=["红线内厂房", HOSTILE_PROJECT, FORMULA_PROJECT, "城区商场"])
    return redline.screen(projects, hostile_pack)


@pytest.fixture(scope="module")
def outdir(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    written = write_outputs(result, out, ["json", "html", "docx", "xlsx", "csv", "png", "svg"],
                            map_options={"offline": True})
    assert {p.name for p in written} >= {"report.html", "map.html", "report.docx", "projects.xlsx",
                                         "projects.csv", "findings.csv", "figure-A-1.png",
                                         "figure-A-1.svg", "result.json"}
    return out


def finding(result, project_id, layer):
    f = result.findings
    return f[(f.project_id == project_id) & (f.layer == layer)].iloc[0]


def test_fixture_result_is_as_designed(result):
    verdicts = dict(zip(result.projects.project_id, result.projects.verdict, strict=True))
    assert verdicts == {"A-1": "prohibited", "A-2": "prohibited", "A-3": "attention", "A-4": "clear"}
    assert finding(result, "A-2", "evil").zone_name == HOSTILE_ZONE


# ------------------------------------------------------------------------ web map


def _script(m) -> str:
    """The code that draws a folium map (without the inlined libraries)."""
    return map_parts(m)["script"]


def _overlays(script: str) -> dict[str, str]:
    """Layer-control overlay name → folium variable."""
    block = re.search(r'\boverlays\s*:\s*\{(.*?)\}', script, re.S).group(1)
    pairs = re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*(\w+)', block)
    return {json.loads(name): var for name, var in pairs}


def _geojson_of(script: str, var: str) -> dict:
    data = re.search(rf"{var}_add\((\{{.*?\}})\);\n", script, re.S).group(1)
    return json.loads(data)


def test_map_has_every_layer_as_an_overlay_with_its_zones(result, hostile_pack):
    page = _script(result.explore(offline=True))
    overlays = _overlays(page)
    for layer in hostile_pack.layers:
        title = layer.spec.title.replace("<", "&lt;").replace(">", "&gt;")
        assert title in overlays, title
    for name in ("建设项目", "重叠部分(面积/长度)", "邻近距离"):
        assert name in overlays
    # zones are drawn within a margin around the projects: the water-source zones, 4 km east
    # of the nearest project, appear only with a wider margin
    assert _geojson_of(page, overlays["饮用水水源保护区"])["features"] == []
    wide = _script(result.explore(offline=True, margin_m=6_000))
    water = _geojson_of(wide, _overlays(wide)["饮用水水源保护区"])
    assert len(water["features"]) == 3
    assert {f["properties"]["style"]["color"] for f in water["features"]} == {
        "#0d47a1", "#1565c0", "#1e88e5"}  # level 1, level 2, quasi
    # the overlap piece of A-1 is labelled with its area, the near line of A-3 with its distance
    pieces = _geojson_of(page, overlays["重叠部分(面积/长度)"])["features"]
    a1 = finding(result, "A-1", "redline")
    assert f"{a1.overlap_m2:,.1f} m²" in " ".join(p["properties"]["label"] for p in pieces)
    near = _geojson_of(page, overlays["邻近距离"])["features"]
    a3 = finding(result, "A-3", "redline")
    assert a3.relation == "near"
    assert any(f"{a3.distance_m:,.1f} m" in p["properties"]["label"] for p in near)
    # the near line drawn is the finding's own geometry (nothing recomputed)
    line = next(p for p in near if f"{a3.distance_m:,.1f}" in p["properties"]["label"])
    assert np.allclose(np.array(line["geometry"]["coordinates"]),
                       shapely.get_coordinates(a3.geometry), atol=1e-7)


def test_map_is_self_contained_and_offline(result):
    page = result.explore(offline=True).get_root().render()
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "tile.openstreetmap.org" not in page and "L.tileLayer" not in page
    assert "Leaflet 1.9" in page or "leafletjs" in page  # Leaflet inlined
    assert "redline.measure" in page and "rl-legend" in page
    online = result.explore().get_root().render()
    assert "tile.openstreetmap.org" in online and "redline.tileNotice" in online


def test_map_escapes_hostile_text(result):
    page = _script(result.explore(offline=True))
    for raw in ("<script>alert(", "</script><script>alert(2)", "<b>"):
        assert raw not in page
    evil = _geojson_of(page, _overlays(page)["地方生态保护红线&lt;b&gt;"])["features"][0]
    popup = evil["properties"]["popup"]
    assert "&lt;script&gt;alert(&quot;zone&quot;)&lt;/script&gt;" in popup
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in popup
    assert "=1+1" in popup
    projects = _geojson_of(page, _overlays(page)["建设项目"])["features"]
    tips = " ".join(p["properties"]["tip"] for p in projects)
    assert "&lt;script&gt;alert(&#x27;project&#x27;)&lt;/script&gt;${alert(1)}" in tips


def test_amap_draws_overlays_in_gcj02(result):
    osm = _script(result.explore(project_id="A-1"))
    amap = _script(result.explore(project_id="A-1", basemap="amap"))
    assert "autonavi.com" in amap and "GCJ-02" in amap
    a = _geojson_of(osm, _overlays(osm)["建设项目"])["features"][0]["geometry"]["coordinates"][0]
    b = _geojson_of(amap, _overlays(amap)["建设项目"])["features"][0]["geometry"]["coordinates"][0]
    expected = np.column_stack(wgs84_to_gcj02(np.array(a)[:, 0], np.array(a)[:, 1]))
    assert np.allclose(np.array(b), expected, atol=2e-7)
    shift = GEOD.inv(a[0][0], a[0][1], b[0][0], b[0][1])[2]
    assert 100 < shift < 1000


def test_map_fits_the_project_and_tianditu_needs_a_key(result, monkeypatch):
    page = _script(redline.map(result, project_id="A-4"))
    fit = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1)
    (s, w), (n, e) = json.loads(fit)
    x0, y0, x1, y1 = result.projects.set_index("project_id").geometry["A-4"].bounds
    assert (w, s, e, n) == pytest.approx((x0, y0, x1, y1), abs=1e-9)
    monkeypatch.delenv("REDLINE_TIANDITU_KEY", raising=False)
    with pytest.raises(redline.InputError, match="tianditu needs a key"):
        result.explore(basemap="tianditu")
    page = result.explore(basemap="tianditu", tianditu_key="KEY123").get_root().render()
    assert "tianditu.gov.cn/DataServer?T=vec_w" in page and "tk=KEY123" in page


# ----------------------------------------------------------------------------- HTML


def test_html_report_sections_numbers_and_sources(result, outdir, hostile_pack):
    page = (outdir / "report.html").read_text(encoding="utf-8")
    for heading in ("项目概况", "结论", "管控要素明细", "所在环境管控单元", "数据来源", "声明"):
        assert heading in page
    a1 = finding(result, "A-1", "redline")
    assert f"{a1.overlap_m2:,.1f} m²" in page and f"{a1.overlap_pct:.1f}%" in page
    assert "禁止" in page and "需关注" in page and "未涉及" in page
    assert "ZH35069910001" in page  # the control unit the first project lies in
    for layer in hostile_pack.layers:
        assert layer.sha256 in page
    assert hostile_pack.catalog_sha256 in page
    assert "不构成法律意义上的认定" in page
    assert page.count("图层包未提供生态环境准入清单,未作符合性分析。") == 4  # this pack has none
    # one figure per project, embedded as PNG of the right size
    pictures = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(pictures) == 4
    assert Image.open(io.BytesIO(base64.b64decode(pictures[0]))).size == (1200, 1000)
    # the map is embedded, with Leaflet inlined and every overlay present
    assert 'class="folium-map"' in page and not re.search(r"<script[^>]+src=", page)
    overlays = _overlays(page[page.rindex("</main>"):])
    assert all(layer.spec.title.replace("<", "&lt;").replace(">", "&gt;") in overlays
               for layer in hostile_pack.layers)


def test_html_report_escapes_hostile_names(outdir):
    page = (outdir / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(" not in page and "</script><script>" not in page
    assert "&lt;script&gt;alert(&#39;project&#39;)&lt;/script&gt;${alert(1)}" in page
    assert "&lt;script&gt;alert(&#34;zone&#34;)&lt;/script&gt;" in page


def test_html_report_in_english_and_illustrative_demo(tmp_path):
    pack = redline.load_pack()
    from redline.demo import demo_projects

    demo = redline.screen(demo_projects(pack).iloc[[0]], pack)
    path = redline.report.write_html(demo, tmp_path / "r.html", lang="en", offline=True)
    page = path.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE data, not official" in page and "Project overview" in page
    assert "prohibited" in page and "项目概况" not in page


# ---------------------------------------------------------------------------- figure


def test_png_figure_is_drawn_at_size_with_the_project(outdir):
    image = np.asarray(Image.open(outdir / "figure-A-1.png").convert("RGB"))
    assert image.shape == (1000, 1200, 3)
    colours = {tuple(c) for c in image.reshape(-1, 3)[::7]}
    assert len(colours) > 100  # not blank
    red = np.all(np.abs(image.astype(int) - (0xD5, 0x00, 0x00)) < 6, axis=2)
    assert red.sum() > 200  # the project outline is drawn in its colour
    green = np.all(np.abs(image.astype(int) - (0x1B, 0x5E, 0x20)) < 6, axis=2)
    assert green.sum() > 200  # so is the red-line zone's edge


def test_svg_figure_is_valid_and_has_no_font_dependency(outdir):
    root = ElementTree.parse(outdir / "figure-A-1.svg").getroot()
    assert root.tag.endswith("svg") and root.get("width") == "576pt"
    text = (outdir / "figure-A-1.svg").read_text(encoding="utf-8")
    assert "<text" not in text and text.count("<path") > 100  # glyphs drawn as paths


def test_figure_draws_chinese_without_missing_glyphs(result):
    from redline.report._fonts import cjk_font
    from redline.report.figure import figure_bytes, project_figure

    assert cjk_font() is not None and "CJK" in cjk_font()
    fig = project_figure(result, "A-1")
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "红线内厂房" in texts and "筛查结论:禁止" in texts and "示意数据" not in texts
    # the font matplotlib resolves for the figure's text has a glyph for every character
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font
    from matplotlib.text import Text

    families = {tuple(t.get_fontfamily()) for t in fig.findobj(Text)
                if any(ord(ch) >= 0x2E80 for ch in t.get_text())}
    assert families
    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=list(family)),
                                     fallback_to_default=False)
        face = FT2Font(path)
        missing = {ch for ch in texts if not ch.isspace() and face.get_char_index(ord(ch)) == 0}
        assert not missing, (path, missing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns for every glyph it has to box
        assert figure_bytes(result, "A-1", "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure_falls_back_to_latin_text_without_a_cjk_font(result, monkeypatch):
    from redline.report import figure

    monkeypatch.setattr(figure, "cjk_font", lambda: None)
    fig = figure.project_figure(result, "A-1", lang="zh")
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    cjk = [text for text in texts if any(ord(ch) >= 0x2E80 for ch in text)]
    assert not cjk  # DejaVu Sans draws m², ° and ′ but no Chinese
    assert any("Verdict: prohibited" in text for text in texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure.figure_bytes(result, "A-1", "png")


# ------------------------------------------------------------------------------ Word


def test_docx_has_the_verdict_and_the_findings_table(result, outdir):
    from docx import Document

    doc = Document(outdir / "report.docx")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "建设项目空间管控筛查报告" in text
    for heading in ("一、项目概况", "二、结论", "三、管控要素明细", "四、所在环境管控单元",
                    "五、生态环境准入清单符合性分析", "六、图件", "数据来源", "声明"):
        assert heading in text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings[:2] == ["筛查结果汇总", "A-1 红线内厂房"]
    conclusion = [p.text.strip() for p in doc.paragraphs if p.text.startswith("结论:")]
    assert conclusion == ["结论: 禁止", "结论: 禁止", "结论: 需关注", "结论: 未涉及"]
    details = [t for t in doc.tables if t.rows[0].cells[0].text == "图层"
               and t.rows[0].cells[1].text == "涉及情况"]
    assert len(details) == 4
    first = [[c.text for c in row.cells] for row in details[0].rows]
    a1 = finding(result, "A-1", "redline")
    row = next(r for r in first if r[0] == "生态保护红线" and r[1] == "涉及")
    assert row[3] == "重叠" and row[4] == f"{a1.overlap_m2:,.1f} m²" and row[7] == "禁止"
    assert row[8].startswith("redline.footprint")
    assert any(r[0] == "饮用水水源保护区" and r[1] == "未涉及" for r in first)
    assert len(doc.inline_shapes) == 4  # one figure per project
    # the body is set in a Chinese font for East Asian text
    east_asian = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(east_asian) == "仿宋"
    # table text in 宋体, through the cell paragraphs' style
    cell_style = details[0].rows[1].cells[0].paragraphs[0].style
    assert cell_style.element.rPr.rFonts.get(east_asian) == "宋体" and cell_style.font.size.pt == 8


def test_docx_in_english(result, tmp_path):
    from docx import Document

    path = redline.report.write_docx(result, tmp_path / "r.docx", lang="en", figures=False)
    doc = Document(path)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Verdict: prohibited" in text and "3. Control layers in detail" in text
    assert "结论" not in text
    assert len(doc.inline_shapes) == 0


# ------------------------------------------------------------------------ Excel, CSV


def test_xlsx_rows_colours_and_no_live_formulas(result, outdir):
    from openpyxl import load_workbook

    wb = load_workbook(outdir / "projects.xlsx")
    assert wb.sheetnames == ["项目", "要素明细", "说明"]
    ws = wb["项目"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["A-1", "A-2", "A-3", "A-4"]
    assert [r[header.index("结论")] for r in rows] == ["禁止", "禁止", "需关注", "未涉及"]
    a1 = finding(result, "A-1", "redline")
    assert rows[0][header.index("生态保护红线 涉及面积/长度 (m²/m)")] == pytest.approx(a1.overlap_m2)
    a3 = finding(result, "A-3", "redline")
    assert rows[2][header.index("生态保护红线 最近距离 (m)")] == pytest.approx(a3.distance_m)
    name = ws.cell(4, header.index("项目名称") + 1)
    assert name.value == FORMULA_PROJECT and name.data_type == "s" and name.quotePrefix
    assert ws.cell(3, 2).value == HOSTILE_PROJECT
    verdict = ws.cell(2, header.index("结论") + 1)
    assert verdict.fill.fgColor.rgb.endswith(VERDICT_TINTS["prohibited"].lstrip("#").upper())
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref
    assert ws.column_dimensions["B"].width > 8
    findings = wb["要素明细"]
    assert findings.max_row == len(result.findings) + 1
    # the zone attribute "=1+1" never became a formula anywhere in the workbook
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    with zipfile.ZipFile(outdir / "projects.xlsx") as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in zf.read(n).decode("utf-8") for n in sheets)
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["软件版本"].startswith("redline")


def test_csv_rows_and_neutralised_formulas(result, outdir):
    with open(outdir / "projects.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["项目编号"] for r in rows] == ["A-1", "A-2", "A-3", "A-4"]
    assert rows[2]["项目名称"] == "'" + FORMULA_PROJECT
    assert rows[0]["结论"] == "禁止"
    with open(outdir / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        findings = list(csv.DictReader(fh))
    assert len(findings) == len(result.findings)
    assert not any(v.startswith(("=", "+", "-", "@")) for r in findings for v in r.values() if v)


def test_spreadsheets_neutralise_every_formula_prefix(result, tmp_path):
    from openpyxl import load_workbook

    hostile = ["=1+1", "+1", "-2+3", "@SUM(A1)"]
    projects = result.projects.copy()
    projects["name"] = hostile
    projects["source"] = ["-cmd|' /C calc'!A0"] * 4
    changed = dataclasses.replace(result, projects=projects)
    ws = load_workbook(redline.report.write_xlsx(changed, tmp_path / "p.xlsx"))["项目"]
    header = [c.value for c in ws[1]]
    for row, name in enumerate(hostile, start=2):
        cell = ws.cell(row, header.index("项目名称") + 1)
        assert cell.value == name and cell.data_type == "s" and cell.quotePrefix
        assert ws.cell(row, header.index("数据来源文件") + 1).quotePrefix
    with zipfile.ZipFile(tmp_path / "p.xlsx") as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    redline.report.write_csv(changed, tmp_path)
    with open(tmp_path / "projects.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["项目名称"] for r in rows] == ["'" + name for name in hostile]
    assert all(r["数据来源文件"].startswith("'-cmd") for r in rows)


# ------------------------------------------------------------------------------- CLI


def test_cli_writes_the_documents(pack_dir, tmp_path):
    sites = write_projects(tmp_path / "sites.gpkg", [box(1_500, 1_500, 1_700, 1_700)],
                           XMBH=["S-1"], XMMC=["厂房"])
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["screen", str(sites), "--pack", str(pack_dir), "-o", str(out),
                                    "--format", "html,docx,xlsx,csv,png,svg", "--offline"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == [
        "figure-S-1.png", "figure-S-1.svg", "findings.csv", "map.html", "projects.csv",
        "projects.xlsx", "report.docx", "report.html"]
    assert "L.tileLayer" not in (out / "map.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, ["screen", str(sites), "--pack", str(pack_dir), "-o", str(out),
                                   "--format", "html", "--basemap", "tianditu"],
                             env={"REDLINE_TIANDITU_KEY": ""})
    assert bad.exit_code == 2 and "tianditu needs a key" in bad.output


def test_notebook_runs(tmp_path):
    """notebooks/01_screen_a_project.ipynb executes from top to bottom."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = Path(__file__).resolve().parents[1] / "notebooks" / "01_screen_a_project.ipynb"
    nb = nbformat.read(source, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), \
        "commit the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert (tmp_path / "notebook-out" / "report.html").exists()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("prohibited" in str(o.get("data", {}).get("text/plain", "")) for o in outputs)


# ------------------------------------------------------------- access list (准入清单)


@pytest.fixture(scope="module")
def access_result():
    """Demo P15 (a chemical plant in a key unit) twice: with its industry code, and without."""
    pack = redline.load_pack()
    from redline.demo import demo_projects

    projects = demo_projects(pack)
    projects = projects[projects.project_id == "P15"]
    unknown = projects.assign(project_id="P15-X", industry=None, land_use="工业用地")
    import pandas as pd

    both = gpd.GeoDataFrame(pd.concat([projects, unknown], ignore_index=True), crs=projects.crs)
    return redline.screen(both, pack)


def _conflicts(result, project_id):
    f = result.findings
    rows = f[(f.project_id == project_id) & (f.kind == "access_list") & (f.verdict != "clear")]
    return rows


def test_access_section_in_html(access_result, tmp_path):
    from redline.report.html import write_html

    conflicts = _conflicts(access_result, "P15")
    assert len(conflicts) >= 3 and len(_conflicts(access_result, "P15-X")) == 0
    page = write_html(access_result, tmp_path / "r.html", interactive=False,
                      figures=False).read_text(encoding="utf-8")
    sections = page.split('<article class="project"')[1:]
    assert len(sections) == 2
    known, unknown = (s.split('<section class="access">')[1].split("</section>")[0] for s in sections)
    assert "五、生态环境准入清单符合性分析" in sections[0]
    # the four dimensions in order, and every conflicting clause in a highlighted row
    dims = re.findall(r'<tr class="dimension"><th colspan="6">([^<]+)</th>', known)
    assert dims == ["空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求"]
    highlighted = re.findall(r'<tr class="conflict">(.*?)</tr>', known, flags=re.S)
    assert len(highlighted) == len(conflicts)
    for text in conflicts["clause_text"]:
        assert any(text in row for row in highlighted)
    applicable = access_result.clauses_of("P15")["status"].isin(["targeted", "general"]).sum()
    assert f"适用的准入清单条款 {applicable} 条,其中与本项目冲突 {len(conflicts)} 条" in known
    # without an industry code the report says the list could not be checked
    unchecked = (access_result.clauses_of("P15-X")["status"] == "unknown_industry").sum()
    assert unchecked > 0 and f"准入清单无法完整核对:涉及特定行业的 {unchecked} 条条款" in unknown
    assert "准入清单无法完整核对" not in known and 'class="conflict"' not in unknown
    assert unknown.count("待核实") == unchecked
    # the overview shows the declared land use, the input CRS and the warnings
    overview = sections[1].split("二、")[0]
    assert "<th>用地性质</th><td>工业用地</td>" in overview
    assert "<th>输入坐标系</th><td>EPSG:4490</td>" in overview
    # the access list is among the data sources, with its checksum and clause count
    table = next(iter(access_result.pack.tables.values()))
    assert re.search(rf"<td>{re.escape(table.title)}</td><td>生态环境准入清单</td><td class=\"num\">"
                     rf"{len(table.clauses)}</td><td class=\"code hash\">{table.sha256}</td>", page)
    assert "access list (生态环境准入清单) could not be checked" in overview


def test_access_section_in_english(access_result, tmp_path):
    from redline.report.html import write_html

    page = write_html(access_result, tmp_path / "r.html", lang="en", interactive=False,
                      figures=False).read_text(encoding="utf-8")
    assert "5. Environmental access list (生态环境准入清单) compliance" in page
    assert "spatial layout constraints" in page and "the access list could not be checked" in page


def test_access_section_in_docx(access_result, tmp_path):
    from docx import Document

    conflicts = _conflicts(access_result, "P15")
    doc = Document(redline.report.write_docx(access_result, tmp_path / "r.docx", figures=False))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.count("五、生态环境准入清单符合性分析") == 2
    assert "准入清单无法完整核对" in text
    tables = [t for t in doc.tables if [c.text for c in t.rows[0].cells][2:3] == ["条款内容"]]
    assert len(tables) == 2  # one per project
    rows = [[c.text for c in row.cells] for row in tables[0].rows[1:]]
    assert rows[0] == ["空间布局约束"] * 6  # a merged dimension row
    bold = [r for r, row in zip(rows, tables[0].rows[1:], strict=True)
            if row.cells[2].paragraphs[0].runs and row.cells[2].paragraphs[0].runs[0].bold]
    assert sorted(r[2] for r in bold if r[0] != r[2]) == sorted(conflicts["clause_text"])
    assert {r[5] for r in bold if r[0] != r[2]} <= {"禁止", "限制"}
    unknown = [[c.text for c in row.cells] for row in tables[1].rows[1:]]
    unchecked = (access_result.clauses_of("P15-X")["status"] == "unknown_industry").sum()
    assert sum(r[5] == "待核实" for r in unknown) == unchecked
    assert not any(r[5] in ("禁止", "限制") for r in unknown)


def test_access_column_in_spreadsheets(access_result, tmp_path):
    from openpyxl import load_workbook

    n = len(_conflicts(access_result, "P15"))
    applicable = access_result.clauses_of("P15")["status"].isin(["targeted", "general"]).sum()
    ws = load_workbook(redline.report.write_xlsx(access_result, tmp_path / "p.xlsx"))["项目"]
    header = [c.value for c in ws[1]]
    column = [ws.cell(r, header.index("准入清单") + 1).value for r in (2, 3)]
    assert column[0] == f"冲突 {n} 条 / 适用 {applicable} 条"
    assert column[1].endswith("未给行业代码,未能核对")
    redline.report.write_csv(access_result, tmp_path, lang="en")
    with open(tmp_path / "projects.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Access list"] == f"{n} conflict(s) / {applicable} applicable"


# ------------------------------------------------------------------ raster layers (#7)


def test_reports_show_raster_findings_land_cover_terrain_and_checksums(rpack, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    from redline.report.html import write_html

    result = redline.screen(make([box(1_100, 6_300, 1_700, 6_700)]), rpack)
    sens = result.findings[result.findings.layer == "sens"].set_index("zone_class")
    assert set(sens.index) == {"extreme", "high"}
    page = write_html(result, tmp_path / "r.html", interactive=False,
                      figures=False).read_text(encoding="utf-8")
    details = page.split("三、管控要素明细")[1].split("四、")[0]
    title = rpack.layer("sens").spec.title
    for cls, verdict in (("extreme", "限制"), ("high", "需关注")):
        row = next(r for r in re.findall(r"<tr class=\"involved\">(.*?)</tr>", details, flags=re.S)
                   if title in r and sens.loc[cls, "zone_name"] in r)
        assert f"{sens.loc[cls, 'overlap_m2']:,.1f} m²" in row and verdict in row
    overview = page.split("二、结论")[0]
    cover = result.projects.iloc[0].land_cover
    assert cover and "<th>占地类型</th>" in overview
    for part in cover:
        assert f"{part['name_zh']} {part['area_m2']:,.1f} m²({part['share_pct']:.1f}%)" in overview
    terrain = result.projects.iloc[0].terrain[0]
    assert f"高程 {terrain['elevation_min']:,.1f}–{terrain['elevation_max']:,.1f} m" in overview
    for raster in rpack.rasters:
        assert raster.sha256 in page
    ws = load_workbook(redline.report.write_xlsx(result, tmp_path / "p.xlsx"))["项目"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index(f"{title} 涉及面积/长度 (m²/m)") + 1).value == pytest.approx(
        sens["overlap_m2"].sum())
    assert ws.cell(2, header.index("占地类型") + 1).value.startswith(cover[0]["name_zh"])
