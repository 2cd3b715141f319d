"""The command line: output contract, exit codes and one-line errors."""

import json
import subprocess
import sys

import geopandas as gpd
import jsonschema
import pytest
import shapely
from click.testing import CliRunner

from conftest import X0, Y0, box, write_projects
from redline.cli import cli
from redline.result import json_schema


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture()
def sites(tmp_path):
    """Three projects in one GeoPackage, in a projected CRS: prohibited, attention, clear."""
    return write_projects(
        tmp_path / "sites.gpkg",
        [box(1_500, 1_500, 1_700, 1_700), box(3_200, 1_500, 3_400, 1_700),
         box(3_000, 16_000, 3_500, 16_500)],
        XMBH=["A-1", "A-2", "A-3"], XMMC=["红线内厂房", "红线旁仓库", "城区商场"],
        HYDM=["C2929", None, "F5211"])


def test_json_output_is_the_result_document(sites, pack_dir):
    result = run("screen", sites, "--pack", pack_dir, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json_schema())
    assert doc["schema"] == "redline.result/1"
    assert doc["pack"]["id"] == "synthetic" and doc["rules"]["id"] == "national"
    assert doc["settings"]["buffer_m"] == 500
    verdicts = {p["id"]: p["verdict"] for p in doc["projects"]}
    assert verdicts == {"A-1": "prohibited", "A-2": "attention", "A-3": "clear"}
    first = doc["projects"][0]
    assert first["name"] == "红线内厂房" and first["industry"] == "C2929"
    assert first["crs_in"] == "EPSG:4548" and first["source"] == "sites.gpkg:sites#0"
    assert first["findings"][0]["rule"] == "redline.footprint"
    assert first["findings"][0]["overlap_pct"] == pytest.approx(100)
    assert "第六十五条" not in first["reasons"][0] and "生态保护红线" in first["reasons"][0]


def test_english_and_buffer(sites, pack_dir):
    result = run("screen", sites, "--pack", pack_dir, "--json", "--lang", "en", "--buffer", "100")
    doc = json.loads(result.stdout)
    assert doc["settings"]["buffer_m"] == 100
    a2 = doc["projects"][1]
    assert a2["verdict"] == "attention"  # the priority unit; the red line is 200 m away
    assert not [f for f in a2["findings"] if f["relation"] == "near"]
    assert doc["projects"][0]["findings"][0]["message"].startswith("Occupies an ecological")


def test_table_output(sites, pack_dir):
    result = run("screen", sites, "--pack", pack_dir)
    assert result.exit_code == 0
    out = result.stdout
    assert "A-1 红线内厂房" in out and "禁止" in out and "redline.footprint" in out
    assert "邻近" in out and "距离 200.0 m" in out
    assert "西镇 (350699100)" in out


@pytest.mark.parametrize(("fail_on", "code"), [("prohibited", 1), ("attention", 1),
                                               (None, 0)])
def test_fail_on(sites, pack_dir, fail_on, code):
    args = ["screen", sites, "--pack", pack_dir, "--json"]
    if fail_on:
        args += ["--fail-on", fail_on]
    assert run(*args).exit_code == code


def test_fail_on_not_reached(tmp_path, pack_dir):
    clear = write_projects(tmp_path / "clear.geojson", [box(3_000, 16_000, 3_500, 16_500)])
    assert run("screen", clear, "--pack", pack_dir, "--fail-on", "attention").exit_code == 0


def test_output_folder(sites, pack_dir, tmp_path):
    out = tmp_path / "out"
    result = run("screen", sites, "--pack", pack_dir, "-o", out, "--format", "json,gpkg,geojson")
    assert result.exit_code == 0
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in doc["projects"]] == ["A-1", "A-2", "A-3"]
    findings = gpd.read_file(out / "result.gpkg", layer="findings")
    projects = gpd.read_file(out / "result.gpkg", layer="projects")
    assert len(projects) == 3 and findings.crs.to_epsg() == 4490
    piece = findings[(findings["project_id"] == "A-1") & (findings["layer"] == "redline")]
    assert piece.iloc[0]["relation"] == "overlaps"
    assert piece.iloc[0]["overlap_m2"] == pytest.approx(
        doc["projects"][0]["findings"][0]["overlap_m2"], abs=0.006)  # JSON rounds to 0.01
    assert len(gpd.read_file(out / "findings.geojson")) == len(findings)


def test_outfall_kind_from_option(tmp_path, pack_dir):
    outfall = write_projects(tmp_path / "o.geojson", [shapely.Point(X0 + 15_000, Y0 + 8_000)])
    doc = json.loads(run("screen", outfall, "--pack", pack_dir, "--json", "--kind",
                         "outfall").stdout)
    assert doc["projects"][0]["kind"] == "outfall"
    assert doc["projects"][0]["verdict"] == "prohibited"


@pytest.mark.parametrize(("args", "message"), [
    (["screen", "{missing}"], "nope.shp: no such file"),
    (["screen", "{sites}", "--crs", "nonsense"], "--crs: unknown CRS 'nonsense'"),
    (["screen", "{sites}", "--format", "pdf"], "unknown format 'pdf'"),
    (["screen", "{sites}", "--id-field", "NOPE"], "--id-field: sites.gpkg has no field 'NOPE'"),
    (["screen", "{sites}", "--kind", "outfall"], "a outfall project must be a point"),
    (["screen", "{sites}", "--pack", "{tmp}"], "not a layer pack (no catalog.toml)"),
    (["screen", "{text}"], "cannot open as a vector data source"),
])
def test_bad_input_is_one_line_and_exit_2(sites, pack_dir, tmp_path, args, message):
    (tmp_path / "notes.dat").write_text("not a vector file\n")
    fill = {"missing": tmp_path / "nope.shp", "sites": sites, "tmp": tmp_path,
            "text": tmp_path / "notes.dat"}
    args = [a.format(**fill) for a in args]
    if "--pack" not in args:
        args += ["--pack", str(pack_dir)]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_outside_coverage_exits_2_with_result(tmp_path, pack_dir):
    far = write_projects(tmp_path / "far.geojson", [box(40_000, 5_000, 40_500, 5_500)])
    result = run("screen", far, "--pack", pack_dir, "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["projects"][0]["verdict"] is None
    assert "outside the coverage" in result.stderr


def test_real_process_exit_codes_and_streams(sites, pack_dir):
    exe = [sys.executable, "-m", "redline"]
    ok = subprocess.run([*exe, "screen", str(sites), "--pack", str(pack_dir), "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    json.loads(ok.stdout)  # stdout holds the document alone
    bad = subprocess.run([*exe, "screen", "/no/such/file.shp"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["redline: error: /no/such/file.shp: no such file"]
    usage = subprocess.run([*exe, "screen", str(sites), "--kind", "blob"], capture_output=True,
                           text=True)
    assert usage.returncode == 2 and len(usage.stderr.strip().splitlines()) == 1
    assert "--kind" in usage.stderr


def test_rules_show():
    result = run("rules", "show", "--lang", "en")
    assert result.exit_code == 0
    assert "water.outfall.upstream" in result.stdout
    assert "Water Pollution" in result.stdout or "水污染防治法" in result.stdout
