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
from dataclasses import dataclass

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
    compiled = _compile(ruleset, on)
    projects = screening.projects
    findings = screening.findings

    attribute = findings["kind"].isin(_ATTRIBUTE_KINDS).to_numpy()
    admin = findings.loc[attribute, ["project_id", "zone_code", "zone_id", "zone_name"]]
    findings = findings[~attribute].reset_index(drop=True)
    # Access lists (生态环境准入清单) of the units each project lies in: targeted clauses
    # become access_list findings that the rules judge like any other.
    assessment = access.assess(projects, findings, screening.pack.tables,
                               ruleset.industry_groups)
    projects, findings = assessment.projects, assessment.findings

    # Position of each finding's project (ids are unique): one lookup, used throughout.
    position = pd.Index(projects["project_id"].astype(object)).get_indexer(
        findings["project_id"].astype(object))
    chosen = _choose(findings, projects, compiled, position)
    findings = _with_columns(findings, {
        "verdict": pd.Series(compiled.verdict[chosen], index=findings.index, dtype=object),
        # One value per rule (and None for "no rule"), then one take per finding.
        **{name: _text(per_rule[chosen], findings.index, compiled.plain_text)
           for name, per_rule in compiled.texts.items()},
    })
    findings = access.cite(findings, {t.id: t.title for t in screening.pack.tables.values()})
    severity = compiled.severity[chosen]
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
    lists = {"admin": _admin_lists(admin, projects),
             **project_columns(projects["project_id"], screening.land_cover, screening.terrain)}
    projects = _with_columns(projects, {
        "verdict": pd.Series(verdicts, index=projects.index, dtype=object),
        **{name: pd.Series(values, index=projects.index, dtype=object)
           for name, values in lists.items()},
    })
    return Result(projects=projects, findings=findings, pack=screening.pack, ruleset=ruleset,
                  settings=screening.settings, generated_at=generated_at or _now(),
                  rules_in_force_on=on.isoformat(),
                  clauses=access.applicable_clauses(assessment, findings),
                  land_cover=screening.land_cover, terrain=screening.terrain)


def _with_columns(frame: pd.DataFrame, columns: dict[str, pd.Series]) -> pd.DataFrame:
    """``frame.assign(**columns)``; in one concat when all are new (one insert each costs more)."""
    if any(name in frame.columns for name in columns) or not frame.index.is_unique:
        return frame.assign(**columns)
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def _text(values: np.ndarray, index: pd.Index, plain: bool) -> pd.Series:
    """A text column; ``plain`` when the values are already text or ``None``."""
    series = pd.Series(values, index=index, dtype=object)
    return series if plain else text_column(series)


def _failed(errors: pd.Series) -> np.ndarray:
    """True for the projects that carry errors (a non-empty ``errors`` list)."""
    return errors.to_numpy(dtype=object).astype(bool)  # truthiness, as bool() gives


def _choose(findings: pd.DataFrame, projects: pd.DataFrame, compiled: _Compiled,
            position: np.ndarray) -> np.ndarray:
    """Index of the deciding rule for each finding (-1 when none matches).

    ``position`` is the row of each finding's project in ``projects``. A rule looks only
    at a few attributes of a finding and its project, so the rules are matched once per
    distinct combination of those attributes and the answer is taken back per finding.
    """
    rules = compiled.rules
    n = len(findings)
    if n == 0 or not rules:
        return np.full(n, -1)
    # Per attribute: one code per finding (0 = missing) and one row of "rule accepts this
    # value" per code. Project attributes are coded per project, then taken per finding.
    attributes = [
        _accepts(findings["kind"].to_numpy(), rules, lambda r: r.layer_kinds, required=True),
        _accepts(findings["relation"].to_numpy(), rules, lambda r: r.relations, required=True),
        _accepts(findings["zone_class"].to_numpy(), rules, lambda r: r.zone_classes),
        _accepts(findings["layer"].to_numpy(), rules, lambda r: r.layers),
    ]
    for codes, accepts in (
            _accepts(projects["kind"].to_numpy(dtype=object), rules, lambda r: r.project_kinds),
            _industry_accepts(projects["industry"].to_numpy(dtype=object), rules),
            _types_accepts(projects["project_types"].to_numpy(dtype=object), rules)):
        attributes.append((codes[position], accepts))
    # One key per finding for the combination of its codes, then one row per combination.
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for codes, accepts in attributes:
        key = key * len(accepts) + codes
        size *= len(accepts)
        if size > 2**40:  # keep the mixed key well inside int64
            key, uniques = pd.factorize(key)
            size = len(uniques)
    combination, uniques = pd.factorize(key)
    member = np.empty(len(uniques), dtype=np.intp)
    member[combination] = np.arange(n)  # any one finding of each combination
    match = np.ones((len(uniques), len(rules)), dtype=bool)
    for codes, accepts in attributes:
        match &= accepts[codes[member]]
    for j, target in compiled.supersedes:
        match[match[:, j], target] = False
    # Most severe wins; among equals the more specific rule (more conditions), then the
    # earlier one: one integer score per rule encodes that order.
    best = np.where(match, compiled.rank, -1).argmax(axis=1)
    return np.where(match.any(axis=1), best, -1)[combination]


def _accepts(values: np.ndarray, rules: list[Rule], wanted_of, *, required: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a text column (0 = missing) and which codes each rule accepts.

    ``wanted_of(rule)`` gives the values a rule accepts; an empty tuple accepts any value
    (missing ones included) unless ``required``.
    """
    if not required and not any(wanted_of(rule) for rule in rules):
        return _accept_any(len(values), len(rules))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = {value: code + 1 for code, value in enumerate(uniques)}
    accepts = np.zeros((len(uniques) + 1, len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        wanted = wanted_of(rule)
        if wanted:
            accepts[[lookup[w] for w in wanted if w in lookup], j] = True
        elif not required:
            accepts[:, j] = True
    return codes + 1, accepts


def _accept_any(n_values: int, n_rules: int) -> tuple[np.ndarray, np.ndarray]:
    """One code for every value, accepted by every rule (no rule looks at the attribute)."""
    return np.zeros(n_values, dtype=np.intp), np.ones((1, n_rules), dtype=bool)


def _industry_accepts(values: np.ndarray, rules: list[Rule]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the project industries and which codes each rule's industry terms accept.

    A rule naming industries accepts the codes with one of them as prefix; one naming
    excluded industries rejects those. Missing and empty codes match no industry.
    """
    if not any(rule.industries or rule.exclude_industries for rule in rules):
        return _accept_any(len(values), len(rules))
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = all(isinstance(u, str) for u in uniques)
    except TypeError:
        distinct = False
    if not distinct:  # only text is grouped: other values could differ once made text
        codes, uniques = np.arange(len(values)), values
    else:
        codes, uniques = codes + 1, np.concatenate([np.array([None], dtype=object), uniques])
    if distinct and all(u.isascii() and u == u.strip().upper() for u in uniques[1:]):
        # Already upper case without surrounding blanks (canonical codes): nothing to change.
        industry = np.array(["", *uniques[1:]], dtype=str)
    else:
        industry = pd.Series(uniques, dtype=object).fillna("").astype(str).str.upper()
        industry = industry.str.strip().to_numpy().astype(str)
    accepts = np.ones((len(uniques), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        if rule.industries:
            accepts[:, j] &= (industry != "") & np.char.startswith(
                industry[:, None], np.array(rule.industries)).any(axis=1)
        if rule.exclude_industries:
            accepts[:, j] &= ~((industry != "") & np.char.startswith(
                industry[:, None], np.array(rule.exclude_industries)).any(axis=1))
    return codes, accepts


def _types_accepts(values: np.ndarray, rules: list[Rule]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the project-type tag sets and which codes each rule accepts."""
    if not any(rule.project_types for rule in rules):
        return _accept_any(len(values), len(rules))
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # unhashable tag collections (lists): one code per project
        codes, uniques = np.arange(len(values)), values
    tags = [set(t) for t in uniques]
    accepts = np.ones((len(uniques), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        if rule.project_types:
            wanted = set(rule.project_types)
            accepts[:, j] = [bool(t & wanted) for t in tags]
    return codes, accepts


@dataclass(frozen=True)
class _Compiled:
    """What a ruleset gives on one date, independent of the findings."""

    rules: list[Rule]
    #: (rule, rule it sets aside) index pairs.
    supersedes: list[tuple[int, int]]
    #: Decision score per rule: severity, then specificity, then file order.
    rank: np.ndarray
    #: Per rule, plus a last entry for "no rule": verdict, severity and text columns.
    verdict: np.ndarray
    severity: np.ndarray
    texts: dict[str, np.ndarray]
    #: True when every text is a ``str`` or ``None`` (nothing for text_column to do).
    plain_text: bool


def _compile(ruleset: Ruleset, on: dt.date) -> _Compiled:
    """The rules in force on ``on`` with their scores, computed once per ruleset and date.

    Rules are immutable and :func:`load_ruleset` hands out the same rule objects while the
    files stay the same, so the cache is keyed by the rules' identities (the entry keeps
    them alive, so an identity cannot be reused while cached).
    """
    key = (tuple(map(id, ruleset.rules)), on)
    cached = _COMPILED.get(key)
    if cached is not None:
        return cached[1]
    rules = [rule for rule in ruleset.rules if rule.in_force(on)]
    index = {rule.id: j for j, rule in enumerate(rules)}
    supersedes = [(j, index[target]) for j, rule in enumerate(rules)
                  for target in rule.supersedes if target in index]
    n_rules = len(rules)
    severity = np.array([SEVERITY[rule.verdict] for rule in rules], dtype=int)
    specificity = np.array([_specificity(rule) for rule in rules], dtype=int)
    rank = (severity * 8 + specificity) * (n_rules + 1) + (n_rules - np.arange(n_rules))

    def per_rule(get) -> np.ndarray:
        return np.array([get(rule) for rule in rules] + [None], dtype=object)

    texts = {"rule": per_rule(lambda r: r.id), "basis": per_rule(lambda r: r.cite("zh")),
             "basis_en": per_rule(lambda r: r.cite("en")),
             "message_zh": per_rule(lambda r: r.message_zh),
             "message_en": per_rule(lambda r: r.message_en)}
    compiled = _Compiled(
        rules=rules, supersedes=supersedes, rank=rank,
        verdict=np.array([rule.verdict for rule in rules] + ["clear"], dtype=object),
        severity=np.append(severity, SEVERITY["clear"]),
        texts=texts, plain_text=all(v is None or type(v) is str
                                    for values in texts.values() for v in values))
    if len(_COMPILED) >= 8:
        _COMPILED.clear()
    _COMPILED[key] = (tuple(ruleset.rules), compiled)
    return compiled


_COMPILED: dict[tuple, tuple[tuple[Rule, ...], _Compiled]] = {}


def _specificity(rule: Rule) -> int:
    return sum(bool(v) for v in (rule.zone_classes, rule.project_kinds, rule.industries,
                                 rule.project_types, rule.layers))


def _admin_lists(admin: pd.DataFrame, projects: pd.DataFrame) -> list[list[dict[str, str]]]:
    """The admin areas of each project, ``{"code", "name"}`` each once, in findings order."""
    if not len(admin):
        return [[] for _ in range(len(projects))]
    codes = admin["zone_code"].where(admin["zone_code"].notna(), admin["zone_id"]).astype(str)
    names = admin["zone_name"].astype(object)
    names = names.where(names.notna(), "")
    # Project position of each row (ids are unique; rows of unknown projects are dropped).
    position = pd.Index(projects["project_id"].astype(object)).get_indexer(
        admin["project_id"].astype(object))
    code_ids, code_values = pd.factorize(codes, use_na_sentinel=False)
    name_ids, name_values = pd.factorize(names, use_na_sentinel=False)
    pair = (position * len(code_values) + code_ids) * len(name_values) + name_ids
    keep = (position >= 0) & ~pd.Series(pair).duplicated().to_numpy()
    # One pass in findings order: each project's list keeps its areas in that order.
    rows = np.flatnonzero(keep)
    lists: list[list[dict[str, str]]] = [[] for _ in range(len(projects))]
    for p, code, name in zip(position[rows].tolist(), codes.iloc[rows].tolist(),
                             names.iloc[rows].tolist(), strict=True):
        lists[p].append({"code": code, "name": name})
    return lists


def _now() -> str:
    china = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(china).replace(microsecond=0).isoformat()
