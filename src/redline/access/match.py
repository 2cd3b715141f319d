"""Match projects against the access lists of the control units they lie in.

For each project and each control unit it overlaps (or lies inside), the applicable
clauses are the unit's own, those of its unit class, and the region-wide ones (province,
city, county, or the whole list), filtered by admin code when a row names one. A clause
*targets* the project when it names the project's industry (by code prefix, through a
sector word or a GB/T 4754 name) or one of its declared pollutants, and, when it names
project types (新建/改建/扩建) and the project declares its own, they agree; an industry the
clause excepts (除…外) is not targeted. Targeted prohibitions and restrictions become
findings of kind ``access_list`` (the rules give their verdicts); every applicable clause
is listed for the reviewer.

Targeting is computed once per distinct project profile (industry, pollutants, types) and
clause, then joined back: the work grows with the list, not with the number of projects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..projects import text_column
from .clauses import dimension_title
from .industry import canonical_code, catalogue, expand_groups, normalise_project_types
from .table import SCOPES, AccessList

#: Extra columns that findings carry (``None`` on findings of other kinds).
CLAUSE_FINDING_COLUMNS = (
    "clause_id", "clause_text", "clause_scope", "clause_unit", "clause_dimension",
    "clause_number", "clause_effect", "clause_conditional", "clause_matched", "clause_row",
)
#: Columns of :attr:`redline.result.Result.clauses`.
APPLICABLE_COLUMNS = (
    "project_id", "layer", "unit_code", "unit_name", "clause_id", "row", "scope",
    "scope_label", "dimension", "number", "text", "effect", "conditional", "conditions",
    "targets", "status", "matched", "verdict", "rule",
)
#: Columns of a control-unit finding that the clauses of the unit are paired with.
_UNIT_COLUMNS = ("project_id", "zone_code", "zone_name", "zone_class", "relation",
                 "overlap_m2", "overlap_pct", "overlap_length_m")
_BUILD_TYPES = {"new", "rebuild", "expansion"}
_EFFECT_CLASS = {"prohibition": "prohibition", "restriction": "restriction"}


@dataclass
class Assessment:
    """What the access lists say about the projects.

    Attributes
    ----------
    projects
        The projects with canonical industry codes, normalised project types, a
        ``pollutants`` column and any warnings added.
    findings
        The findings given, plus one ``access_list`` row per targeted prohibition or
        restriction (with :data:`CLAUSE_FINDING_COLUMNS`).
    applicable
        One row per (project, applicable clause) (:data:`APPLICABLE_COLUMNS` without the
        verdict, which the rules give later).
    """

    projects: gpd.GeoDataFrame
    findings: pd.DataFrame
    applicable: pd.DataFrame


def prepare_projects(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Canonical industry codes (``2614`` → ``C2614``), tags (新建 → ``new``), ``pollutants``.

    A code not in the GB/T 4754-2017 table is kept as given, with a warning. Each distinct
    code and tag set is read once, not once per project.
    """
    projects = projects.copy(deep=False)  # columns are replaced, never changed in place
    cat = catalogue()

    def industry_of(code: Any) -> tuple[str | None, bool]:
        canonical = canonical_code(code) if code else None
        bad = bool(code) and (canonical is None or canonical not in cat)
        return (canonical if canonical in cat else (str(code).upper() if code else None)), bad

    given = projects["industry"].to_numpy(dtype=object)
    industries, bad = _per_distinct(given, industry_of, 2)
    warnings = [list(w) for w in projects["warnings"]]
    for i in np.flatnonzero(bad.astype(bool)):  # only the projects with a code not in GB/T
        warnings[i].append(f"industry code {given[i]!r} is not in GB/T 4754-2017; matched by "
                           "prefix as written")
    projects["industry"] = pd.Series(industries, index=projects.index, dtype=object)
    projects["warnings"] = pd.Series(warnings, index=projects.index, dtype=object)
    types = projects["project_types"].to_numpy(dtype=object)
    try:  # tag sets of text only, so that equal sets are interchangeable
        hashable = infer_dtype(list(chain.from_iterable(types)), skipna=False) in ("string",
                                                                                  "empty")
    except TypeError:
        hashable = False
    (types,) = _per_distinct(types, lambda t: (normalise_project_types(t),), 1,
                             hashable=hashable)
    projects["project_types"] = pd.Series(types, index=projects.index, dtype=object)
    if "pollutants" not in projects.columns:
        none_declared = np.empty(len(projects), dtype=object)
        none_declared.fill(())
        projects["pollutants"] = pd.Series(none_declared, index=projects.index, dtype=object)
    else:
        projects["pollutants"] = projects["pollutants"].map(
            lambda p: tuple(p) if isinstance(p, list | tuple) else ())
    return projects


def _objects(values: list) -> np.ndarray:
    """A 1-d object array of ``values`` (tuples and lists stay elements)."""
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return array


def _per_distinct(values: np.ndarray, func: Callable[[Any], tuple], width: int, *,
                  hashable: bool | None = None) -> tuple[np.ndarray, ...]:
    """``func`` applied to each value, computed once per distinct value.

    ``func`` returns a tuple of ``width`` items; the result is one object array per item.
    Values are grouped by equality only when that cannot merge values ``func`` tells apart
    (text, or ``hashable`` as the caller checked); otherwise ``func`` runs per value.
    """
    if hashable is None:
        hashable = infer_dtype(values, skipna=True) in ("string", "empty")
    if not len(values):
        return tuple(np.empty(0, dtype=object) for _ in range(width))
    if hashable:
        try:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # unhashable values (lists)
            hashable = False
    if not hashable:
        return tuple(_objects(list(c)) for c in zip(*map(func, values), strict=True))
    results = [func(u) for u in uniques]
    missing = np.flatnonzero(codes < 0)
    if len(missing):  # None once; other missing markers (NaN, pd.NA) one by one
        markers = values[missing].tolist()
        try:  # usually all None (pd.NA cannot be compared: then one by one)
            all_none = markers.count(None) == len(markers)
        except TypeError:
            all_none = False
        # Of the missing markers, only None.
        none = np.ones(len(markers), dtype=bool) if all_none else np.fromiter(
            (v is None for v in markers), dtype=bool, count=len(markers))
        if none.any():
            codes[missing[none]] = len(results)
            results.append(func(None))
        for i in missing[~none]:
            codes[i] = len(results)
            results.append(func(values[i]))
    return tuple(_objects(list(column))[codes] for column in zip(*results, strict=True))


def assess(projects: gpd.GeoDataFrame, findings: pd.DataFrame, tables: Mapping[str, AccessList],
           groups: Mapping[str, Mapping[str, Any]]) -> Assessment:
    """Collect the applicable clauses of each project and turn targeted ones into findings.

    Parameters
    ----------
    projects
        The projects frame (see :func:`prepare_projects`; it is applied here).
    findings
        The engine's findings (``control_unit`` rows locate the projects).
    tables
        The pack's access lists (``Pack.tables``).
    groups
        Industry groups (``Ruleset.industry_groups``) for ``@group`` sector words.

    Returns
    -------
    Assessment
    """
    projects = prepare_projects(projects)
    # The clause columns in one go (inserting them one by one costs more than the rest).
    clause_columns = pd.DataFrame(np.full((len(findings), len(CLAUSE_FINDING_COLUMNS)), None,
                                          dtype=object),
                                  index=findings.index, columns=list(CLAUSE_FINDING_COLUMNS))
    findings = pd.concat([findings, clause_columns], axis=1)
    lists = [t for t in tables.values() if len(t.clauses)]
    if not lists:
        return Assessment(projects, findings, _empty_applicable())
    located = ((findings["kind"] == "control_unit")
               & findings["relation"].isin(["overlaps", "inside"])).to_numpy()
    # Plain frame of the columns the pairing reads (the unit's overlap piece is looked up
    # by its row, the index, later).
    units = pd.DataFrame(findings.loc[located, [*_UNIT_COLUMNS, "zone_id"]])
    units["zone_code"] = units["zone_code"].where(units["zone_code"].notna(), units["zone_id"])
    units["admin"] = units["zone_code"].astype(str).str.extract(r"^ZH(\d{6})", expand=False)
    units = units.sort_values(["project_id", "overlap_pct"], ascending=[True, False],
                              kind="stable", na_position="last")
    applicable = pd.concat([_applicable(units, t) for t in lists], ignore_index=True)
    if applicable.empty:
        return Assessment(projects, findings, _empty_applicable())

    # Each row's profile through its project's position (ids are unique); NaN for a
    # project not in the frame, as a left join would give.
    position = pd.Index(projects["project_id"].astype(object)).get_indexer(
        applicable["project_id"].astype(object))
    profile = _objects(_profiles(projects)["profile"].tolist())[position]
    profile[position < 0] = np.nan
    applicable = applicable.assign(profile=pd.Series(profile, index=applicable.index,
                                                     dtype=object))
    verdicts, group = _targeting(applicable, groups)
    status, matched = verdicts["status"].iloc[group], verdicts["matched"].iloc[group]
    applicable = applicable.assign(status=status.set_axis(applicable.index),
                                   matched=matched.set_axis(applicable.index))
    projects = _warn_unchecked(projects, applicable)
    access_rows = _finding_rows(applicable, findings)
    if len(access_rows):
        findings = pd.concat([findings, access_rows], ignore_index=True)
    return Assessment(projects, findings, applicable)


def _empty_applicable() -> pd.DataFrame:
    return pd.DataFrame(np.empty((0, len(APPLICABLE_COLUMNS)), dtype=object),
                        columns=list(APPLICABLE_COLUMNS))


def _applicable(units: pd.DataFrame, table: AccessList) -> pd.DataFrame:
    """(unit finding × clause) pairs where the clause's scope covers the unit."""
    clauses = table.clauses.assign(seq=np.arange(len(table.clauses)))  # reading order
    # Plain frame, no geometry: the unit's overlap piece is looked up by unit_row later.
    u = pd.DataFrame(units[[*_UNIT_COLUMNS, "admin"]]).assign(unit_row=units.index.to_numpy())
    scope = clauses["scope"]
    own_unit, own_clause = _equal_pairs(u["zone_code"], clauses["unit_code"],
                                        (scope == "unit").to_numpy())
    class_unit, class_clause = _equal_pairs(u["zone_class"], clauses["unit_class"],
                                            (scope == "unit_class").to_numpy())
    region = np.flatnonzero(scope.isin(["all", "province", "city", "county"]).to_numpy())
    shared_unit = np.concatenate([class_unit, np.repeat(np.arange(len(u)), len(region))])
    shared_clause = np.concatenate([class_clause, np.tile(region, len(u))])
    prefix = clauses["admin_code"].take(shared_clause).fillna("").astype(str).tolist()
    admin = u["admin"].take(shared_unit).fillna("").astype(str).tolist()
    # A row that names an admin area applies to units whose code carries that area (or
    # whose code carries none, so that nothing is silently left out).
    ok = np.array([p == "" or a == "" or a.startswith(p)
                   for a, p in zip(admin, prefix, strict=True)], dtype=bool)
    # Pairs in the order of the joins they stand for: own unit, unit class, region; each
    # unit-major (units are sorted, which decides the unit a clause is reached through).
    unit_rows = np.concatenate([own_unit, shared_unit[ok]])
    clause_rows = np.concatenate([own_clause, shared_clause[ok]])
    pairs = pd.concat([u.take(unit_rows).reset_index(drop=True),
                       clauses.take(clause_rows).reset_index(drop=True)], axis=1)
    if pairs.empty:
        return pairs
    pairs["layer"] = table.id
    pairs["list_title"] = table.title
    pairs["scope_rank"] = pairs["scope"].map({s: i for i, s in enumerate(SCOPES)})
    # Each clause once per project: through the unit it overlaps most (units are sorted).
    pairs = pairs.drop_duplicates(["project_id", "clause_id"], keep="first")
    return pairs.sort_values(["project_id", "scope_rank", "seq"], kind="stable")


def _equal_pairs(left: pd.Series, right: pd.Series, candidates: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs with equal keys (``right`` limited to ``candidates``), as an inner join.

    Left-major, right rows in their order; missing keys match each other, as in
    :meth:`pandas.DataFrame.merge`.
    """
    right_rows = np.flatnonzero(candidates)
    keys = np.concatenate([left.to_numpy(dtype=object), right.to_numpy(dtype=object)[right_rows]])
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    codes[codes < 0] = len(uniques)
    left_codes, right_codes = codes[:len(left)], codes[len(left):]
    order = np.argsort(right_codes, kind="stable")
    first = np.searchsorted(right_codes[order], left_codes, side="left")
    counts = np.searchsorted(right_codes[order], left_codes, side="right") - first
    total = int(counts.sum())
    # For left row i: order[first[i]], ..., order[first[i] + counts[i] - 1].
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    matched = order[np.repeat(first, counts) + offset]
    return np.repeat(np.arange(len(left)), counts), right_rows[matched]


def _profiles(projects: pd.DataFrame) -> pd.DataFrame:
    keys = [(ind or "", tuple(sorted(set(types) & (_BUILD_TYPES | {"heavy_metals",
                                                                   "wastewater_discharge"}))),
             tuple(sorted(pols)))
            for ind, types, pols in zip(projects["industry"], projects["project_types"],
                                        projects["pollutants"], strict=True)]
    return pd.DataFrame({"project_id": projects["project_id"].to_numpy(),
                         "profile": keys})


def _targeting(applicable: pd.DataFrame, groups: Mapping[str, Mapping[str, Any]]
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """Status and matched text per distinct (profile, list, clause), and each row's one.

    Returns the frame of distinct keys (in order of first appearance) and, per row of
    ``applicable``, its row in that frame.
    """
    cat = catalogue()
    group = np.zeros(len(applicable), dtype=np.int64)
    for column in ("profile", "layer", "clause_id"):
        # Missing values form one group, as in drop_duplicates.
        codes, uniques = pd.factorize(applicable[column].to_numpy(dtype=object))
        codes[codes < 0] = len(uniques)
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes)
    distinct = applicable.iloc[np.flatnonzero(~pd.Series(group).duplicated().to_numpy())]
    keys = [distinct[c].tolist() for c in ("profile", "layer", "clause_id")]
    terms = [distinct[c].tolist() for c in ("industries", "exceptions", "pollutants",
                                            "industry_words", "project_types")]
    targets: dict[tuple[str, str], _Targets] = {}  # per clause, shared by all profiles
    rows = []
    # Distinct profiles × clauses, not projects.
    for profile, layer, clause_id, *clause_terms in zip(*keys, *terms, strict=True):
        clause = targets.get((layer, clause_id))
        if clause is None:
            clause = targets[layer, clause_id] = _Targets.of(*clause_terms, groups)
        status, matched = _target(profile, clause, cat)
        rows.append((profile, layer, clause_id, status, matched))
    return pd.DataFrame(rows, columns=["profile", "layer", "clause_id", "status", "matched"]
                        ), group


@dataclass(frozen=True)
class _Targets:
    """What one clause targets, with ``@group`` names expanded."""

    industries: tuple[str, ...]
    exceptions: tuple[str, ...]
    pollutants: frozenset[str]
    words: str
    project_types: frozenset[str]

    @classmethod
    def of(cls, industries: Any, exceptions: Any, pollutants: Any, industry_words: Any,
           project_types: Any, groups: Mapping[str, Mapping[str, Any]]) -> _Targets:
        return cls(expand_groups(industries, groups), expand_groups(exceptions, groups),
                   frozenset(pollutants), "、".join(industry_words), frozenset(project_types))


def _target(profile: tuple, clause: _Targets, cat) -> tuple[str, str]:
    industry, tags, declared = profile
    industries = clause.industries
    exceptions = clause.exceptions
    pollutants = clause.pollutants
    if not industries and not pollutants:
        return "general", ""
    project_pollutants = set(declared)
    if "heavy_metals" in tags:
        project_pollutants.add("heavy_metals")
    if "wastewater_discharge" in tags:
        project_pollutants.add("wastewater")
    words = clause.words
    if industry and any(industry.startswith(e) for e in exceptions):
        return "excepted", f"{cat.label(industry)}:条款例外(除…外)"
    hit = next((p for p in industries if industry and industry.startswith(p)), None)
    pol_hit = sorted(pollutants & project_pollutants)
    if hit is None and not pol_hit:
        if industries and not industry:
            return "unknown_industry", f"条款涉及行业:{words}" if words else ""
        return "not_targeted", ""
    types = clause.project_types
    declared_types = set(tags) & _BUILD_TYPES
    if types and declared_types and not (types & declared_types):
        return "not_targeted", "项目建设性质与条款不符"
    parts = []
    if hit is not None:
        parts.append(f"{cat.label(industry)} ∈ {hit}" + (f"({words})" if words else ""))
    if pol_hit:
        parts.append("污染物 " + "、".join(pol_hit))
    return "targeted", ";".join(parts)


def _warn_unchecked(projects: gpd.GeoDataFrame, applicable: pd.DataFrame) -> gpd.GeoDataFrame:
    unknown = applicable[applicable["status"] == "unknown_industry"]
    counts = unknown.groupby("project_id").size()
    if counts.empty:
        return projects
    projects = projects.copy()
    notes = []
    for pid, warnings in zip(projects["project_id"], projects["warnings"], strict=True):
        warnings = list(warnings)
        if pid in counts.index:
            warnings.append(
                f"no industry code (--industry or an HYDM field): the access list "
                f"(生态环境准入清单) could not be checked; {counts[pid]} applicable clause(s) "
                "name industries")
        notes.append(warnings)
    projects["warnings"] = pd.Series(notes, index=projects.index, dtype=object)
    return projects


def _finding_rows(applicable: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    columns = findings.columns
    hits = applicable[(applicable["status"] == "targeted")
                      & applicable["effect"].isin(list(_EFFECT_CLASS))]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    zone_class = np.where(hits["effect"] == "restriction", "restriction",
                          np.where(hits["conditional"].astype(bool), "conditional_prohibition",
                                   "prohibition"))
    rows = pd.DataFrame({
        "project_id": hits["project_id"].to_numpy(), "layer": hits["layer"].to_numpy(),
        "kind": "access_list", "zone_id": hits["clause_id"].to_numpy(),
        "zone_name": hits["zone_name"].to_numpy(), "zone_class": zone_class,
        "zone_code": hits["zone_code"].to_numpy(), "relation": hits["relation"].to_numpy(),
        "overlap_m2": hits["overlap_m2"].to_numpy(float),
        "overlap_pct": hits["overlap_pct"].to_numpy(float),
        "overlap_length_m": hits["overlap_length_m"].to_numpy(float),
        "distance_m": 0.0, "zone_index": -1,
        "geometry": findings.loc[hits["unit_row"].to_numpy(), "geometry"].to_numpy(),
        "clause_id": hits["clause_id"].to_numpy(), "clause_text": hits["text"].to_numpy(),
        "clause_scope": hits["scope"].to_numpy(),
        "clause_unit": hits["scope_label"].to_numpy(),
        "clause_dimension": hits["dimension"].to_numpy(),
        "clause_number": hits["number"].to_numpy(), "clause_effect": hits["effect"].to_numpy(),
        "clause_conditional": hits["conditional"].astype(bool).to_numpy(),
        "clause_matched": hits["matched"].to_numpy(), "clause_row": hits["row"].to_numpy(),
    })
    for column in ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                   "zone_code", "relation"):
        rows[column] = text_column(rows[column])
    return rows[[c for c in columns if c in rows.columns]]


def cite(findings: pd.DataFrame, titles: Mapping[str, str]) -> pd.DataFrame:
    """Quote the clause in the message and name it in the basis of ``access_list`` findings.

    Parameters
    ----------
    findings
        Findings after the rules gave verdicts (``message_*``, ``basis*`` columns).
    titles
        Access-list id → title.
    """
    rows = findings["kind"] == "access_list"
    if not rows.any():
        return findings
    findings = findings.copy()
    sub = findings[rows]
    where_zh, where_en = [], []
    for layer, unit, dimension, clause_number in zip(
            *(sub[c].tolist() for c in ("layer", "clause_unit", "clause_dimension",
                                        "clause_number")), strict=True):
        number = f"第{clause_number}条" if clause_number else "条款"
        title = titles.get(layer, layer)
        where_zh.append(f"《{title}》{unit}「{dimension_title(dimension)}」{number}")
        where_en.append(f"access list '{title}', {unit}, {dimension_title(dimension, 'en')}, "
                        f"clause {clause_number or '-'}")
    quote = [f"「{t}」" for t in sub["clause_text"]]
    findings.loc[rows, "message_zh"] = [f"{m}:{w}{q}" for m, w, q in
                                        zip(sub["message_zh"], where_zh, quote, strict=True)]
    findings.loc[rows, "message_en"] = [f"{m}: {w}: {q}" for m, w, q in
                                        zip(sub["message_en"], where_en, quote, strict=True)]
    findings.loc[rows, "basis"] = [f"{w};{b}" if b else w for w, b in
                                   zip(where_zh, sub["basis"], strict=True)]
    findings.loc[rows, "basis_en"] = [f"{w}; {b}" if b else w for w, b in
                                      zip(where_en, sub["basis_en"], strict=True)]
    return findings


def applicable_clauses(assessment: Assessment, findings: pd.DataFrame) -> pd.DataFrame:
    """The per-project list of applicable clauses with the verdict each one led to.

    Parameters
    ----------
    assessment
        From :func:`assess`.
    findings
        The judged findings (``verdict`` and ``rule`` of ``access_list`` rows).

    Returns
    -------
    pandas.DataFrame
        :data:`APPLICABLE_COLUMNS`; ``verdict``/``rule`` are set where the clause became a
        finding.
    """
    a = assessment.applicable
    if a.empty:
        return _empty_applicable()
    judged = findings[findings["kind"] == "access_list"][["project_id", "layer", "zone_id",
                                                          "verdict", "rule"]]
    judged = judged.rename(columns={"zone_id": "clause_id"})
    out = a.merge(judged, on=["project_id", "layer", "clause_id"], how="left")
    out = out.drop(columns=["unit_code", "unit_name"]).rename(
        columns={"zone_code": "unit_code", "zone_name": "unit_name"})
    out["targets"] = [
        {"industries": list(i), "industry_words": list(w), "exceptions": list(e),
         "project_types": list(t), "pollutants": list(p)}
        for i, w, e, t, p in zip(out["industries"], out["industry_words"], out["exceptions"],
                                 out["project_types"], out["pollutants"], strict=True)]
    out = out[list(APPLICABLE_COLUMNS)].reset_index(drop=True)
    for column in ("verdict", "rule", "number", "unit_name", "matched"):
        out[column] = text_column(out[column])
    return out
