"""Layer packs: catalog validation, loading in several formats, checks and checksums."""

import hashlib
import shutil

import pytest
from click.testing import CliRunner

import redline
from conftest import write_pack
from redline.cli import cli
from redline.errors import PackError
from redline.pack import file_checksum


def test_layers_load_from_every_format(pack):
    by_id = {layer.id: layer for layer in pack.layers}
    assert list(by_id) == ["admin", "units", "redline", "water", "reserve", "farmland", "urban",
                           "river", "intake"]
    # GeoPackage named layers, projected source reprojected to CGCS2000
    assert by_id["admin"].crs_in == "EPSG:4548"
    assert by_id["admin"].zones.crs.to_epsg() == 4490
    assert sorted(by_id["admin"].zones["zone_name"]) == ["东镇", "西镇"]
    # GBK shapefile without .cpg, decoded with the catalog's encoding
    assert by_id["redline"].zones["zone_name"].iloc[0] == "南山水源涵养红线"
    assert by_id["redline"].encoding == "GBK (given)"
    # zipped shapefile with a .cpg
    assert by_id["farmland"].encoding == "UTF-8 (cpg)"
    assert list(by_id["farmland"].zones["DLMC"]) == ["水田", "旱地"]
    # classes mapped by the catalog and by built-in patterns
    assert list(by_id["water"].zones["zone_class"]) == ["level1", "level2", "quasi"]
    assert list(by_id["reserve"].zones["zone_class"]) == ["core", "buffer", "experimental"]
    assert list(by_id["units"].zones["zone_class"]) == ["priority", "key", "general"]


def test_gbk_shapefile_without_encoding_is_detected(tmp_path, pack_dir):
    folder = shutil.copytree(pack_dir, tmp_path / "p")
    catalog = (folder / "catalog.toml").read_text(encoding="utf-8")
    (folder / "catalog.toml").write_text(catalog.replace('encoding = "GBK"\n', ""), "utf-8")
    loaded = redline.load_pack(folder)
    layer = loaded.layer("redline")
    assert layer.zones["zone_name"].iloc[0] == "南山水源涵养红线"
    assert layer.encoding.startswith("GB18030 (detected")
    assert any("encoding GB18030" in i.message for i in loaded.issues)


def test_checksums(pack, pack_dir):
    water = pack.layer("water")
    assert water.sha256 == hashlib.sha256((pack_dir / "water.geojson").read_bytes()).hexdigest()
    # a shapefile hashes all its sidecar files: changing the .dbf changes it
    before = file_checksum(pack_dir / "redline.shp")
    assert before == pack.layer("redline").sha256
    assert pack.describe()["layers"][2] == {"id": "redline", "kind": "ecological_redline",
                                            "title": "生态保护红线", "sha256": before,
                                            "features": 1}


def _broken(tmp_path, pack_dir, old, new):
    folder = shutil.copytree(pack_dir, tmp_path / "p")
    text = (folder / "catalog.toml").read_text(encoding="utf-8")
    assert old in text
    (folder / "catalog.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("old", "new", "message"), [
    ('path = "water.geojson"', 'path = "missing.geojson"', "file missing.geojson not found"),
    ('kind = "ecological_redline"', 'kind = "ecological_redlin"', "unknown kind 'ecological_redlin'"),
    ('"准保护区" = "quasi"', '"准保护区" = "quasi"\n"x" = "level9"', "not a water_source class"),
    ('class_field = "GNFQ"', 'class_field = "BHDMC"', "class values not mapped"),
    ('id_field = "TBBH"', 'id_field = "NOPE"', "id_field 'NOPE' is not a field"),
    ('id = "synthetic"', 'idx = "synthetic"', "[pack] has no 'id'"),
    ('id = "river"', 'id = "intake"', "layer id used twice"),
])
def test_unusable_packs_are_errors(tmp_path, pack_dir, old, new, message):
    folder = _broken(tmp_path, pack_dir, old, new)
    with pytest.raises(PackError, match=message.replace("[", r"\[").replace("(", r"\(")):
        redline.load_pack(folder)
    run = CliRunner().invoke(cli, ["pack", "check", str(folder)])
    assert run.exit_code == 2
    assert message in run.output
    assert "Traceback" not in run.output


def test_pack_check_reports_layers_and_repairs(pack_dir):
    run = CliRunner().invoke(cli, ["pack", "check", str(pack_dir)])
    assert run.exit_code == 0, run.output
    assert "feature T2: invalid geometry (Self-intersection" in run.output
    assert "0 error(s), 1 warning(s)" in run.output
    for layer_id in ("admin", "units", "redline", "farmland"):
        assert layer_id in run.output
    assert "EPSG:4548 (declared by file)" in run.output
    assert "level1:1" in run.output


def test_pack_info_lists_checksums(pack, pack_dir):
    run = CliRunner().invoke(cli, ["pack", "info", str(pack_dir)])
    assert run.exit_code == 0, run.output
    for layer in pack.layers:
        assert layer.sha256 in run.output


def test_file_without_crs_uses_pack_crs_and_layer_crs_overrides(tmp_path, pack_dir):
    folder = shutil.copytree(pack_dir, tmp_path / "p")
    # drop the .prj: the [pack] crs (EPSG:4490) is assumed, with a warning
    (folder / "redline.prj").unlink()
    loaded = redline.load_pack(folder)
    assert loaded.layer("redline").crs_how == "assumed from [pack].crs"
    assert any("declares no CRS" in i.message for i in loaded.issues)


def test_missing_pack_folder():
    with pytest.raises(PackError, match="no such layer pack folder"):
        redline.load_pack("/nonexistent/pack")


def test_write_pack_is_reusable(tmp_path):
    folder = write_pack(tmp_path / "again")
    assert redline.load_pack(folder).id == "synthetic"


@pytest.mark.parametrize(("driver", "filename", "layer"), [
    ("OpenFileGDB", "zones.gdb", "hongxian"),
    ("KML", "zones.kml", None),
    ("FlatGeobuf", "zones.fgb", None),
])
def test_other_ogr_formats_load(tmp_path, pack_dir, driver, filename, layer):
    """FileGDB (with a named layer), KML and FlatGeobuf sources load like the rest."""
    folder = shutil.copytree(pack_dir, tmp_path / "p")
    red = redline.load_pack(pack_dir).layer("redline").zones[["zone_id", "zone_name", "geometry"]]
    red = red.rename(columns={"zone_id": "BSM", "zone_name": "HXMC"})
    kwargs = {"layer": layer} if layer else {}
    if driver == "KML":
        red = red.rename(columns={"HXMC": "Name", "BSM": "Description"})
    red.to_file(folder / filename, driver=driver, engine="pyogrio", **kwargs)
    catalog = (folder / "catalog.toml").read_text(encoding="utf-8")
    new = f'path = "{filename}"\n' + (f'layer = "{layer}"\n' if layer else "")
    if driver == "KML":
        catalog = catalog.replace('id_field = "BSM"\nname_field = "HXMC"',
                                  'id_field = "description"\nname_field = "Name"')
    catalog = catalog.replace('path = "redline.shp"\nencoding = "GBK"\n', new)
    (folder / "catalog.toml").write_text(catalog, encoding="utf-8")
    loaded = redline.load_pack(folder)
    zones = loaded.layer("redline").zones
    assert list(zones["zone_name"]) == ["南山水源涵养红线"]
    assert list(zones["zone_id"]) == ["HX001"]
    assert zones.geometry.iloc[0].hausdorff_distance(red.geometry.iloc[0]) < 1e-7
