"""What the documents show, read off a :class:`~redline.result.Result` once.

The HTML, Word and spreadsheet renderers all present the same facts: a project's
overview, its verdict and reasons, one row per control layer, the control units it
lies in, and where the data came from. This module turns a result into those plain
rows (texts for display, numbers kept for spreadsheets) so every renderer says the
same thing. Nothing here measures geometry: every number comes from the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import shapely

from .._version import __version__
from ..kinds import KINDS, class_title
from ..result import ILLUSTRATIVE_NOTE, KIND_LABELS, RELATION_LABELS, VERDICT_LABELS, Result, label
from ._i18n import t
from .style import VERDICT_COLORS, VERDICT_TINTS

#: Layer kinds that say where a project is rather than what it touches; they get their
#: own place in the report (overview, control units) instead of a detail row.
MEMBERSHIP_KINDS = ("admin", "control_unit")
#: Layer kinds with a section of their own (生态环境准入清单符合性分析), not detail rows.
SECTION_KINDS = (*MEMBERSHIP_KINDS, "access_list")
#: Access-list clause effects and match statuses as shown in the documents.
EFFECT_LABELS = {"prohibition": ("禁止", "prohibition"), "restriction": ("限制", "restriction"),
                 "requirement": ("要求", "requirement")}
_STATUS_LABELS = {
    "targeted": ("涉及", "applies"),
    "general": ("普遍适用", "applies to all"),
    "excepted": ("例外,不适用", "excepted"),
    "unknown_industry": ("无法核对(缺行业代码)", "not checked (no industry code)"),
    "not_targeted": ("不涉及", "does not concern the project"),
}
#: Clause statuses listed in the access-list section (``not_targeted`` is only counted).
SHOWN_STATUSES = ("targeted", "general", "excepted", "unknown_industry")
#: Control-unit attributes holding the four kinds of requirement (DOMAIN §3).
UNIT_CLAUSES: dict[str, tuple[str, str]] = {
    "KJBJYS": ("空间布局约束", "spatial layout"),
    "PWWPFGK": ("污染物排放管控", "pollutant discharge"),
    "HJFXFK": ("环境风险防控", "environmental risk"),
    "ZYKFXLYQ": ("资源开发效率要求", "resource efficiency"),
}
_INVOLVEMENT = {"overlaps": "involved_yes", "inside": "involved_yes", "touches": "involved_yes",
                "near": "involved_near", "downstream": "involved_near",
                "outside": "involved_outside"}


@dataclass
class LayerRow:
    """One row of 管控要素明细: a finding, or a layer the project does not involve."""

    layer_id: str
    layer_title: str
    involvement: str
    involved: bool
    zone: str = "—"
    relation: str = "—"
    overlap: str = "—"
    share: str = "—"
    distance: str = "—"
    verdict: str | None = None
    verdict_label: str = "—"
    rule: str = "—"
    basis: str = "—"
    message: str = ""
    # raw numbers for spreadsheets
    overlap_m2: float | None = None
    overlap_length_m: float | None = None
    overlap_pct: float | None = None
    distance_m: float | None = None

    @property
    def color(self) -> str:
        """Tint of the verdict (for table cells)."""
        return VERDICT_TINTS.get(self.verdict, "#ffffff") if self.involved else "#ffffff"


@dataclass
class UnitRow:
    """One control unit the project lies in."""

    code: str
    name: str
    unit_class: str
    share: str
    clauses: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ClauseRow:
    """One access-list clause that applies to a project (or was excepted or not checked)."""

    scope: str
    number: str
    text: str
    effect: str
    status: str
    status_label: str
    matched: str
    verdict: str | None
    verdict_label: str
    row: int

    @property
    def conflict(self) -> bool:
        """True when the clause made a non-clear finding (a conflict with the list)."""
        return self.verdict not in (None, "clear")

    @property
    def color(self) -> str:
        """Tint of the verdict (white when there is no conflict)."""
        return VERDICT_TINTS.get(self.verdict, "#ffffff") if self.conflict else "#ffffff"


@dataclass
class AccessView:
    """生态环境准入清单符合性分析 of one project.

    ``groups`` holds ``(dimension title, rows)`` in the order of the four dimensions
    (空间布局约束, 污染物排放管控, 环境风险防控, 资源开发效率要求).
    """

    has_list: bool
    groups: list[tuple[str, list[ClauseRow]]]
    applicable: int
    conflicts: int
    not_concerned: int
    unchecked: int
    notes: list[str]
    summary: str

    @property
    def rows(self) -> list[ClauseRow]:
        """All rows, dimension by dimension."""
        return [r for _, rows in self.groups for r in rows]


@dataclass
class ProjectView:
    """Everything the documents say about one project."""

    id: str
    name: str
    kind: str
    kind_label: str
    facts: list[tuple[str, str]]
    verdict: str | None
    verdict_label: str
    reasons: list[str]
    errors: list[str]
    warnings: list[str]
    rows: list[LayerRow]
    units: list[UnitRow]
    admin: str
    size: str
    area_m2: float | None
    length_m: float | None
    access: AccessView | None = None

    @property
    def color(self) -> str:
        """Colour of the verdict."""
        return VERDICT_COLORS.get(self.verdict, VERDICT_COLORS[None])

    @property
    def tint(self) -> str:
        """Light tint of the verdict."""
        return VERDICT_TINTS.get(self.verdict, VERDICT_TINTS[None])

    @property
    def title(self) -> str:
        """``id name`` for headings."""
        return f"{self.id} {self.name}".strip()


@dataclass
class Sources:
    """Provenance: pack, layers, ruleset, tool, time and settings (数据来源)."""

    pack_title: str
    pack_id: str
    pack_version: str
    catalog_sha256: str
    layers: list[dict[str, Any]]
    ruleset: str
    ruleset_files: list[dict[str, Any]]
    in_force: str
    tool: str
    generated_at: str
    settings: list[tuple[str, str]]
    illustrative: bool
    notice: str


def number(value: Any) -> float | None:
    """A float, or ``None`` for missing/NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def dms(value: float, positive: str, negative: str) -> str:
    """Degrees as ``116°48′12.34″E``-style text."""
    hemi = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = (minutes_f - minutes) * 60
    if seconds >= 59.995:  # keep 60.00″ from appearing after rounding
        seconds, minutes = 0.0, minutes + 1
    if minutes == 60:
        minutes, degrees = 0, degrees + 1
    return f"{degrees}°{minutes:02d}′{seconds:05.2f}″{hemi}"


def location_text(geom, lang: str) -> str:
    """The centre of a geometry as longitude/latitude text."""
    if geom is None or shapely.is_empty(geom):
        return "—"
    point = shapely.point_on_surface(geom) if geom.geom_type.endswith("Polygon") else geom.centroid
    if lang == "zh":
        return f"东经 {dms(point.x, '', '')},北纬 {dms(point.y, '', '')}"
    return f"{dms(point.x, 'E', 'W')}, {dms(point.y, 'N', 'S')}"


def extent_text(geom) -> str:
    """The lon/lat bounding box of a geometry."""
    if geom is None or shapely.is_empty(geom):
        return "—"
    x0, y0, x1, y1 = geom.bounds
    return f"{x0:.6f}, {y0:.6f} — {x1:.6f}, {y1:.6f}"


def size_text(area_m2: float | None, length_m: float | None, lang: str) -> str:
    """Area in m² and hectares, or length in metres."""
    if area_m2 is not None:
        return f"{area_m2:,.1f} m²({area_m2 / 1e4:,.4f} {'公顷' if lang == 'zh' else 'ha'})" \
            if lang == "zh" else f"{area_m2:,.1f} m² ({area_m2 / 1e4:,.4f} ha)"
    if length_m is not None:
        return f"{length_m:,.1f} m"
    return "—"


def layer_title(result: Result, layer_id: str, kind: str, lang: str) -> str:
    """A layer's display name: its catalog title in zh, the kind's English name in en."""
    if kind == "coverage":
        return t("coverage", lang)
    try:
        title = result.pack.layer(layer_id).spec.title
    except KeyError:
        title = layer_id
    if lang == "en" and kind in KINDS:
        return KINDS[kind].title_en + (f" ({layer_id})" if layer_id != kind else "")
    return title


def zone_text(f: Any, lang: str, kind: str | None = None) -> str:
    """A finding's (or a zone's, given its layer ``kind``) name or id, and class."""
    zone = f.zone_name or f.zone_id or ""
    cls = class_title(kind or f.kind, f.zone_class, lang)
    if zone and cls:
        return f"{zone}({cls})" if lang == "zh" else f"{zone} ({cls})"
    return zone or cls or "—"


def _finding_row(result: Result, f: Any, lang: str) -> LayerRow:
    overlap_m2, overlap_len = number(f.overlap_m2), number(f.overlap_length_m)
    pct, dist = number(f.overlap_pct), number(f.distance_m)
    if overlap_m2 is not None and (overlap_m2 > 0.05 or f.relation != "touches"):
        overlap = f"{overlap_m2:,.1f} m²"
    elif overlap_len is not None and (overlap_len > 0.05 or f.relation != "touches"):
        overlap = f"{overlap_len:,.1f} m"
    else:
        overlap = "—"
    shown_pct = pct if f.relation in ("overlaps", "inside", "outside") else None
    shown_dist = dist if f.relation in ("near", "downstream", "touches") else None
    return LayerRow(
        layer_id=f.layer, layer_title=layer_title(result, f.layer, f.kind, lang),
        involvement=t(_INVOLVEMENT.get(f.relation, "involved_yes"), lang), involved=True,
        zone=zone_text(f, lang), relation=label(RELATION_LABELS, f.relation, lang),
        overlap=overlap, share=f"{shown_pct:.1f}%" if shown_pct is not None else "—",
        distance=f"{shown_dist:,.1f} m" if shown_dist is not None else "—",
        verdict=f.verdict, verdict_label=label(VERDICT_LABELS, f.verdict, lang),
        rule=f.rule or "—", basis=(f.basis_en if lang == "en" else f.basis) or "—",
        message=(f.message_en if lang == "en" else f.message_zh) or "",
        overlap_m2=overlap_m2, overlap_length_m=overlap_len, overlap_pct=pct, distance_m=dist,
    )


def detail_layers(result: Result) -> list[tuple[str, str]]:
    """``(layer id, kind)`` of the layers that get rows in 管控要素明细, in catalog order."""
    vectors = [(layer.id, layer.kind) for layer in result.pack.layers
               if layer.kind not in SECTION_KINDS]
    # raster layers give findings only when they map values to classes
    return vectors + [(layer.id, layer.kind) for layer in getattr(result.pack, "rasters", [])
                      if layer.classes]


def _plain_findings(result: Result, project_id: str) -> pd.DataFrame:
    """A project's findings without geometry (plain pandas filters are much faster)."""
    f = result.findings
    return pd.DataFrame(f.drop(columns="geometry")[f["project_id"].to_numpy() == project_id])


def layer_rows(result: Result, project_id: str, lang: str,
               findings: pd.DataFrame | None = None) -> list[LayerRow]:
    """One row per finding of each detail layer, and one per layer not involved."""
    findings = _plain_findings(result, project_id) if findings is None else findings
    rows: list[LayerRow] = []
    coverage = findings[findings["kind"] == "coverage"]
    rows += [_finding_row(result, f, lang) for f in coverage.itertuples()]
    for layer_id, kind in detail_layers(result):
        mine = findings[(findings["layer"] == layer_id) & (findings["kind"] == kind)]
        if len(mine):
            rows += [_finding_row(result, f, lang) for f in mine.itertuples()]
        else:
            rows.append(LayerRow(layer_id=layer_id,
                                 layer_title=layer_title(result, layer_id, kind, lang),
                                 involvement=t("involved_no", lang), involved=False))
    return rows


def unit_rows(result: Result, project_id: str, lang: str,
              findings: pd.DataFrame | None = None) -> list[UnitRow]:
    """The control units a project lies in, with their requirements when the pack has them."""
    findings = _plain_findings(result, project_id) if findings is None else findings
    units = findings[findings["kind"] == "control_unit"]
    out = []
    for u in units.itertuples():
        clauses: list[tuple[str, str]] = []
        try:
            zones = result.pack.layer(u.layer).zones
        except KeyError:
            zones = None
        if zones is not None and 0 <= int(u.zone_index) < len(zones):
            attrs = zones.iloc[int(u.zone_index)]
            for column, names in UNIT_CLAUSES.items():
                value = attrs.get(column)
                if isinstance(value, str) and value.strip():
                    clauses.append((names[1] if lang == "en" else names[0], value.strip()))
        pct = number(u.overlap_pct)
        out.append(UnitRow(code=u.zone_code or u.zone_id or "—", name=u.zone_name or "—",
                           unit_class=class_title(u.kind, u.zone_class, lang) or "—",
                           share=f"{pct:.1f}%" if pct is not None else "—", clauses=clauses))
    return out


def access_view(result: Result, project_id: str, industry: str | None,
                lang: str = "zh", clauses: pd.DataFrame | None = None) -> AccessView:
    """The access-list clauses of one project, grouped by dimension, with conflicts marked.

    Everything comes from :attr:`Result.clauses` (the matching was done by the screen):
    clauses that apply (``targeted``, ``general``), that were ``excepted`` or that could
    not be checked for lack of an industry code are listed; those that do not concern
    the project are only counted.
    """
    from ..access.clauses import DIMENSIONS, dimension_title

    zh = lang == "zh"
    industry = industry if isinstance(industry, str) and industry else None
    has_list = bool(result.pack.tables)
    if clauses is None:
        clauses = result.clauses_of(project_id)
    if not has_list:
        return AccessView(False, [], 0, 0, 0, 0, [t("access_no_list", lang)], "—")
    if clauses.empty:
        return AccessView(True, [], 0, 0, 0, 0, [t("access_no_clauses", lang)],
                          t("access_no_clauses_short", lang))
    status = clauses["status"]
    shown = clauses[status.isin(SHOWN_STATUSES)]
    rows_by_dim: dict[str, list[ClauseRow]] = {}
    for c in shown.itertuples():
        verdict = c.verdict if isinstance(c.verdict, str) else None
        rows_by_dim.setdefault(c.dimension if isinstance(c.dimension, str) else "", []).append(ClauseRow(
            scope=str(c.scope_label or "—"), number=str(c.number or ""), text=str(c.text),
            effect=label(EFFECT_LABELS, c.effect, lang) if c.effect in EFFECT_LABELS else "—",
            status=c.status, status_label=label(_STATUS_LABELS, c.status, lang),
            matched=str(c.matched) if isinstance(c.matched, str) else "",
            verdict=verdict, verdict_label=label(VERDICT_LABELS, verdict, lang) if verdict
            else t("access_comply", lang) if c.status in ("targeted", "general")
            else t("access_verify", lang) if c.status == "unknown_industry" else "—",
            row=int(c.row)))
    order = [*DIMENSIONS, *(d for d in rows_by_dim if d not in DIMENSIONS)]
    groups = [(dimension_title(d, lang) if d else t("access_other", lang), rows_by_dim[d])
              for d in order if d in rows_by_dim]
    applicable = int(status.isin(["targeted", "general"]).sum())
    conflicts = sum(r.conflict for _, rows in groups for r in rows)
    not_concerned = int(status.isin(["not_targeted", "excepted"]).sum())
    unchecked = int((status == "unknown_industry").sum())
    notes = []
    if zh:
        notes.append(f"所在管控单元适用的准入清单条款 {applicable} 条,其中与本项目冲突 {conflicts} 条;"
                     f"另有 {not_concerned} 条经核对不涉及本项目(含例外)。")
    else:
        notes.append(f"{applicable} clause(s) of the access list apply to the unit(s) the project "
                     f"lies in, {conflicts} of them conflict with it; {not_concerned} more were "
                     "checked and do not concern it (or except it).")
    if not industry:
        notes.append(t("access_no_industry", lang).format(n=unchecked))
    summary = _access_summary(conflicts, applicable, bool(industry), lang)
    return AccessView(True, groups, applicable, conflicts, not_concerned, unchecked, notes, summary)


def _access_summary(conflicts: int, applicable: int, has_industry: bool, lang: str) -> str:
    zh = lang == "zh"
    text = (f"冲突 {conflicts} 条 / 适用 {applicable} 条" if zh
            else f"{conflicts} conflict(s) / {applicable} applicable")
    if not has_industry:
        text += ";未给行业代码,未能核对" if zh else "; no industry code, not checked"
    return text


def access_summaries(result: Result, lang: str = "zh") -> list[str]:
    """The one-line access-list summary of every project (for spreadsheets), in result order."""
    p = result.projects
    if not result.pack.tables:
        return ["—"] * len(p)
    c = result.clauses if result.clauses is not None else pd.DataFrame(
        columns=["project_id", "status", "verdict"])
    applicable = c[c["status"].isin(["targeted", "general"])].groupby("project_id").size()
    conflict = c["status"].isin(SHOWN_STATUSES) & c["verdict"].notna() & (c["verdict"] != "clear")
    conflicts = c[conflict].groupby("project_id").size()
    listed = set(c["project_id"])
    return [_access_summary(int(conflicts.get(pid, 0)), int(applicable.get(pid, 0)),
                            isinstance(industry, str) and bool(industry), lang) if pid in listed
            else t("access_no_clauses_short", lang)
            for pid, industry in zip(p["project_id"], p["industry"], strict=True)]


def land_cover_text(rows: Any, lang: str = "zh") -> str:
    """占地类型 of a project (its ``land_cover`` rows): ``林地 1,234.5 m²(45.0%)、…``."""
    if not isinstance(rows, list) or not rows:
        return ""
    zh = lang == "zh"
    parts = []
    for r in rows:
        name = r.get("name_zh" if zh else "name_en") or r.get("code") or "?"
        area, length, pct = number(r.get("area_m2")), number(r.get("length_m")), number(
            r.get("share_pct"))
        amount = f"{area:,.1f} m²" if area is not None else \
            f"{length:,.1f} m" if length is not None else ""
        share = "" if pct is None else (f"({pct:.1f}%)" if zh else f" ({pct:.1f}%)")
        parts.append(f"{name} {amount}{share}".replace("  ", " ").strip())
    return ("、" if zh else "; ").join(parts)


def terrain_text(rows: Any, lang: str = "zh") -> str:
    """Elevation and slope of a project (its ``terrain`` rows), one DEM after another."""
    if not isinstance(rows, list) or not rows:
        return ""
    zh = lang == "zh"
    parts = []
    for r in rows:
        e = [number(r.get(k)) for k in ("elevation_min", "elevation_mean", "elevation_max")]
        g = [number(r.get(k)) for k in ("slope_min_deg", "slope_mean_deg", "slope_max_deg")]
        bits = []
        if None not in e:
            bits.append(f"高程 {e[0]:,.1f}–{e[2]:,.1f} m(均值 {e[1]:,.1f} m)" if zh
                        else f"elevation {e[0]:,.1f}–{e[2]:,.1f} m (mean {e[1]:,.1f} m)")
        if None not in g:
            bits.append(f"坡度 {g[0]:.1f}°–{g[2]:.1f}°(均值 {g[1]:.1f}°)" if zh
                        else f"slope {g[0]:.1f}–{g[2]:.1f}° (mean {g[1]:.1f}°)")
        if bits:
            parts.append((",".join(bits)) if zh else ", ".join(bits))
    return (";" if zh else "; ").join(parts)


def project_view(result: Result, row: Any, lang: str = "zh",
                 findings: pd.DataFrame | None = None,
                 clauses: pd.DataFrame | None = None) -> ProjectView:
    """The facts shown for one project (a row of ``result.projects``)."""
    if findings is None:
        findings = _plain_findings(result, row.project_id)
    area, length = number(row.area_m2), number(row.length_m)
    admin = "、".join(f"{a['name']}({a['code']})" for a in row.admin) if lang == "zh" else \
        ", ".join(f"{a['name']} ({a['code']})" for a in row.admin)
    size = size_text(area, length, lang)
    size_key = "area" if area is not None else "length" if length is not None else "size"
    facts = [
        (t("id", lang), str(row.project_id)),
        (t("name", lang), row.name or "—"),
        (t("kind", lang), label(KIND_LABELS, row.kind, lang)),
        (t(size_key, lang), size),
        (t("location", lang), location_text(row.geometry, lang)),
        (t("extent", lang), extent_text(row.geometry)),
        (t("admin", lang), admin or "—"),
        (t("industry", lang), row.industry or "—"),
        (t("project_types", lang), ", ".join(row.project_types) or "—"),
        (t("crs_in", lang), row.crs_in or "—"),
        (t("source", lang), row.source or "—"),
    ]
    land_use = getattr(row, "land_use", None)
    if isinstance(land_use, str) and land_use:
        facts.insert(9, (t("land_use", lang), land_use))
    cover = land_cover_text(getattr(row, "land_cover", None), lang)
    if cover:
        facts.insert(-2, (t("land_cover", lang), cover))
    terrain = terrain_text(getattr(row, "terrain", None), lang)
    if terrain:
        facts.insert(-2, (t("terrain", lang), terrain))
    return ProjectView(
        id=str(row.project_id), name=row.name or "", kind=row.kind,
        kind_label=label(KIND_LABELS, row.kind, lang), facts=facts, verdict=row.verdict,
        verdict_label=label(VERDICT_LABELS, row.verdict, lang),
        reasons=result.reasons(row.project_id, lang) if row.verdict else [],
        errors=list(row.errors), warnings=list(row.warnings),
        rows=layer_rows(result, row.project_id, lang, findings),
        units=unit_rows(result, row.project_id, lang, findings), admin=admin or "—", size=size,
        area_m2=area, length_m=length,
        access=access_view(result, row.project_id, row.industry, lang, clauses),
    )


def project_views(result: Result, lang: str = "zh") -> list[ProjectView]:
    """:func:`project_view` for every project, in result order."""
    plain = pd.DataFrame(result.findings.drop(columns="geometry"))
    groups = dict(tuple(plain.groupby("project_id", sort=False)))
    empty = plain.iloc[0:0]
    clauses = result.clauses if result.clauses is not None else pd.DataFrame(
        columns=["project_id"])
    by_project = dict(tuple(clauses.groupby("project_id", sort=False)))
    no_clauses = clauses.iloc[0:0]
    return [project_view(result, row, lang, groups.get(row.project_id, empty),
                         by_project.get(row.project_id, no_clauses))
            for row in result.projects.itertuples(index=False)]


def sources(result: Result, lang: str = "zh") -> Sources:
    """Where the data and rules came from (数据来源)."""
    pack = result.pack
    s = result.settings
    layers = [{"id": layer.id, "title": layer.spec.title,
               "kind": (KINDS[layer.kind].title_en if lang == "en" else KINDS[layer.kind].title_zh)
               if layer.kind in KINDS else layer.kind,
               "features": len(layer.zones), "sha256": layer.sha256} for layer in pack.layers]
    kind = KINDS["access_list"]
    layers += [{"id": table_id, "title": table.title,
                "kind": kind.title_en if lang == "en" else kind.title_zh,
                "features": len(table.clauses), "sha256": table.sha256}
               for table_id, table in pack.tables.items()]
    for raster in getattr(pack, "rasters", []):
        grid = raster.describe().get("raster", {})
        kind_info = KINDS.get(raster.kind)
        layers.append({
            "id": raster.id, "title": raster.spec.title,
            "kind": (kind_info.title_en if lang == "en" else kind_info.title_zh)
            if kind_info else raster.kind,
            "features": f"{grid.get('width', '?')}×{grid.get('height', '?')}"
                        + (" 栅格" if lang == "zh" else " cells"),
            "sha256": raster.sha256})
    rules = result.ruleset.describe()
    return Sources(
        pack_title=pack.title_for(lang), pack_id=pack.id, pack_version=pack.version,
        catalog_sha256=pack.catalog_sha256, layers=layers,
        ruleset=f"{rules.get('id', '')} {rules.get('version', '')}".strip(),
        ruleset_files=list(rules.get("files", [])), in_force=result.rules_in_force_on,
        tool=f"redline {__version__}", generated_at=result.generated_at,
        settings=[(t("buffer", lang), f"{s.buffer_m:g} m"),
                  (t("sliver", lang), f"{s.sliver_m2:g} m² / {s.sliver_width_m:g} m"),
                  (t("upstream", lang), f"{s.upstream_m:g} m")],
        illustrative=result.illustrative,
        notice=label({0: ILLUSTRATIVE_NOTE}, 0, lang),
    )
