"""Apply a ruleset to the engine's findings: one verdict per finding and project.

Matching is vectorised over findings: each rule gives one boolean mask (a loop over
rules, never over findings). A matching rule named in another matching rule's
``supersedes`` is set aside; of the rest, the most severe wins, then the more specific
(more conditions: zone classes, project kinds, industries, project types), then the
earlier in the file. A project's verdict is the most severe of its findings, ``clear`` without any,
and ``None`` when the project could not be screened (its ``errors`` say why).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import access
from ..engine import Screening
from ..projects import text_column
from ..raster import project_columns
from ..result import Result
from .ruleset import SEVERITY, VERDICTS, Rule, Ruleset

#: Kinds whose findings become project attributes rather than findings.
_ATTRIBUTE_KINDS = ("admin",)


def decide(screening: Screening, ruleset: Ruleset, *, on: dt.date | None = None,
           generated_at: str | None = None) -> Result:
    """Judge a screening with a ruleset.

    Parameters
    ----------
    screening
        The engine's output.
    ruleset
        Rules to apply (see :func:`redline.rules.load_ruleset`).
    on
        Date whose law applies (rules whose bases are all out of force are skipped);
        today by default.
    generated_at
        Timestamp for the result; now (China Standard Time) by default.

    Returns
    -------
    Result
    """
    on = on or dt.date.today()
    rules = [rule for rule in ruleset.rules if rule.in_force(on)]
    projects = screening.projects
    findings = screening.findings

    admin = findings[findings["kind"].isin(_ATTRIBUTE_KINDS)]
    findings = findings[~findings["kind"].isin(_ATTRIBUTE_KINDS)].reset_index(drop=True)
    # Access lists (生态环境准入清单) of the units each project lies in: targeted clauses
    # become access_list findings that the rules judge like any other.
    assessment = access.assess(projects, findings, screening.pack.tables,
                               ruleset.industry_groups)
    projects, findings = assessment.projects, assessment.findings

    # Position of each finding's project (ids are unique): one lookup, used throughout.
    position = pd.Index(projects["project_id"].astype(object)).get_indexer(
        findings["project_id"].astype(object))
    chosen = _choose(findings, projects, rules, position)
    verdict = np.array([rule.verdict for rule in rules] + ["clear"], dtype=object)[chosen]
    def column(get) -> pd.Series:
        # One value per rule (and None for "no rule"), then one take per finding.
        per_rule = np.array([get(rule) for rule in rules] + [None], dtype=object)
        return text_column(pd.Series(per_rule[chosen], index=findings.index, dtype=object))

    findings = findings.assign(
        verdict=pd.Series(verdict, index=findings.index, dtype=object),
        rule=column(lambda r: r.id),
        basis=column(lambda r: r.cite("zh")),
        basis_en=column(lambda r: r.cite("en")),
        message_zh=column(lambda r: r.message_zh),
        message_en=column(lambda r: r.message_en),
    )
    findings = access.cite(findings, {t.id: t.title for t in screening.pack.tables.values()})
    severity = np.array([SEVERITY[rule.verdict] for rule in rules] + [SEVERITY["clear"]],
                        dtype=int)[chosen]
    known = position >= 0
    order = np.lexsort((np.arange(len(findings)), -severity,
                        np.where(known, position, np.nan)))  # unknown projects last
    findings = gpd.GeoDataFrame(findings.iloc[order].reset_index(drop=True),
                                geometry="geometry", crs=screening.findings.crs)

    # Most severe finding per project (0 = clear without any); None when it failed.
    project_severity = np.zeros(len(projects), dtype=int)
    np.maximum.at(project_severity, position[known], severity[known])
    verdicts = np.array(VERDICTS, dtype=object)[project_severity]
    verdicts[_failed(projects["errors"])] = None
    projects = projects.assign(
        verdict=pd.Series(verdicts, index=projects.index, dtype=object),
        admin=_admin_lists(admin, projects),
        **project_columns(projects["project_id"], screening.land_cover, screening.terrain),
    )
    return Result(projects=projects, findings=findings, pack=screening.pack, ruleset=ruleset,
                  settings=screening.settings, generated_at=generated_at or _now(),
                  rules_in_force_on=on.isoformat(),
                  clauses=access.applicable_clauses(assessment, findings),
                  land_cover=screening.land_cover, terrain=screening.terrain)


def _failed(errors: pd.Series) -> np.ndarray:
    """True for the projects that carry errors (a non-empty ``errors`` list)."""
    return errors.to_numpy(dtype=object).astype(bool)  # truthiness, as bool() gives


def _choose(findings: pd.DataFrame, projects: pd.DataFrame, rules: list[Rule],
            position: np.ndarray) -> np.ndarray:
    """Index of the deciding rule for each finding (-1 when none matches).

    ``position`` is the row of each finding's project in ``projects``.
    """
    n = len(findings)
    if n == 0 or not rules:
        return np.full(n, -1)
    # Project attributes per finding, through the finding's project position.
    project_kind = projects["kind"].to_numpy(dtype=object)[position]
    industry = projects["industry"].fillna("").astype(str).str.upper().str.strip()
    industry = industry.to_numpy().astype(str)[position]
    project_tags = [set(t) for t in projects["project_types"]]
    kind = findings["kind"].to_numpy()
    zone_class = findings["zone_class"].to_numpy()
    relation = findings["relation"].to_numpy()
    layer = findings["layer"].to_numpy()

    match = np.zeros((n, len(rules)), dtype=bool)
    # Compare small integer codes, not strings: one factorisation per column.
    kind, relation, zone_class, project_kind = (
        _Codes(values) for values in (kind, relation, zone_class, project_kind))
    for j, rule in enumerate(rules):
        m = kind.isin(rule.layer_kinds) & relation.isin(rule.relations)
        if rule.zone_classes:
            m &= zone_class.isin(rule.zone_classes)
        if rule.project_kinds:
            m &= project_kind.isin(rule.project_kinds)
        if rule.industries:
            m &= (industry != "") & np.char.startswith(industry[:, None],
                                                       np.array(rule.industries)).any(axis=1)
        if rule.exclude_industries:
            m &= ~((industry != "") & np.char.startswith(
                industry[:, None], np.array(rule.exclude_industries)).any(axis=1))
        if rule.project_types:
            wanted = set(rule.project_types)
            m &= np.array([bool(t & wanted) for t in project_tags], dtype=bool)[position]
        if rule.layers:
            m &= np.isin(layer, rule.layers)
        match[:, j] = m
    position = {rule.id: j for j, rule in enumerate(rules)}
    for j, rule in enumerate(rules):
        for target in rule.supersedes:
            if target in position:
                match[match[:, j], position[target]] = False
    # Most severe wins; among equals the more specific rule (more conditions), then the
    # earlier one. One integer score per rule encodes that order.
    n_rules = len(rules)
    severity = np.array([SEVERITY[rule.verdict] for rule in rules])
    specificity = np.array([_specificity(rule) for rule in rules])
    rank = (severity * 8 + specificity) * (n_rules + 1) + (n_rules - np.arange(n_rules))
    best = np.where(match, rank, -1).argmax(axis=1)
    return np.where(match.any(axis=1), best, -1)


class _Codes:
    """A text column as integer codes, for fast membership tests."""

    def __init__(self, values: np.ndarray) -> None:
        self.codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        self.lookup = {value: code for code, value in enumerate(uniques)}

    def isin(self, wanted: tuple[str, ...]) -> np.ndarray:
        codes = [self.lookup[w] for w in wanted if w in self.lookup]
        return np.isin(self.codes, codes)


def _specificity(rule: Rule) -> int:
    return sum(bool(v) for v in (rule.zone_classes, rule.project_kinds, rule.industries,
                                 rule.project_types, rule.layers))


def _admin_lists(admin: pd.DataFrame, projects: pd.DataFrame) -> list[list[dict[str, str]]]:
    codes = admin["zone_code"].where(admin["zone_code"].notna(), admin["zone_id"])
    names = admin["zone_name"].astype(object)
    pairs = pd.DataFrame({"pid": admin["project_id"].astype(object), "code": codes.astype(str),
                          "name": names.where(names.notna(), "")}).drop_duplicates()
    # One list per project, filled through each pair's project position (ids are unique).
    position = pd.Index(projects["project_id"].astype(object)).get_indexer(pairs["pid"])
    lists: list[list[dict[str, str]]] = [[] for _ in range(len(projects))]
    for p, code, name in zip(position.tolist(), pairs["code"].tolist(), pairs["name"].tolist(),
                             strict=True):
        if p >= 0:
            lists[p].append({"code": code, "name": name})
    return lists


def _now() -> str:
    china = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(china).replace(microsecond=0).isoformat()
