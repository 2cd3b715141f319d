"""Read an access list (生态环境准入清单) from XLSX or CSV into a table of clauses.

Two published shapes are read:

* **wide** — one row per unit (or scope) and one column per dimension (空间布局约束,
  污染物排放管控, 环境风险防控, 资源开发效率要求, or their other wordings), each cell holding
  one or several numbered clauses;
* **long** — one row per clause (or per cell) with a dimension column and a text column.

A row applies to one unit (``code_field`` holds a ``ZH…`` code), to a unit class
(``class_field`` or a scope such as 重点管控单元), or to a region (``scope_field`` 全省 /
全市 / 全县, or a 6-digit admin code). Headings may sit below a title row, carry stray
whitespace, or be merged cells; merged cells in the data are filled down.

Catalog keys of an ``access_list`` entry (all optional; headings are recognised without
them): ``sheet``, ``header_row`` (1-based), ``code_field``, ``name_field``, ``class_field``,
``scope_field``, ``admin_field``, ``dimension_field``, ``text_field``, ``number_field``,
``encoding`` (CSV), ``[layers.dimensions]`` (heading or value → dimension key),
``[layers.classes]`` (raw unit class → ``priority``/``key``/``general``) and ``sectors``
(an extra sector-word file, relative to the pack).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..catalog import FromSpec, LayerSpec, PackIssue, file_checksum
from ..errors import PackError
from ..kinds import KINDS, default_class
from .classify import classify_clause
from .clauses import DIMENSIONS, clean, dimension_of, split_clauses
from .industry import Vocabulary, default_vocabulary

#: Scopes, from the widest to the narrowest (access lists stack: DOMAIN §3).
SCOPES = ("all", "province", "city", "county", "unit_class", "unit")
SCOPE_TITLES = {
    "all": ("全域", "whole list"), "province": ("全省", "province-wide"),
    "city": ("全市", "city-wide"), "county": ("全县(区)", "county-wide"),
    "unit_class": ("同类管控单元", "unit class"), "unit": ("管控单元", "unit"),
}
#: Columns of :attr:`AccessList.clauses`.
CLAUSE_COLUMNS = (
    "clause_id", "row", "scope", "scope_label", "admin_code", "unit_code", "unit_name",
    "unit_class", "dimension", "dimension_raw", "number", "text", "effect", "conditional",
    "conditions", "industries", "exceptions", "industry_words", "project_types", "pollutants",
)

_HEADINGS = {
    "code": ("HJZHGKDYBM", "环境管控单元编码", "管控单元编码", "单元编码", "环境管控单元代码",
             "管控单元代码", "单元代码", "编码"),
    "name": ("HJZHGKDYMC", "环境管控单元名称", "管控单元名称", "单元名称", "名称"),
    "class": ("ZHGKDYFL", "管控单元分类", "管控单元类别", "环境管控单元分类", "环境管控单元类别",
              "单元类别", "单元分类", "管控类别", "类别"),
    "scope": ("适用范围", "管控范围", "适用层级", "层级", "范围"),
    "admin": ("XZQDM", "行政区划代码", "区划代码", "行政区代码"),
    "dimension": ("管控维度", "管控类型", "清单类型", "准入要求类型", "维度"),
    "text": ("管控要求", "准入要求", "条款内容", "管控内容", "条款", "要求"),
    "number": ("条款编号", "条款序号"),
}
_FIELD_KEYS = {"code": "code_field", "name": "name_field", "class": "class_field",
               "scope": "scope_field", "admin": "admin_field", "dimension": "dimension_field",
               "text": "text_field", "number": "number_field"}
_CLASS_WORDS = (("优先保护", "priority"), ("重点管控", "key"), ("一般管控", "general"))
_UNIT_CODE = re.compile(r"^ZH\d{6}[123]\d+$")


@dataclass
class AccessList(FromSpec):
    """A loaded access list.

    Attributes
    ----------
    spec
        The catalog entry.
    clauses
        One row per clause, columns :data:`CLAUSE_COLUMNS`: where it applies (``scope``,
        ``admin_code``, ``unit_code``, ``unit_class``), what it says (``dimension``,
        ``number``, verbatim ``text``), how it reads (``effect``, ``conditional``) and whom
        it targets (``industries`` — code prefixes or ``@group`` names —, ``exceptions``,
        ``project_types``, ``pollutants``).
    rows
        Data rows read from the file.
    sha256
        Checksum of the file.
    vocabulary
        The sector words used (shipped, plus the pack's own file).
    """

    spec: LayerSpec
    clauses: pd.DataFrame
    rows: int
    sha256: str
    vocabulary: Vocabulary




    def describe(self) -> dict[str, Any]:
        """The entry of this list in the ``pack.layers`` block of a result."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "sha256": self.sha256,
                "features": self.rows, "clauses": len(self.clauses)}


def load_access_list(spec: LayerSpec, issues: list[PackIssue]) -> AccessList:
    """Read, split and classify an access list named by a catalog entry.

    Parameters
    ----------
    spec
        The ``access_list`` entry (its ``extra`` holds the keys of the module docstring).
    issues
        Problems found are appended (as warnings; unreadable files raise).

    Returns
    -------
    AccessList

    Raises
    ------
    PackError
        The file cannot be read, or no heading names a dimension or a text column.
    """
    extra = spec.extra
    vocabulary = default_vocabulary()
    if extra.get("sectors"):
        vocabulary = vocabulary.merged(spec.path.parent / str(extra["sectors"]))
    table, first_row = _read_rows(spec)
    header_index = _header_row(table, spec)
    header = [clean(v) for v in table[header_index]]
    fields = _fields(header, spec)
    dim_map = {clean(k): str(v) for k, v in (extra.get("dimensions") or {}).items()}
    bad = sorted(set(dim_map.values()) - set(DIMENSIONS))
    if bad:
        raise PackError(f"{spec.path.name}: [layers.dimensions] maps to unknown dimension "
                        f"{bad[0]!r} (use {', '.join(DIMENSIONS)})")
    used = {i for i in fields.values() if i is not None}
    dim_columns = {i: dimension_of(h, dim_map) for i, h in enumerate(header) if i not in used}
    dim_columns = {i: d for i, d in dim_columns.items() if d}
    long_format = fields["text"] is not None and fields["dimension"] is not None
    if not dim_columns and not long_format:
        raise PackError(
            f"{spec.path.name}: no column of the four dimensions (空间布局约束, 污染物排放管控, "
            f"环境风险防控, 资源开发效率要求) and no dimension/text columns in row "
            f"{first_row + header_index} (headings: {', '.join(h for h in header if h)})")

    records: list[dict[str, Any]] = []
    data = table[header_index + 1:]
    unmapped_classes: set[str] = set()
    unknown_dimensions: set[str] = set()
    for offset, values in enumerate(data):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row_number = first_row + header_index + 1 + offset

        def get(key: str, values=values) -> str | None:
            index = fields[key]
            if index is None or index >= len(values) or values[index] is None:
                return None
            text = str(values[index]).strip()
            return text or None

        where = _where(get("scope"), get("code"), get("class"), get("admin"), spec,
                       unmapped_classes)
        cells: list[tuple[str, str | None, object]] = []
        if long_format:
            raw_dim = get("dimension")
            dim = dimension_of(raw_dim, dim_map)
            if dim is None:
                if raw_dim:
                    unknown_dimensions.add(raw_dim)
                continue
            cells.append((dim, raw_dim, get("text")))
        else:
            for index, dim in dim_columns.items():
                cells.append((dim, header[index],
                              values[index] if index < len(values) else None))
        for dim, raw_dim, cell in cells:
            parts = split_clauses(cell)
            given_number = get("number") if long_format else None
            for k, (number, text) in enumerate(parts, start=1):
                if given_number and len(parts) == 1:
                    number = given_number
                records.append({
                    "clause_id": f"r{row_number}.{dim}.{k}", "row": row_number, **where,
                    "name": get("name"), "dimension": dim, "dimension_raw": raw_dim,
                    "number": number, "text": text,
                })
    if unmapped_classes:
        issues.append(PackIssue("warning", spec.id, "unit class values not understood: "
                                + ", ".join(sorted(unmapped_classes))))
    if unknown_dimensions:
        issues.append(PackIssue("warning", spec.id, "rows skipped, dimension not understood: "
                                + ", ".join(sorted(unknown_dimensions))))
    clauses = _classified(records, vocabulary)
    odd = sorted({c for c in clauses["unit_code"].dropna() if not _UNIT_CODE.match(c)})
    if odd:
        issues.append(PackIssue(
            "warning", spec.id, f"{len(odd)} unit code(s) do not follow ZH + 6-digit admin code "
            f"+ class digit + serial (e.g. {odd[0]}); matched as written"))
    if clauses.empty:
        issues.append(PackIssue("warning", spec.id, "no clauses found"))
    return AccessList(spec=spec, clauses=clauses, rows=len(data), sha256=file_checksum(spec.path),
                      vocabulary=vocabulary)


def _classified(records: list[dict[str, Any]], vocabulary: Vocabulary) -> pd.DataFrame:
    out = []
    for record in records:
        c = classify_clause(record["text"], vocabulary)
        out.append({**record, "effect": c.effect, "conditional": c.conditional,
                    "conditions": c.conditions, "industries": c.industries,
                    "exceptions": c.exceptions, "industry_words": c.industry_words,
                    "project_types": c.project_types, "pollutants": c.pollutants})
    frame = pd.DataFrame(out, columns=[*CLAUSE_COLUMNS, "name"], dtype=object)
    frame["unit_name"] = frame.pop("name")
    frame["row"] = frame["row"].astype(int)
    frame["conditional"] = frame["conditional"].astype(bool)
    return frame[list(CLAUSE_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- reading


def _read_rows(spec: LayerSpec) -> tuple[list[list[Any]], int]:
    """All rows of the sheet (merged cells filled) and the 1-based number of the first."""
    path = spec.path
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, spec.extra.get("sheet")), 1
    if suffix in (".csv", ".txt"):
        return _read_csv(path, spec.encoding), 1
    raise PackError(f"{path.name}: an access list must be .xlsx or .csv")


def _read_xlsx(path: Path, sheet: str | None) -> list[list[Any]]:
    """Rows of a workbook sheet through calamine (imports in ~1 ms; openpyxl took ~0.4 s).

    Empty cells become ``None``, whole numbers ``int`` and merged ranges repeat their
    top-left value in every cell, so a unit code merged over several clause rows applies
    to each of them.
    """
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error kinds for a bad file
        raise PackError(f"{path.name}: cannot read the workbook ({exc})") from None
    if sheet is not None and sheet not in book.sheet_names:
        raise PackError(f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(book.sheet_names)})")
    ws = book.get_sheet_by_name(sheet) if sheet is not None else book.get_sheet_by_index(0)
    rows = [[_cell(v) for v in row] for row in ws.to_python(skip_empty_area=False)]
    for (r0, c0), (r1, c1) in ws.merged_cell_ranges or []:
        value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else None
        for row in rows[r0:r1 + 1]:
            row.extend([None] * (c1 + 1 - len(row)))
            row[c0:c1 + 1] = [value] * (c1 + 1 - c0)
    return rows


def _cell(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_csv(path: Path, encoding: str | None) -> list[list[Any]]:
    raw = path.read_bytes()
    for enc in ([encoding] if encoding else ["utf-8-sig", "gb18030"]):
        try:
            text = raw.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        raise PackError(f"{path.name}: not UTF-8 or GB18030 text; set encoding in the catalog")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _header_row(table: list[list[Any]], spec: LayerSpec) -> int:
    given = spec.extra.get("header_row")
    if given:
        index = int(given) - 1
        if not 0 <= index < len(table):
            raise PackError(f"{spec.path.name}: header_row {given} is outside the sheet")
        return index
    wanted = {clean(getattr(spec, key, None) or spec.extra.get(key) or "")
              for key in _FIELD_KEYS.values()} - {""}
    known = {w for words in _HEADINGS.values() for w in words} | wanted
    for index, values in enumerate(table[:20]):
        cells = [clean(v) for v in values if v is not None]
        score = sum(c in known or dimension_of(c) is not None for c in cells if len(c) <= 12)
        if score >= 2:
            return index
    raise PackError(f"{spec.path.name}: no heading row found in the first 20 rows "
                    "(set header_row in the catalog)")


def _fields(header: list[str], spec: LayerSpec) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for key, catalog_key in _FIELD_KEYS.items():
        named = getattr(spec, catalog_key, None) or spec.extra.get(catalog_key)
        if named:
            name = clean(named)
            if name not in header:
                raise PackError(f"{catalog_key} {named!r} is not a heading of {spec.path.name} "
                                f"(headings: {', '.join(h for h in header if h)})")
            out[key] = header.index(name)
            continue
        out[key] = next((header.index(w) for w in _HEADINGS[key] if w in header), None)
    return out


def _where(scope: str | None, code: str | None, cls_raw: str | None, admin: str | None,
           spec: LayerSpec, unmapped: set[str]) -> dict[str, Any]:
    """Scope of a row: ``scope``, ``scope_label``, ``admin_code``, ``unit_code``, ``unit_class``."""
    code = clean(code) or None
    unit_class = None
    if cls_raw:
        unit_class = spec.classes.get(clean(cls_raw)) or default_class("control_unit", cls_raw)
        if unit_class is None:
            unit_class = _class_in(cls_raw)
        if unit_class is None:
            unmapped.add(cls_raw)
    admin_code = _admin_prefix(admin)
    s = clean(scope)
    level = None
    if s:
        in_scope = _class_in(s)
        if in_scope:
            level, unit_class = "unit_class", in_scope
        elif "省" in s:
            level = "province"
        elif "市" in s:
            level = "city"
        elif "县" in s or s.endswith("区") or "全区" in s:
            level = "county"
        elif code:
            level = "unit"
    if code and re.fullmatch(r"\d{6}", code):
        admin_code = admin_code or _admin_prefix(code)
        level = level or {2: "province", 4: "city"}.get(len(admin_code), "county")
        code = None
    if level is None:
        level = "unit" if code else ("unit_class" if unit_class else "all")
    if level == "unit" and not code:
        level = "unit_class" if unit_class else "all"
    if level != "unit":
        code = None
    label = s or (code if level == "unit" else None)
    if label is None:
        label = (_class_title(unit_class) if level == "unit_class"
                 else SCOPE_TITLES[level][0])
    valid = set(KINDS["control_unit"].classes)
    return {"scope": level, "scope_label": label, "admin_code": admin_code, "unit_code": code,
            "unit_class": unit_class if unit_class in valid else None}


def _class_in(text: str) -> str | None:
    return next((cls for word, cls in _CLASS_WORDS if word in text), None)


def _class_title(cls: str | None) -> str:
    from ..kinds import class_title

    return class_title("control_unit", cls) or SCOPE_TITLES["unit_class"][0]


def _admin_prefix(code: str | None) -> str | None:
    """``350000`` → ``35``, ``350600`` → ``3506``, ``350699`` → ``350699``."""
    digits = clean(code)
    if not re.fullmatch(r"\d{6}", digits):
        return None
    if digits.endswith("0000"):
        return digits[:2]
    if digits.endswith("00"):
        return digits[:4]
    return digits
