"""Access lists (生态环境准入清单): reading real XLSX/CSV files, clauses, targets, verdicts.

The synthetic pack of ``conftest.py`` has three control units stacked south → north:
ZH35069910001 (priority, y 0–8 km), ZH35069920001 (key, 8–14 km) and ZH35069930001
(general, 14–20 km). The access list written here stacks province-, county-, class- and
unit-level rows over them, plus a row for another city that must never apply.
"""

from __future__ import annotations

import json
import shutil

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.styles import Alignment

import redline
from conftest import box, make, write_pack, write_projects
from redline.access import (
    canonical_code,
    catalogue,
    classify_clause,
    default_vocabulary,
    dimension_of,
    parse_pollutants,
    resolve_industry,
    split_clauses,
)
from redline.access.industry import IndustryError
from redline.cli import cli
from redline.errors import InputError, PackError
from redline.result import json_schema

HEADER = ["序号", "环境管控单元\n编码", " 环境管控单元名称", "管控单元分类", "适用范围",
          "区域布局管控", "污染物排放\n管控", "环境风险防控", "能源资源利用"]
ROWS = [
    [1, None, None, None, "全省",
     "1.禁止新建、扩建国家明令淘汰的落后产能项目。\n2.严格控制新建涉重金属重点行业项目。",
     "1.新增挥发性有机物(VOCs)排放的建设项目实行倍量替代。", "1.化工企业应建设事故应急池。",
     "1.新建项目单位产品能耗不得高于国内先进水平。"],
    [2, "350699", None, None, "全县",
     "1.禁止新建电镀项目(已取得环评批复的搬迁项目除外)。", None, None, None],
    [3, "350100", None, None, "全市", "1.禁止新建任何化学原料药项目。", None, None, None],
    [4, None, None, "优先保护单元", None,
     "1.禁止新建、扩建工业项目。2.禁止新建畜禽养殖场。", None, None, None],
    [5, None, None, "重点管控单元", None, "1.原则上不再新建造纸项目。", None, None, None],
    [6, "ZH35069920001", "中部重点管控单元", "2", None,
     "(1)禁止新建化工、印染项目;(2)除农副食品加工外,禁止新建其他工业项目。",
     "①排放总磷的项目须实行等量替代。②新建有机化学原料制造项目须进入合规园区。",
     "一、涉及危险化学品的企业应编制突发环境事件应急预案。", None],
    [7, "ZH35069930001", "北部一般管控单元", "3", None, "—", None, None, None],
]


def write_access_xlsx(path, rows=ROWS, header=HEADER, title="测试县生态环境准入清单(测试数据)"):
    """A realistic sheet: a merged title row, headings with stray whitespace, wide rows."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "准入清单"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    book.save(path)
    return path


ACCESS_ENTRY = '''
[[layers]]
id = "access"
kind = "access_list"
title = "测试县生态环境准入清单"
path = "access.xlsx"
sheet = "准入清单"
'''


@pytest.fixture(scope="module")
def access_dir(tmp_path_factory):
    folder = write_pack(tmp_path_factory.mktemp("access") / "pack", layers_extra=ACCESS_ENTRY)
    write_access_xlsx(folder / "access.xlsx")
    return folder


@pytest.fixture(scope="module")
def access_pack(access_dir):
    return redline.load_pack(access_dir)


def KEY_SITE():  # inside the key unit ZH35069920001, clear of every sensitive zone
    return box(10_500, 9_000, 10_700, 9_200)


# ------------------------------------------------------------------------- splitting


def test_split_numbered_styles():
    assert split_clauses("1.禁止A。2.限制B。\n3、应C") == [("1", "禁止A。"), ("2", "限制B。"),
                                                       ("3", "应C")]
    assert split_clauses("(1)禁止A;(2)禁止B") == [("1", "禁止A;"), ("2", "禁止B")]
    assert split_clauses("①禁止A②限制B") == [("1", "禁止A"), ("2", "限制B")]
    assert split_clauses("一、禁止A。二、应B。") == [("1", "禁止A。"), ("2", "应B。")]
    # nested numbering stays inside its clause; decimals never split
    nested = split_clauses("1.禁止下列项目:(1)化工;(2)电镀。2.排放浓度不得超过0.5 mg/L。")
    assert nested == [("1", "禁止下列项目:(1)化工;(2)电镀。"), ("2", "排放浓度不得超过0.5 mg/L。")]
    # an intro before the first number is kept; a stray "2." inside clause 1 is not a cut
    assert split_clauses("空间布局要求如下:1.禁止A 2.5万吨以下项目。2.限制B") == [
        (None, "空间布局要求如下:"), ("1", "禁止A 2.5万吨以下项目。"), ("2", "限制B")]
    assert split_clauses("执行全省总体准入要求") == [(None, "执行全省总体准入要求")]
    assert split_clauses("禁止A\n限制B") == [(None, "禁止A"), (None, "限制B")]
    assert split_clauses("—") == [] and split_clauses(None) == []


def test_dimension_wordings():
    assert dimension_of("空间布局\n约束") == "spatial_layout"
    assert dimension_of("区域布局管控") == "spatial_layout"
    assert dimension_of(" 污染物排放管控 ") == "pollutant_discharge"
    assert dimension_of("HJFXFK") == "environmental_risk"
    assert dimension_of("能源资源利用") == "resource_efficiency"
    assert dimension_of("资源开发效率要求") == "resource_efficiency"
    assert dimension_of("环境管控单元编码") is None


def test_table_read_and_split(access_pack):
    table = access_pack.tables["access"]
    c = table.clauses
    # row 3 province: 2 + 1 + 1 + 1; row 4 county: 1; row 5 other city: 1; row 6 class: 2;
    # row 7 class: 1; row 8 unit: 2 + 2 + 1; row 9: "—" holds nothing
    assert len(c) == 5 + 1 + 1 + 2 + 1 + 5
    assert table.rows == 7
    assert c.groupby("row").size().to_dict() == {3: 5, 4: 1, 5: 1, 6: 2, 7: 1, 8: 5}
    unit = c[c["unit_code"] == "ZH35069920001"]
    assert list(unit["number"]) == ["1", "2", "1", "2", "1"]
    assert list(unit["dimension"]) == ["spatial_layout"] * 2 + ["pollutant_discharge"] * 2 + [
        "environmental_risk"]
    assert unit["text"].iloc[0] == "禁止新建化工、印染项目;"
    assert set(c.loc[c["row"] == 3, "dimension"]) == {
        "spatial_layout", "pollutant_discharge", "environmental_risk", "resource_efficiency"}
    assert c.set_index("row")["scope"].groupby(level=0).first().to_dict() == {
        3: "province", 4: "county", 5: "city", 6: "unit_class", 7: "unit_class", 8: "unit"}
    assert c.loc[c["row"] == 5, "admin_code"].iloc[0] == "3501"
    assert c.loc[c["row"] == 6, "unit_class"].iloc[0] == "priority"
    described = next(d for d in access_pack.describe()["layers"] if d["id"] == "access")
    assert described["kind"] == "access_list" and described["clauses"] == len(c)
    assert len(described["sha256"]) == 64


# --------------------------------------------------------------------- classification


@pytest.mark.parametrize(("text", "effect", "conditional"), [
    ("禁止新建、扩建化工项目。", "prohibition", False),
    ("严禁在河道管理范围内新建排污口。", "prohibition", False),
    ("禁止新建电镀项目(已取得环评批复的搬迁项目除外)。", "prohibition", True),
    ("除农副食品加工外,禁止新建其他工业项目。", "prohibition", True),
    ("未进入合规园区的化工项目不得新建、扩建。", "prohibition", True),
    ("原则上不再新建造纸项目。", "restriction", False),
    ("严格控制新建涉重金属重点行业项目。", "restriction", False),
    ("新建有机化学原料制造项目须进入合规园区。", "restriction", False),
    ("新增VOCs排放的建设项目实行倍量替代。", "restriction", False),
    ("化工企业应建设事故应急池。", "requirement", False),
    ("新建项目单位产品能耗不得高于国内先进水平。", "requirement", False),
])
def test_classification(text, effect, conditional):
    got = classify_clause(text, default_vocabulary())
    assert (got.effect, got.conditional) == (effect, conditional)


def test_targets_by_sector_word_name_and_exception():
    vocab = default_vocabulary()
    c = classify_clause("禁止新建、扩建化工、印染项目。", vocab)
    assert "C26" in c.industries and "C1713" in c.industries
    assert c.industry_words == ("化工", "印染") and c.project_types == ("new", "expansion")
    named = classify_clause("新建有机化学原料制造项目须进入化工园区。", vocab)
    assert named.industries == ("C2614",)  # the GB name; 化工园区 is a place, not a target
    exc = classify_clause("除农副食品加工外,禁止新建其他工业项目。", vocab)
    assert exc.exceptions == ("C13",) and "C" in exc.industries and "C13" not in exc.industries
    pol = classify_clause("排放总磷、氨氮的项目须实行等量替代。", vocab)
    assert set(pol.pollutants) == {"total_phosphorus", "ammonia"}
    group = classify_clause("禁止新建重污染项目。", vocab)
    assert group.industries == ("@heavy_polluting",)


# ---------------------------------------------------------------------- industry codes


def test_catalogue_structure():
    cat = catalogue()
    frame = cat.frame
    assert frame["level"].value_counts().to_dict() == {
        "class": 1381, "group": 473, "division": 97, "section": 20}
    parents = frame[frame["parent"] != ""]
    assert parents["parent"].isin(frame["code"]).all()
    assert all(c.startswith(p) for c, p in zip(parents["code"], parents["parent"], strict=True))
    assert cat.name("C2614") == "有机化学原料制造"
    assert cat.name("C3843") == "铅蓄电池制造"


def test_resolve_industry():
    assert resolve_industry("C2614") == "C2614"
    assert resolve_industry("2614") == "C2614" == canonical_code("c 2614")
    assert resolve_industry("化学试剂和助剂制造") == "C2661"
    assert resolve_industry("化学原料") == "C26"  # a sector word naming one division
    assert resolve_industry("基础化学原料") == "C261"  # all matches lie under C261
    assert resolve_industry("电镀") == "C3360"
    with pytest.raises(IndustryError, match=r"ambiguous.*C1713 棉印染精加工"):
        resolve_industry("印染精加工")
    with pytest.raises(IndustryError, match=r"not a GB/T 4754-2017 code.*nearest: C261"):
        resolve_industry("C2618")
    with pytest.raises(IndustryError, match=r"'冶炼' is ambiguous; give a code: .*C3211 铜冶炼"):
        resolve_industry("冶炼")
    assert parse_pollutants(["COD", "氨氮", "vocs", "重金属"]) == (
        "cod", "ammonia", "vocs", "heavy_metals")
    with pytest.raises(InputError, match=r"unknown pollutant '二噁英'"):
        parse_pollutants(["二噁英"])


# ------------------------------------------------------------------- matching, verdicts


def screen(pack, industry=None, types=(), pollutants=(), geom=None):
    projects = make([geom or KEY_SITE()], industry=industry, types=types)
    if pollutants:
        projects["pollutants"] = [tuple(pollutants)]
    return redline.screen(projects, pack)


def test_scope_inheritance(access_pack):
    result = screen(access_pack, industry="I6513")  # software: targeted by no clause
    rows = result.clauses_of("P1")
    assert set(rows["row"]) == {3, 4, 7, 8}  # province, county, key class, own unit
    assert 5 not in set(rows["row"])  # another city (350100)
    assert 6 not in set(rows["row"])  # the priority class
    assert list(rows["scope"].drop_duplicates()) == ["province", "county", "unit_class", "unit"]
    assert set(rows["unit_code"]) == {"ZH35069920001"}
    priority = screen(access_pack, industry="I6513", geom=box(10_500, 3_000, 10_700, 3_200))
    assert set(priority.clauses_of("P1")["row"]) == {3, 4, 6}
    # outside the urban boundary: attention, and nothing from the access list
    assert result.projects.iloc[0].verdict == "attention"
    assert not (result.findings["kind"] == "access_list").any()
    assert set(result.clauses_of("P1")["status"]) == {"general", "not_targeted"}


def test_prohibition_by_code_prefix(access_pack):
    result = screen(access_pack, industry="C2614")
    f = result.findings[result.findings["kind"] == "access_list"]
    top = f.iloc[0]
    assert (top.verdict, top.rule, top.zone_class) == (
        "prohibited", "access_list.prohibition", "prohibition")
    assert top.clause_text == "禁止新建化工、印染项目;" and top.clause_number == "1"
    assert top.clause_unit == "ZH35069920001" and top.zone_code == "ZH35069920001"
    assert "C2614" in top.clause_matched and "化工" in top.clause_matched
    assert result.projects.iloc[0].verdict == "prohibited"
    # the GB-name clause (有机化学原料制造 须进入合规园区) is a restriction on the same project
    names = f.set_index("clause_text")["verdict"]
    assert names["新建有机化学原料制造项目须进入合规园区。"] == "restricted"
    assert names["除农副食品加工外,禁止新建其他工业项目。"] == "restricted"  # conditional
    assert "《测试县生态环境准入清单》ZH35069920001「空间布局约束」第1条" in top.basis
    assert "「禁止新建化工、印染项目;」" in top.message_zh


def test_sector_word_and_exception(access_pack):
    # 印染 (sector word) → cotton dyeing C1713 prohibited outright
    dye = screen(access_pack, industry="C1713")
    assert dye.projects.iloc[0].verdict == "prohibited"
    # 农副食品加工 (C1371) is excepted from "除农副食品加工外,禁止新建其他工业项目"
    food = screen(access_pack, industry="C1371")
    rows = food.clauses_of("P1").set_index("text")
    assert rows.loc["除农副食品加工外,禁止新建其他工业项目。", "status"] == "excepted"
    assert food.projects.iloc[0].verdict == "attention"  # outside the urban boundary only
    assert not (food.findings["kind"] == "access_list").any()
    # any other manufacturer: the exception makes it conditional, never outright prohibited
    plastic = screen(access_pack, industry="C2929")
    f = plastic.findings[plastic.findings["kind"] == "access_list"]
    assert list(f["zone_class"]) == ["conditional_prohibition"]
    assert plastic.projects.iloc[0].verdict == "restricted"


def test_county_exception_and_class_restriction(access_pack):
    plating = screen(access_pack, industry="C3360")
    f = plating.findings[plating.findings["kind"] == "access_list"].set_index("clause_text")
    county = f.loc["禁止新建电镀项目(已取得环评批复的搬迁项目除外)。"]
    assert (county.zone_class, county.verdict, county.clause_scope) == (
        "conditional_prohibition", "restricted", "county")
    paper = screen(access_pack, industry="C2221")
    g = paper.findings[paper.findings["kind"] == "access_list"].set_index("clause_text")
    assert set(g.index) == {"原则上不再新建造纸项目。", "除农副食品加工外,禁止新建其他工业项目。"}
    assert (g.loc["原则上不再新建造纸项目。", "verdict"], g.loc["原则上不再新建造纸项目。",
                                                           "clause_unit"]) == (
        "restricted", "重点管控单元")


def test_project_type_and_pollutants(access_pack):
    # 改建 only: clauses on 新建/扩建 do not target it
    rebuild = screen(access_pack, industry="C2614", types=("改建",))
    assert rebuild.projects.iloc[0].project_types == ("rebuild",)
    assert not (rebuild.findings["kind"] == "access_list").any()
    # declared pollutants: 总磷 → the unit's 等量替代 restriction
    phosphorus = screen(access_pack, industry="O8030", pollutants=("total_phosphorus",))
    f = phosphorus.findings[phosphorus.findings["kind"] == "access_list"]
    assert list(f["clause_text"]) == ["排放总磷的项目须实行等量替代。"]
    assert phosphorus.projects.iloc[0].verdict == "restricted"


def test_no_industry_warns(access_pack):
    result = screen(access_pack)
    warnings = result.projects.iloc[0].warnings
    assert any("could not be checked" in w for w in warnings)
    assert not (result.findings["kind"] == "access_list").any()
    statuses = set(result.clauses_of("P1")["status"])
    assert "unknown_industry" in statuses and "general" in statuses


def test_result_document(access_pack):
    result = screen(access_pack, industry="C2614")
    doc = result.to_dict()
    jsonschema.validate(doc, json_schema())
    project = doc["projects"][0]
    clause = next(f["clause"] for f in project["findings"] if f["kind"] == "access_list")
    assert clause["text"] == "禁止新建化工、印染项目;" and clause["unit"] == "ZH35069920001"
    assert (clause["dimension"], clause["number"]) == ("spatial_layout", "1")
    assert all(f["clause"] is None for f in project["findings"] if f["kind"] != "access_list")
    assert len(project["clauses"]) == len(result.clauses_of("P1"))
    targeted = [c for c in project["clauses"] if c["verdict"] == "prohibited"]
    assert [c["id"] for c in targeted] == [clause["id"]]
    assert json.loads(result.to_json("en"))["projects"][0]["clauses"][0]["dimension_title"] == \
        "spatial layout constraints"


def test_long_csv_with_mapping(tmp_path):
    folder = write_pack(tmp_path / "pack", layers_extra='''
[[layers]]
id = "list"
kind = "access_list"
title = "长表"
path = "list.csv"
encoding = "GBK"
code_field = "单元"
dimension_field = "类别"
text_field = "内容"

[layers.dimensions]
"布局" = "spatial_layout"
''')
    lines = ["单元,类别,内容",
             "ZH35069920001,布局,1.禁止新建焦化项目。2.禁止新建水泥项目。",
             "ZH35069920001,污染物排放管控,排放废水的项目须接入污水处理厂。",
             "ZH35069920001,其他,本行的类别不是四个维度之一。"]
    (folder / "list.csv").write_bytes("\n".join(lines).encode("gbk"))
    pack = redline.load_pack(folder, strict=False)
    table = pack.tables["list"]
    assert list(table.clauses["text"]) == ["禁止新建焦化项目。", "禁止新建水泥项目。",
                                           "排放废水的项目须接入污水处理厂。"]
    assert any("dimension not understood: 其他" in i.message for i in pack.issues)
    coke = screen(pack, industry="C2521")
    assert coke.projects.iloc[0].verdict == "prohibited"
    wastewater = screen(pack, industry="O8030", types=("排放废水",))
    assert wastewater.projects.iloc[0].verdict == "restricted"


def test_bad_table_is_a_pack_error(tmp_path):
    folder = write_pack(tmp_path / "pack", layers_extra=ACCESS_ENTRY)
    write_access_xlsx(folder / "access.xlsx", header=["a", "b", "c"], rows=[["1", "2", "3"]])
    with pytest.raises(PackError, match="no heading row found"):
        redline.load_pack(folder)


def test_cli_industry(access_dir, tmp_path):
    site = write_projects(tmp_path / "site.geojson", [KEY_SITE()])
    ok = CliRunner().invoke(cli, ["screen", str(site), "--pack", str(access_dir), "--json",
                                  "--industry", "化学原料", "--pollutants", "COD,总磷"])
    assert ok.exit_code == 0, ok.output
    project = json.loads(ok.stdout)["projects"][0]
    assert project["industry"] == "C26" and project["verdict"] == "prohibited"
    assert project["pollutants"] == ["cod", "total_phosphorus"]
    bad = CliRunner().invoke(cli, ["screen", str(site), "--pack", str(access_dir),
                                   "--industry", "印染精加工"])
    assert bad.exit_code == 2
    assert "ambiguous" in bad.stderr and "C1743 丝印染精加工" in bad.stderr
    assert "Traceback" not in bad.output
    unknown = CliRunner().invoke(cli, ["screen", str(site), "--pack", str(access_dir),
                                       "--pollutants", "二噁英"])
    assert unknown.exit_code == 2 and "unknown pollutant" in unknown.stderr
    table = CliRunner().invoke(cli, ["screen", str(site), "--pack", str(access_dir),
                                     "--industry", "C2614"])
    assert table.exit_code == 0 and "禁止新建化工、印染项目" in table.stdout


def test_pack_extends_sector_words(tmp_path):
    folder = write_pack(tmp_path / "pack", layers_extra=ACCESS_ENTRY + 'sectors = "words.toml"\n')
    write_access_xlsx(folder / "access.xlsx", rows=[
        [1, "ZH35069920001", None, None, None, "1.禁止新建锂电池项目。", None, None, None]])
    (folder / "words.toml").write_text('[sectors]\n"锂电池" = ["C3841"]\n', encoding="utf-8")
    pack = redline.load_pack(folder)
    assert screen(pack, industry="C3841").projects.iloc[0].verdict == "prohibited"
    shutil.rmtree(folder)


def test_every_access_rule_is_hit(access_pack):
    hit = set()
    for industry in ("C2614", "C2929", "C2221"):
        hit |= set(screen(access_pack, industry=industry).findings["rule"].dropna())
    assert {r.id for r in redline.load_ruleset().rules if "access_list" in r.layer_kinds} <= hit


def test_long_xlsx_with_vertically_merged_unit_code(tmp_path):
    """Published long tables merge the unit code down over its clause rows."""
    folder = write_pack(tmp_path / "pack", layers_extra='''
[[layers]]
id = "list"
kind = "access_list"
title = "长表"
path = "list.xlsx"
code_field = "单元编码"
dimension_field = "管控维度"
text_field = "管控要求"
''')
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([None, None, None])  # a blank first row: row numbers must still match Excel's
    ws.append(["单元编码", "管控维度", "管控要求"])
    ws.append(["ZH35069920001", "空间布局约束", "禁止新建焦化项目。"])
    ws.append([None, "污染物排放管控", "排放废水的项目须接入污水处理厂。"])
    ws.append([None, "环境风险防控", "涉危险化学品企业应编制应急预案。"])
    ws.append(["ZH35069930001", "空间布局约束", "禁止新建水泥项目。"])
    ws.merge_cells("A3:A5")
    book.save(folder / "list.xlsx")
    table = redline.load_pack(folder).tables["list"]
    c = table.clauses
    assert list(c["unit_code"]) == ["ZH35069920001"] * 3 + ["ZH35069930001"]
    assert list(c["row"]) == [3, 4, 5, 6]
    assert list(c["dimension"]) == ["spatial_layout", "pollutant_discharge", "environmental_risk",
                                    "spatial_layout"]
    assert list(c["effect"]) == ["prohibition", "restriction", "requirement", "prohibition"]


def test_prepare_projects_reads_each_distinct_value_once_with_per_project_results():
    """Repeated codes and tag sets give every project its own, correct values and warnings."""
    import shapely

    from redline.access.industry import normalise_project_types
    from redline.access.match import prepare_projects
    from redline.projects import make_projects

    industry = ["2614", "X99", "2614", None, "X99", "c26", float("nan")]
    types = [("新建",), (), ("新建",), ("扩建", "新建"), (), ("改建",), ("新建",)]
    n = len(industry)
    projects = make_projects(
        [shapely.Point(123.0 + i * 0.01, 41.0) for i in range(n)],
        project_id=[f"P{i}" for i in range(n)], name=[None] * n, kind=["site"] * n,
        source=["test"] * n, crs_in=[None] * n, industry=industry, project_types=types,
        warnings=[[], ["earlier note"], [], [], [], [], []])
    out = prepare_projects(projects)

    assert out["industry"].tolist() == ["C2614", "X99", "C2614", None, "X99", "C26", "NAN"]
    bad = "industry code {!r} is not in GB/T 4754-2017; matched by prefix as written"
    assert out["warnings"].tolist() == [[], ["earlier note", bad.format("X99")], [], [],
                                        [bad.format("X99")], [], [bad.format(float("nan"))]]
    # Each project owns its list: the input frame's lists are untouched and not shared.
    assert projects["warnings"].tolist()[1] == ["earlier note"]
    assert len({id(w) for w in out["warnings"]}) == n
    assert out["project_types"].tolist() == [normalise_project_types(t) for t in types]
    assert out["project_types"].tolist()[0] != ()
    assert out["pollutants"].tolist() == [()] * n
