"""Corner-coordinate tables (拐点坐标表) in CSV, XLSX and XLS.

An EIA report lists a site's boundary as a table of corner points: a point number and
two coordinates, under headings that vary (点号/界址点号, X/Y, 纵坐标/横坐标,
北坐标/东坐标, E/N, 经度/纬度, lon/lat …), often below a title row that names the
coordinate system. Conventions handled here:

- **Survey convention**: X (纵坐标) is the northing and Y (横坐标) the easting; E/N and
  东/北 headings say what they are; lon/lat tables are the other way round.
- Degrees–minutes–seconds strings (``117°36′12.5″``, ``117 36 12.5``, ``117:36:12.5``,
  ``117度36分12.5秒``) as well as decimal degrees.
- Several parcels: a parcel column (merged cells are forward-filled), or rings
  separated by blank rows or closed by repeating the first point; a row with text but
  no coordinates names the next parcel. Rings inside rings are holes; a ring column
  (圈号) separates rings explicitly.
- An optional area column (with its unit in the heading: m², 公顷, 亩, km²), checked
  later against the computed area.

A row that cannot be read (a coordinate that is not a number, a ring with fewer than
three distinct points) is an error on its parcel only; the other parcels are read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from . import _rings
from .crs_infer import hints_from_text
from .encoding import read_text_file
from .raw import RawFeatures, cell_text

#: Heading words per column role (compared after normalising: NFKC, lower case, no
#: spaces, units in brackets removed).
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "point": ("点号", "界址点号", "界址点", "拐点", "拐点号", "拐点编号", "拐点序号", "点名", "点位",
              "点位编号", "序号", "点", "point", "pt", "pointid", "point_id", "no", "no."),
    "parcel": ("地块", "地块号", "地块编号", "地块名称", "地块名", "宗地", "宗地号", "宗地编号",
               "图斑", "图斑号", "图斑编号", "项目", "项目名称", "项目编号", "分区", "parcel",
               "plot", "polygon", "block", "名称", "name"),
    "ring": ("圈号", "环号", "环", "圈", "ring", "ringno", "ring_no"),
    "north": ("x", "x坐标", "纵坐标", "纵坐标x", "x纵坐标", "北坐标", "北", "n", "n坐标",
              "northing", "north", "北向坐标", "坐标x"),
    "east": ("y", "y坐标", "横坐标", "横坐标y", "y横坐标", "东坐标", "东", "e", "e坐标",
             "easting", "east", "东向坐标", "坐标y"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "经度e", "经度(e)"),
    "lat": ("纬度", "北纬", "lat", "latitude", "纬度n", "纬度(n)"),
    "area": ("面积", "area", "用地面积", "地块面积", "占地面积", "area_m2", "area_ha"),
    "use": ("用途", "地类", "用地性质", "用地类型", "use", "landuse", "land_use"),
}
#: Area units by words in the heading, as a factor to m².
AREA_UNITS = (
    (("公顷", "hm²", "hm2", "ha", "hectare"), 10_000.0, "公顷"),
    (("平方公里", "平方千米", "km²", "km2"), 1_000_000.0, "km²"),
    (("亩", "mu"), 10_000.0 / 15.0, "亩"),
    (("平方米", "m²", "m2", "㎡", "sqm"), 1.0, "m²"),
)
#: How many leading rows may precede the heading row (titles, notes).
_HEADER_SEARCH_ROWS = 30


@dataclass
class Columns:
    """Which column holds what (indices into a row)."""

    roles: dict[str, int]
    headings: list[str]
    area_factor: float | None = None  # None: unit not stated
    area_unit: str = "m²"

    def has(self, *roles: str) -> bool:
        return all(r in self.roles for r in roles)


@dataclass
class _Parcel:
    label: str | None
    rings: list[_rings.Ring] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    area_cell: object = None
    use: str | None = None
    rows: list[int] = field(default_factory=list)


def read_table(path: Path, display: str, *, encoding: str | None = None,
               sheet: str | None = None) -> RawFeatures:
    """Read a corner-coordinate table (CSV, XLSX, XLS, or a delimited TXT).

    Parameters
    ----------
    path
        The table file.
    display
        How to name it in messages.
    encoding
        Text encoding of a CSV/TXT (detected when omitted: BOM, UTF-8, GB18030).
    sheet
        Worksheet to read (``--layer``); by default the one sheet holding a table.

    Returns
    -------
    RawFeatures
        One feature per parcel, in the table's coordinates.

    Raises
    ------
    InputError
        Unreadable file, no sheet or no heading with coordinate columns.
    """
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(path, display)
    elif suffix == ".xls":
        sheets = _xls_sheets(path, display)
    else:
        rows, note = _text_rows(path, display, encoding)
        sheets = {None: rows}
        if note:
            warnings.append(note)
    name, rows, header_at, columns = _pick_sheet(sheets, sheet, display)
    where = f"{display}" + (f" sheet {name!r}" if name and len(sheets) > 1 else "")
    title = " ".join(str(c) for r in rows[:header_at] for c in r if c not in (None, ""))
    hints = hints_from_text(title)
    use_lonlat = _choose_axes(columns, rows[header_at + 1:], warnings, where)
    parcels = _split(rows, header_at, columns, use_lonlat, where)
    if not parcels:
        raise InputError(f"{where}: the table has headings but no coordinate rows")
    return _features(path, display, where, parcels, columns, use_lonlat, hints, warnings,
                     layer=name)


# -- reading cells ----------------------------------------------------------------

def _text_rows(path: Path, display: str, encoding: str | None) -> tuple[list[list], str | None]:
    text, note = read_text_file(path, display, encoding, again="export the table again")
    text = unicodedata.normalize("NFKC", text)
    lines = [ln for ln in text.splitlines()]
    sample = "\n".join(lines[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error:
        rows = [re.split(r"[\s,;]+", ln.strip()) if ln.strip() else [] for ln in lines]
    return [[c.strip() if isinstance(c, str) else c for c in row] for row in rows], note


def _xlsx_sheets(path: Path, display: str) -> dict[str | None, list[list]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{display}: cannot open as an XLSX workbook ({_first_line(exc)}); "
                         "save it again from Excel/WPS as .xlsx") from None
    except Exception as exc:  # zipfile.BadZipFile and lxml errors from a damaged file
        raise InputError(f"{display}: cannot open as an XLSX workbook ({type(exc).__name__}: "
                         f"{_first_line(exc)}); save it again as .xlsx") from None
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def _xls_sheets(path: Path, display: str) -> dict[str | None, list[list]]:
    try:
        import xlrd
    except ImportError:  # pragma: no cover - xlrd is a dependency
        raise InputError(f"{display}: reading .xls needs the xlrd package; install it or save "
                         "the workbook as .xlsx") from None
    try:
        book = xlrd.open_workbook(path)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors…
        raise InputError(f"{display}: cannot open as an XLS workbook ({type(exc).__name__}: "
                         f"{_first_line(exc)}); save it again as .xlsx") from None
    sheets = {}
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            rows.append([None if v == "" else v for v in sh.row_values(r)])
        sheets[sh.name] = rows
    return sheets


# -- headings ---------------------------------------------------------------------

def _norm_heading(value: object) -> tuple[str, str]:
    """(heading without units, unit text) after NFKC / lower case / no spaces."""
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    text = re.sub(r"\s+", "", text)
    units = " ".join(re.findall(r"[(\[{](.*?)[)\]}]", text))
    bare = re.sub(r"[(\[{].*?[)\]}]", "", text).strip(":=")
    return bare, units


def classify_heading(value: object) -> str | None:
    """The role of a column heading (``point``, ``north``, ``lon``, …) or ``None``."""
    if value is None:
        return None
    bare, _ = _norm_heading(value)
    if not bare:
        return None
    for role, words in ROLE_WORDS.items():
        if bare in words:
            return role
    if "经度" in bare or bare.startswith(("lon", "lng")):
        return "lon"
    if "纬度" in bare or bare.startswith("lat"):
        return "lat"
    if "纵坐标" in bare or "北坐标" in bare:
        return "north"
    if "横坐标" in bare or "东坐标" in bare:
        return "east"
    if "面积" in bare or bare.startswith("area"):
        return "area"
    if re.fullmatch(r"x\d?(坐标)?(\(?m\)?|米)?", bare):
        return "north"
    if re.fullmatch(r"y\d?(坐标)?(\(?m\)?|米)?", bare):
        return "east"
    if "点号" in bare or "拐点" in bare or "界址点" in bare:
        return "point"
    if "地块" in bare or "宗地" in bare:
        return "parcel"
    if "圈" in bare:
        return "ring"
    if "用途" in bare or "地类" in bare:
        return "use"
    return None


def _header(row: list) -> Columns | None:
    roles: dict[str, int] = {}
    for i, cell in enumerate(row):
        role = classify_heading(cell)
        if role and role not in roles:
            roles[role] = i
    if not (("north" in roles and "east" in roles) or ("lon" in roles and "lat" in roles)):
        return None
    columns = Columns(roles, [str(c) if c is not None else "" for c in row])
    if "area" in roles:
        _, units = _norm_heading(row[roles["area"]])
        bare = _norm_heading(row[roles["area"]])[0]
        text = units + " " + bare
        for words, factor, unit in AREA_UNITS:
            if any(w in text for w in words):
                columns.area_factor, columns.area_unit = factor, unit
                break
    return columns


def _pick_sheet(sheets: dict[str | None, list[list]], wanted: str | None, display: str):
    found = {}
    for name, rows in sheets.items():
        for at, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
            columns = _header(row)
            if columns is not None:
                found[name] = (rows, at, columns)
                break
    if wanted is not None and None not in sheets:
        if wanted not in sheets:
            raise InputError(f"{display}: no sheet {wanted!r} (sheets: {', '.join(sheets)})")
        if wanted not in found:
            raise InputError(f"{display}: sheet {wanted!r} has no heading row with coordinate "
                             "columns (X/Y, 北坐标/东坐标, E/N or 经度/纬度)")
        return (wanted, *found[wanted])
    if not found:
        raise InputError(
            f"{display}: not a coordinate table: no heading row with coordinate columns in the first "
            f"{_HEADER_SEARCH_ROWS} rows (expected X/Y, 纵坐标/横坐标, 北坐标/东坐标, E/N, 经度/纬度 or "
            "lon/lat headings); add a heading row")
    if len(found) > 1:
        raise InputError(f"{display}: coordinate tables on {len(found)} sheets "
                         f"({', '.join(str(n) for n in found)}); choose one with --layer")
    name = next(iter(found))
    return (name, *found[name])


def _choose_axes(columns: Columns, rows: list[list], warnings: list[str], where: str) -> bool:
    """True to read lon/lat columns, False for projected X/Y (north/east)."""
    has_xy = columns.has("north", "east")
    has_ll = columns.has("lon", "lat")
    if has_xy and has_ll:
        easting = [_maybe_number(r[columns.roles["east"]]) for r in rows
                   if len(r) > columns.roles["east"]]
        prefixed = [v for v in easting if v is not None and v >= 1e7]
        use_ll = not prefixed
        warnings.append(f"{where}: holds both projected and lon/lat columns; read "
                        + ("the lon/lat columns (the projected ones carry no zone prefix)"
                           if use_ll else "the projected X/Y columns (zone-prefixed)"))
        return use_ll
    return has_ll


# -- cells to numbers -------------------------------------------------------------

_POINT_ID = re.compile(r"[A-Za-z]{0,3}[-_]?\d+[A-Za-z]?")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?|[-+]?\.\d+")


def _maybe_number(value: object) -> float | None:
    try:
        return parse_number(value)
    except ValueError:
        return None


def parse_number(value: object) -> float:
    """A coordinate cell as a float (full-width digits and thousands separators allowed).

    Raises
    ------
    ValueError
        When the cell is not a number.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not np.isfinite(value):
            raise ValueError(value)
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    if re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        return float(text)
    raise ValueError(value)


def parse_angle(value: object) -> float:
    """Decimal degrees from a number or a degrees–minutes–seconds string.

    Accepts ``117.6034``, ``117°36′12.5″``, ``117°36'12.5"``, ``117 36 12.5``,
    ``117:36:12.5``, ``117度36分12.5秒``, with an optional ``E``/``N``/``东经``/``北纬``
    (``W``/``S`` make it negative).

    Raises
    ------
    ValueError
        When the text is not an angle (or minutes/seconds are not below 60).
    """
    if not isinstance(value, str):
        return parse_number(value)
    text = unicodedata.normalize("NFKC", value).strip()
    sign = -1.0 if re.search(r"[WwSs]|西经|南纬", text) else 1.0
    body = re.sub(r"东经|北纬|西经|南纬|[EeNnWwSs]", " ", text).strip()
    if body.startswith("-"):
        sign, body = -sign, body[1:]
    numbers = _NUMBER.findall(body)
    rest = _NUMBER.sub(" ", body)
    if not numbers or len(numbers) > 3 or re.search(r"[^\s°'\"′″:度分秒’”]", rest):
        raise ValueError(value)
    parts = [float(n) for n in numbers]
    if any(p < 0 for p in parts[1:]) or any(p >= 60 for p in parts[1:]):
        raise ValueError(value)
    degrees = parts[0] + sum(p / 60 ** (k + 1) for k, p in enumerate(parts[1:]))
    return sign * degrees


# -- rows to parcels --------------------------------------------------------------

def _cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _split(rows: list[list], header_at: int, columns: Columns, use_lonlat: bool,
           where: str) -> list[_Parcel]:
    roles = columns.roles
    a_col, b_col = (roles["lon"], roles["lat"]) if use_lonlat else (roles["east"], roles["north"])
    a_name, b_name = columns.headings[a_col], columns.headings[b_col]
    parse = parse_angle if use_lonlat else parse_number
    parcel_col, ring_col = roles.get("parcel"), roles.get("ring")
    point_col = roles.get("point")

    parcels: list[_Parcel] = []
    current: _Parcel | None = None
    ring: list[tuple[float, float]] = []
    ring_rows: list[int] = []
    ring_first_point = None
    last_parcel_value = last_ring_value = None
    pending_label: str | None = None

    def close_ring() -> None:
        nonlocal ring, ring_rows, ring_first_point
        if ring and current is not None:
            current.rings.append(_rings.Ring(np.array(ring, dtype=float), ring_rows[0],
                                             ring_rows[-1]))
        ring, ring_rows, ring_first_point = [], [], None

    def start_parcel(label: str | None) -> None:
        nonlocal current
        close_ring()
        current = _Parcel(label)
        parcels.append(current)

    for offset, row in enumerate(rows[header_at + 1:]):
        row_no = header_at + 2 + offset  # 1-based row number in the sheet / file
        a, b = _cell(row, a_col), _cell(row, b_col)
        parcel_value = cell_text(_cell(row, parcel_col))
        if a is None and b is None:
            texts = [t for t in (cell_text(c) for c in row) if t]
            point = cell_text(_cell(row, point_col))
            if point is not None and _POINT_ID.fullmatch(point) and current is not None:
                current.errors.append(f"{where} row {row_no}: point {point} has no coordinates; "
                                      "fill them in or delete the row")
                continue
            close_ring()  # a blank row ends a ring
            if texts and parcel_col is None:
                pending_label, current = texts[0], None  # a label row names the next parcel
            continue
        if parcel_col is not None:
            value = parcel_value if parcel_value is not None else last_parcel_value
            if current is None or value != last_parcel_value:
                start_parcel(value)
                last_ring_value = None
            last_parcel_value = value
        elif current is None:
            start_parcel(pending_label)
            pending_label = None
        current.rows.append(row_no)
        if ring_col is not None:
            ring_value = cell_text(_cell(row, ring_col)) or last_ring_value
            if ring_value != last_ring_value:
                close_ring()
            last_ring_value = ring_value
        if current.area_cell is None and "area" in roles:
            current.area_cell = _cell(row, roles["area"])
        if current.use is None and "use" in roles:
            current.use = cell_text(_cell(row, roles["use"]))
        try:
            if a is None or b is None:
                missing = a_name if a is None else b_name
                raise ValueError(f"the {missing} cell is empty")
            x, y = parse(a), parse(b)
        except ValueError as exc:
            bad = b if a is not None and _maybe_ok(parse, a) else a
            reason = (str(exc) if str(exc).startswith("the ") else
                      f"{bad!r} in column {a_name if bad is a else b_name} is not a "
                      + ("longitude/latitude (decimal degrees or 117°36′12.5″)" if use_lonlat
                         else "number"))
            current.errors.append(f"{where} row {row_no}: {reason}; fix the cell")
            continue
        point = cell_text(_cell(row, point_col))
        if ring and ((x, y) == ring[0] or (point is not None and point == ring_first_point)) \
                and len(ring) >= 3:
            ring_rows.append(row_no)
            close_ring()  # the first point repeated closes the ring
            continue
        if not ring:
            ring_first_point = point
        ring.append((x, y))
        ring_rows.append(row_no)
    close_ring()
    return [p for p in parcels if p.rings or p.errors]


def _maybe_ok(parse, value) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _features(path: Path, display: str, where: str, parcels: list[_Parcel], columns: Columns,
              use_lonlat: bool, hints, warnings: list[str], layer: str | None) -> RawFeatures:
    has_parcel_column = "parcel" in columns.roles
    geoms, labels, wheres, errors, areas, names, ids, uses = [], [], [], [], [], [], [], []
    entries: list[tuple[_Parcel, list[int], list[tuple[int, list[int]]] | None]] = []
    for parcel in parcels:
        bad = [r for r in parcel.rings if _rings.ring_problem(r.coords)]
        if parcel.errors or bad or has_parcel_column:
            entries.append((parcel, list(range(len(parcel.rings))), None))
            continue
        # no parcel column: every outer ring (with the rings inside it) is a parcel
        groups = _rings.nest([r.coords for r in parcel.rings])
        if len(groups) == 1:
            entries.append((parcel, list(range(len(parcel.rings))), groups))
        else:
            for k, (shell, holes) in enumerate(groups):
                sub = _Parcel(parcel.label if k == 0 else None,
                              [parcel.rings[shell]] + [parcel.rings[h] for h in holes])
                sub.rows = [r for ring in sub.rings for r in range(ring.first_row, ring.last_row + 1)]
                sub.area_cell = parcel.area_cell if k == 0 else None
                sub.use = parcel.use
                entries.append((sub, list(range(len(sub.rings))),
                                [(0, list(range(1, len(sub.rings))))]))
    single = len(entries) == 1
    for k, (parcel, _, groups) in enumerate(entries, start=1):
        label = parcel.label
        first = min(parcel.rows) if parcel.rows else None
        last = max(parcel.rows) if parcel.rows else None
        rows_text = (f"rows {first}–{last}" if first != last else f"row {first}") if first else ""
        name = f"parcel {label}" if label else f"parcel {k}"
        if single:
            wheres.append(rows_text or name)
        else:
            wheres.append(f"{name} ({rows_text})" if rows_text else name)
        feature_errors = list(parcel.errors)
        for ring_no, r in enumerate(parcel.rings if not parcel.errors else [], start=1):
            problem = _rings.ring_problem(r.coords)
            if problem:
                span = f"row {r.first_row}" if r.first_row == r.last_row else \
                    f"rows {r.first_row}–{r.last_row}"
                ring_name = f"ring {ring_no}" if single else f"{name} ring {ring_no}"
                feature_errors.append(f"{where} {ring_name} ({span}): {problem}")
        if feature_errors or not parcel.rings:
            geoms.append(None)
            if not feature_errors:
                feature_errors.append(f"{where} {name}: no coordinates; fill them in")
        else:
            coords = [r.coords for r in parcel.rings]
            geoms.append(_rings.polygon(coords, groups or _rings.nest(coords)))
        errors.append(feature_errors)
        ids.append(label or str(k))
        names.append(label if label else (path.stem if single else None))
        uses.append(parcel.use)
        labels.append(f"#{label}" if label else f"#{k}")
        areas.append(_declared_area(parcel.area_cell, columns))
    attributes = pd.DataFrame({"parcel": ids, "name": names, "use": uses}, dtype=object)
    return RawFeatures(path=path, display=display, geometry=np.array(geoms, dtype=object),
                       attributes=attributes, labels=labels,
                       where=wheres,
                       hints=hints, warnings=warnings, feature_errors=errors,
                       declared_area=areas, id_field="parcel", name_field="name",
                       use_field="use", layer=layer)


def _declared_area(cell: object, columns: Columns) -> tuple[float, str] | None:
    if cell is None:
        return None
    try:
        value = parse_number(cell)
    except ValueError:
        return None
    if columns.area_factor is None:
        return (value, f"{value:g} (unit not stated)")
    return (value * columns.area_factor, f"{value:g} {columns.area_unit}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
