"""Spreadsheets for many projects: Excel (.xlsx) and CSV.

One row per project (verdict, reasons, and per detail layer the overlapping area or
length and the shortest distance), one row per finding, and an "about" sheet with the
provenance. Verdict cells are coloured, the header row is frozen and filtered, and
column widths fit their text.

Text from the input (project names, zone names, attributes) could start with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return and be taken for a formula by a
spreadsheet program (formula injection). In the workbook such cells are written as
text with Excel's quote prefix (the text is kept as it was, and never evaluated, even
when edited); in CSV files they get a leading apostrophe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..kinds import KINDS, class_title
from ..result import KIND_LABELS, RELATION_LABELS, VERDICT_LABELS, Result, label
from ._i18n import t
from ._model import access_summaries, detail_layers, land_cover_text, layer_title, sources
from .style import VERDICT_COLORS, VERDICT_TINTS

#: First characters that make a spreadsheet program read text as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MAX_WIDTH = 60
_AREA_FORMAT = "#,##0.0"
_PCT_FORMAT = "0.0"


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet program could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_csv(value: object) -> object:
    """Prefix formula-like text with an apostrophe (for CSV, which has no cell types)."""
    return "'" + value if is_formula_like(value) else value


# ---------------------------------------------------------------------------- tables


def project_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """One row per project: facts, verdict, reasons and per-layer overlap and distance.

    For each detail layer (every layer but admin and control units) two columns: the
    area (m², footprints) or length (m, linear projects) that overlaps or lies inside
    the layer's zones, and the shortest distance (m) to them (0 when they overlap).
    """
    zh = lang == "zh"
    p = result.projects
    f = pd.DataFrame(result.findings.drop(columns="geometry"))
    units = f[f["kind"] == "control_unit"].groupby("project_id", sort=False)["zone_code"].agg(
        lambda s: ", ".join(str(v) for v in s if v))
    reasons = {pid: result.reasons(pid, lang) for pid in p["project_id"]}
    sep = "、" if zh else ", "
    table = pd.DataFrame({
        t("id", lang): p["project_id"].astype(str).to_numpy(),
        t("name", lang): p["name"].to_numpy(),
        t("kind", lang): [label(KIND_LABELS, k, lang) for k in p["kind"]],
        t("industry", lang): p["industry"].to_numpy(),
        t("area", lang) + " (m²)": p["area_m2"].to_numpy(dtype=float),
        t("length", lang) + " (m)": p["length_m"].to_numpy(dtype=float),
        t("admin", lang): [sep.join(f"{a['name']}({a['code']})" if zh else f"{a['name']} ({a['code']})"
                                    for a in admin) for admin in p["admin"]],
        t("units", lang): p["project_id"].map(units).fillna("").to_numpy(),
        t("access_short", lang): access_summaries(result, lang),
        t("verdict", lang): [label(VERDICT_LABELS, v, lang) for v in p["verdict"]],
        "verdict": p["verdict"].to_numpy(),
        t("reasons", lang): ["\n".join(reasons[pid]) for pid in p["project_id"]],
    })
    # per-layer overlap (area or length) and shortest distance, vectorised over findings
    size = f["overlap_m2"].where(f["overlap_m2"].notna(), f["overlap_length_m"])
    inside = f["relation"].isin(["overlaps", "inside"])
    f = f.assign(size=np.where(inside, size, np.nan))
    overlap = f.groupby(["project_id", "layer"])["size"].sum(min_count=1)
    distance = f[f["relation"] != "outside"].groupby(["project_id", "layer"])["distance_m"].min()
    ids = p["project_id"].to_numpy()
    for layer_id, kind in detail_layers(result):
        title = layer_title(result, layer_id, kind, lang)
        keys = pd.MultiIndex.from_arrays([ids, np.full(len(ids), layer_id)])
        table[f"{title} {'涉及面积/长度' if zh else 'overlap'} (m²/m)"] = \
            overlap.reindex(keys).to_numpy(dtype=float)
        table[f"{title} {'最近距离' if zh else 'distance'} (m)"] = \
            distance.reindex(keys).to_numpy(dtype=float)
    if "land_cover" in p and p["land_cover"].map(bool).any():
        table[t("land_cover", lang)] = [land_cover_text(rows, lang) for rows in p["land_cover"]]
    table[t("warnings", lang)] = ["\n".join(w) for w in p["warnings"]]
    table[t("errors", lang)] = ["\n".join(e) for e in p["errors"]]
    table[t("crs_in", lang)] = p["crs_in"].to_numpy()
    table[t("source", lang)] = p["source"].to_numpy()
    if result.illustrative:
        table["notice"] = sources(result, lang).notice
    return table


def findings_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """One row per finding, with the project's name and readable labels."""
    f = pd.DataFrame(result.findings.drop(columns="geometry"))
    names = result.projects.set_index("project_id")["name"]
    en = lang == "en"
    return pd.DataFrame({
        t("id", lang): f["project_id"].astype(str).to_numpy(),
        t("name", lang): f["project_id"].map(names).to_numpy(),
        t("layer_id", lang): f["layer"].to_numpy(),
        t("layer", lang): [layer_title(result, lid, kind, lang)
                           for lid, kind in zip(f["layer"], f["kind"], strict=True)],
        t("layer_kind", lang): [_kind_title(k, lang) for k in f["kind"]],
        ("zone id" if en else "管控区编号"): f["zone_id"].to_numpy(),
        t("zone", lang): f["zone_name"].to_numpy(),
        ("class" if en else "类别"): [class_title(k, c, lang) or None
                                      for k, c in zip(f["kind"], f["zone_class"], strict=True)],
        ("zone code" if en else "单元编码"): f["zone_code"].to_numpy(),
        t("relation", lang): [label(RELATION_LABELS, r, lang) for r in f["relation"]],
        ("overlap (m²)" if en else "重叠面积 (m²)"): f["overlap_m2"].to_numpy(dtype=float),
        ("overlap (m)" if en else "重叠长度 (m)"): f["overlap_length_m"].to_numpy(dtype=float),
        t("share", lang) + " (%)": f["overlap_pct"].to_numpy(dtype=float),
        t("distance", lang) + " (m)": f["distance_m"].to_numpy(dtype=float),
        t("verdict", lang): [label(VERDICT_LABELS, v, lang) for v in f["verdict"]],
        "verdict": f["verdict"].to_numpy(),
        t("rule", lang): f["rule"].to_numpy(),
        t("basis", lang): f["basis_en" if en else "basis"].to_numpy(),
        ("message" if en else "说明"): f["message_en" if en else "message_zh"].to_numpy(),
    })


def about_rows(result: Result, lang: str = "zh") -> list[tuple[str, str]]:
    """Provenance as (key, value) rows."""
    src = sources(result, lang)
    rows = [(t("pack", lang), f"{src.pack_title} ({src.pack_id})"),
            (t("pack_version", lang), src.pack_version),
            (t("catalog_sha", lang), src.catalog_sha256),
            (t("ruleset", lang), src.ruleset),
            (t("in_force", lang), src.in_force),
            (t("tool", lang), src.tool),
            (t("generated", lang), src.generated_at),
            *src.settings]
    rows += [(f"{t('layer', lang)} {layer['id']}",
              f"{layer['title']} · {layer['kind']} · {layer['features']} · {layer['sha256']}")
             for layer in src.layers]
    if src.illustrative:
        rows.insert(0, ("notice", src.notice))
    rows.append((t("disclaimer", lang), t("disclaimer_text", lang)))
    return rows


def _kind_title(kind: str, lang: str) -> str:
    if kind == "coverage":
        return t("coverage", lang)
    if kind in KINDS:
        return KINDS[kind].title_en if lang == "en" else KINDS[kind].title_zh
    return kind


# ----------------------------------------------------------------------------- files


def write_csv(result: Result, outdir: str | Path, *, lang: str = "zh") -> list[Path]:
    """Write ``projects.csv`` and ``findings.csv`` (UTF-8 with BOM, so Excel reads Chinese).

    Returns
    -------
    list of Path
        The files written.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("projects", project_table(result, lang)),
                        ("findings", findings_table(result, lang))):
        table = table.drop(columns="verdict")
        table = table.apply(lambda column: column.map(_csv_cell))
        path = outdir / f"{name}.csv"
        table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    return written


def _csv_cell(value: object) -> object:
    if isinstance(value, str):
        return neutralise_csv(value.replace("\n", "; "))
    return value


def write_xlsx(result: Result, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the workbook: projects, findings and about sheets.

    Parameters
    ----------
    result
        The screening result.
    path
        The ``.xlsx`` file.
    lang
        ``zh`` (default) or ``en``.

    Returns
    -------
    Path
    """
    from openpyxl import Workbook

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    zh = lang == "zh"
    _sheet(wb.active, project_table(result, lang), "项目" if zh else "projects",
           wrap={t("reasons", lang), t("warnings", lang), t("errors", lang)})
    _sheet(wb.create_sheet(), findings_table(result, lang), "要素明细" if zh else "findings",
           wrap={t("basis", lang)})
    about = wb.create_sheet("说明" if zh else "about")
    for key, value in about_rows(result, lang):
        about.append([key, None])
        _put(about.cell(about.max_row, 2), value)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 100
    from openpyxl.styles import Alignment, Font

    for cell in about["A"]:
        cell.font = Font(bold=True)
    for cell in about["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.creator = "redline"
    wb.properties.title = t("report_title", lang)
    wb.save(path)
    return path


def _put(cell, value: object) -> None:
    """Set a cell; formula-like text stays text (quote prefix), NaN stays empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        cell.value = None
        return
    if isinstance(value, np.generic):
        value = value.item()
    cell.value = value
    if isinstance(value, str):
        # openpyxl would store "=..." as a formula: force a text cell.
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True


def _sheet(ws, table: pd.DataFrame, title: str, *, wrap: set[str]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws.title = title
    verdicts = table["verdict"].to_numpy()
    table = table.drop(columns="verdict")
    columns = list(table.columns)
    verdict_col = columns.index(next(c for c in columns if c in (t("verdict", "zh"), t("verdict", "en"))))
    thin = Side(style="thin", color="BFC5CC")
    head_fill = PatternFill("solid", fgColor="E4E9EF")
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(1, j)
        _put(cell, name)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = Border(bottom=thin)
    numeric = [pd.api.types.is_float_dtype(table[c]) for c in columns]
    values = table.to_numpy(dtype=object)
    for i, row in enumerate(values, start=2):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(i, j)
            _put(cell, value)
            if numeric[j - 1]:
                cell.number_format = _PCT_FORMAT if "%" in columns[j - 1] else _AREA_FORMAT
            elif columns[j - 1] in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        verdict = verdicts[i - 2]
        cell = ws.cell(i, verdict_col + 1)
        key = verdict if isinstance(verdict, str) else None
        cell.fill = PatternFill("solid", fgColor=VERDICT_TINTS[key].lstrip("#").upper())
        cell.font = Font(bold=True, color=VERDICT_COLORS[key].lstrip("#").upper())
    for j, name in enumerate(columns, start=1):
        texts = [str(name)] + ["" if v is None else str(v) for v in values[:, j - 1]]
        width = max(_display_width(line) for text in texts for line in text.split("\n"))
        if numeric[j - 1]:
            width = max(_display_width(str(name)) * 0.6, 12)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), _MAX_WIDTH)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    ws.row_dimensions[1].height = 32


def _display_width(text: str) -> float:
    """Approximate column width: CJK characters count double."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in text)
