"""The national ruleset: every rule hit, verdict ordering, exemptions, overrides."""

import datetime as dt

import pytest
import shapely

import redline
from conftest import X0, Y0, box, make
from redline.errors import RulesError
from redline.rules import load_ruleset
from redline.settings import Settings


def P(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def L(*xy):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


# (rule expected, geometry in local metres, kind, industry, project types)
SCENARIOS = [
    ("redline.footprint", box(1_500, 1_500, 1_700, 1_700), None, None, ()),
    ("redline.footprint.allowed_activity", box(1_500, 1_500, 1_700, 1_700), None, None,
     ("redline_allowed_activity",)),
    ("redline.footprint.national_major", box(1_500, 1_500, 1_700, 1_700), None, None,
     ("national_major",)),
    ("redline.linear", L((1_500, 1_500), (2_500, 1_800)), None, None, ()),
    ("redline.outfall", P(1_500, 1_500), "outfall", None, ()),
    ("redline.mining", box(1_500, 1_500, 1_700, 1_700), None, "B0610",
     ("redline_allowed_activity",)),
    ("water.level1.footprint", box(14_950, 6_100, 15_050, 6_200), None, None, ()),
    ("water.level1.footprint.water_supply", box(14_950, 6_100, 15_050, 6_200), None, "D4610",
     ("water_supply",)),
    ("water.level1.linear", L((14_950, 6_100), (15_050, 6_300)), None, None, ()),
    ("water.outfall.in_zone", P(15_000, 6_500), "outfall", None, ()),
    ("water.level2.footprint", box(14_200, 8_000, 14_400, 8_200), None, None, ()),
    ("water.level2.footprint.polluting", box(14_200, 8_000, 14_400, 8_200), None, "C2614", ()),
    ("water.level2.footprint.discharge_declared", box(14_200, 8_000, 14_400, 8_200), None, None,
     ("pollutant_discharge",)),
    ("water.level2.linear", L((14_100, 8_500), (14_700, 8_500)), None, None, ()),
    ("water.quasi.footprint", box(13_600, 10_000, 13_800, 10_200), None, None, ()),
    ("water.quasi.footprint.heavy", box(13_600, 10_000, 13_800, 10_200), None, "C2614", ()),
    ("water.quasi.linear", L((13_600, 10_000), (13_800, 11_000)), None, None, ()),
    ("water.quasi.outfall", P(13_700, 11_000), "outfall", None, ()),
    ("water.outfall.upstream", P(15_000, 13_000), "outfall", None, ()),
    ("water.outfall.upstream_quasi", P(15_000, 13_000), "outfall", None, ()),
    ("reserve.core", box(5_400, 1_400, 5_600, 1_600), None, None, ()),
    ("reserve.experimental.footprint", box(4_100, 2_700, 4_300, 2_900), None, None, ()),
    ("reserve.experimental.polluting", box(4_100, 2_700, 4_300, 2_900), None, "C2614", ()),
    ("reserve.experimental.linear", L((4_100, 2_800), (4_400, 2_800)), None, None, ()),
    ("reserve.mining", box(4_100, 2_700, 4_300, 2_900), None, "B0810", ()),
    ("farmland.footprint", box(8_200, 10_200, 8_400, 10_400), None, None, ()),
    ("farmland.footprint.national_major", box(8_200, 10_200, 8_400, 10_400), None, None,
     ("national_major",)),
    ("farmland.linear", L((7_500, 10_500), (9_500, 10_500)), None, None, ()),
    ("farmland.outfall", P(8_500, 10_500), "outfall", None, ()),
    ("urban.outside.footprint", box(10_500, 17_000, 10_700, 17_200), None, None, ()),
    ("urban.outside.other", L((10_500, 17_000), (11_000, 17_500)), None, None, ()),
    ("control_unit.priority", box(10_500, 3_000, 10_700, 3_200), None, None, ()),
    ("control_unit.other", box(10_500, 17_000, 10_700, 17_200), None, None, ()),
    ("proximity.near", box(3_200, 1_500, 3_400, 1_700), None, None, ()),
    ("proximity.touches", box(3_000, 1_000, 3_400, 3_000), None, None, ()),
    ("intake.in_project", box(14_990, 5_990, 15_010, 6_010), None, None, ()),
    ("coverage.partial", box(-100, 10_000, 100, 10_200), None, None, ()),
]

EXPECTED_VERDICT = {
    "redline.footprint": "prohibited", "redline.footprint.allowed_activity": "restricted",
    "redline.footprint.national_major": "restricted", "redline.linear": "restricted",
    "redline.mining": "prohibited", "water.level1.footprint.water_supply": "restricted",
    "water.level2.footprint": "restricted", "water.level2.footprint.polluting": "prohibited",
    "water.quasi.footprint": "restricted", "water.quasi.footprint.heavy": "prohibited",
    "farmland.footprint.national_major": "restricted",
}


@pytest.fixture(scope="module")
def scenario_result(pack):
    frames = [make([geom], kind=kind, industry=industry, types=types, ids=[f"S{i}"])
              for i, (_, geom, kind, industry, types) in enumerate(SCENARIOS)]
    import pandas as pd

    projects = pd.concat(frames, ignore_index=True).set_crs(4490, allow_override=True)
    return redline.screen(projects, pack, settings=Settings(upstream_m=5_000))


@pytest.mark.parametrize(("index", "rule_id"), [(i, s[0]) for i, s in enumerate(SCENARIOS)])
def test_scenario_hits_its_rule(scenario_result, index, rule_id):
    f = scenario_result.findings_of(f"S{index}")
    hit = f[f["rule"] == rule_id]
    assert len(hit) >= 1, f"{rule_id} not hit; got {list(f['rule'])}"
    rule = load_ruleset().get(rule_id)
    assert (hit["verdict"] == rule.verdict).all()
    assert hit["basis"].iloc[0] == rule.cite("zh")
    if rule_id in EXPECTED_VERDICT:
        project = scenario_result.projects.set_index("project_id").loc[f"S{index}"]
        assert project.verdict == EXPECTED_VERDICT[rule_id]


def test_every_national_rule_is_covered(scenario_result):
    hit = set(scenario_result.findings["rule"].dropna())
    # access_list rules need a pack with an access list: tests/test_access.py covers them
    assert {r.id for r in load_ruleset().rules if "access_list" not in r.layer_kinds} <= hit


def test_project_verdict_is_most_severe_and_reasons_ordered(scenario_result):
    for pid in scenario_result.projects["project_id"]:
        f = scenario_result.findings_of(pid)
        order = ["prohibited", "restricted", "attention", "clear"]
        ranks = [order.index(v) for v in f["verdict"]]
        assert ranks == sorted(ranks)
        project = scenario_result.projects.set_index("project_id").loc[pid]
        assert project.verdict == (f["verdict"].iloc[0] if len(f) else "clear")
        reasons = scenario_result.reasons(pid)
        assert len(reasons) == int((f["verdict"] != "clear").sum())


def test_industry_prefix_matching(pack):
    site = box(13_600, 10_000, 13_800, 10_200)  # quasi zone
    verdicts = {}
    for code in ("C26", "C2614", "C2710", "C2720", "c2614", None):
        result = redline.screen(make([site], industry=code and code.upper()), pack)
        verdicts[code] = result.projects.iloc[0].verdict
    assert verdicts == {"C26": "prohibited", "C2614": "prohibited", "C2710": "prohibited",
                        "C2720": "restricted", "c2614": "prohibited", None: "restricted"}


def test_exclusion_keeps_water_supply_out_of_polluting(pack):
    site = box(14_200, 8_000, 14_400, 8_200)  # level-2 zone
    d46 = redline.screen(make([site], industry="D4610"), pack)
    assert d46.projects.iloc[0].verdict == "restricted"
    d44 = redline.screen(make([site], industry="D4411"), pack)
    assert d44.projects.iloc[0].verdict == "prohibited"


def test_pack_and_user_rulesets_override_by_id(pack_dir, tmp_path):
    local = tmp_path / "local.toml"
    local.write_text('''
[ruleset]
id = "local"
version = "9"

[[rules]]
id = "proximity.near"
layer_kinds = ["ecological_redline"]
relations = ["near"]
verdict = "restricted"
message = { zh = "本地:红线周边500米内限制", en = "local: restricted near red lines" }
basis = { document = "某省生态保护红线管理办法", number = "省政府令第1号", article = "第十条" }

[[rules]]
id = "farmland.footprint"
disabled = true
''', encoding="utf-8")
    ruleset = load_ruleset(local)
    assert ruleset.id == "national+local" and ruleset.version == "2026.11+9"
    with pytest.raises(KeyError):
        ruleset.get("farmland.footprint")
    near = box(3_200, 1_500, 3_400, 1_700)
    farm = box(8_200, 10_200, 8_400, 10_400)
    result = redline.screen(make([near, farm]), pack_dir, rules=[local])
    f = result.findings_of("P1")
    assert f[f["layer"] == "redline"].iloc[0].verdict == "restricted"
    assert "某省生态保护红线管理办法" in f.iloc[0].basis
    assert result.projects.set_index("project_id").loc["P2"].verdict == "attention"  # unit only
    assert result.to_dict()["rules"]["id"] == "national+local"


@pytest.mark.parametrize(("body", "message"), [
    ('[[rules]]\nid = "x"\nverdict = "banned"', "verdict must be one of"),
    ('[[rules]]\nid = "x"\nverdict = "clear"\nlayer_kinds = ["redlines"]\nrelations = ["near"]',
     "unknown value 'redlines'"),
    ('[[rules]]\nid = "x"\nverdict = "clear"\nlayer_kinds = ["river"]\nrelations = ["near"]\n'
     'message = { zh = "a", en = "b" }', "needs a basis"),
    ('[[rules]]\nid = "x"\nverdict = "clear"\nlayer_kinds = ["river"]\nrelations = ["near"]\n'
     'industries = ["@nope"]\nmessage = { zh = "a", en = "b" }\nbasis = { document = "d" }',
     "unknown industry group"),
])
def test_malformed_rules_are_reported_with_file_and_id(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text('[ruleset]\nid = "bad"\nversion = "1"\n' + body, encoding="utf-8")
    with pytest.raises(RulesError, match=message) as err:
        load_ruleset(path)
    assert "bad.toml" in str(err.value)


def test_rules_out_of_force_are_not_applied(pack):
    outfall = P(15_000, 13_000)  # upstream of level 2
    before = redline.screen(make([outfall], kind="outfall"), pack, on=dt.date(2024, 6, 1))
    after = redline.screen(make([outfall], kind="outfall"), pack, on=dt.date(2026, 1, 1))
    rules_before = set(before.findings["rule"].dropna())
    # water.outfall.upstream also cites the 2017 law, so it stays; upstream_quasi rests on
    # Order No. 35 alone, in force from 2025-01-01
    assert "water.outfall.upstream_quasi" not in rules_before
    assert "water.outfall.upstream_quasi" in set(after.findings["rule"].dropna())
