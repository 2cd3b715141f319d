"""Normalise geometry arrays and record every change made to them.

Inputs and layers arrive with Z values, invalid rings, empty parts and mixed
types. :func:`normalise` returns clean 2-D geometries of the expected dimension
together with one message per change, so that nothing is repaired silently.
Invalid geometry is repaired with GEOS ``make_valid`` (which keeps both lobes of a
bow-tie), never with ``buffer(0)``, which silently drops parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

#: Geometry dimension by project or layer family.
POINT, LINE, POLYGON = 0, 1, 2


@dataclass
class Normalised:
    """Result of :func:`normalise`.

    Attributes
    ----------
    geoms
        The cleaned geometries (same length and order as the input; a geometry that
        could not be kept is ``None``).
    notes
        For each input position, the list of changes made (empty when untouched).
    """

    geoms: np.ndarray
    notes: list[list[str]] = field(default_factory=list)

    @property
    def changed(self) -> np.ndarray:
        """Indices of the geometries that were changed or dropped."""
        return np.flatnonzero([bool(n) for n in self.notes])


def normalise(geoms: np.ndarray, dim: int | None = None, *,
              area_change_warn: float = 0.01) -> Normalised:
    """Drop Z/M, repair invalid geometry and keep only parts of dimension ``dim``.

    Parameters
    ----------
    geoms
        Array of shapely geometries (``None`` allowed).
    dim
        Expected dimension (``POINT``, ``LINE``, ``POLYGON``); ``None`` keeps each
        geometry's own highest dimension.
    area_change_warn
        Relative change of area beyond which a repaired polygon is flagged.

    Returns
    -------
    Normalised
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    notes: list[list[str]] = [[] for _ in range(len(geoms))]
    if len(geoms) == 0:
        return Normalised(geoms, notes)

    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        notes[i].append("empty geometry")
    geoms[missing] = None

    has_z = shapely.has_z(geoms)
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        for i in np.flatnonzero(has_z):
            notes[i].append("Z coordinates dropped")

    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        idx = np.flatnonzero(invalid)
        reasons = shapely.is_valid_reason(geoms[idx])
        area_before = shapely.area(geoms[idx])
        fixed = shapely.make_valid(geoms[idx])
        target = dim if dim is not None else shapely.get_dimensions(geoms[idx])
        fixed = keep_dimension(fixed, target)
        area_after = shapely.area(fixed)
        for k, i in enumerate(idx):
            msg = f"invalid geometry ({reasons[k]}) repaired with make_valid"
            if fixed[k] is None:
                msg += "; nothing of the expected dimension remained, dropped"
            if dim == POLYGON and area_before[k] > 0:
                change = abs(area_after[k] - area_before[k]) / area_before[k]
                if change > area_change_warn:
                    msg += f"; area changed by {change:.1%}"
            notes[i].append(msg)
        geoms[idx] = fixed

    if dim is not None:
        live = np.flatnonzero(~shapely.is_missing(geoms))
        wrong = live[~np.isin(shapely.get_type_id(geoms[live]), _MULTI_TYPES_OF_DIM[dim])]
        if len(wrong):
            kept = keep_dimension(geoms[wrong], dim)
            for k, i in enumerate(wrong):
                if kept[k] is None:
                    notes[i].append(
                        f"{_DIM_NAME[shapely.get_dimensions(geoms[i])]} geometry where a "
                        f"{_DIM_NAME[dim]} was expected; dropped")
                else:
                    notes[i].append(f"parts other than {_DIM_NAME[dim]}s dropped")
            geoms[wrong] = kept

    gone = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms[gone] = None
    return Normalised(geoms, notes)


_DIM_NAME = {-1: "empty", POINT: "point", LINE: "line", POLYGON: "polygon"}
_MULTI_TYPES_OF_DIM = {
    POINT: (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT),
    LINE: (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING,
           shapely.GeometryType.MULTILINESTRING),
    POLYGON: (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON),
}
_TYPES_OF_DIM = {
    POINT: (shapely.GeometryType.POINT,),
    LINE: (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING),
    POLYGON: (shapely.GeometryType.POLYGON,),
}


def keep_dimension(geoms: np.ndarray, dim: int | np.ndarray) -> np.ndarray:
    """Keep only the parts of each geometry that have the given dimension.

    Returns single geometries where one part remains, multi-geometries where several
    remain, and ``None`` where none remains.
    """
    geoms = np.asarray(geoms, dtype=object)
    dims = np.broadcast_to(np.asarray(dim), geoms.shape)
    out = np.empty(len(geoms), dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    part_types = shapely.get_type_id(parts)
    for d in np.unique(dims):
        rows = dims[owner] == d
        keep = rows & np.isin(part_types, _TYPES_OF_DIM[int(d)])
        out_d = _collect(parts[keep], owner[keep], len(geoms), int(d))
        out[dims == d] = out_d[dims == d]
    return out


def _collect(parts: np.ndarray, owner: np.ndarray, n: int, dim: int) -> np.ndarray:
    """Rebuild one geometry per owner from its parts (vectorised)."""
    out = np.full(n, None, dtype=object)
    if len(parts) == 0:
        return out
    counts = np.bincount(owner, minlength=n)
    single = counts[owner] == 1
    out[owner[single]] = parts[single]
    multi = ~single
    if multi.any():
        maker = {POINT: shapely.multipoints, LINE: shapely.multilinestrings,
                 POLYGON: shapely.multipolygons}[dim]
        owners = np.unique(owner[multi])
        built = maker(parts[multi], indices=np.searchsorted(owners, owner[multi]))
        if dim == POLYGON:
            # Parts from make_valid may share edges; a second pass merges them.
            invalid = ~shapely.is_valid(built)
            built[invalid] = shapely.make_valid(built[invalid])
        out[owners] = built
    return out
