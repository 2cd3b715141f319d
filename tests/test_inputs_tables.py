"""Corner-coordinate tables (拐点坐标) in CSV, XLSX and XLS: headings, conventions, parcels."""

from pathlib import Path

import openpyxl
import pytest
import shapely

from conftest import geod_area
from corpus import ZONE39, dms, expected_area, metric_to_ll, ring
from redline import read_projects
from redline.errors import InputError
from redline.io.tables import classify_heading, parse_angle

DATA = Path(__file__).parent / "data"
OUTER = ring(0, 0, 300, 200)
HOLE = ring(100, 50, 150, 100)
SECOND = ring(1000, 0, 1100, 100)
PACK_AREA = (116.70, 24.30, 117.00, 24.60)


def area_of(projects, i):
    return geod_area(projects.geometry.iloc[i])


@pytest.mark.parametrize(("heading", "role"), [
    ("点号", "point"), ("界址点号", "point"), ("X", "north"), ("X坐标(m)", "north"),
    ("纵坐标", "north"), ("北坐标", "north"), ("N", "north"), ("Y", "east"), ("Y(m)", "east"),
    ("横坐标", "east"), ("东坐标", "east"), ("E", "east"), ("经度", "lon"), ("Longitude", "lon"),
    ("纬度(°)", "lat"), ("lat", "lat"), ("面积(公顷)", "area"), ("圈号", "ring"), ("地块编号", "parcel"),
    ("用途", "use"), ("备注", None),
])
def test_headings(heading, role):
    assert classify_heading(heading) == role


@pytest.mark.parametrize("text", ["117°36′12.5″", "117°36'12.5\"", "117 36 12.5", "117:36:12.5",
                                  "117度36分12.5秒", "E117°36′12.5″", "东经117°36′12.5″"])
def test_dms_strings(text):
    assert parse_angle(text) == pytest.approx(117 + 36 / 60 + 12.5 / 3600, abs=1e-12)


@pytest.mark.parametrize("text", ["117°61′0″", "abc", "117°36′12.5″x", "1 2 3 4"])
def test_bad_angles(text):
    with pytest.raises(ValueError):
        parse_angle(text)


@pytest.mark.parametrize("style", ["symbols", "spaces", "colons", "words"])
def test_dms_lonlat_csv(tmp_path, style):
    lines = ["点号,经度,纬度"]
    for k, (x, y) in enumerate([*OUTER, OUTER[0]], start=1):
        lon, lat = metric_to_ll(x, y)
        lines.append(f"J{k},{dms(lon, style)},{dms(lat, style)}")
    path = tmp_path / "拐点.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    projects = read_projects(path)
    assert len(projects) == 1
    assert projects.loc[0, "crs_in"] == "EPSG:4490" and projects.loc[0, "name"] == "拐点"
    assert projects.loc[0, "kind"] == "footprint"
    assert projects.loc[0, "warnings"] == ["拐点.csv declares no CRS; lon/lat in China assumed to be "
                                           "CGCS2000 (EPSG:4490)"]
    assert area_of(projects, 0) == pytest.approx(expected_area(OUTER), rel=1e-4)


def test_xlsx_in_zone_coordinates_with_parcels_holes_and_areas(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "拐点坐标"
    sheet.append(["某项目用地红线拐点坐标表(2000国家大地坐标系,3度分带)"])
    sheet.append(["地块", "点号", "圈号", "X坐标(m)", "Y坐标(m)", "面积(公顷)", "用途"])
    net = expected_area(OUTER, [HOLE])
    for k, (x, y) in enumerate(OUTER, start=1):
        # merged cells: the parcel, area and use only on its first row
        first = k == 1
        sheet.append(["A地块" if first else None, f"J{k}", 1, y, x + ZONE39,
                      round(net / 10_000, 4) if first else None, "工业用地" if first else None])
    for k, (x, y) in enumerate(HOLE, start=1):
        sheet.append([None, f"H{k}", 2, y, x + ZONE39])
    for k, (x, y) in enumerate(SECOND, start=1):
        sheet.append(["B地块", f"K{k}", 1, y, x + ZONE39, 2.0 if k == 1 else None, "道路用地"])
    path = tmp_path / "corners.xlsx"
    book.save(path)
    projects = read_projects(path)
    assert list(projects["project_id"]) == ["A地块", "B地块"]
    assert list(projects["land_use"]) == ["工业用地", "道路用地"]
    assert set(projects["crs_in"]) == {"EPSG:4527"}
    assert list(projects["source"]) == ["corners.xlsx#A地块", "corners.xlsx#B地块"]
    a, b = projects.iloc[0], projects.iloc[1]
    assert shapely.get_num_interior_rings(a.geometry) == 1
    assert area_of(projects, 0) == pytest.approx(net, rel=1e-4)
    assert area_of(projects, 1) == pytest.approx(expected_area(SECOND), rel=1e-4)
    # the title names the datum, so nothing is said to be assumed about it
    assert a.warnings == ["corners.xlsx declares no CRS; eastings carry the zone prefix 39: "
                          "3-degree Gauss-Krüger zone 39 (CM 117°E), EPSG:4527"]
    # B declares 2 ha for a 1 ha parcel: flagged on B only
    assert b.warnings[-1].startswith("corners.xlsx parcel B地块 (rows 11–14): declares an area of "
                                     "2 公顷 (20,000.0 m²) but its boundary encloses 9,999.")
    assert "(-50.0%); check the coordinates or the declared area" in b.warnings[-1]


def test_xls_lonlat_with_label_rows():
    projects = read_projects(DATA / "corners_lonlat.xls")
    assert list(projects["name"]) == ["一号地块", "二号地块"]
    assert set(projects["crs_in"]) == {"EPSG:4490"}
    assert projects.loc[0, "warnings"] == [
        "corners_lonlat.xls: lon/lat on CGCS2000 as the file states (EPSG:4490)"]
    assert area_of(projects, 0) == pytest.approx(expected_area(OUTER), rel=1e-4)
    assert area_of(projects, 1) == pytest.approx(expected_area(SECOND), rel=1e-4)


def test_parcels_by_blank_rows_and_closing_points_in_en_table(tmp_path):
    rows = ["序号,E,N"]
    for k, (x, y) in enumerate([*OUTER, OUTER[0]], start=1):  # closed by the first point
        rows.append(f"{k},{x + ZONE39:.3f},{y:.3f}")
    for k, (x, y) in enumerate(HOLE, start=1):  # a hole, then a blank row
        rows.append(f"h{k},{x + ZONE39:.3f},{y:.3f}")
    rows.append(",,")
    for k, (x, y) in enumerate(SECOND, start=1):
        rows.append(f"s{k},{x + ZONE39:.3f},{y:.3f}")
    path = tmp_path / "en.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    projects = read_projects(path)
    assert list(projects["project_id"]) == ["1", "2"]
    assert area_of(projects, 0) == pytest.approx(expected_area(OUTER, [HOLE]), rel=1e-4)
    assert area_of(projects, 1) == pytest.approx(expected_area(SECOND), rel=1e-4)


def test_swapped_xy_columns_are_detected(tmp_path):
    # headed X/Y but written easting first (GIS habit), so X holds the 8-digit easting
    rows = ["点号,X,Y"] + [f"J{k},{x + ZONE39:.3f},{y:.3f}" for k, (x, y) in enumerate(OUTER, 1)]
    path = tmp_path / "xy.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    projects = read_projects(path)
    assert projects.loc[0, "crs_in"] == "EPSG:4527"
    assert "X and Y are swapped" in projects.loc[0, "warnings"][1]
    assert area_of(projects, 0) == pytest.approx(expected_area(OUTER), rel=1e-4)


def test_gbk_csv_with_unprefixed_coordinates_and_crs(tmp_path):
    rows = ["界址点号,纵坐标,横坐标,地块名称"] + [
        f"J{k},{y:.3f},{x:.3f},厂区" for k, (x, y) in enumerate(OUTER, 1)]
    path = tmp_path / "gbk.csv"
    path.write_bytes("\n".join(rows).encode("gbk"))
    with pytest.raises(InputError) as info:
        read_projects(path, region=PACK_AREA)
    assert "without a zone prefix" in str(info.value)
    assert "--crs EPSG:4548 (CGCS2000 3-degree CM 117°E)" in str(info.value)
    projects = read_projects(path, crs="EPSG:4548")
    assert projects.loc[0, "name"] == "厂区" and projects.loc[0, "crs_in"] == "EPSG:4548"
    assert projects.loc[0, "warnings"] == [
        "gbk.csv: text encoding GB18030 (detected: not valid UTF-8); pass --encoding to override"]
    assert area_of(projects, 0) == pytest.approx(expected_area(OUTER), rel=1e-4)


def test_a_bad_row_is_an_error_on_its_parcel_only(tmp_path):
    rows = ["地块,点号,X,Y"]
    rows += [f"甲,J{k},{y:.3f},{x + ZONE39:.3f}" for k, (x, y) in enumerate(OUTER, 1)]
    rows += ["乙,K1,2700000.000,39481000.000", "乙,K2,abc,39481100.000",
             "乙,K3,2700100.000,39481100.000", "丙,M1,2700000.000,39482000.000",
             "丙,M2,2700000.000,39482000.000"]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    projects = read_projects(path)
    assert projects.loc[0, "errors"] == []
    assert projects.loc[1, "errors"] == ["bad.csv row 7: 'abc' in column X is not a number; fix "
                                         "the cell"]
    assert projects.loc[2, "errors"] == [
        "bad.csv parcel 丙 ring 1 (rows 9–10): a ring needs at least 3 distinct points, this one "
        "has 1; add the missing corners"]
    assert projects.geometry.iloc[1] is None and projects.geometry.iloc[2] is None


def test_unitless_area_column_is_matched(tmp_path):
    net = expected_area(OUTER)
    rows = ["点号,X,Y,面积"] + [f"J{k},{y:.3f},{x + ZONE39:.3f},{net / 666.6667:.4f}"
                               for k, (x, y) in enumerate(OUTER, 1)]
    path = tmp_path / "mu.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    projects = read_projects(path)
    assert not [w for w in projects.loc[0, "warnings"] if "declares an area" in w]


def test_tables_without_coordinates_or_rows(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("序号,项目名称\n1,厂房\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"names.csv: not a coordinate table: no heading row"):
        read_projects(path)
    only = tmp_path / "only.csv"
    only.write_text("点号,X,Y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"only.csv: the table has headings but no coordinate rows"):
        read_projects(only)
    book = openpyxl.Workbook()
    book.active.append(["点号", "X", "Y"])
    book.active.append(["J1", 2700000, ZONE39 + 480000])
    second = book.create_sheet("另一表")
    second.append(["点号", "经度", "纬度"])
    book.save(tmp_path / "two.xlsx")
    with pytest.raises(InputError, match=r"coordinate tables on 2 sheets \(Sheet, 另一表\); choose "
                                         r"one with --layer"):
        read_projects(tmp_path / "two.xlsx")
    (tmp_path / "fake.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InputError, match=r"fake.xlsx: cannot open as an XLSX workbook"):
        read_projects(tmp_path / "fake.xlsx")
