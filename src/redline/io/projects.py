"""Read project files into a projects frame (one feature, one project).

The reader decides each project's id, name, kind, industry and CRS, normalises its
geometry and records every assumption as a warning on that project. A feature that
cannot be used becomes a project with an error; the others are still screened.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..crs import CGCS2000, crs_label, in_china, parse_crs
from ..errors import InputError
from ..geometry import normalise
from ..projects import PROJECT_KINDS, make_projects
from .vector import VectorSource, read_vector

#: Common field names, tried in order, when the user names none.
ID_FIELDS = ("XMBH", "项目编号", "XMDM", "project_id", "id", "ID", "code")
NAME_FIELDS = ("XMMC", "项目名称", "name", "NAME", "Name", "名称", "MC")
INDUSTRY_FIELDS = ("HYDM", "行业代码", "industry", "INDUSTRY")
KIND_FIELDS = ("kind", "KIND", "项目形态")
TYPE_FIELDS = ("project_type", "project_types", "XMLXBQ")

_DIM_OF_KIND = {"footprint": 2, "linear": 1, "outfall": 0, "site": 0}
_KIND_OF_DIM = {2: "footprint", 1: "linear", 0: "site"}


def read_projects(path: str | Path, *, layer: str | None = None, kind: str = "auto",
                  crs: str | CRS | None = None, id_field: str | None = None,
                  name_field: str | None = None, industry: str | None = None,
                  project_types: Sequence[str] = (), encoding: str | None = None,
                  industry_field: str | None = None, kind_field: str | None = None
                  ) -> gpd.GeoDataFrame:
    """Read a vector file of projects.

    Parameters
    ----------
    path
        Any vector source pyogrio reads (shapefile, zipped shapefile, GeoPackage,
        GeoJSON, KML, FileGDB, …).
    layer
        Layer to read when the source holds several.
    kind
        ``auto`` (polygon → footprint, line → linear, point → site, unless a ``kind``
        field says otherwise) or one of ``footprint``, ``linear``, ``outfall``, ``site``.
    crs
        The CRS of the coordinates; overrides what the file declares (with a warning
        when they differ). Without either, lon/lat inside China is assumed to be
        CGCS2000 (with a warning); anything else is refused.
    id_field, name_field
        Fields for the project id and name; by default the first of
        :data:`ID_FIELDS` / :data:`NAME_FIELDS` present, else the feature index.
    industry
        GB/T 4754-2017 code for every project (else from an ``HYDM``-like field).
    project_types
        Tags for every project (added to those of a ``project_type`` field).
    encoding
        Attribute encoding (shapefiles); detected when omitted.
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
        When the file cannot be read or has no usable CRS.
    """
    path = Path(path)
    if kind != "auto" and kind not in PROJECT_KINDS:
        raise InputError(f"--kind: unknown kind {kind!r} (auto, {', '.join(PROJECT_KINDS)})")
    source = read_vector(path, layer=layer, encoding=encoding)
    if len(source.attributes) == 0:
        raise InputError(f"{path}: holds no features")
    return projects_from_source(
        source, kind=kind, crs=crs, id_field=id_field, name_field=name_field,
        industry=industry, project_types=project_types, industry_field=industry_field,
        kind_field=kind_field, layer_label=layer_label(path, layer, source.layer))


def layer_label(path: Path, given: str | None, read: str | None) -> str | None:
    """The layer named in each project's ``source`` (``file.gpkg:layer#3``), if any."""
    if given is None and read and path.suffix.lower() in (".gpkg", ".gdb"):
        return read
    return given


def projects_from_source(source: VectorSource, *, kind: str = "auto",
                         crs: str | CRS | None = None, id_field: str | None = None,
                         name_field: str | None = None, industry: str | None = None,
                         project_types: Sequence[str] = (), industry_field: str | None = None,
                         kind_field: str | None = None, layer_label: str | None = None,
                         first_index: int = 0) -> gpd.GeoDataFrame:
    """Turn features read from a source (a whole layer or a run of it) into projects.

    Parameters
    ----------
    source
        What :func:`~redline.io.vector.read_vector` (or a batch reader) returned.
    kind, crs, id_field, name_field, industry, project_types, industry_field, kind_field
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
    path = source.path
    frame = source.frame
    file_warnings = list(source.warnings)
    src_crs, crs_note = _decide_crs(path, frame, crs)
    if crs_note:
        file_warnings.append(crs_note)

    fixed = normalise(frame.geometry.values)
    geoms = fixed.geoms
    n = len(frame)
    number = np.arange(first_index, first_index + n)
    warnings = [[*file_warnings, *notes] for notes in fixed.notes]
    errors: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(shapely.is_missing(geoms)):
        errors[i].append(f"{path.name} feature {number[i]}: no usable geometry "
                         f"({'; '.join(fixed.notes[i])})")

    ids = project_ids(frame, id_field, path, first_index)
    names = _column(frame, name_field, NAME_FIELDS, path, "--name-field")
    kinds = _kinds(frame, geoms, kind, errors, path, kind_field, number)
    industries = ([industry] * n if industry else
                  _column(frame, industry_field, INDUSTRY_FIELDS, path, "--industry-field"))
    types_field = _column(frame, None, TYPE_FIELDS, path, "")
    tags = [_tags(t) | set(project_types) for t in types_field]

    lonlat = _to_cgcs2000(geoms, src_crs)
    _check_in_china(lonlat, errors, path, number)
    suffix = f":{layer_label}" if layer_label else ""
    return make_projects(
        lonlat, project_id=ids, name=names, kind=kinds,
        source=[f"{path.name}{suffix}#{i}" for i in number],
        crs_in=[crs_label(src_crs)] * n,
        industry=[str(v).strip().upper() if v not in (None, "") else None for v in industries],
        project_types=[sorted(t) for t in tags], warnings=warnings, errors=errors,
    )


def project_ids(frame: pd.DataFrame, id_field: str | None, path: Path,
                first_index: int = 0) -> list[str]:
    """Project ids: the id field's text, else the feature number."""
    ids = _column(frame, id_field, ID_FIELDS, path, "--id-field")
    return [str(v) if v not in (None, "") else str(first_index + i) for i, v in enumerate(ids)]


def _decide_crs(path: Path, frame: gpd.GeoDataFrame, given: str | CRS | None
                ) -> tuple[CRS, str | None]:
    declared = frame.crs
    if given is not None:
        crs = parse_crs(given)
        if declared is not None and not declared.equals(crs):
            return crs, (f"{path.name} declares {crs_label(declared)}; using {crs_label(crs)} "
                         "as given by --crs")
        return crs, None
    if declared is not None:
        return declared, None
    coords = shapely.get_coordinates(frame.geometry.values)
    if len(coords) and in_china(coords[:, 0], coords[:, 1]).all():
        return CGCS2000, f"{path.name} declares no CRS; lon/lat in China assumed to be CGCS2000 (EPSG:4490)"
    raise InputError(
        f"{path}: the file declares no CRS and its coordinates are not lon/lat in China; "
        "pass --crs (e.g. --crs EPSG:4527 for CGCS2000 3-degree zone 39)")


def _to_cgcs2000(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    live = ~shapely.is_missing(geoms)
    out = geoms.copy()
    if live.any() and not crs.equals(CGCS2000):
        out[live] = gpd.GeoSeries(geoms[live], crs=crs).to_crs(CGCS2000).values.to_numpy()
    return out


def _check_in_china(lonlat: np.ndarray, errors: list[list[str]], path: Path,
                    number: np.ndarray) -> None:
    live = np.flatnonzero(~shapely.is_missing(lonlat))
    if len(live) == 0:
        return
    bounds = shapely.bounds(lonlat[live])
    ok = in_china(bounds[:, 0], bounds[:, 1]) & in_china(bounds[:, 2], bounds[:, 3])
    for i in live[~ok]:
        errors[i].append(f"{path.name} feature {number[i]}: coordinates fall outside China "
                         "(wrong CRS, or X/Y swapped?)")


def _column(frame: pd.DataFrame, wanted: str | None, candidates: Sequence[str], path: Path,
            option: str) -> list:
    if wanted:
        if wanted not in frame.columns:
            fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
            raise InputError(f"{option}: {path.name} has no field {wanted!r} (fields: {fields})")
        column = wanted
    else:
        column = next((c for c in candidates if c in frame.columns), None)
    if column is None:
        return [None] * len(frame)
    values = frame[column].astype(object).where(frame[column].notna(), None)
    return [_text(v) for v in values]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _kinds(frame: pd.DataFrame, geoms: np.ndarray, requested: str, errors: list[list[str]],
           path: Path, kind_field: str | None, number: np.ndarray) -> list[str]:
    field_kinds = _column(frame, kind_field, KIND_FIELDS, path, "--kind-field")
    dims = np.where(shapely.is_missing(geoms), -1, shapely.get_dimensions(geoms))
    kinds = []
    for i, (dim, from_field) in enumerate(zip(dims, field_kinds, strict=True)):
        if requested != "auto":
            k = requested
        elif from_field in PROJECT_KINDS:
            k = from_field
        else:
            if from_field:
                errors[i].append(f"{path.name} feature {number[i]}: unknown kind {from_field!r} in the "
                                 f"kind field (use {', '.join(PROJECT_KINDS)})")
            k = _KIND_OF_DIM.get(int(dim), "site")
        if dim >= 0 and _DIM_OF_KIND[k] != dim:
            shape = {0: "point", 1: "line", 2: "polygon"}[int(dim)]
            errors[i].append(f"{path.name} feature {number[i]}: a {k} project must be a "
                             f"{ {0: 'point', 1: 'line', 2: 'polygon'}[_DIM_OF_KIND[k]] }, "
                             f"got a {shape}")
        kinds.append(k)
    return kinds


def _tags(value: object) -> set[str]:
    if not value:
        return set()
    return {t.strip() for t in str(value).replace(";", ",").replace(",", ",").split(",")
            if t.strip()}
