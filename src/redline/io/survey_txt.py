"""Land-survey boundary TXT (勘测定界 / 界址点坐标交换格式), DOMAIN §4.

The file has an ``[属性描述]`` block of ``key=value`` lines (坐标系, 几度分带, 投影类型,
计量单位, 带号 …) and a ``[地块坐标]`` block in which each parcel starts with a header
line ``点数,面积(公顷),编号,名称,面/线/点,图幅号,用途,地类编码,@`` followed by one
``点号,圈号,X,Y`` line per point (X northing, Y easting, usually with the zone prefix;
圈号 numbers the rings, each closed by repeating its first point).

Each parcel becomes one project with its number, name and use; the header decides
the CRS (a declared CRS) when it names the datum; the declared area is checked
against the computed one by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from . import _rings
from .crs_infer import CrsHints, datum_from_text, gk_crs, prefixed_zones, zone_of_cm
from .encoding import read_text_file
from .raw import RawFeatures

_MARKERS = ("[属性描述]", "[地块坐标]")
HEADER_FIELDS = ("界址点数", "面积(公顷)", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途",
                 "地类编码")


def looks_like_survey_txt(path: Path) -> bool:
    """True when the file carries the survey-format section markers."""
    try:
        head = path.read_bytes()[:8192]
    except OSError:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding, errors="ignore")
        except LookupError:  # pragma: no cover
            continue
        if any(m in unicodedata.normalize("NFKC", text) for m in
               (unicodedata.normalize("NFKC", m) for m in _MARKERS)):
            return True
    return False


def read_survey_txt(path: Path, display: str, *, encoding: str | None = None) -> RawFeatures:
    """Read a land-survey boundary TXT.

    Parameters
    ----------
    path
        The TXT file.
    display
        How to name it in messages.
    encoding
        Text encoding (detected when omitted: BOM, UTF-8, GB18030).

    Returns
    -------
    RawFeatures
        One feature per parcel, in the file's projected coordinates (easting, northing).

    Raises
    ------
    InputError
        Unreadable file, or no ``[地块坐标]`` section.
    """
    text, note = read_text_file(path, display, encoding)
    warnings = [note] if note else []
    lines = unicodedata.normalize("NFKC", text).splitlines()

    attributes: dict[str, str] = {}
    section = None
    parcels: list[dict] = []
    for line_no, raw_line in enumerate(lines, start=1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述":
            key, _, value = line.partition("=")
            attributes[key.strip()] = value.strip()
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if fields[-1] == "@":
                parcels.append({"header": fields[:-1], "line": line_no, "points": [],
                                "errors": []})
            elif not parcels:
                raise InputError(f"{display} line {line_no}: a point line before any parcel "
                                 "header ('点数,面积,编号,名称,面,图幅号,用途,,@')")
            else:
                parcels[-1]["points"].append((line_no, fields))
    if not parcels:
        raise InputError(f"{display}: no parcels (no '[地块坐标]' section with parcel header "
                         "lines ending in '@'); is this a land-survey boundary TXT?")

    hints = _hints(attributes)
    geoms, where, errors, areas, meta = [], [], [], [], []
    for k, parcel in enumerate(parcels, start=1):
        header = parcel["header"] + [""] * (len(HEADER_FIELDS) - len(parcel["header"]))
        number = header[2] or str(k)
        last_line = parcel["points"][-1][0] if parcel["points"] else parcel["line"]
        place = f"parcel {number} (lines {parcel['line']}–{last_line})"
        where.append(place)
        geom, problems = _parcel_geometry(parcel, header, display, place)
        geoms.append(geom)
        errors.append(problems)
        area = _number(header[1])
        areas.append((area * 10_000.0, f"{header[1]} 公顷") if area is not None else None)
        meta.append({"地块编号": number, "地块名称": header[3] or None,
                     "图形属性": header[4] or None, "图幅号": header[5] or None,
                     "地块用途": header[6] or None, "地类编码": header[7] or None,
                     "面积(公顷)": header[1] or None, "界址点数": header[0] or None})

    geometry = np.array(geoms, dtype=object)
    crs, crs_notes = _declared_crs(attributes, hints, geometry, display)
    frame = pd.DataFrame(meta, dtype=object)
    return RawFeatures(path=path, display=display, geometry=geometry, attributes=frame,
                       labels=[f"#{m['地块编号']}" for m in meta], where=where, crs=crs,
                       hints=hints, warnings=warnings + crs_notes, feature_errors=errors,
                       declared_area=areas, id_field="地块编号", name_field="地块名称",
                       use_field="地块用途")


def _parcel_geometry(parcel: dict, header: list[str], display: str, place: str):
    problems: list[str] = []
    rings: dict[str, list[tuple[float, float]]] = {}
    spans: dict[str, list[int]] = {}
    for line_no, fields in parcel["points"]:
        if len(fields) < 4:
            problems.append(f"{display} line {line_no}: expected '点号,圈号,X,Y', got "
                            f"{','.join(fields)!r}; fix the line")
            continue
        ring_id = fields[1] or "1"
        try:
            north, east = float(fields[2]), float(fields[3])
        except ValueError:
            problems.append(f"{display} line {line_no}: coordinate {fields[2]!r}/{fields[3]!r} "
                            "is not a number; fix the line")
            continue
        rings.setdefault(ring_id, []).append((east, north))
        spans.setdefault(ring_id, []).append(line_no)
    declared = _number(header[0])
    read = len(parcel["points"])
    if declared is not None and read < declared:
        problems.append(f"{display} {place}: the header declares {declared:g} points but {read} "
                        "follow (truncated file?); complete the parcel")
    if problems:
        return None, problems
    if not rings:
        return None, [f"{display} {place}: no point lines; add them"]
    shape = header[4]
    coords = [np.array(pts, dtype=float) for pts in rings.values()]
    if shape == "点":
        return shapely.MultiPoint(np.vstack(coords)), []
    if shape == "线":
        lines = [shapely.LineString(c) for c in coords if len(c) >= 2]
        return (lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)), []
    for ring_id, c in zip(rings, coords, strict=True):
        problem = _rings.ring_problem(c)
        if problem:
            lines = spans[ring_id]
            problems.append(f"{display} {place} ring {ring_id} (lines {lines[0]}–{lines[-1]}): "
                            f"{problem}")
    if problems:
        return None, problems
    return _rings.polygon(coords, _rings.nest(coords)), []


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _hints(attributes: dict[str, str]) -> CrsHints:
    datum = datum_from_text(attributes.get("坐标系", ""))
    width = zone = None
    cm = None
    if m := re.search(r"\d+", attributes.get("几度分带", "")):
        width = int(m.group())
    if m := re.search(r"\d+", attributes.get("带号", "")):
        zone = int(m.group())
    for key in ("中央经线", "中央子午线", "中央经度"):
        if m := re.search(r"\d+(\.\d+)?", attributes.get(key, "")):
            cm = float(m.group())
    if zone is not None and zone > 60 and cm is None:  # some writers put the CM in 带号
        zone, cm = None, float(zone)
    return CrsHints(datum=datum, width=width if width in (3, 6) else None, zone=zone, cm=cm)


def _declared_crs(attributes: dict[str, str], hints: CrsHints, geometry: np.ndarray,
                  display: str):
    """The CRS the header declares, when it names a datum and a zone can be placed."""
    notes: list[str] = []
    if hints.datum is None or hints.datum == "wgs84":
        return None, notes
    unit = attributes.get("计量单位", "米")
    if unit and "米" not in unit and "m" not in unit.lower():
        return None, notes
    live = [g for g in geometry if g is not None]
    if not live:
        return None, notes
    xy = shapely.get_coordinates(np.array(live, dtype=object))
    zones = prefixed_zones(xy[:, 0], xy[:, 1])
    if zones and len(zones) == 1:
        zone = zones.pop()
        width = 3 if zone >= 25 else 6
        stated = hints.zone if hints.zone is not None else (
            zone_of_cm(hints.cm, hints.width or width) if hints.cm is not None else None)
        if stated is not None and stated != zone:
            notes.append(f"{display}: the header says zone {stated} but the eastings carry the "
                         f"prefix {zone}; using zone {zone}")
        if hints.width is not None and hints.width != width:
            notes.append(f"{display}: the header says {hints.width}-degree zones but prefix "
                         f"{zone} is a {width}-degree zone; using {width}-degree zone {zone}")
        return gk_crs(hints.datum, width, zone, prefixed=True), notes
    if zones is None and hints.width in (3, 6):
        zone = hints.zone if hints.zone is not None else (
            zone_of_cm(hints.cm, hints.width) if hints.cm is not None else None)
        if zone is not None:
            try:
                return gk_crs(hints.datum, hints.width, zone, prefixed=False), notes
            except InputError:
                return None, notes
    return None, notes
