"""The batch output tables: a result as two Arrow tables, GeoParquet parts, merging.

``projects.parquet`` holds one row per project (the project fields of the result
document, ``verdict``, ``error``, geometry) and ``findings.parquet`` one row per
finding (``project_id`` plus the finding fields, geometry = the overlap piece). Both
are GeoParquet 1.1 (WKB, EPSG:4490) with fixed schemas, so parts written by
different chunks, processes or machines concatenate into byte-identical files.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from .crs import CGCS2000
from .result import ILLUSTRATIVE_NOTE, Result, describe_finding

_TEXT = pa.string()
_NUMBER = pa.float64()
ADMIN_TYPE = pa.list_(pa.struct([("code", _TEXT), ("name", _TEXT)]))
UNIT_TYPE = pa.list_(pa.struct([("code", _TEXT), ("name", _TEXT), ("class", _TEXT),
                                ("overlap_pct", _NUMBER)]))
TEXT_LIST = pa.list_(_TEXT)
LAND_COVER_TYPE = pa.list_(pa.struct([
    ("layer", _TEXT), ("part", _TEXT), ("value", _NUMBER), ("code", _TEXT), ("name", _TEXT),
    ("area_m2", _NUMBER), ("length_m", _NUMBER), ("share_pct", _NUMBER)]))
_TERRAIN_NUMBERS = ("elevation_min", "elevation_mean", "elevation_max", "slope_min_deg",
                    "slope_mean_deg", "slope_max_deg", "covered_pct")
TERRAIN_TYPE = pa.list_(pa.struct([("layer", _TEXT)] + [(n, _NUMBER) for n in _TERRAIN_NUMBERS]))

PROJECT_FIELDS = [
    ("project_id", _TEXT), ("name", _TEXT), ("kind", _TEXT), ("source", _TEXT),
    ("crs_in", _TEXT), ("industry", _TEXT), ("project_types", TEXT_LIST),
    ("area_m2", _NUMBER), ("length_m", _NUMBER), ("admin", ADMIN_TYPE),
    ("control_units", UNIT_TYPE), ("verdict", _TEXT), ("reasons", TEXT_LIST),
    ("findings", pa.int32()), ("warnings", TEXT_LIST), ("errors", TEXT_LIST),
    ("error", _TEXT), ("land_use", _TEXT), ("pollutants", TEXT_LIST),
    # raster layers of the pack (empty lists when it has none)
    ("land_cover", LAND_COVER_TYPE), ("terrain", TERRAIN_TYPE),
]
FINDING_FIELDS = [
    ("project_id", _TEXT), ("layer", _TEXT), ("kind", _TEXT), ("zone_id", _TEXT),
    ("zone_name", _TEXT), ("zone_class", _TEXT), ("zone_code", _TEXT), ("relation", _TEXT),
    ("overlap_m2", _NUMBER), ("overlap_pct", _NUMBER), ("overlap_length_m", _NUMBER),
    ("distance_m", _NUMBER), ("verdict", _TEXT), ("rule", _TEXT), ("basis", _TEXT),
    ("message", _TEXT), ("reason", _TEXT),
    # access-list findings: the clause behind them (null for other kinds)
    ("clause_id", _TEXT), ("clause_text", _TEXT), ("clause_scope", _TEXT),
    ("clause_unit", _TEXT), ("clause_dimension", _TEXT), ("clause_number", _TEXT),
    ("clause_effect", _TEXT), ("clause_conditional", pa.bool_()), ("clause_matched", _TEXT),
    ("clause_row", pa.int64()),
]
_CLAUSE_TEXT = ("clause_id", "clause_text", "clause_scope", "clause_unit", "clause_dimension",
                "clause_number", "clause_effect", "clause_matched")

_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def schemas(illustrative: bool) -> tuple[pa.Schema, pa.Schema]:
    """The projects and findings schemas (a ``notice`` column for illustrative packs)."""
    extra = [("notice", _TEXT)] if illustrative else []
    geometry = [("geometry", pa.binary())]
    return (pa.schema(PROJECT_FIELDS + extra + geometry),
            pa.schema(FINDING_FIELDS + extra + geometry))


def result_tables(result: Result, lang: str = "zh") -> tuple[pa.Table, pa.Table]:
    """The projects and findings of a result as Arrow tables (no file metadata).

    Parameters
    ----------
    result
        A screening result.
    lang
        Language of reasons, messages and legal bases.

    Returns
    -------
    tuple of pyarrow.Table
        ``(projects, findings)`` with the schemas of :func:`schemas`.
    """
    projects, findings = result.projects, result.findings
    n = len(projects)
    ids = projects["project_id"].to_numpy(dtype=object)
    position = pd.Index(ids).get_indexer(findings["project_id"].to_numpy(dtype=object))

    reason = _reasons(result, lang)
    has_reason = np.array([r is not None for r in reason], dtype=bool)
    units = findings["kind"].to_numpy(dtype=object) == "control_unit"
    unit_codes = _text(findings["zone_code"]).copy()
    unit_codes[pd.isna(unit_codes)] = _text(findings["zone_id"])[pd.isna(unit_codes)]
    unit_struct = pa.StructArray.from_arrays(
        [pa.array(unit_codes[units], _TEXT), pa.array(_text(findings["zone_name"])[units], _TEXT),
         pa.array(_text(findings["zone_class"])[units], _TEXT),
         pa.array(findings["overlap_pct"].to_numpy(float)[units], _NUMBER, from_pandas=True)],
        fields=list(UNIT_TYPE.value_type))
    errors = projects["errors"].tolist()
    failed = np.array([bool(e) for e in errors], dtype=bool)
    columns: dict[str, Any] = {
        "project_id": pa.array(ids, _TEXT),
        "name": pa.array(_text(projects["name"]), _TEXT),
        "kind": pa.array(_text(projects["kind"]), _TEXT),
        "source": pa.array(_text(projects["source"]), _TEXT),
        "crs_in": pa.array(_text(projects["crs_in"]), _TEXT),
        "industry": pa.array(_text(projects["industry"]), _TEXT),
        "project_types": pa.array([list(t) for t in projects["project_types"]], TEXT_LIST),
        "area_m2": pa.array(projects["area_m2"].to_numpy(float), _NUMBER, from_pandas=True),
        "length_m": pa.array(projects["length_m"].to_numpy(float), _NUMBER, from_pandas=True),
        "admin": pa.array(projects["admin"].tolist(), ADMIN_TYPE),
        "control_units": _lists(position[units], unit_struct, n),
        "verdict": pa.array(_text(projects["verdict"]), _TEXT),
        "reasons": _lists(position[has_reason], pa.array(reason[has_reason], _TEXT), n),
        "findings": pa.array(np.bincount(position, minlength=n).astype(np.int32)),
        "warnings": pa.array(projects["warnings"].tolist(), TEXT_LIST),
        "errors": pa.array(errors, TEXT_LIST),
        "error": pa.array(["; ".join(e) if bad else None
                           for e, bad in zip(errors, failed, strict=True)], _TEXT),
        "land_use": pa.array(_text(_column(projects, "land_use")), _TEXT),
        "pollutants": pa.array([list(v) if isinstance(v, list | tuple) else []
                                for v in _column(projects, "pollutants")], TEXT_LIST),
        "land_cover": _raster_lists(result.land_cover, ids, LAND_COVER_TYPE, lang),
        "terrain": _raster_lists(result.terrain, ids, TERRAIN_TYPE, lang),
    }
    basis = "basis_en" if lang == "en" else "basis"
    message = "message_en" if lang == "en" else "message_zh"
    finding_columns: dict[str, Any] = {
        name: pa.array(_text(findings[name]), _TEXT)
        for name in ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                     "zone_code", "relation", "verdict", "rule")}
    for name in ("overlap_m2", "overlap_pct", "overlap_length_m", "distance_m"):
        finding_columns[name] = pa.array(findings[name].to_numpy(float), _NUMBER, from_pandas=True)
    finding_columns["basis"] = pa.array(_text(findings[basis]), _TEXT)
    finding_columns["message"] = pa.array(_text(findings[message]), _TEXT)
    finding_columns["reason"] = pa.array(reason, _TEXT)
    for name in _CLAUSE_TEXT:
        finding_columns[name] = _as_text(_text(_column(findings, name)))
    finding_columns["clause_conditional"] = pa.array(
        _text(_column(findings, "clause_conditional")), pa.bool_())
    finding_columns["clause_row"] = pa.array(
        pd.to_numeric(_column(findings, "clause_row")).astype("Int64"), pa.int64(),
        from_pandas=True)
    project_schema, finding_schema = schemas(result.illustrative)
    if result.illustrative:
        notice = ILLUSTRATIVE_NOTE[0 if lang == "zh" else 1]
        columns["notice"] = pa.array([notice] * n, _TEXT)
        finding_columns["notice"] = pa.array([notice] * len(findings), _TEXT)
    project_geoms = projects.geometry.values.to_numpy()
    finding_geoms = findings.geometry.values.to_numpy()
    columns["geometry"] = _wkb(project_geoms)
    finding_columns["geometry"] = _wkb(finding_geoms)
    return (_carrying_geo(pa.table(columns, schema=project_schema), project_geoms),
            _carrying_geo(pa.table(finding_columns, schema=finding_schema), finding_geoms))


def _carrying_geo(table: pa.Table, geoms: np.ndarray) -> pa.Table:
    """The table with the GeoParquet metadata of its geometry column attached, computed
    from the shapely geometries at hand (no WKB decoding when the part is written)."""
    return table.replace_schema_metadata({
        _GEO: json.dumps(_geo_of([geoms]), sort_keys=True).encode(),
        _GEO_ROWS: str(table.num_rows).encode()})


#: Schema metadata of :func:`result_tables`' tables: their ``geo`` metadata, and the row
#: count it was computed for (tables concatenated later keep the first table's metadata,
#: so it is trusted only while the row count still matches).
_GEO, _GEO_ROWS = b"geo", b"redline_geo_rows"


def _raster_lists(table: pd.DataFrame | None, ids: np.ndarray, kind: pa.DataType,
                  lang: str) -> pa.Array:
    """Per project, its rows of ``Result.land_cover`` / ``Result.terrain`` as a list of structs."""
    n = len(ids)
    fields = list(kind.value_type)
    if table is None or len(table) == 0:
        return _lists(np.empty(0, dtype=np.int64), pa.array([], pa.struct(fields)), n)
    position = pd.Index(ids).get_indexer(table["project_id"].to_numpy(dtype=object))
    table = table.assign(name=table["name_en" if lang == "en" else "name_zh"]) \
        if "name_zh" in table.columns else table
    arrays = []
    for f in fields:
        values = table[f.name]
        if pa.types.is_floating(f.type):
            arrays.append(pa.array(pd.to_numeric(values).to_numpy(float), f.type, from_pandas=True))
        else:
            arrays.append(pa.array(_text(values), f.type))
    return _lists(position, pa.StructArray.from_arrays(arrays, fields=fields), n)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the frame, or all-missing when the frame lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _as_text(values: np.ndarray) -> pa.Array:
    """An object array as Arrow text, non-text values (numbers) written with ``str``."""
    try:
        return pa.array(values, _TEXT)  # the usual case: str and None only
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in values], _TEXT)


def _text(values: pd.Series) -> np.ndarray:
    """A text column as an object array with ``None`` for missing values."""
    array = values.to_numpy(dtype=object)
    return np.where(pd.isna(array), None, array)


def _wkb(geoms: np.ndarray) -> pa.Array:
    return pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)), pa.binary())


def _lists(position: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """A list column: ``values[i]`` goes to row ``position[i]`` (positions ascending)."""
    order = np.argsort(position, kind="stable")
    offsets = np.searchsorted(position[order], np.arange(n + 1)).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


_NUMBER_FIELDS = ("overlap_m2", "overlap_length_m", "overlap_pct", "distance_m")
_TEXT_FIELDS = ("layer", "kind", "zone_id", "zone_name", "zone_class", "relation", "verdict",
                "message_zh", "message_en", "basis", "basis_en")


def _reasons(result: Result, lang: str) -> np.ndarray:
    """One sentence per finding that is not ``clear`` (``None`` for the others).

    The sentence is :func:`redline.result.describe_finding`'s. Findings that differ
    only in their numbers share everything else, so that part is built once per
    distinct text, and the numbers (as :func:`redline.result.measure_text` writes
    them) for all findings at once.
    """
    findings = result.findings
    out = np.full(len(findings), None, dtype=object)
    rows = np.flatnonzero(findings["verdict"].to_numpy(dtype=object) != "clear")
    if len(rows) == 0:
        return out
    text = {name: _text(findings[name])[rows] if name in findings.columns
            else np.full(len(rows), None, dtype=object) for name in _TEXT_FIELDS}
    number = {name: findings[name].to_numpy(float)[rows] for name in _NUMBER_FIELDS}
    numbers = _measure_texts(number, text["relation"], lang)
    Record = namedtuple("Record", [*_TEXT_FIELDS, *_NUMBER_FIELDS])
    blank = (float("nan"),) * len(_NUMBER_FIELDS)
    zh = lang == "zh"
    parts: dict[tuple, tuple[str, str] | None] = {}
    keys = list(zip(*(text[n] for n in _TEXT_FIELDS), strict=True))
    for k, (i, key) in enumerate(zip(rows, keys, strict=True)):
        if key not in parts:
            f = Record(*key, *blank)
            base = describe_finding(f, result.pack, lang)
            message = f.message_zh if zh else f.message_en
            basis = f.basis if zh else f.basis_en
            suffix = ((":" if zh else ": ") + message) if message else ""
            if basis:
                suffix += f"(依据:{basis})" if zh else f" (basis: {basis})"
            parts[key] = (base[:len(base) - len(suffix)], suffix) if base.endswith(suffix) \
                else None
        split = parts[key]
        if split is None:  # not built as expected: the slow, sure way
            out[i] = describe_finding(Record(*key, *(number[n][k] for n in _NUMBER_FIELDS)),
                                      result.pack, lang)
        elif numbers[k]:
            out[i] = f"{split[0]} {numbers[k]}{split[1]}"
        else:
            out[i] = split[0] + split[1]
    return out


def _measure_texts(number: dict[str, np.ndarray], relation: np.ndarray, lang: str) -> list[str]:
    """:func:`redline.result.measure_text` for many findings (same text, vectorised tests)."""
    def shown(values: np.ndarray) -> np.ndarray:
        # An area or length is printed unless it is missing, or a bare boundary contact.
        with np.errstate(invalid="ignore"):
            return ~np.isnan(values) & ((np.round(values, 2) > 0.05) | (relation != "touches"))

    m2, length = number["overlap_m2"], number["overlap_length_m"]
    pct, distance = number["overlap_pct"], number["distance_m"]
    area_on, length_on = shown(m2), shown(length)
    pct_on = ~np.isnan(pct) & np.isin(relation, ["overlaps", "inside", "outside"])
    distance_on = ~np.isnan(distance) & np.isin(relation, ["near", "downstream"])
    words = (("沿河距离", "距离") if lang == "zh" else ("along the river", "distance"))
    out = []
    for j in range(len(relation)):
        parts = []
        if area_on[j]:
            parts.append(f"{m2[j]:,.1f} m²")
        if length_on[j]:
            parts.append(f"{length[j]:,.1f} m")
        if pct_on[j]:
            parts.append(f"({pct[j]:.1f}%)")
        if distance_on[j]:
            word = words[0] if relation[j] == "downstream" else words[1]
            parts.append(f"{word} {distance[j]:,.1f} m")
        out.append(" ".join(parts))
    return out


# ------------------------------------------------------------------ GeoParquet files


def geo_metadata(tables: Iterable[pa.Table]) -> dict[str, Any]:
    """The GeoParquet ``geo`` metadata (1.1.0) covering the geometry of ``tables``."""
    return _geo_of(shapely.from_wkb(table["geometry"].to_numpy(zero_copy_only=False))
                   for table in tables)


def _carried_geo(table: pa.Table) -> dict[str, Any] | None:
    """The ``geo`` metadata :func:`result_tables` attached, if it still fits the table."""
    meta = table.schema.metadata or {}
    if _GEO in meta and meta.get(_GEO_ROWS) == str(table.num_rows).encode():
        return json.loads(meta[_GEO])
    return None


def _geo_of(arrays: Iterable[np.ndarray]) -> dict[str, Any]:
    """The ``geo`` metadata covering arrays of shapely geometries."""
    types: set[str] = set()
    bounds: list[np.ndarray] = []
    for geoms in arrays:
        geoms = np.asarray(geoms, dtype=object)
        live = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
        if len(live):
            types.update(_TYPE_NAMES[int(t)] for t in np.unique(shapely.get_type_id(live)))
            b = shapely.bounds(live)
            bounds.append(np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()]))
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": sorted(types),
                              "crs": CGCS2000.to_json_dict()}
    if bounds:
        b = np.array(bounds)
        column["bbox"] = [float(b[:, 0].min()), float(b[:, 1].min()),
                          float(b[:, 2].max()), float(b[:, 3].max())]
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def merge_geo_metadata(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine the ``geo`` metadata of several parts (types united, bboxes merged)."""
    types = sorted({t for p in parts for t in p["columns"]["geometry"]["geometry_types"]})
    boxes = np.array([p["columns"]["geometry"]["bbox"] for p in parts
                      if "bbox" in p["columns"]["geometry"]])
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": types,
                              "crs": CGCS2000.to_json_dict()}
    if len(boxes):
        column["bbox"] = [float(boxes[:, 0].min()), float(boxes[:, 1].min()),
                          float(boxes[:, 2].max()), float(boxes[:, 3].max())]
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def with_metadata(table: pa.Table, geo: dict[str, Any], provenance: dict[str, Any]) -> pa.Table:
    """The table with GeoParquet and redline provenance metadata attached."""
    return table.replace_schema_metadata({
        b"geo": json.dumps(geo, sort_keys=True).encode(),
        b"redline": json.dumps(provenance, ensure_ascii=False, sort_keys=True).encode(),
    })


def write_part(table: pa.Table, path: Path, provenance: dict[str, Any]) -> None:
    """Write one GeoParquet part atomically (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    geo = _carried_geo(table) or geo_metadata([table])
    pq.write_table(with_metadata(table, geo, provenance), tmp)
    os.replace(tmp, path)


def merge_parts(parts: list[Path], path: Path, schema: pa.Schema,
                provenance: dict[str, Any]) -> int:
    """Concatenate GeoParquet parts, in order, into one GeoParquet file; return its rows.

    Streams one part at a time (memory bounded by the largest part); each part
    becomes one row group. Written through a temporary file and renamed.
    """
    geo = merge_geo_metadata([json.loads(pq.read_schema(p).metadata[b"geo"]) for p in parts])
    tmp = path.with_name(f".{path.name}.tmp")
    rows = 0
    full_schema = with_metadata(schema.empty_table(), geo, provenance).schema
    with pq.ParquetWriter(tmp, full_schema) as writer:
        for part in parts:
            table = pq.read_table(part).replace_schema_metadata(full_schema.metadata)
            writer.write_table(table.cast(full_schema), row_group_size=max(len(table), 1))
            rows += len(table)
    os.replace(tmp, path)
    return rows
