"""The bundled demo pack and projects: valid, labelled illustrative, every verdict shown."""

import json

import pytest
from click.testing import CliRunner

import redline
from redline.cli import cli
from redline.demo import demo_projects

EXPECTED = {
    # project: (verdict, (layer, relation) that decides it)
    "P01": ("prohibited", ("eco_redline", "overlaps")),
    "P02": ("attention", ("eco_redline", "touches")),
    "P03": ("attention", ("water_source", "near")),
    "P04": ("restricted", ("eco_redline", "overlaps")),
    "P05": ("prohibited", ("water_source", "inside")),
    "P06": ("attention", ("water_source", "downstream")),
    "P07": ("clear", None),
    "P08": ("attention", ("urban_boundary", "outside")),
    "P09": (None, None),
    "P10": ("prohibited", ("water_source", "overlaps")),
    "P11": ("restricted", ("nature_reserve", "inside")),
    "P12": ("restricted", ("nature_reserve", "overlaps")),
    "P13": ("restricted", ("water_source", "overlaps")),
    "P14": ("prohibited", ("basic_farmland", "overlaps")),
    # access list (生态环境准入清单) of 城区重点管控单元2
    "P15": ("prohibited", ("access_list", "overlaps")),
    "P16": ("restricted", ("access_list", "overlaps")),
    "P17": ("clear", None),
}


@pytest.fixture(scope="module")
def demo():
    pack = redline.load_pack()
    return redline.screen(demo_projects(pack), pack)


def test_demo_pack_is_valid_and_illustrative():
    pack = redline.load_pack(strict=False)
    assert not pack.errors
    assert pack.illustrative and "示意" in pack.title
    warnings = [i.message for i in pack.issues]
    assert len(warnings) == 1 and warnings[0].startswith("feature 0005: invalid geometry")
    assert pack.layer("eco_redline").zones["zone_name"].str.contains("生态保护红线").all()
    assert {layer.kind for layer in pack.layers} == {
        "ecological_redline", "water_source", "nature_reserve", "basic_farmland",
        "urban_boundary", "control_unit", "river", "intake", "admin"}


@pytest.mark.parametrize("pid", sorted(EXPECTED))
def test_demo_project_outcome(demo, pid):
    verdict, decisive = EXPECTED[pid]
    project = demo.projects.set_index("project_id").loc[pid]
    assert project.verdict == verdict
    if decisive:
        top = demo.findings_of(pid).iloc[0]
        assert (top.layer, top.relation) == decisive


def test_demo_covers_every_verdict_and_relation(demo):
    assert set(demo.projects["verdict"].dropna()) == {"prohibited", "restricted", "attention",
                                                      "clear"}
    assert set(demo.findings["relation"]) == {"overlaps", "inside", "touches", "near", "outside",
                                              "downstream"}


def test_demo_numbers(demo):
    f = demo.findings
    p01 = f[(f.project_id == "P01") & (f.layer == "eco_redline")].iloc[0]
    assert p01.overlap_pct == pytest.approx(40.0, abs=0.05)
    p03 = f[(f.project_id == "P03") & (f.relation == "near")].iloc[0]
    assert p03.distance_m == pytest.approx(250.0, abs=1.0)
    p13 = demo.projects.set_index("project_id").loc["P13"]
    assert p13.project_types == ("water_supply",)
    assert all(a["code"].startswith("350699") for a in p13.admin)


def test_demo_command_labels_output_illustrative(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "示意数据,非官方成果" in result.stdout
    doc = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert doc["pack"]["illustrative"] is True and "示意数据" in doc["notice"]
    report = (tmp_path / "report.html").read_text(encoding="utf-8")  # html is a default of demo
    assert report.count("示意数据,非官方成果,不得用于实际审查") >= 2 and "P14" in report
    en = CliRunner().invoke(cli, ["demo", "--lang", "en"])
    assert "ILLUSTRATIVE" in en.stdout
    assert "[prohibited] ecological red line" in en.stdout  # no markup swallowed
    assert "[禁止] 生态保护红线" in result.stdout


def test_demo_land_cover_and_terrain(demo):
    """The illustrative rasters agree with the vector layers and add up to the footprints."""
    land = demo.land_cover
    for pid in ("P01", "P03", "P07", "P10", "P13", "P14"):
        rows = land[land["project_id"] == pid]
        area = demo.projects.set_index("project_id").loc[pid, "area_m2"]
        assert rows["area_m2"].sum() == pytest.approx(area, rel=1e-5)
        assert (rows["part"] == "class").all()  # the rasters cover every demo footprint
    top = land[land["part"] == "class"].sort_values("share_pct").groupby("project_id").last()
    assert top.loc["P14", "code"] == "01" and top.loc["P14", "share_pct"] > 90  # farmland
    assert top.loc["P07", "code"] == "20" and top.loc["P07", "share_pct"] > 90  # in town
    assert top.loc["P01", "code"] == "03"  # in the red-line hills: forest
    p04 = land[land["project_id"] == "P04"]  # the road: lengths per class
    assert p04["length_m"].sum() == pytest.approx(
        demo.projects.set_index("project_id").loc["P04", "length_m"], rel=1e-6)
    terrain = demo.terrain.set_index("project_id")
    screened = demo.projects.loc[demo.projects["verdict"].notna(), "project_id"]
    assert set(terrain.index) == set(screened)
    assert terrain.loc["P01", "elevation_mean"] > terrain.loc["P14", "elevation_mean"] + 200
    assert (terrain["slope_max_deg"] < 45).all()
    assert terrain["covered_pct"].to_numpy() == pytest.approx(100.0, abs=1e-3)
    doc = demo.to_dict()
    p14 = next(p for p in doc["projects"] if p["id"] == "P14")
    assert p14["land_cover"][0]["classes"][0]["name"] == "耕地"
    assert p14["terrain"][0]["layer"] == "dem"
def test_demo_access_list(demo):
    pack = demo.pack
    table = pack.tables["access_list"]
    assert len(table.clauses) >= 40 and "示意" in table.title
    f = demo.findings[demo.findings["kind"] == "access_list"].set_index("project_id")
    p15 = f.loc[["P15"]]
    assert ("prohibited", "禁止新建化工、石化、农药、原料药项目。") in set(
        zip(p15["verdict"], p15["clause_text"], strict=True))
    p16 = f.loc[["P16"]]
    assert set(p16["verdict"]) == {"restricted"}
    assert "conditional_prohibition" in set(p16["zone_class"])
    assert "P17" not in f.index and demo.clauses_of("P17")["status"].eq("excepted").sum() == 1
    # every clause of the unit, its class and the county reaches P07 too, but none targets it
    p07 = demo.clauses_of("P07")
    assert len(p07) == len(demo.clauses_of("P15")) and p07["verdict"].isna().all()
    # the existing demo projects get no access-list finding beyond P10's chemical plant
    assert set(f.index) == {"P10", "P15", "P16"}
