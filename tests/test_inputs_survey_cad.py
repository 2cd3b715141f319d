"""Land-survey boundary TXT (勘测定界) and CAD drawings (DXF, DWG)."""

import pytest
import shapely

from conftest import X0, Y0, geod_area, to_ll
from corpus import (
    ZONE39,
    bulged_square,
    dxf_hatch,
    dxf_lwpolyline,
    dxf_text,
    expected_area,
    ring,
    survey_txt,
    write_dxf,
)
from redline import read_projects
from redline.errors import InputError

OUTER = ring(0, 0, 300, 200)
HOLE = ring(100, 50, 150, 100)
SECOND = ring(1000, 0, 1100, 100)


def z39(points):
    return [(x + ZONE39, y) for x, y in points]


# -- survey TXT ---------------------------------------------------------------------

def test_survey_txt_parcels_rings_and_declared_areas(tmp_path):
    net = expected_area(OUTER, [HOLE])
    text = survey_txt([
        ([f"{net / 10_000:.4f}", "A01", "厂区", "面", "G50G001001", "工业用地", ""],
         [(1, OUTER), (2, HOLE)]),
        (["2.0000", "A02", "进场道路", "面", "G50G001001", "交通运输用地", ""], [(1, SECOND)]),
    ])
    path = tmp_path / "勘测定界.txt"
    path.write_bytes(text.encode("gbk"))
    projects = read_projects(path)
    assert list(projects["project_id"]) == ["A01", "A02"]
    assert list(projects["name"]) == ["厂区", "进场道路"]
    assert list(projects["land_use"]) == ["工业用地", "交通运输用地"]
    assert set(projects["crs_in"]) == {"EPSG:4527"}  # from the header: declared, not assumed
    assert list(projects["source"]) == ["勘测定界.txt#A01", "勘测定界.txt#A02"]
    assert shapely.get_num_interior_rings(projects.geometry.iloc[0]) == 1
    assert geod_area(projects.geometry.iloc[0]) == pytest.approx(net, rel=1e-4)
    assert geod_area(projects.geometry.iloc[1]) == pytest.approx(expected_area(SECOND), rel=1e-4)
    encoding_note = ("勘测定界.txt: text encoding GB18030 (detected: not valid UTF-8); pass "
                     "--encoding to override")
    assert projects.loc[0, "warnings"] == [encoding_note]
    assert projects.loc[1, "warnings"] == [encoding_note, (
        "勘测定界.txt parcel A02 (lines 24–29): declares an area of 2.0000 公顷 (20,000.0 m²) but its "
        f"boundary encloses {expected_area(SECOND):,.1f} m² (-50.0%); check the coordinates or the "
        "declared area")]


def test_survey_txt_xian80_unprefixed_uses_header_zone(tmp_path):
    text = survey_txt([(["0.6", "1", "站场", "面", "", "", ""], [(1, OUTER)])],
                      datum="1980西安坐标系", prefix=False)
    path = tmp_path / "xa.txt"
    path.write_text(text, encoding="utf-8")
    projects = read_projects(path)
    assert projects.loc[0, "crs_in"] == "EPSG:2384"  # Xian 1980 3-degree CM 117°E
    assert "no official Xian 1980 → CGCS2000 parameters" in projects.loc[0, "warnings"][0]
    assert projects.loc[0, "errors"] == []


def test_survey_txt_truncated_parcel_is_an_error_on_that_parcel(tmp_path):
    text = survey_txt([(["6.0", "A01", "甲", "面", "", "", ""], [(1, OUTER)]),
                       (["1.0", "A02", "乙", "面", "", "", ""], [(1, SECOND)])])
    cut = "\n".join(text.splitlines()[:-2]) + "\n"  # lose the last two points
    path = tmp_path / "cut.txt"
    path.write_text(cut, encoding="utf-8")
    projects = read_projects(path)
    assert projects.loc[0, "errors"] == []
    assert projects.loc[1, "errors"] == [
        "cut.txt parcel A02 (lines 19–22): the header declares 5 points but 3 follow (truncated "
        "file?); complete the parcel"]


def test_survey_txt_without_parcels(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty.txt: no parcels"):
        read_projects(path)


# -- DXF ----------------------------------------------------------------------------

def test_dxf_bulged_closed_polyline_is_a_polygon_with_the_arc_area(tmp_path):
    pts, _ = bulged_square(100.0)
    corners = [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]
    entities = (dxf_lwpolyline("红线", z39(corners), True, bulges={1: 1.0}, handle="2F")
                + dxf_lwpolyline("红线", z39([(X0, Y0 - 50), (X0 + 300, Y0 - 50),
                                             (X0 + 300, Y0 - 200)]), False, handle="30")
                + dxf_text("红线", X0 + ZONE39 + 50, Y0 + 50, "厂区"))
    path = write_dxf(tmp_path / "site.dxf", entities)
    projects = read_projects(path)
    assert list(projects["kind"]) == ["footprint", "linear"]
    assert list(projects["name"]) == ["红线", "红线"]
    assert list(projects["source"]) == ["site.dxf:红线#2F", "site.dxf:红线#30"]
    assert set(projects["crs_in"]) == {"EPSG:4527"}
    expected = geod_area(to_ll(shapely.Polygon(pts)))
    assert geod_area(projects.geometry.iloc[0]) == pytest.approx(expected, rel=1e-4)
    # a plain square would be 21 % smaller: the arc really is there
    assert geod_area(projects.geometry.iloc[0]) > 1.2 * expected_area(corners)
    assert projects.loc[0, "warnings"][:2] == [
        "site.dxf: annotation entities ignored (1 text)",
        "site.dxf declares no CRS; eastings carry the zone prefix 39: 3-degree Gauss-Krüger zone "
        "39 (CM 117°E), EPSG:4527; the datum cannot be told from the numbers: CGCS2000 assumed"]


def test_dxf_layers_hatches_units_and_unprefixed(tmp_path):
    square = z39(ring(0, 0, 100, 100))
    entities = (dxf_lwpolyline("用地红线", square, True) + dxf_hatch("用地红线", square)
                + dxf_lwpolyline("地形", z39(ring(500, 0, 600, 50)), True))
    path = write_dxf(tmp_path / "layers.dxf", entities)
    with pytest.raises(InputError) as info:
        read_projects(path)
    assert str(info.value) == ("layers.dxf: geometry on 2 CAD layers (地形: 1 closed shapes; "
                               "用地红线: 2 closed shapes); choose with --cad-layer")
    projects = read_projects(path, cad_layers=["用地红线"])
    assert len(projects) == 1  # the hatch repeats the polyline
    assert "1 HATCH fill ignored" in projects.loc[0, "warnings"][0]
    assert geod_area(projects.geometry.iloc[0]) == pytest.approx(
        expected_area(ring(0, 0, 100, 100)), rel=1e-4)
    with pytest.raises(InputError, match="no CAD layer '道路' with geometry"):
        read_projects(path, cad_layers=["道路"])
    # millimetre drawing units are scaled to metres
    mm = [(x * 1000, y * 1000) for x, y in square]
    projects = read_projects(write_dxf(tmp_path / "mm.dxf", dxf_lwpolyline("0", mm, True),
                                       units=4))
    assert "drawing units are millimetres ($INSUNITS); coordinates scaled to metres" in \
        projects.loc[0, "warnings"][0]
    assert geod_area(projects.geometry.iloc[0]) == pytest.approx(
        expected_area(ring(0, 0, 100, 100)), rel=1e-4)
    plain = write_dxf(tmp_path / "plain.dxf", dxf_lwpolyline("0", ring(0, 0, 100, 100), True))
    with pytest.raises(InputError, match="without a zone prefix"):
        read_projects(plain)
    assert read_projects(plain, crs="EPSG:4548").loc[0, "crs_in"] == "EPSG:4548"


def test_dxf_closed_by_coordinates_and_open_boundary(tmp_path):
    square = z39(ring(0, 0, 100, 100))
    entities = (dxf_lwpolyline("0", [*square, square[0]], False)
                + dxf_lwpolyline("0", [*z39(ring(300, 0, 400, 100)), (X0 + ZONE39 + 300.5, Y0)],
                                 False))
    projects = read_projects(write_dxf(tmp_path / "open.dxf", entities))
    assert list(projects["kind"]) == ["footprint", "linear"]
    assert "its ends meet; read as a closed shape" in projects.loc[0, "warnings"][-1]
    assert "ends are 0.50 units apart; if it is a boundary, close it in CAD" in \
        projects.loc[1, "warnings"][-1]


def test_dwg_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "site.dwg"
    path.write_bytes(b"AC1032" + b"\0" * 100)
    with pytest.raises(InputError) as info:
        read_projects(path)
    assert str(info.value) == (
        "site.dwg: DWG drawings cannot be read (GDAL needs a proprietary library for DWG); "
        "open it in CAD and save it as DXF (AutoCAD: SAVEAS → DXF), then pass the .dxf")
    disguised = tmp_path / "site.dxf"
    disguised.write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"site.dxf: DWG drawings cannot be read"):
        read_projects(disguised)
