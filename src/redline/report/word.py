"""The Word report (.docx), laid out as a Chinese review document.

Same sections as the HTML report (:mod:`.html`): 项目概况, 结论, 管控要素明细,
所在环境管控单元, 图件, then 数据来源 and 声明. A4 portrait with the margins of
official documents (GB/T 9704), a 黑体 title and headings, 仿宋 body text and 宋体
tables with a repeated header row, so sections can be pasted into a 审查意见. The fonts
are named, not embedded: Word on the reviewer's machine supplies them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import shapely
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..result import Result
from ._i18n import t
from ._model import ProjectView, project_views, sources
from .figure import figure_bytes

_TITLE_FONT = "黑体"
_HEADING_FONT = "黑体"
_BODY_FONT = "仿宋"
_TABLE_FONT = "宋体"
_LATIN_FONT = "Times New Roman"
_NUMERALS = "一二三四五六七八九十"


def write_docx(result: Result, path: str | Path, *, lang: str = "zh",
               figures: bool | Mapping[str, bytes] = True) -> Path:
    """Write the Word report.

    Parameters
    ----------
    result
        The screening result.
    path
        The ``.docx`` file to write.
    lang
        ``zh`` (default) or ``en``.
    figures
        Insert the static figure of each project: ``True`` draws them, a mapping
        ``{project_id: png bytes}`` supplies them, ``False`` leaves them out.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = build_docx(result, lang=lang, figures=figures)
    doc.save(str(path))
    return path


def build_docx(result: Result, *, lang: str = "zh", figures: bool | Mapping[str, bytes] = True):
    """The report as a ``docx.Document`` (not yet saved)."""
    doc = Document()
    _setup(doc, lang)
    views = project_views(result, lang)
    src = sources(result, lang)

    _title(doc, t("report_title", lang))
    names = ("、" if lang == "zh" else ", ").join(v.title for v in views[:3])
    _para(doc, f"{names} · {src.pack_title} · {src.generated_at}", align="center", size=10.5,
          color="52606D")
    if src.illustrative:
        _para(doc, src.notice, align="center", bold=True, color="B71C1C", size=12)

    if len(views) > 1:
        _heading(doc, t("summary_title", lang), 1)
        _summary_table(doc, views, lang)

    for n, view in enumerate(views):
        if n or len(views) > 1:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _project(doc, result, view, lang, figures)

    _heading(doc, t("sources", lang), 1)
    _sources(doc, src, lang)
    _heading(doc, t("disclaimer", lang), 1)
    _para(doc, t("disclaimer_text", lang))
    if src.illustrative:
        _para(doc, src.notice, bold=True, color="B71C1C")
    return doc


# ------------------------------------------------------------------------ sections


def _project(doc, result: Result, v: ProjectView, lang: str,
             figures: bool | Mapping[str, bytes]) -> None:
    _heading(doc, v.title, 1)
    _heading(doc, _numbered(1, t("overview", lang), lang), 2)
    facts = [*v.facts, (t("warnings", lang), "\n".join(v.warnings) or t("none", lang))]
    if v.errors:
        facts.append((t("errors", lang), "\n".join(v.errors)))
    _key_value_table(doc, facts)

    _heading(doc, _numbered(2, t("conclusion", lang), lang), 2)
    p = doc.add_paragraph()
    _run(p, f"{t('verdict', lang)}:", bold=True)
    run = _run(p, f" {v.verdict_label} ", bold=True, size=14, color="FFFFFF")
    _shade_run(run, v.color.lstrip("#"))
    if v.errors:
        _para(doc, t("not_screened", lang) + "; ".join(v.errors), color="6A1B9A")
    elif v.reasons:
        for i, reason in enumerate(v.reasons, start=1):
            _para(doc, f"{i}. {reason}", indent_cm=0.0)
    else:
        _para(doc, t("no_reasons", lang))

    _heading(doc, _numbered(3, t("details", lang), lang), 2)
    _details_table(doc, v, lang)

    _heading(doc, _numbered(4, t("units", lang), lang), 2)
    if v.units:
        rows = []
        for u in v.units:
            clauses = "\n".join(f"{k}:{c}" if lang == "zh" else f"{k}: {c}" for k, c in u.clauses)
            rows.append([u.code, u.name + (f"\n{clauses}" if clauses else ""), u.unit_class, u.share])
        _grid(doc, [t("unit_code", lang), t("unit_name", lang), t("unit_class", lang),
                    t("unit_share", lang)], rows, widths_cm=(3.4, 7.2, 2.8, 2.2), numeric=(3,))
    else:
        _para(doc, t("unit_none", lang))

    geom = result.projects.set_index("project_id").geometry.get(v.id)
    picture = None
    if figures and geom is not None and not shapely.is_empty(geom):
        picture = figures.get(v.id) if isinstance(figures, Mapping) else \
            figure_bytes(result, v.id, "png", lang=lang)
    _heading(doc, _numbered(5, t("access", lang), lang), 2)
    _access(doc, v, lang)

    if picture:
        _heading(doc, _numbered(6, t("maps", lang), lang), 2)
        doc.add_picture(io.BytesIO(picture), width=Cm(15.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(doc, f"{t('figure', lang)}{':' if lang == 'zh' else ': '}{v.title}", align="center",
              size=10.5)


def _summary_table(doc, views: list[ProjectView], lang: str) -> None:
    rows = [[v.id, v.name or "—", v.kind_label, v.size, v.verdict_label,
             (v.errors[0] if v.errors else _short(v.reasons[0]) if v.reasons else "—")] for v in views]
    table = _grid(doc, [t("id", lang), t("name", lang), t("kind", lang), t("size", lang),
                        t("verdict", lang), t("main_reason", lang)], rows,
                  widths_cm=(1.6, 2.8, 1.8, 2.6, 1.5, 5.3), size=9)
    for view, row in zip(views, table.rows[1:], strict=True):
        _shade_cell(row.cells[4], view.tint.lstrip("#"))


def _details_table(doc, v: ProjectView, lang: str) -> None:
    headers = [t("layer", lang), t("involved", lang), t("zone", lang), t("relation", lang),
               t("overlap", lang), t("share", lang), t("distance", lang), t("verdict", lang),
               f"{t('rule', lang)} / {t('basis', lang)}"]
    rows = [[r.layer_title, r.involvement, r.zone, r.relation, r.overlap, r.share, r.distance,
             r.verdict_label, r.rule if r.basis == "—" else f"{r.rule}\n{r.basis}"] for r in v.rows]
    table = _grid(doc, headers, rows, widths_cm=(1.9, 1.2, 2.4, 1.2, 1.9, 1.2, 1.4, 1.1, 3.3),
                  size=8, numeric=(4, 5, 6))
    for r, row in zip(v.rows, table.rows[1:], strict=True):
        if r.involved:
            _shade_cell(row.cells[7], r.color.lstrip("#"))
        else:
            for cell in row.cells:
                _color_cell(cell, "7B8794")


def _access(doc, v: ProjectView, lang: str) -> None:
    """生态环境准入清单符合性分析: notes, then the clauses grouped by dimension."""
    access = v.access
    if access is None:
        return
    for i, note in enumerate(access.notes):
        _para(doc, note, color="8D6E00" if i else None)
    if not access.groups:
        return
    widths = (2.4, 0.9, 7.0, 1.1, 2.6, 1.6)
    table = _grid(doc, [t("access_scope", lang), t("access_number", lang), t("access_text", lang),
                        t("access_effect", lang), t("access_status", lang), t("verdict", lang)],
                  [], widths_cm=widths, size=8.5)
    for dimension, rows in access.groups:
        merged = table.add_row().cells
        cell = merged[0].merge(merged[-1])
        cell.width = Cm(sum(widths))
        _cell_text(cell, dimension, size=9, bold=True)
        _shade_cell(cell, "F3F5F8")
        for c in rows:
            cells = table.add_row().cells
            status = c.status_label + (f"\n{c.matched}" if c.matched else "")
            for i, text in enumerate((c.scope, c.number, c.text, c.effect, status, c.verdict_label)):
                cells[i].width = Cm(widths[i])
                _cell_text(cells[i], text, size=8.5, bold=c.conflict, right=i == 1)
            if c.conflict:
                _shade_cell(cells[5], c.color.lstrip("#"))
            elif c.status in ("excepted", "unknown_industry"):
                for cell in cells:
                    _color_cell(cell, "7B8794")


def _sources(doc, src, lang: str) -> None:
    facts = [
        (t("pack", lang), f"{src.pack_title}({src.pack_id})" if lang == "zh"
         else f"{src.pack_title} ({src.pack_id})"),
        (t("pack_version", lang), src.pack_version),
        (t("catalog_sha", lang), src.catalog_sha256),
        (t("ruleset", lang), src.ruleset + "".join(
            f"\n{f.get('id', '')} {f.get('version', '')} · {f.get('sha256', '')}"
            for f in src.ruleset_files)),
        (t("in_force", lang), src.in_force),
        (t("tool", lang), src.tool),
        (t("generated", lang), src.generated_at),
        *src.settings,
    ]
    _key_value_table(doc, facts)
    rows = [[layer["id"], layer["title"], layer["kind"], str(layer["features"]), layer["sha256"]]
            for layer in src.layers]
    table = _grid(doc, [t("layer_id", lang), t("layer", lang), t("layer_kind", lang),
                        t("features", lang), t("sha256", lang)], rows,
                  widths_cm=(2.4, 3.0, 2.8, 1.4, 6.0), size=8, numeric=(3,))
    for row in table.rows[1:]:
        for run in row.cells[4].paragraphs[0].runs:
            run.font.size = Pt(6.5)
            _set_fonts(run, "Consolas", "Consolas")


# --------------------------------------------------------------------- formatting


def _setup(doc, lang: str) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    # GB/T 9704 margins: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    _style_fonts(normal, _BODY_FONT)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.25
    for level, size in ((1, 16), (2, 14), (3, 12)):
        style = doc.styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.bold = level > 1
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        _style_fonts(style, _HEADING_FONT)
        style.paragraph_format.space_before = Pt(12 if level == 1 else 8)
        style.paragraph_format.space_after = Pt(6)
    doc.core_properties.title = t("report_title", lang)
    doc.core_properties.author = "redline"
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
    _page_number_footer(section, lang)


def _style_fonts(style, east_asian: str) -> None:
    style.font.name = _LATIN_FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), _LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)


def _set_fonts(run, east_asian: str, latin: str = _LATIN_FONT) -> None:
    run.font.name = latin
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _run(paragraph, text: str, *, bold: bool = False, size: float | None = None,
         color: str | None = None, font: str | None = None):
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    if font:
        _set_fonts(run, font)
    return run


def _para(doc, text: str, *, align: str | None = None, bold: bool = False, size: float | None = None,
          color: str | None = None, indent_cm: float | None = None):
    p = doc.add_paragraph()
    _run(p, text, bold=bold, size=size, color=color)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent_cm is not None:
        p.paragraph_format.first_line_indent = Cm(indent_cm)
    return p


def _title(doc, text: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(6)
    _run(p, text, size=22, font=_TITLE_FONT)


def _heading(doc, text: str, level: int) -> None:
    doc.add_heading(text, level=level)


def _numbered(n: int, text: str, lang: str) -> str:
    return f"{_NUMERALS[n - 1]}、{text}" if lang == "zh" else f"{n}. {text}"


def _short(reason: str) -> str:
    for marker in ("(依据:", " (basis:"):
        if marker in reason:
            return reason.split(marker)[0]
    return reason


def _grid(doc, headers: list[str], rows: list[list[str]], *, widths_cm: tuple[float, ...],
          size: float = 9, numeric: tuple[int, ...] = ()):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, text, size=size, bold=True)
        _shade_cell(cell, "E4E9EF")
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            _cell_text(cell, text, size=size, right=i in numeric)
    _widths(table, widths_cm)
    return table


def _key_value_table(doc, facts: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for key, value in facts:
        cells = table.add_row().cells
        _cell_text(cells[0], key, size=10.5, bold=True)
        _shade_cell(cells[0], "EEF2F6")
        _cell_text(cells[1], value, size=10.5)
    _widths(table, (3.6, 12.0))


def _widths(table, widths_cm: tuple[float, ...]) -> None:
    # Word reads the cell widths, LibreOffice the grid columns: set both.
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _table_style(part, size: float) -> str:
    """Id of a paragraph style for table cells of one font size (宋体, single spacing).

    Fonts and size live in the style rather than on every run: python-docx is slow at
    adding run properties, and a style keeps the document small and easy to restyle.
    """
    cache = part.__dict__.setdefault("_redline_table_styles", {})
    if size in cache:
        return cache[size]
    doc = part.document
    style = doc.styles.add_style(f"RL Table {size:g}", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(size)
    style.font.name = _LATIN_FONT
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _TABLE_FONT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    style.paragraph_format.line_spacing = 1.0
    style.paragraph_format.first_line_indent = Pt(0)
    cache[size] = style.style_id
    return style.style_id


def _cell_text(cell, text: Any, *, size: float, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph._p.style = _table_style(cell.part, size)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    lines = str(text).split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if bold:
            run.bold = True
        if i < len(lines) - 1:
            run.add_break()


def _shading(fill: str):
    """A ``w:shd`` element: solid background ``fill`` (hex RGB)."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    return shd


def _shade_cell(cell, fill: str) -> None:
    cell._tc.get_or_add_tcPr().append(_shading(fill))


def _shade_run(run, fill: str) -> None:
    run._element.get_or_add_rPr().append(_shading(fill))


def _color_cell(cell, color: str) -> None:
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.font.color.rgb = RGBColor.from_string(color)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _page_number_footer(section, lang: str) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, after = ("第 ", " 页") if lang == "zh" else ("Page ", "")
    _run(paragraph, before, size=10.5)
    run = paragraph.add_run()
    run.font.size = Pt(10.5)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._element.append(field)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
    _run(paragraph, after, size=10.5)
