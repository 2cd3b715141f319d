"""Read project files into a projects frame (one feature, one project).

The reader decides each project's id, name, kind, industry and CRS, normalises its
geometry and records every assumption as a warning on that project. A feature that
cannot be used becomes a project with an error; the others are still screened.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._gc import paused_gc
from ..crs import Projector, equal_area_crs, in_china
from ..errors import InputError
from ..geometry import normalise
from ..projects import PROJECT_KINDS, make_projects
from .crs_infer import SourceCRS, decide_crs, parse_input_crs, to_cgcs2000
from .raw import RawFeatures, cell_text
from .sources import read_source
from .vector import VectorSource

#: Common field names, tried in order, when the user names none.
ID_FIELDS = ("XMBH", "项目编号", "XMDM", "project_id", "id", "ID", "code")
NAME_FIELDS = ("XMMC", "项目名称", "name", "NAME", "Name", "名称", "MC")
INDUSTRY_FIELDS = ("HYDM", "行业代码", "industry", "INDUSTRY")
KIND_FIELDS = ("kind", "KIND", "项目形态")
TYPE_FIELDS = ("project_type", "project_types", "XMLXBQ")
USE_FIELDS = ("用途", "YT", "DLMC", "land_use")

#: A declared area that differs from the computed one by more than this is flagged.
AREA_MISMATCH = 0.01

_DIM_OF_KIND = {"footprint": 2, "linear": 1, "outfall": 0, "site": 0}
_KIND_OF_DIM = {2: "footprint", 1: "linear", 0: "site"}


@paused_gc()
def read_projects(path: str | Path, *, layer: str | None = None, kind: str = "auto",
                  crs: str | CRS | SourceCRS | None = None, id_field: str | None = None,
                  name_field: str | None = None, industry: str | None = None,
                  project_types: Sequence[str] = (), encoding: str | None = None,
                  cad_layers: Sequence[str] = (),
                  region: tuple[float, float, float, float] | None = None,
                  industry_field: str | None = None, kind_field: str | None = None
                  ) -> gpd.GeoDataFrame:
    """Read a project file: GIS vector data, a coordinate table, a survey TXT or a DXF.

    Parameters
    ----------
    path
        Any vector source GDAL reads (shapefile — also zipped, with folders —,
        GeoPackage, FileGDB, GeoJSON, KML/KMZ, GML, FlatGeobuf), GeoParquet, a
        corner-coordinate table (CSV, XLSX, XLS), a land-survey boundary TXT, or a DXF
        drawing. A zip may hold any of these.
    layer
        Layer of a multi-layer source, dataset inside a zip, or worksheet of a workbook.
    kind
        ``auto`` (polygon → footprint, line → linear, point → site, unless a ``kind``
        field says otherwise) or one of ``footprint``, ``linear``, ``outfall``, ``site``.
    crs
        The CRS of the coordinates: EPSG code, WKT, PROJ string or pipeline, or a name
        (``cgcs2000``, ``wgs84``, ``gcj02``, ``bd09``, ``xian80``, ``beijing54``);
        overrides what the file declares. Without either the CRS is inferred from
        the numbers (with a warning) or refused (see :mod:`redline.io.crs_infer`).
    id_field, name_field
        Fields for the project id and name; by default the reader's own (parcel
        number, CAD layer …) or the first of :data:`ID_FIELDS` / :data:`NAME_FIELDS`
        present, else the feature index.
    industry
        GB/T 4754-2017 code for every project (else from an ``HYDM``-like field).
    project_types
        Tags for every project (added to those of a ``project_type`` field).
    encoding
        Text encoding of attributes, CSV/TXT files or DXF text; detected when omitted.
    cad_layers
        CAD layers to read from a DXF.
    region
        Lon/lat bounds of the area screened (e.g. ``pack.bounds``); only used to name
        likely central meridians when a projected CRS cannot be inferred.
    industry_field, kind_field
        Fields for the industry code and the project kind; by default the first of
        :data:`INDUSTRY_FIELDS` / :data:`KIND_FIELDS` present.

    Returns
    -------
    geopandas.GeoDataFrame
        A projects frame in EPSG:4490 (see :mod:`redline.projects`).

    Raises
    ------
    InputError
        When the file cannot be read or has no usable CRS. A bad feature does not
        raise: it becomes a project with an error, and the others are still read.
    """
    path = Path(path)
    if kind != "auto" and kind not in PROJECT_KINDS:
        raise InputError(f"--kind: unknown kind {kind!r} (auto, {', '.join(PROJECT_KINDS)})")
    given = parse_input_crs(crs)
    with tempfile.TemporaryDirectory(prefix="redline-") as scratch:
        raw = read_source(path, layer=layer, encoding=encoding, cad_layers=cad_layers,
                          workdir=Path(scratch))
    if len(raw) == 0:
        raise InputError(f"{path}: holds no features")
    return _build(raw, kind=kind, given=given, id_field=id_field, name_field=name_field,
                  industry=industry, project_types=project_types, region=region,
                  industry_field=industry_field, kind_field=kind_field)


def layer_label(path: Path, given: str | None, read: str | None) -> str | None:
    """The layer named in each project's ``source`` (``file.gpkg:layer#3``), if any."""
    named = path.suffix.lower() in (".gpkg", ".gdb", ".sqlite") or path.is_dir()
    return (read or given) if named else None


def projects_from_source(source: VectorSource, *, kind: str = "auto",
                         crs: str | CRS | SourceCRS | None = None, id_field: str | None = None,
                         name_field: str | None = None, industry: str | None = None,
                         project_types: Sequence[str] = (), industry_field: str | None = None,
                         kind_field: str | None = None, layer_label: str | None = None,
                         first_index: int = 0,
                         region: tuple[float, float, float, float] | None = None
                         ) -> gpd.GeoDataFrame:
    """Turn features read from a vector source (a whole layer or a run of it) into projects.

    This is how a batch builds projects from the features it streams: the same
    steps as :func:`read_projects`, numbering features from ``first_index``.

    Parameters
    ----------
    source
        What :func:`~redline.io.vector.read_vector` (or a batch reader) returned.
    kind, crs, id_field, name_field, industry, project_types, industry_field, kind_field, region
        As for :func:`read_projects`.
    layer_label
        Layer named in each project's ``source``.
    first_index
        Index of the first feature within the layer: features are numbered from it
        (ids, ``source`` and messages), so a layer read in runs numbers as a whole.

    Returns
    -------
    geopandas.GeoDataFrame
        A projects frame in EPSG:4490.
    """
    if kind != "auto" and kind not in PROJECT_KINDS:
        raise InputError(f"--kind: unknown kind {kind!r} (auto, {', '.join(PROJECT_KINDS)})")
    raw = RawFeatures.from_vector(source.path, source.path.name, source.geometry,
                                  source.attributes, source.crs, layer=source.layer,
                                  warnings=source.warnings)
    prefix = f":{layer_label}" if layer_label else ""
    number = range(first_index, first_index + len(raw))
    raw.labels = [f"{prefix}#{i}" for i in number]
    raw.where = [f"feature {i}" for i in number]
    return _build(raw, kind=kind, given=parse_input_crs(crs), id_field=id_field,
                  name_field=name_field, industry=industry, project_types=project_types,
                  region=region, industry_field=industry_field, kind_field=kind_field,
                  first_index=first_index)


def project_ids(frame: pd.DataFrame, id_field: str | None, display: str,
                first_index: int = 0, default_field: str | None = None) -> list[str]:
    """Project ids: the id field's text, else the feature number."""
    candidates = (default_field, *ID_FIELDS) if default_field else ID_FIELDS
    ids = _column(frame, id_field, candidates, display, "--id-field")
    # cell_text gives a non-empty str or None
    return [v if v is not None else str(first_index + i) for i, v in enumerate(ids)]


def _build(raw: RawFeatures, *, kind: str, given: SourceCRS | None, id_field: str | None,
           name_field: str | None, industry: str | None, project_types: Sequence[str],
           region: tuple[float, float, float, float] | None,
           industry_field: str | None = None, kind_field: str | None = None,
           first_index: int = 0) -> gpd.GeoDataFrame:
    n = len(raw)
    frame = raw.attributes
    fixed = normalise(raw.geometry)
    geoms = fixed.geoms
    # Messages of single features, by feature, in the order they arise (most have none).
    errors = {i: list(e) for i, e in enumerate(raw.feature_errors) if e}
    warnings = {i: list(w) for i, w in enumerate(raw.feature_warnings) if w}
    missing = shapely.is_missing(geoms)
    for i in fixed.changed:
        if raw.geometry[i] is not None:
            warnings.setdefault(i, []).extend(
                f"{raw.display} {raw.where[i]}: {note}" for note in fixed.notes[i])
    for i in np.flatnonzero(missing):
        if not errors.get(i):
            errors.setdefault(i, []).append(f"{raw.display} {raw.where[i]}: no usable geometry "
                                            f"({'; '.join(fixed.notes[i]) or 'empty'})")

    live = ~missing
    file_warnings = list(raw.warnings)
    if live.any():
        xy = shapely.get_coordinates(geoms[live])
        decision = decide_crs(xy, name=raw.display, given=given, declared=raw.crs,
                              hints=raw.hints, region=region)
        lonlat = np.full(n, None, dtype=object)
        lonlat[live] = to_cgcs2000(geoms[live], decision.source, swap=decision.swap)
        source = decision.source
        file_warnings.extend(decision.warnings)
    else:
        lonlat = geoms
        source = given or SourceCRS(raw.crs, how="declared")
    _check_in_china(lonlat, live, errors, raw)
    _check_areas(lonlat, raw, warnings)

    ids = project_ids(frame, id_field, raw.display, first_index, raw.id_field)
    names = _column(frame, name_field,
                    (raw.name_field, *NAME_FIELDS) if raw.name_field else NAME_FIELDS,
                    raw.display, "--name-field")
    uses = _column(frame, None, (raw.use_field, *USE_FIELDS) if raw.use_field else USE_FIELDS,
                   raw.display, "")
    kinds = _kinds(frame, lonlat, kind, errors, raw, kind_field)
    if industry:
        industries = [_industry_code(industry)] * n
    else:
        codes = _column(frame, industry_field, INDUSTRY_FIELDS, raw.display, "--industry-field")
        code_of = {v: _industry_code(v) for v in set(codes)}
        industries = [code_of[v] for v in codes]
    types_field = _column(frame, None, TYPE_FIELDS, raw.display, "")
    given_tags = set(project_types)
    # one tag list per distinct field value: most features share a few
    tags_of = {value: sorted(_tags(value) | given_tags) for value in set(types_field)}
    # make_projects copies every list, so features without messages of their own share one
    no_errors: list[str] = []
    all_errors = [no_errors] * n
    for i, e in errors.items():
        all_errors[i] = e
    all_warnings = [file_warnings] * n
    for i, w in warnings.items():
        all_warnings[i] = [*file_warnings, *w]
    return make_projects(
        lonlat, project_id=ids, name=names, kind=kinds,
        source=[f"{raw.display}{label}" for label in raw.labels],
        crs_in=[source.label if source.crs is not None or source.pipeline else None] * n,
        industry=industries, project_types=[tags_of[t] for t in types_field],
        warnings=all_warnings, errors=all_errors, land_use=uses,
    )


def _industry_code(value: object) -> str | None:
    return str(value).strip().upper() if value not in (None, "") else None


def _check_in_china(lonlat: np.ndarray, live: np.ndarray, errors: dict[int, list[str]],
                    raw: RawFeatures) -> None:
    live = np.flatnonzero(live)
    if len(live) == 0:
        return
    bounds = shapely.bounds(lonlat[live])
    with np.errstate(invalid="ignore"):
        ok = in_china(bounds[:, 0], bounds[:, 1]) & in_china(bounds[:, 2], bounds[:, 3])
    for i in live[~ok]:
        errors.setdefault(i, []).append(
            f"{raw.display} {raw.where[i]}: coordinates fall outside China "
            "(wrong CRS, or X/Y swapped?); check them or pass --crs")


def _check_areas(lonlat: np.ndarray, raw: RawFeatures, warnings: dict[int, list[str]]) -> None:
    """Compare declared areas (tables, survey TXT) with the ellipsoidal area computed."""
    rows = [i for i, d in enumerate(raw.declared_area) if d is not None]
    rows = [i for i in rows
            if lonlat[i] is not None and shapely.get_dimensions(lonlat[i]) == 2]
    if not rows:
        return
    polys = lonlat[rows]
    projector = Projector(equal_area_crs(tuple(shapely.total_bounds(polys))))
    computed = shapely.area(projector.to_metric(polys))
    for i, area in zip(rows, computed, strict=True):
        declared, text = raw.declared_area[i]
        if "unit not stated" in text:
            declared, text = _guess_unit(declared, area, text)
        if declared <= 0:
            continue
        diff = (area - declared) / declared
        if abs(diff) > AREA_MISMATCH:
            warnings.setdefault(i, []).append(
                f"{raw.display} {raw.where[i]}: declares an area of {text} ({declared:,.1f} m²) "
                f"but its boundary encloses {area:,.1f} m² ({diff:+.1%}); check the "
                "coordinates or the declared area")


def _guess_unit(value: float, computed: float, text: str) -> tuple[float, str]:
    for factor, unit in ((1.0, "m²"), (10_000.0, "公顷"), (10_000.0 / 15.0, "亩")):
        if value > 0 and abs(computed - value * factor) <= AREA_MISMATCH * value * factor:
            return value * factor, f"{value:g} {unit}"
    return value, f"{value:g} (unit not stated; taken as m²)"


def _column_name(frame: pd.DataFrame, wanted: str | None, candidates: Sequence[str | None],
                 display: str, option: str) -> str | None:
    if wanted:
        if wanted not in frame.columns:
            fields = ", ".join(str(c) for c in frame.columns)
            raise InputError(f"{option}: {display} has no field {wanted!r} (fields: {fields})")
        return wanted
    return next((c for c in candidates if c in frame.columns), None)


def _column(frame: pd.DataFrame, wanted: str | None, candidates: Sequence[str | None],
            display: str, option: str) -> list:
    column = _column_name(frame, wanted, candidates, display, option)
    if column is None:
        return [None] * len(frame)
    values = frame[column]
    if isinstance(values.dtype, pd.StringDtype):
        # Only str or missing values: cell_text reduces to strip, empty → None.
        return [v.strip() or None if isinstance(v, str) else None
                for v in values.to_numpy(dtype=object)]
    values = values.astype(object).where(values.notna(), None)
    return [cell_text(v) for v in values]


_SHAPE_OF_DIM = {0: "point", 1: "line", 2: "polygon"}
#: Kind chosen by dimension, indexed by dimension + 1 (a missing geometry is -1).
_KIND_BY_DIM_PLUS_ONE = np.array([_KIND_OF_DIM.get(d, "site") for d in (-1, 0, 1, 2)],
                                 dtype=object)


def _kinds(frame: pd.DataFrame, geoms: np.ndarray, requested: str,
           errors: dict[int, list[str]], raw: RawFeatures, kind_field: str | None = None
           ) -> list[str]:
    dims = np.where(shapely.is_missing(geoms), -1, shapely.get_dimensions(geoms))
    if requested != "auto":
        _column_name(frame, kind_field, KIND_FIELDS, raw.display, "--kind-field")
        kinds = np.full(len(geoms), requested, dtype=object)
        expected = _DIM_OF_KIND[requested]
    else:
        field_kinds = _column(frame, kind_field, KIND_FIELDS, raw.display, "--kind-field")
        kinds = _KIND_BY_DIM_PLUS_ONE[np.clip(dims, -1, 2) + 1]
        for i, from_field in enumerate(field_kinds):
            if from_field is None:
                continue
            if from_field in PROJECT_KINDS:
                kinds[i] = from_field
            else:
                errors.setdefault(i, []).append(
                    f"{raw.display} {raw.where[i]}: unknown kind {from_field!r} in "
                    f"the kind field (use {', '.join(PROJECT_KINDS)})")
        expected = np.array([_DIM_OF_KIND[k] for k in kinds.tolist()], dtype=int)
    for i in np.flatnonzero((dims >= 0) & (expected != dims)):
        k = kinds[i]
        errors.setdefault(i, []).append(
            f"{raw.display} {raw.where[i]}: a {k} project must be a "
            f"{_SHAPE_OF_DIM[_DIM_OF_KIND[k]]}, got a {_SHAPE_OF_DIM[int(dims[i])]}")
    return kinds.tolist()


def _tags(value: object) -> set[str]:
    if not value:
        return set()
    return {t.strip() for t in str(value).replace(";", ",").replace(",", ",").split(",")
            if t.strip()}
