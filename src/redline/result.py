"""The result of a screening: projects and findings with verdicts, and provenance.

:class:`Result` is the plain object that the rules produce and every renderer reads.
:meth:`Result.to_dict` is the result document of DESIGN §2.2 (``redline.result/1``);
keys are only ever added to it, never renamed or removed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ._version import __version__
from .kinds import KINDS, class_title
from .settings import Settings

if TYPE_CHECKING:
    from .pack import Pack

SCHEMA = "redline.result/1"

VERDICT_LABELS = {
    "prohibited": ("禁止", "prohibited"),
    "restricted": ("限制", "restricted"),
    "attention": ("需关注", "attention"),
    "clear": ("未涉及", "clear"),
    None: ("未筛查", "not screened"),
}
RELATION_LABELS = {
    "overlaps": ("重叠", "overlaps"),
    "inside": ("位于其内", "inside"),
    "touches": ("边界相接", "touches"),
    "near": ("邻近", "near"),
    "outside": ("位于其外", "outside"),
    "downstream": ("位于下游", "downstream"),
}
KIND_LABELS = {
    "footprint": ("面状项目", "footprint"), "linear": ("线性工程", "linear"),
    "outfall": ("排污口", "outfall"), "site": ("点位项目", "site"),
}
ILLUSTRATIVE_NOTE = (
    "示意数据,非官方成果,不得用于实际审查",
    "ILLUSTRATIVE data, not official; not for real reviews",
)


def label(table: dict, key: Any, lang: str) -> str:
    """Look up a (zh, en) label pair."""
    pair = table.get(key, (str(key), str(key)))
    return pair[0] if lang == "zh" else pair[1]


@dataclass
class Result:
    """Projects and findings with verdicts, and what produced them.

    Attributes
    ----------
    projects
        One row per project (EPSG:4490): the reader's columns, ``area_m2``,
        ``length_m``, ``verdict`` (``None`` when it could not be screened) and
        ``admin`` (list of ``{"code", "name"}``).
    findings
        One row per finding (EPSG:4490; geometry = the overlap piece, the line to a
        near zone, the part outside or the river path), with the engine's columns plus
        ``verdict``, ``rule``, ``basis``, ``basis_en``, ``message_zh``, ``message_en``.
    pack, ruleset, settings
        What the projects were screened against and how.
    generated_at
        ISO timestamp.
    rules_in_force_on
        The date whose law the rules applied.
    land_cover
        Land-cover occupation from the pack's ``land_cover`` rasters: one row per
        project, layer and class (``part == "class"``), plus rows for the parts with no
        data (``"nodata"``) and outside the raster (``"outside"``); columns
        :data:`redline.raster.LAND_COVER_COLUMNS`. Plain numbers for renderers (the
        占地类型 table); ``None`` or empty when the pack has no land-cover layer.
    terrain
        Elevation and slope statistics from the pack's ``terrain`` rasters, one row per
        project and layer (:data:`redline.raster.TERRAIN_COLUMNS`).
    clauses
        The access-list clauses (生态环境准入清单) that apply to each project, one row per
        (project, clause): ``project_id``, ``layer``, ``unit_code``/``unit_name`` (the unit
        the project lies in), ``clause_id``, ``row`` (of the source table), ``scope``
        (``all``/``province``/``city``/``county``/``unit_class``/``unit``), ``scope_label``,
        ``dimension``, ``number``, verbatim ``text``, ``effect``
        (``prohibition``/``restriction``/``requirement``), ``conditional``, ``conditions``,
        ``targets``, ``status`` (``targeted``, ``excepted``, ``not_targeted``,
        ``unknown_industry`` or ``general``), ``matched``, and ``verdict``/``rule`` where the
        clause became a finding. Empty when the pack has no access list.
    """

    projects: gpd.GeoDataFrame
    findings: gpd.GeoDataFrame
    pack: Pack
    ruleset: Any  # redline.rules.Ruleset; not imported here, the rules sit upstream of results
    settings: Settings
    generated_at: str
    rules_in_force_on: str
    land_cover: pd.DataFrame | None = None
    terrain: pd.DataFrame | None = None
    clauses: pd.DataFrame | None = None

    @property
    def illustrative(self) -> bool:
        """True when the pack is demo data that must be labelled as such."""
        return self.pack.illustrative

    def findings_of(self, project_id: str) -> gpd.GeoDataFrame:
        """The findings of one project, most severe first."""
        return self.findings[self.findings["project_id"] == project_id]

    def reasons(self, project_id: str, lang: str = "zh") -> list[str]:
        """One sentence per finding that is not ``clear``, most severe first."""
        rows = self.findings_of(project_id)
        rows = rows[rows["verdict"] != "clear"]
        return [describe_finding(row, self.pack, lang) for row in rows.itertuples()]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The result document (``redline.result/1``, DESIGN §2.2).

        Parameters
        ----------
        lang
            Language of ``reasons`` and finding messages (``zh`` or ``en``).
        """
        doc: dict[str, Any] = {
            "schema": SCHEMA,
            "generated_at": self.generated_at,
            "tool": {"name": "redline", "version": __version__},
            "pack": self.pack.describe(),
            "rules": {**self.ruleset.describe(), "in_force_on": self.rules_in_force_on},
            "settings": self.settings.to_dict(),
        }
        if self.illustrative:
            doc["notice"] = label({0: ILLUSTRATIVE_NOTE}, 0, lang)
        by_project = dict(tuple(self.findings.groupby("project_id", sort=False)))
        empty = self.findings.iloc[0:0]
        doc["projects"] = [self._project_dict(row, by_project.get(row.project_id, empty), lang)
                           for row in self.projects.itertuples(index=False)]
        return doc

    def explore(self, **options: Any):
        """The interactive map of this result (a ``folium.Map``; shows itself in a notebook).

        Keyword arguments go to :func:`redline.report.webmap.make_map` (``project_id``,
        ``lang``, ``basemap``, ``tianditu_key``, ``offline`` …).
        """
        from .report.webmap import make_map

        return make_map(self, **options)

    def to_json(self, lang: str = "zh", indent: int | None = 2) -> str:
        """The result document as JSON text (UTF-8, non-ASCII kept)."""
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=indent)

    def land_cover_of(self, project_id: str) -> pd.DataFrame:
        """The land-cover rows of one project (classes by decreasing area, then uncovered)."""
        table = self.land_cover
        if table is None or len(table) == 0:
            return _empty_like(table)
        return table[table["project_id"] == project_id]

    def terrain_of(self, project_id: str) -> pd.DataFrame:
        """The terrain rows of one project (one per terrain layer)."""
        table = self.terrain
        if table is None or len(table) == 0:
            return _empty_like(table)
        return table[table["project_id"] == project_id]

    def _raster_blocks(self, project_id: str, lang: str) -> dict[str, Any]:
        """``land_cover`` and ``terrain`` blocks, present when the pack has such layers."""
        out: dict[str, Any] = {}
        rasters = getattr(self.pack, "rasters", [])
        land = [layer for layer in rasters if layer.kind == "land_cover"]
        if land:
            rows = self.land_cover_of(project_id)
            out["land_cover"] = [_land_cover_block(layer, rows[rows["layer"] == layer.id], lang)
                                 for layer in land]
        terrain = [layer for layer in rasters if layer.kind == "terrain"]
        if terrain:
            rows = self.terrain_of(project_id)
            out["terrain"] = [_terrain_block(layer, r, lang) for layer in terrain
                              for r in rows[rows["layer"] == layer.id].itertuples()]
        return out

    def _project_dict(self, row: Any, findings: gpd.GeoDataFrame, lang: str) -> dict[str, Any]:
        units = findings[findings["kind"] == "control_unit"]
        return {
            "id": row.project_id,
            "name": row.name,
            "kind": row.kind,
            "source": row.source,
            "area_m2": _number(row.area_m2, 2),
            "length_m": _number(row.length_m, 2),
            "crs_in": row.crs_in,
            "industry": row.industry,
            "project_types": list(row.project_types),
            "land_use": getattr(row, "land_use", None),
            "pollutants": list(getattr(row, "pollutants", ()) or ()),
            "admin": list(row.admin),
            "control_units": [
                {"code": u.zone_code or u.zone_id, "name": u.zone_name, "class": u.zone_class,
                 "overlap_pct": _number(u.overlap_pct, 3)}
                for u in units.itertuples()
            ],
            "verdict": row.verdict,
            "reasons": [describe_finding(f, self.pack, lang)
                        for f in findings.itertuples() if f.verdict != "clear"]
            if row.verdict else [],
            "findings": [_finding_dict(f, lang) for f in findings.itertuples()],
            "warnings": list(row.warnings),
            "errors": list(row.errors),
            **self._raster_blocks(row.project_id, lang),
            "clauses": self._clause_dicts(row.project_id, lang),
        }

    def clauses_of(self, project_id: str) -> pd.DataFrame:
        """The access-list clauses that apply to one project (see :attr:`clauses`)."""
        if self.clauses is None or self.clauses.empty:
            return pd.DataFrame(columns=[] if self.clauses is None else self.clauses.columns)
        return self.clauses[self.clauses["project_id"] == project_id]

    def _clause_dicts(self, project_id: str, lang: str) -> list[dict[str, Any]]:
        from .access.clauses import dimension_title

        return [{
            "layer": c.layer, "id": c.clause_id, "unit": c.scope_label, "scope": c.scope,
            "unit_code": c.unit_code, "dimension": c.dimension,
            "dimension_title": dimension_title(c.dimension, lang), "number": c.number,
            "text": c.text, "effect": c.effect, "conditional": bool(c.conditional),
            "status": c.status, "matched": c.matched or None, "verdict": c.verdict,
            "rule": c.rule, "row": int(c.row),
        } for c in self.clauses_of(project_id).itertuples()]


def _empty_like(table: pd.DataFrame | None) -> pd.DataFrame:
    return table.iloc[0:0] if table is not None else pd.DataFrame()


def _land_cover_block(layer: Any, rows: pd.DataFrame, lang: str) -> dict[str, Any]:
    name = "name_en" if lang == "en" else "name_zh"

    def item(r: Any) -> dict[str, Any]:
        value = _number(r.value, 6)
        return {"value": int(value) if value is not None and value.is_integer() else value,
                "code": r.code, "name": getattr(r, name), "area_m2": _number(r.area_m2, 2),
                "length_m": _number(r.length_m, 2), "share_pct": _number(r.share_pct, 3)}

    classes = rows[rows["part"] == "class"]
    uncovered = rows[rows["part"] != "class"]
    return {
        "layer": layer.id, "title": _layer_title_of(layer, lang),
        "classes": [item(r) for r in classes.itertuples()],
        "uncovered": [{"part": r.part, **{k: v for k, v in item(r).items()
                                          if k not in ("value", "code")}}
                      for r in uncovered.itertuples()],
        "covered_pct": _number(min(100.0, float(classes["share_pct"].sum())), 3),
    }


def _terrain_block(layer: Any, r: Any, lang: str) -> dict[str, Any]:
    return {
        "layer": layer.id, "title": _layer_title_of(layer, lang),
        "elevation_min_m": _number(r.elevation_min, 2),
        "elevation_mean_m": _number(r.elevation_mean, 2),
        "elevation_max_m": _number(r.elevation_max, 2),
        "slope_min_deg": _number(r.slope_min_deg, 3), "slope_mean_deg": _number(r.slope_mean_deg, 3),
        "slope_max_deg": _number(r.slope_max_deg, 3), "covered_pct": _number(r.covered_pct, 3),
    }


def _layer_title_of(layer: Any, lang: str) -> str:
    return KINDS[layer.kind].title_en if lang == "en" else layer.spec.title


def _finding_dict(f: Any, lang: str) -> dict[str, Any]:
    return {
        "layer": f.layer, "kind": f.kind, "zone_id": f.zone_id, "zone_name": f.zone_name,
        "zone_class": f.zone_class, "zone_code": f.zone_code, "relation": f.relation,
        "overlap_m2": _number(f.overlap_m2, 2), "overlap_pct": _number(f.overlap_pct, 3),
        "overlap_length_m": _number(f.overlap_length_m, 2),
        "distance_m": _number(f.distance_m, 2),
        "verdict": f.verdict, "rule": f.rule,
        "basis": f.basis_en if lang == "en" else f.basis,
        "message": f.message_en if lang == "en" else f.message_zh,
        "clause": _clause_of(f, lang),
    }


def _clause_of(f: Any, lang: str) -> dict[str, Any] | None:
    """The access-list clause behind a finding (``None`` for other kinds)."""
    if getattr(f, "clause_id", None) is None:
        return None
    from .access.clauses import dimension_title

    return {"id": f.clause_id, "text": f.clause_text, "unit": f.clause_unit,
            "scope": f.clause_scope, "dimension": f.clause_dimension,
            "dimension_title": dimension_title(f.clause_dimension, lang),
            "number": f.clause_number, "effect": f.clause_effect,
            "conditional": bool(f.clause_conditional), "matched": f.clause_matched,
            "row": int(f.clause_row)}


def describe_finding(f: Any, pack: Pack, lang: str = "zh") -> str:
    """One sentence for a finding: verdict, layer, zone, relation, numbers, message."""
    zh = lang == "zh"
    layer_title = _layer_title(pack, f.layer, f.kind, lang)
    zone = f.zone_name or f.zone_id or ""
    cls = class_title(f.kind, f.zone_class, lang)
    what = f"{layer_title}「{zone}」" if zh and zone else (f"{layer_title} '{zone}'" if zone
                                                          else layer_title)
    if cls:
        what += f"({cls})" if zh else f" ({cls})"
    numbers = measure_text(f, lang)
    head = f"[{label(VERDICT_LABELS, f.verdict, lang)}] {what} {label(RELATION_LABELS, f.relation, lang)}"
    if numbers:
        head += f" {numbers}"
    message = f.message_zh if zh else f.message_en
    if message:
        head += (":" if zh else ": ") + message
    basis = f.basis if zh else f.basis_en
    if basis:
        head += f"(依据:{basis})" if zh else f" (basis: {basis})"
    return head


def measure_text(f: Any, lang: str = "zh") -> str:
    """The numbers of a finding as text, e.g. ``1,234.5 m² (8.1%)`` or ``320.4 m``."""
    parts = []
    # A boundary contact has no area or length worth printing; a sliver does.
    if (_number(f.overlap_m2, 2) or 0) > 0.05 or (
            f.relation != "touches" and _number(f.overlap_m2, 2) is not None):
        parts.append(f"{f.overlap_m2:,.1f} m²")
    if (_number(f.overlap_length_m, 2) or 0) > 0.05 or (
            f.relation != "touches" and _number(f.overlap_length_m, 2) is not None):
        parts.append(f"{f.overlap_length_m:,.1f} m")
    if _number(f.overlap_pct, 3) is not None and f.relation in ("overlaps", "inside", "outside"):
        parts.append(f"({f.overlap_pct:.1f}%)")
    if f.relation in ("near", "downstream") and _number(f.distance_m, 2) is not None:
        word = ("沿河距离" if f.relation == "downstream" else "距离") if lang == "zh" else (
            "along the river" if f.relation == "downstream" else "distance")
        parts.append(f"{word} {f.distance_m:,.1f} m")
    return " ".join(parts)


def _layer_title(pack: Pack, layer_id: str, kind: str, lang: str) -> str:
    if kind == "coverage":
        return "图层包覆盖范围" if lang == "zh" else "pack coverage"
    try:
        title = pack.layer(layer_id).spec.title
    except KeyError:
        table = getattr(pack, "tables", {}).get(layer_id)
        title = table.title if table is not None else layer_id
    if lang == "en" and kind in KINDS:
        return KINDS[kind].title_en
    return title


def _number(value: Any, digits: int) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return round(value, digits)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the result document, as shipped with the package."""
    from importlib import resources

    text = (resources.files("redline") / "schema" / "result-1.schema.json").read_text("utf-8")
    return json.loads(text)
