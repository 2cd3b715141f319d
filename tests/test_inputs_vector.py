"""GIS project inputs: every vector format, zips, encodings, CRS conventions, bad files."""

import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import X0, Y0, box, geod_area, to_ll
from corpus import ZONE39
from redline import read_projects
from redline.errors import InputError
from redline.gcj02 import wgs84_to_gcj02

SITE = box(100, 100, 400, 300)
ROAD = shapely.LineString([(X0 + 500, Y0), (X0 + 900, Y0 + 300)])


def frame(geoms, crs="EPSG:4548", **fields):
    fields = fields or {"XMMC": [f"项目{i}" for i in range(len(geoms))]}
    return gpd.GeoDataFrame(fields, geometry=list(geoms), crs=crs)


def zone39(geom):
    return shapely.transform(geom, lambda c: c + np.array([ZONE39, 0.0]))


def assert_area(projects, i, metric_geom):
    got = projects.to_crs(projects.crs).geometry.iloc[i]
    assert geod_area(got) == pytest.approx(geod_area(to_ll(metric_geom)), rel=1e-4)
    # and the geometry itself is where it should be (to a millimetre or so)
    assert got.symmetric_difference(to_ll(metric_geom)).area < 1e-12


def test_gbk_shapefile_without_cpg(tmp_path):
    path = tmp_path / "site.shp"
    frame([SITE], XMBH=["P-1"], XMMC=["红线内厂房"]).to_crs(4490).to_file(
        path, encoding="GBK", engine="pyogrio")
    (tmp_path / "site.cpg").unlink()
    projects = read_projects(path)
    assert projects.loc[0, "name"] == "红线内厂房" and projects.loc[0, "project_id"] == "P-1"
    assert projects.loc[0, "crs_in"] == "EPSG:4490"
    assert projects.loc[0, "warnings"] == [
        "site.shp: attribute encoding GB18030 (detected: not valid UTF-8); pass --encoding to "
        "override"]
    assert_area(projects, 0, SITE)
    forced = read_projects(path, encoding="GBK")
    assert forced.loc[0, "name"] == "红线内厂房" and forced.loc[0, "warnings"] == []


def test_cpg_that_says_utf8_over_gbk_bytes_is_overruled(tmp_path):
    path = tmp_path / "site.shp"
    frame([SITE], XMMC=["水源地旁仓库"]).to_crs(4490).to_file(path, encoding="GBK",
                                                            engine="pyogrio")
    (tmp_path / "site.cpg").write_text("UTF-8")
    projects = read_projects(path)
    assert projects.loc[0, "name"] == "水源地旁仓库"
    assert "the .cpg says UTF-8 but the bytes are not" in projects.loc[0, "warnings"][0]


def test_zip_without_prj_in_zone_39_coordinates_with_nested_folder(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame([zone39(SITE), zone39(box(600, 0, 700, 100))], crs=None,
          XMMC=["一号地块", "二号地块"]).to_file(folder / "用地.shp", encoding="GBK",
                                              engine="pyogrio")
    (folder / "用地.prj").unlink(missing_ok=True)
    (folder / "用地.cpg").unlink()
    path = tmp_path / "site.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"成果/红线/{part.name}")
        zf.writestr("成果/说明.txt", "readme")
    projects = read_projects(path)
    assert list(projects["name"]) == ["一号地块", "二号地块"]
    assert list(projects["source"]) == ["site.zip/成果/红线/用地.shp#0", "site.zip/成果/红线/用地.shp#1"]
    assert set(projects["crs_in"]) == {"EPSG:4527"}
    assert ("site.zip/成果/红线/用地.shp declares no CRS; eastings carry the zone prefix 39: "
            "3-degree Gauss-Krüger zone 39 (CM 117°E), EPSG:4527; the datum cannot be told from "
            "the numbers: CGCS2000 assumed") in projects.loc[0, "warnings"]
    assert_area(projects, 0, SITE)
    assert_area(projects, 1, box(600, 0, 700, 100))


def test_zip_with_gbk_entry_names(tmp_path):
    src = tmp_path / "a.geojson"
    frame([SITE]).to_crs(4490).to_file(src, driver="GeoJSON")
    path = tmp_path / "gbk.zip"

    class GbkName(zipfile.ZipInfo):  # what Chinese Windows zip tools write: GBK, no UTF-8 flag
        def _encodeFilenameFlags(self):
            return self.filename.encode("gbk"), self.flag_bits & ~0x800

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(GbkName("项目/红线.geojson"), src.read_bytes())
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() != ["项目/红线.geojson"]  # mojibake without the re-decoding
    projects = read_projects(path)
    assert projects.loc[0, "source"] == "gbk.zip/项目/红线.geojson#0"
    assert_area(projects, 0, SITE)


def test_several_shapefiles_in_a_zip_need_layer(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, geom in (("厂区", SITE), ("道路", ROAD)):
            folder = tmp_path / name
            folder.mkdir()
            frame([geom]).to_file(folder / f"{name}.shp", engine="pyogrio")
            for part in folder.iterdir():
                zf.write(part, f"data/{name}/{part.name}")
    with pytest.raises(InputError) as info:
        read_projects(path)
    assert str(info.value) == (f"{path}: holds 2 datasets (data/厂区/厂区.shp, data/道路/道路.shp); "
                               "choose one with --layer")
    road = read_projects(path, layer="道路")
    assert road.loc[0, "kind"] == "linear" and road.loc[0, "crs_in"] == "EPSG:4548"
    with pytest.raises(InputError, match="no dataset 'nope'"):
        read_projects(path, layer="nope")


def test_geopackage_and_filegdb_layers(tmp_path):
    gpkg = tmp_path / "p.gpkg"
    frame([SITE], XMBH=["S1"], XMMC=["厂区"]).to_file(gpkg, layer="sites", driver="GPKG")
    frame([ROAD], XMBH=["R1"], XMMC=["进场道路"]).to_crs(4490).to_file(gpkg, layer="roads",
                                                                    driver="GPKG")
    with pytest.raises(InputError, match=r"holds 2 layers \(sites, roads\); choose one with --layer"):
        read_projects(gpkg)
    roads = read_projects(gpkg, layer="roads")
    assert roads.loc[0, "source"] == "p.gpkg:roads#0" and roads.loc[0, "crs_in"] == "EPSG:4490"
    gdb = tmp_path / "p.gdb"
    frame([SITE], XMMC=["厂区"]).to_file(gdb, layer="sites", driver="OpenFileGDB")
    frame([ROAD], XMMC=["道路"]).to_file(gdb, layer="roads", driver="OpenFileGDB")
    sites = read_projects(gdb, layer="sites")
    assert sites.loc[0, "name"] == "厂区" and sites.loc[0, "crs_in"] == "EPSG:4548"
    assert_area(sites, 0, SITE)


@pytest.mark.parametrize(("suffix", "driver"), [(".geojson", "GeoJSON"), (".kml", "KML"),
                                                (".gml", "GML"), (".fgb", "FlatGeobuf")])
def test_vector_formats(tmp_path, suffix, driver):
    path = tmp_path / f"site{suffix}"
    crs = 4326 if driver == "KML" else 4490
    frame([SITE, ROAD], Name=["厂区", "道路"]).to_crs(crs).to_file(path, driver=driver)
    projects = read_projects(path).sort_values("name", key=lambda s: s.map({"厂区": 0, "道路": 1}))
    assert list(projects["name"]) == ["厂区", "道路"]
    assert list(projects["kind"]) == ["footprint", "linear"]
    assert_area(projects.reset_index(drop=True), 0, SITE)


def test_geoparquet(tmp_path):
    path = tmp_path / "site.parquet"
    frame([SITE], XMMC=["厂区"]).to_parquet(path)
    projects = read_projects(path)
    assert projects.loc[0, "crs_in"] == "EPSG:4548" and projects.loc[0, "name"] == "厂区"
    assert_area(projects, 0, SITE)
    (tmp_path / "plain.parquet").write_bytes(b"PAR1garbagePAR1")
    with pytest.raises(InputError, match=r"plain.parquet: cannot read as Parquet"):
        read_projects(tmp_path / "plain.parquet")


def test_kmz_from_a_phone_app(tmp_path):
    kml = tmp_path / "doc.kml"
    frame([SITE], Name=["踏勘范围"]).to_crs(4326).to_file(kml, driver="KML")
    path = tmp_path / "track.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(kml, "doc.kml")
    projects = read_projects(path)
    assert projects.loc[0, "name"] == "踏勘范围"
    assert projects.loc[0, "crs_in"] == "EPSG:4326" and projects.loc[0, "source"] == "track.kmz#0"
    assert_area(projects, 0, SITE)


def test_gcj02_points_are_moved_back(tmp_path):
    true = to_ll(SITE)
    shifted = shapely.transform(true, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1])))
    path = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"name": ["高德取点"]}, geometry=[shifted], crs=4326).to_file(path)
    plain = read_projects(path)
    offset_m = plain.to_crs(4548).geometry.iloc[0].centroid.distance(SITE.centroid)
    assert 100 < offset_m < 800  # read as WGS 84, the shape is hundreds of metres off
    projects = read_projects(path, crs="gcj02")
    assert projects.loc[0, "crs_in"] == "GCJ-02"
    assert shapely.equals_exact(projects.geometry.iloc[0], true, 1e-8)  # < 1 mm
    assert projects.loc[0, "warnings"][0] == "amap.geojson declares EPSG:4326; using GCJ-02 as " \
                                             "given by --crs"


def test_lat_lon_order_is_detected(tmp_path):
    swapped = shapely.transform(to_ll(SITE), lambda c: c[:, ::-1])
    path = tmp_path / "latlon.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[swapped], crs=4490).to_file(path)
    projects = read_projects(path)
    assert "land inside it with the axes exchanged (latitude/longitude order); axes swapped" in \
        projects.loc[0, "warnings"][0]
    assert_area(projects, 0, SITE)


def test_bow_tie_keeps_both_lobes(tmp_path):
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 200, Y0 + 200), (X0 + 200, Y0), (X0, Y0 + 200)])
    path = tmp_path / "bowtie.gpkg"
    frame([bowtie], XMMC=["交叉边界"]).to_file(path, driver="GPKG")
    projects = read_projects(path)
    lobes = shapely.MultiPolygon([shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 200)]),
                                  shapely.Polygon([(X0 + 200, Y0), (X0 + 100, Y0 + 100),
                                                   (X0 + 200, Y0 + 200)])])
    assert geod_area(projects.geometry.iloc[0]) == pytest.approx(
        sum(geod_area(to_ll(p)) for p in lobes.geoms), rel=1e-4)
    assert projects.geometry.iloc[0].geom_type == "MultiPolygon"
    notes = projects.loc[0, "warnings"]
    assert notes[0].startswith("bowtie.gpkg feature 0: invalid geometry (Self-intersection")
    assert "repaired with make_valid" in notes[0]
    assert "lobes cancel (net area 0)" in notes[1]


def test_duplicate_vertices_and_collapsed_features(tmp_path):
    dup = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100),
                           (X0, Y0 + 100)])
    flat = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0), (X0, Y0)])
    path = tmp_path / "mixed.gpkg"
    frame([dup, flat, SITE], XMMC=["重复点", "退化", "正常"]).to_file(path, driver="GPKG")
    projects = read_projects(path)
    assert projects.loc[0, "warnings"] == ["mixed.gpkg feature 0: 1 duplicate vertex removed"]
    assert projects.loc[0, "errors"] == []
    assert projects.geometry.iloc[1] is None
    assert "collapsed to a lower dimension" in projects.loc[1, "errors"][0]
    assert projects.loc[2, "errors"] == [] and projects.loc[2, "warnings"] == []


def test_one_feature_outside_china_is_an_error_on_that_project_only(tmp_path):
    path = tmp_path / "two.geojson"
    far = shapely.box(2.0, 48.0, 2.01, 48.01)  # Paris
    gpd.GeoDataFrame({"name": ["ok", "far"]}, geometry=[to_ll(SITE), far], crs=4490).to_file(path)
    projects = read_projects(path)
    assert projects.loc[0, "errors"] == []
    assert projects.loc[1, "errors"] == [
        "two.geojson feature 1: coordinates fall outside China (wrong CRS, or X/Y swapped?); "
        "check them or pass --crs"]


def test_truncated_and_empty_files(tmp_path):
    path = tmp_path / "cut.shp"
    frame([box(i * 10, 0, i * 10 + 5, 5) for i in range(40)]).to_file(path, engine="pyogrio")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.shp: truncated \(its header says [\d,]+ bytes, "
                                         r"the file has [\d,]+\); re-copy or re-export"):
        read_projects(path)
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty.geojson: the file is empty"):
        read_projects(empty)
    gpkg = tmp_path / "cut.gpkg"
    frame([SITE]).to_file(gpkg, driver="GPKG")
    gpkg.write_bytes(gpkg.read_bytes()[:3000])
    with pytest.raises(InputError, match=r"cut.gpkg: cannot open as a vector data source"):
        read_projects(gpkg)
    (tmp_path / "bad.geojson").write_text('{"type": "FeatureCollection", "features": [{"ty')
    with pytest.raises(InputError, match=r"bad.geojson"):
        read_projects(tmp_path / "bad.geojson")
    (tmp_path / "alone.shp").write_bytes(data)
    with pytest.raises(InputError, match=r"has no \.shx or \.dbf beside it"):
        read_projects(tmp_path / "alone.shp")


def test_geojson_source_and_json_are_plain(tmp_path):
    path = tmp_path / "s.geojson"
    frame([SITE], XMBH=["A"]).to_crs(4490).to_file(path)
    assert json.loads(path.read_text())["features"]
    projects = read_projects(path)
    assert projects.loc[0, "source"] == "s.geojson#0" and projects.loc[0, "land_use"] is None


def test_zipped_filegdb_and_whitespace_txt_table(tmp_path):
    gdb = tmp_path / "成果.gdb"
    frame([SITE], XMMC=["厂区"]).to_file(gdb, layer="sites", driver="OpenFileGDB")
    path = tmp_path / "gdb.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in gdb.iterdir():
            zf.write(part, f"成果.gdb/{part.name}")
    projects = read_projects(path)
    assert projects.loc[0, "name"] == "厂区"
    assert projects.loc[0, "source"] == "gdb.zip/成果.gdb:sites#0"
    assert_area(projects, 0, SITE)
    corners = [(X0 + 100, Y0 + 100), (X0 + 400, Y0 + 100), (X0 + 400, Y0 + 300), (X0 + 100, Y0 + 300)]
    text = "点号 X Y\n" + "\n".join(f"J{k} {y:.3f} {x + ZONE39:.3f}"
                                   for k, (x, y) in enumerate(corners, 1))
    (tmp_path / "坐标.txt").write_text(text, encoding="utf-8")
    table = read_projects(tmp_path / "坐标.txt")
    assert table.loc[0, "crs_in"] == "EPSG:4527"
    assert_area(table, 0, SITE)
