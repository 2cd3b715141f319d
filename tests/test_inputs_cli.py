"""`redline screen` on real-world inputs: options, and one-line errors with exit 2."""

import json
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from corpus import ZONE39, dxf_lwpolyline, ring, write_dxf
from redline.cli import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_zone_table_screens_end_to_end(tmp_path, pack_dir):
    # a footprint inside the synthetic red line (1 000–3 000 m), in zone-39 survey X/Y
    corners = ring(1_500, 1_500, 1_700, 1_700)
    path = xlsx(tmp_path / "拐点.xlsx", [["点号", "X", "Y"]] + [
        [f"J{k}", y, x + ZONE39] for k, (x, y) in enumerate(corners, 1)])
    result = run("screen", path, "--pack", pack_dir, "--json")
    assert result.exit_code == 0, result.output
    project = json.loads(result.stdout)["projects"][0]
    assert project["crs_in"] == "EPSG:4527" and project["kind"] == "footprint"
    assert project["verdict"] == "prohibited"
    assert project["area_m2"] == pytest.approx(40_000, rel=2e-3)  # 200 m × 200 m on the plane
    assert "eastings carry the zone prefix 39" in project["warnings"][0]
    assert project["name"] == "拐点" and project["land_use"] is None


def test_unprefixed_coordinates_name_the_pack_meridian(tmp_path, pack_dir):
    path = write_dxf(tmp_path / "plain.dxf", dxf_lwpolyline("0", ring(0, 0, 100, 100), True))
    result = run("screen", path, "--pack", pack_dir)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "the points fall inside it with --crs EPSG:4548 (CGCS2000 3-degree CM 117°E)" in lines[0]
    ok = run("screen", path, "--pack", pack_dir, "--crs", "EPSG:4548", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["projects"][0]["crs_in"] == "EPSG:4548"


def test_cad_layer_option(tmp_path, pack_dir):
    entities = (dxf_lwpolyline("红线", [(x + ZONE39, y) for x, y in ring(1_500, 1_500, 1_600, 1_600)],
                               True)
                + dxf_lwpolyline("地形", [(x + ZONE39, y) for x, y in ring(9_000, 9_000, 9_100, 9_100)],
                                 True))
    path = write_dxf(tmp_path / "d.dxf", entities)
    bad = run("screen", path, "--pack", pack_dir)
    assert bad.exit_code == 2 and "choose with --cad-layer" in bad.stderr
    result = run("screen", path, "--pack", pack_dir, "--cad-layer", "红线", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [p["name"] for p in doc["projects"]] == ["红线"]
    assert doc["projects"][0]["verdict"] == "prohibited"


def _slip(tmp_path):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../evil.csv", "x")
    return path


def _bomb(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.geojson", b" " * (30 * 1024 * 1024))
    return path


def _cut_zip(tmp_path):
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.geojson", "{}" * 500)
    path.write_bytes(path.read_bytes()[:300])
    return path


def _write(name, data):
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path
    return make


@pytest.mark.parametrize(("make", "message"), [
    (_slip, "entry '../evil.csv' points outside the archive's folder (zip-slip)"),
    (_bomb, "(limit 200×; a zip bomb?); refusing to expand it"),
    (_cut_zip, "cut.zip: not a readable zip archive (corrupt or truncated)"),
    (_write("empty.gpkg", b""), "empty.gpkg: the file is empty (0 bytes)"),
    (_write("t.csv", "名称,备注\n厂房,无\n"), "t.csv: not a coordinate table"),
    (_write("far.csv", "点号,经度,纬度\n1,2.30,48.80\n2,2.31,48.80\n3,2.31,48.81\n"),
     "far.csv: coordinates (x 2.300–2.310, y 48.800–48.810) are neither lon/lat in China"),
    (_write("site.dwg", b"AC1027" + b"\0" * 64), "site.dwg: DWG drawings cannot be read"),
])
def test_bad_files_are_one_line_exit_2(tmp_path, pack_dir, make, message):
    path = make(tmp_path)
    result = run("screen", path, "--pack", pack_dir)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output + result.stderr


def test_bad_rows_fail_their_project_only(tmp_path, pack_dir):
    rows = ["地块,点号,X,Y"]
    rows += [f"好,J{k},{y},{x + ZONE39}" for k, (x, y) in enumerate(ring(3_200, 16_000, 3_400,
                                                                          16_200), 1)]
    rows += ["坏,K1,2716000,abc", "坏,K2,2716000,39483300", "坏,K3,2716100,39483300",
             "短,M1,2716000,39484000", "短,M2,2716100,39484000"]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    result = run("screen", path, "--pack", pack_dir, "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    verdicts = {p["id"]: p["verdict"] for p in doc["projects"]}
    assert verdicts == {"好": "clear", "坏": None, "短": None}
    errors = result.stderr.strip().splitlines()
    assert errors == [
        "redline: error: 坏: rows.csv row 6: 'abc' in column Y is not a number; fix the cell",
        "redline: error: 短: rows.csv parcel 短 ring 1 (rows 9–10): a ring needs at least 3 "
        "distinct points, this one has 2; add the missing corners"]


def test_unknown_crs_and_real_process(tmp_path, pack_dir):
    path = xlsx(tmp_path / "a.xlsx", [["点号", "X", "Y"], ["J1", 2_701_500, 39_481_500],
                                      ["J2", 2_701_500, 39_481_600], ["J3", 2_701_600, 39_481_600]])
    bad = subprocess.run([sys.executable, "-m", "redline", "screen", str(path), "--pack",
                          str(pack_dir), "--crs", "gcj-03"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "redline: error: --crs: unknown CRS 'gcj-03' (give an EPSG code such as EPSG:4527, WKT, "
        "a PROJ string or pipeline, or one of bd09, beijing54, cgcs2000, gcj02, wgs84, xian80)"]
    ok = run("screen", path, "--pack", pack_dir, "--crs", "xian80", "--json")
    assert ok.exit_code == 0, ok.output
    project = json.loads(ok.stdout)["projects"][0]
    assert project["crs_in"] == "EPSG:2363"
    assert any("no official Xian 1980" in w for w in project["warnings"])
