"""Write a result to an output folder: ``result.json`` and the geometry of findings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from ..result import Result

#: Output formats this version writes.
FORMATS = ("json", "geojson", "gpkg")

_FINDING_FIELDS = ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                   "zone_code", "relation", "overlap_m2", "overlap_pct", "overlap_length_m",
                   "distance_m", "verdict", "rule", "basis")
_PROJECT_FIELDS = ("project_id", "name", "kind", "source", "crs_in", "industry", "area_m2",
                   "length_m", "verdict")


def write_outputs(result: Result, outdir: str | Path, formats: Iterable[str] = ("json", "gpkg"),
                  *, lang: str = "zh") -> list[Path]:
    """Write the chosen formats into ``outdir`` (created if needed).

    Parameters
    ----------
    result
        The screening result.
    outdir
        Output folder.
    formats
        Any of :data:`FORMATS`: ``json`` → ``result.json``; ``gpkg`` → ``result.gpkg``
        with layers ``projects`` and ``findings``; ``geojson`` → ``projects.geojson`` and
        ``findings.geojson``.
    lang
        Language of messages.

    Returns
    -------
    list of Path
        The files written.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    formats = list(dict.fromkeys(formats))
    if "json" in formats:
        path = outdir / "result.json"
        path.write_text(result.to_json(lang) + "\n", encoding="utf-8")
        written.append(path)
    projects, findings = _tables(result, lang)
    if "gpkg" in formats:
        path = outdir / "result.gpkg"
        path.unlink(missing_ok=True)
        projects.to_file(path, layer="projects", driver="GPKG", engine="pyogrio")
        findings.to_file(path, layer="findings", driver="GPKG", engine="pyogrio")
        written.append(path)
    if "geojson" in formats:
        for name, frame in (("projects", projects), ("findings", findings)):
            path = outdir / f"{name}.geojson"
            path.unlink(missing_ok=True)
            frame.to_file(path, driver="GeoJSON", engine="pyogrio")
            written.append(path)
    return written


def _tables(result: Result, lang: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    projects = result.projects[[*_PROJECT_FIELDS, "geometry"]].copy()
    projects["errors"] = result.projects["errors"].map("; ".join)
    projects["warnings"] = result.projects["warnings"].map("; ".join)
    if "land_cover" in result.projects and result.projects["land_cover"].map(len).any():
        projects["land_cover"] = result.projects["land_cover"].map(
            lambda rows: _land_cover_text(rows, lang))
    findings = result.findings[[*_FINDING_FIELDS, "geometry"]].copy()
    if lang == "en":
        findings["basis"] = result.findings["basis_en"]
    findings["message"] = result.findings["message_en" if lang == "en" else "message_zh"]
    if result.illustrative:
        for frame in (projects, findings):
            frame["notice"] = "ILLUSTRATIVE demo data, not official"
    return projects, findings


def _land_cover_text(rows: list[dict], lang: str) -> str:
    """占地类型 in one cell: ``耕地 1234.5 m² (45.0%); …`` (length for lines)."""
    name = "name_en" if lang == "en" else "name_zh"
    parts = []
    for r in rows:
        amount = (f"{r['area_m2']:.1f} m²" if r["area_m2"] is not None
                  else f"{r['length_m']:.1f} m" if r["length_m"] is not None else "")
        parts.append(f"{r[name]} {amount} ({r['share_pct']:.1f}%)".replace("  ", " "))
    return "; ".join(parts)
