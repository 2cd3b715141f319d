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

    chosen = _choose(findings, projects, rules)
    verdict = np.array([rules[i].verdict if i >= 0 else "clear" for i in chosen], dtype=object)
    def column(get) -> pd.Series:
        return text_column(pd.Series([get(rules[i]) if i >= 0 else None for i in chosen],
                                     index=findings.index, dtype=object))

    findings = findings.assign(
        verdict=pd.Series(verdict, index=findings.index, dtype=object),
        rule=column(lambda r: r.id),
        basis=column(lambda r: r.cite("zh")),
        basis_en=column(lambda r: r.cite("en")),
        message_zh=column(lambda r: r.message_zh),
        message_en=column(lambda r: r.message_en),
    )
    findings = access.cite(findings, {t.id: t.title for t in screening.pack.tables.values()})
    severity = findings["verdict"].map(SEVERITY).to_numpy()
    order = np.lexsort((np.arange(len(findings)), -severity,
                        _position(findings["project_id"], projects["project_id"])))
    findings = gpd.GeoDataFrame(findings.iloc[order].reset_index(drop=True),
                                geometry="geometry", crs=screening.findings.crs)

    worst = pd.Series(findings["verdict"].map(SEVERITY).to_numpy(),
                      index=findings["project_id"]).groupby(level=0).max()
    project_severity = projects["project_id"].map(worst).fillna(0).astype(int)
    failed = projects["errors"].map(bool).to_numpy()
    projects = projects.assign(
        verdict=pd.Series([None if bad else VERDICTS[s]
                           for bad, s in zip(failed, project_severity, strict=True)],
                          index=projects.index, dtype=object),
        admin=_admin_lists(admin, projects),
        **project_columns(projects["project_id"], screening.land_cover, screening.terrain),
    )
    return Result(projects=projects, findings=findings, pack=screening.pack, ruleset=ruleset,
                  settings=screening.settings, generated_at=generated_at or _now(),
                  rules_in_force_on=on.isoformat(),
                  clauses=access.applicable_clauses(assessment, findings),
                  land_cover=screening.land_cover, terrain=screening.terrain)


def _choose(findings: pd.DataFrame, projects: pd.DataFrame, rules: list[Rule]) -> np.ndarray:
    """Index of the deciding rule for each finding (-1 when none matches)."""
    n = len(findings)
    if n == 0 or not rules:
        return np.full(n, -1)
    info = projects.set_index("project_id").loc[findings["project_id"]]
    project_kind = info["kind"].to_numpy()
    industry = info["industry"].fillna("").astype(str).str.upper().str.strip()
    industry = industry.to_numpy().astype(str)
    tags = [set(t) for t in info["project_types"]]
    kind = findings["kind"].to_numpy()
    zone_class = findings["zone_class"].to_numpy()
    relation = findings["relation"].to_numpy()
    layer = findings["layer"].to_numpy()

    match = np.zeros((n, len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        m = np.isin(kind, rule.layer_kinds) & np.isin(relation, rule.relations)
        if rule.zone_classes:
            m &= np.isin(zone_class, rule.zone_classes)
        if rule.project_kinds:
            m &= np.isin(project_kind, rule.project_kinds)
        if rule.industries:
            m &= (industry != "") & np.char.startswith(industry[:, None],
                                                       np.array(rule.industries)).any(axis=1)
        if rule.exclude_industries:
            m &= ~((industry != "") & np.char.startswith(
                industry[:, None], np.array(rule.exclude_industries)).any(axis=1))
        if rule.project_types:
            wanted = set(rule.project_types)
            m &= np.array([bool(t & wanted) for t in tags], dtype=bool)
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


def _specificity(rule: Rule) -> int:
    return sum(bool(v) for v in (rule.zone_classes, rule.project_kinds, rule.industries,
                                 rule.project_types, rule.layers))


def _position(ids: pd.Series, order: pd.Series) -> np.ndarray:
    lookup = {pid: i for i, pid in enumerate(order)}
    return ids.map(lookup).to_numpy()


def _admin_lists(admin: pd.DataFrame, projects: pd.DataFrame) -> list[list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    codes = admin["zone_code"].where(admin["zone_code"].notna(), admin["zone_id"])
    for pid, code, name in zip(admin["project_id"], codes, admin["zone_name"], strict=True):
        entry = {"code": str(code), "name": name if name is not None else ""}
        if entry not in grouped.setdefault(pid, []):
            grouped[pid].append(entry)
    return [grouped.get(pid, []) for pid in projects["project_id"]]


def _now() -> str:
    china = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(china).replace(microsecond=0).isoformat()
