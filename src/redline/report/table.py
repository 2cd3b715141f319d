"""Readable console output: a verdict and findings table per project, or a summary."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..kinds import class_title
from ..result import (
    ILLUSTRATIVE_NOTE,
    KIND_LABELS,
    RELATION_LABELS,
    VERDICT_LABELS,
    Result,
    label,
    measure_text,
)

VERDICT_STYLE = {"prohibited": "bold red", "restricted": "bold dark_orange", "attention": "yellow",
          "clear": "green", None: "bold magenta"}


def console(stream=None) -> Console:
    """A console that keeps tables readable when output is not a terminal."""
    stream = stream or sys.stdout
    width = None if stream.isatty() else 160
    return Console(file=stream, width=width, highlight=False)


def print_result(result: Result, *, lang: str = "zh", out: Console | None = None) -> None:
    """Print each project's verdict, then one line per finding."""
    out = out or console()
    _notice(result, lang, out)
    zh = lang == "zh"
    for row in result.projects.itertuples(index=False):
        head = Text()
        head.append(f"{row.project_id} ", style="bold")
        head.append(f"{row.name or ''} ")
        size = _size(row, lang)
        head.append(f"[{label(KIND_LABELS, row.kind, lang)}{', ' + size if size else ''}] ")
        head.append(label(VERDICT_LABELS, row.verdict, lang), style=VERDICT_STYLE[row.verdict])
        out.print(head)
        if row.admin:
            out.print(Text(("  行政区:" if zh else "  admin: ")
                           + ", ".join(f"{a['name']} ({a['code']})" for a in row.admin)))
        for error in row.errors:
            out.print(Text(f"  {'错误' if zh else 'error'}: {error}", style="magenta"))
        for warning in row.warnings:
            out.print(Text(f"  {'提示' if zh else 'warning'}: {warning}", style="dim"))
        findings = result.findings_of(row.project_id)
        if len(findings):
            out.print(_findings_table(result, findings, lang))
        elif row.verdict:
            out.print(Text("  " + ("未发现涉及的管控要素" if zh else "no findings")))
        _print_rasters(result, row.project_id, lang, out)
        _clauses(result, row.project_id, lang, out)
        out.print()


def _findings_table(result: Result, findings, lang: str) -> Table:
    zh = lang == "zh"
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1),
                  pad_edge=False)
    for title in (("图层", "layer"), ("管控区", "zone"), ("关系", "relation"),
                  ("面积/长度/距离", "area/length/distance"), ("结论", "verdict"),
                  ("规则", "rule")):
        table.add_column(title[0] if zh else title[1])
    for f in findings.itertuples():
        zone = f.zone_name or f.zone_id or "—"
        if f.zone_name and f.zone_id and f.zone_id not in f.zone_name and ":" not in f.zone_id:
            zone += f" ({f.zone_id})"  # names repeat (villages); ids tell zones apart
        cls = class_title(f.kind, f.zone_class, lang)
        table.add_row(
            Text(f.layer), Text(f"{zone}{' · ' + cls if cls else ''}"),
            Text(label(RELATION_LABELS, f.relation, lang)), Text(measure_text(f, lang) or "—"),
            Text(label(VERDICT_LABELS, f.verdict, lang), style=VERDICT_STYLE[f.verdict]),
            Text(f.rule or "—"),
        )
    return table


def _print_rasters(result: Result, project_id: str, lang: str, out: Console) -> None:
    """The 占地类型 (land-cover occupation) table and a terrain line, when measured."""
    zh = lang == "zh"
    land = result.land_cover_of(project_id)
    for layer_id, rows in land.groupby("layer", sort=False):
        title = result.pack.layer(layer_id).spec.title
        out.print(Text(f"  占地类型 · {title}" if zh else f"  land cover · {layer_id}", style="bold"))
        lengths = rows["length_m"].notna().any()
        points = rows["area_m2"].isna().all() and not lengths
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1),
                      pad_edge=False)
        amount_title = (("长度(m)", "length (m)") if lengths else ("面积(m²)", "area (m²)"))
        for title_pair in (("类型", "class"), ("代码", "code"), amount_title, ("占比", "share")):
            table.add_column(title_pair[0] if zh else title_pair[1],
                             justify="right" if title_pair in (amount_title, ("占比", "share"))
                             else "left")
        for r in rows.itertuples():
            amount = r.length_m if lengths else r.area_m2
            table.add_row(Text(r.name_zh if zh else r.name_en), Text(r.code or "—"),
                          Text("—" if points or amount != amount else f"{amount:,.1f}"),
                          Text(f"{r.share_pct:.1f}%"))
        out.print(table)
    for r in result.terrain_of(project_id).itertuples():
        title = result.pack.layer(r.layer).spec.title if zh else r.layer
        if r.elevation_min != r.elevation_min:  # NaN: no data under the project
            text = "无数据" if zh else "no data"
        else:
            text = (f"高程 {r.elevation_min:,.1f}–{r.elevation_max:,.1f} m(均值 {r.elevation_mean:,.1f} m)"
                    if zh else f"elevation {r.elevation_min:,.1f}–{r.elevation_max:,.1f} m "
                               f"(mean {r.elevation_mean:,.1f} m)")
            if r.slope_mean_deg == r.slope_mean_deg:
                text += (f";坡度 {r.slope_min_deg:.1f}–{r.slope_max_deg:.1f}°(均值 {r.slope_mean_deg:.1f}°)"
                         if zh else f"; slope {r.slope_min_deg:.1f}–{r.slope_max_deg:.1f}° "
                                    f"(mean {r.slope_mean_deg:.1f}°)")
        out.print(Text(f"  地形 · {title}:{text}" if zh else f"  terrain · {title}: {text}"))
def _clauses(result: Result, project_id: str, lang: str, out: Console) -> None:
    """Access-list clauses: a count by effect, then each targeted clause quoted."""
    from ..access.clauses import dimension_title

    rows = result.clauses_of(project_id)
    if rows.empty:
        return
    zh = lang == "zh"
    counts = rows["effect"].value_counts()
    names = {"prohibition": ("禁止", "prohibitions"), "restriction": ("限制", "restrictions"),
             "requirement": ("要求", "requirements")}
    parts = [f"{names[e][0 if zh else 1]} {counts.get(e, 0)}" for e in names]
    out.print(Text(("  生态环境准入清单:适用条款 " if zh else "  access list: applicable clauses ")
                   + f"{len(rows)} (" + ", ".join(parts) + ")"))
    for c in rows[rows["status"].isin(["targeted", "excepted"])].itertuples():
        number = (f"第{c.number}条" if zh else f"clause {c.number}") if c.number else ""
        verdict = label(VERDICT_LABELS, c.verdict, lang) if c.verdict else (
            "例外" if zh else "excepted") if c.status == "excepted" else "—"
        line = Text(f"    [{verdict}] {c.scope_label} {dimension_title(c.dimension, lang)} "
                    f"{number}「{c.text}」", style=VERDICT_STYLE.get(c.verdict, "dim"))
        out.print(line)


def print_summary(result: Result, *, lang: str = "zh", out: Console | None = None) -> None:
    """One row per project: id, name, kind, size, verdict and the main reason."""
    out = out or console()
    _notice(result, lang, out)
    zh = lang == "zh"
    table = Table(show_header=True, header_style="bold")
    for title in (("编号", "id"), ("项目", "project"), ("类型", "kind"), ("规模", "size"),
                  ("结论", "verdict"), ("主要原因", "main reason")):
        table.add_column(title[0] if zh else title[1], overflow="fold")
    for row in result.projects.itertuples(index=False):
        if row.errors:
            reason = row.errors[0]
        else:
            reasons = result.reasons(row.project_id, lang)
            reason = reasons[0].split("(依据" if zh else " (basis")[0] if reasons else "—"
        table.add_row(Text(row.project_id), Text(row.name or ""),
                      Text(label(KIND_LABELS, row.kind, lang)), Text(_size(row, lang)),
                      Text(label(VERDICT_LABELS, row.verdict, lang), style=VERDICT_STYLE[row.verdict]),
                      Text(reason))
    out.print(table)


def _size(row, lang: str) -> str:
    if row.area_m2 == row.area_m2 and row.area_m2 is not None:  # not NaN
        return f"{row.area_m2 / 10000:,.2f} {'公顷' if lang == 'zh' else 'ha'}"
    if row.length_m == row.length_m and row.length_m is not None:
        return f"{row.length_m / 1000:,.2f} km"
    return ""


def _notice(result: Result, lang: str, out: Console) -> None:
    pack = result.pack
    text = (f"{pack.title_for(lang)} · {pack.id} {pack.version} · "
            f"rules {result.ruleset.id} {result.ruleset.version}")
    out.print(Text(text, style="dim"))
    if result.illustrative:
        out.print(Text(label({0: ILLUSTRATIVE_NOTE}, 0, lang), style="bold magenta"))
