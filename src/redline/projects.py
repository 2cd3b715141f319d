"""The project table that flows from the readers into the engine.

A *projects* frame is a GeoDataFrame in CGCS2000 lon/lat (EPSG:4490), one row per
project, with the columns below. Readers build it with :func:`make_projects`; the
engine adds measurements; the rules add verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import CGCS2000
from .errors import InputError

#: Project kinds (DESIGN §2.3 ``--kind``).
PROJECT_KINDS = ("footprint", "linear", "outfall", "site")
#: Kind chosen by geometry dimension when the user says ``auto``.
KIND_BY_DIM = {2: "footprint", 1: "linear", 0: "site"}

PROJECT_COLUMNS = (
    "project_id", "name", "kind", "source", "crs_in", "industry", "project_types",
    "warnings", "errors", "land_use",
)


def make_projects(geometry: Sequence, *, project_id: Sequence[str], name: Sequence[str | None],
                  kind: Sequence[str], source: Sequence[str], crs_in: Sequence[str | None],
                  industry: Sequence[str | None] | None = None,
                  project_types: Sequence[Sequence[str]] | None = None,
                  warnings: Sequence[list[str]] | None = None,
                  errors: Sequence[list[str]] | None = None,
                  land_use: Sequence[str | None] | None = None) -> gpd.GeoDataFrame:
    """Build a projects frame (EPSG:4490) from parallel sequences.

    Parameters
    ----------
    geometry
        Lon/lat geometries in CGCS2000 (``None`` for a project that could not be read).
    project_id, name, kind, source, crs_in
        One value per project; ``kind`` is one of :data:`PROJECT_KINDS`.
    industry
        GB/T 4754-2017 industry code per project (``None`` when unknown).
    project_types
        Tags per project (e.g. ``water_supply``, ``national_major``) used by rules.
    warnings, errors
        Messages per project.
    land_use
        Declared land use per project (用途 of a survey parcel), ``None`` when unknown.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    n = len(geometry)
    ids = [str(v) for v in project_id]
    if len(set(ids)) < len(ids):
        duplicated = pd.Series(ids).duplicated(keep=False)
        dup = sorted(set(pd.Series(ids)[duplicated]))
        raise InputError(f"project ids must be unique; repeated: {', '.join(dup[:5])}")
    bad_kind = sorted(set(kind) - set(PROJECT_KINDS))
    if bad_kind:
        raise InputError(f"unknown project kind {bad_kind[0]!r} (use one of {', '.join(PROJECT_KINDS)})")
    frame = pd.DataFrame({
        "project_id": ids,
        "name": list(name),
        "kind": list(kind),
        "source": list(source),
        "crs_in": list(crs_in),
        "industry": list(industry) if industry is not None else [None] * n,
        "project_types": [tuple(t) for t in project_types] if project_types is not None
        else [()] * n,
        "warnings": [list(w) for w in warnings] if warnings is not None else [[] for _ in range(n)],
        "errors": [list(e) for e in errors] if errors is not None else [[] for _ in range(n)],
        "land_use": list(land_use) if land_use is not None else [None] * n,
    }, dtype=object)
    return gpd.GeoDataFrame(frame, geometry=np.asarray(geometry, dtype=object), crs=CGCS2000)


def add_message(projects: pd.DataFrame, row: int, column: str, message: str) -> None:
    """Add ``message`` to the ``errors`` or ``warnings`` of the project at position ``row``.

    The list is replaced by a new one, never changed in place: a shallow copy of a
    projects frame shares its lists with the frame it came from.
    """
    position = projects.columns.get_loc(column)
    projects.iat[row, position] = [*projects.iat[row, position], message]


def text_column(values) -> pd.Series:
    """A text column as object dtype with ``None`` (not NaN) for missing values.

    pandas ≥ 3 infers a string dtype whose missing value is NaN; the result document
    needs ``None`` (JSON ``null``), so text columns are kept as plain objects.
    """
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    series = series.astype(object)
    return series.where(series.notna(), None)


def kind_for(geoms: np.ndarray, requested: str = "auto") -> np.ndarray:
    """Project kind per geometry: the requested one, or one chosen by dimension."""
    if requested != "auto":
        return np.full(len(geoms), requested, dtype=object)
    dims = shapely.get_dimensions(geoms)
    return np.array([KIND_BY_DIM.get(int(d), "site") for d in dims], dtype=object)
