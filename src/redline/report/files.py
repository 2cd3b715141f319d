"""Write a result to an output folder: ``result.json``, the geometry of findings, reports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from ..result import Result

#: Output formats this version writes.
FORMATS = ("json", "geojson", "gpkg", "html", "docx", "xlsx", "csv", "png", "svg")

_FINDING_FIELDS = ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                   "zone_code", "relation", "overlap_m2", "overlap_pct", "overlap_length_m",
                   "distance_m", "verdict", "rule", "basis")
_PROJECT_FIELDS = ("project_id", "name", "kind", "source", "crs_in", "industry", "area_m2",
                   "length_m", "verdict")


def write_outputs(result: Result, outdir: str | Path, formats: Iterable[str] = ("json", "gpkg"),
                  *, lang: str = "zh", map_options: dict | None = None) -> list[Path]:
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
        ``findings.geojson``; ``html`` → ``report.html`` (figures and interactive map
        embedded) and ``map.html``; ``docx`` → ``report.docx``; ``xlsx`` →
        ``projects.xlsx``; ``csv`` → ``projects.csv`` and ``findings.csv``; ``png`` /
        ``svg`` → ``figure-<project id>.png`` / ``.svg`` per project.
    lang
        Language of messages.
    map_options
        Keyword arguments for the interactive map (``basemap``, ``tianditu_key``,
        ``offline``; see :func:`redline.report.webmap.make_map`).

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
    written += _write_documents(result, outdir, formats, lang, map_options or {})
    return written


def _write_documents(result: Result, outdir: Path, formats: list[str], lang: str,
                     map_options: dict) -> list[Path]:
    # imported here: the renderers pull in matplotlib, folium and python-docx
    written: list[Path] = []
    static = [f for f in ("png", "svg") if f in formats]
    rendered = None
    if static or "html" in formats or "docx" in formats:
        from .figure import render_figures

        # each project is drawn once, for the files and the documents alike
        rendered = render_figures(result, sorted({"png", *static}), lang=lang)
    pngs = {pid: encoded["png"] for pid, encoded in (rendered or {}).items()}
    if "html" in formats:
        from .html import write_html
        from .webmap import make_map

        written.append(write_html(result, outdir / "report.html", lang=lang, figures=pngs,
                                  **map_options))
        path = outdir / "map.html"
        make_map(result, lang=lang, **map_options).save(str(path))
        written.append(path)
    if "docx" in formats:
        from .word import write_docx

        written.append(write_docx(result, outdir / "report.docx", lang=lang, figures=pngs))
    if "xlsx" in formats:
        from .spreadsheet import write_xlsx

        written.append(write_xlsx(result, outdir / "projects.xlsx", lang=lang))
    if "csv" in formats:
        from .spreadsheet import write_csv

        written += write_csv(result, outdir, lang=lang)
    if static:
        from .figure import save_figures

        written += save_figures(result, outdir, static, lang=lang, rendered=rendered)
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
