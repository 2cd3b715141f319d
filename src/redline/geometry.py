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
    """Drop Z/M, remove duplicate vertices, repair invalid geometry, keep parts of ``dim``.

    Every change is recorded in :attr:`Normalised.notes`: Z or M dropped, duplicate
    vertices removed (how many), invalid geometry repaired with ``make_valid`` (a
    bow-tie keeps both lobes) and why it was invalid, parts that collapsed to a lower
    dimension dropped, geometries of the wrong dimension dropped, and — for polygons —
    an area change by the repairs beyond ``area_change_warn``.

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
    has_m = shapely.has_m(geoms) if hasattr(shapely, "has_m") else np.zeros(len(geoms), bool)
    flat = has_z | has_m
    if flat.any():
        geoms[flat] = shapely.force_2d(geoms[flat])
        for i in np.flatnonzero(flat):
            notes[i].append({(True, False): "Z coordinates dropped",
                             (False, True): "M values dropped",
                             (True, True): "Z coordinates and M values dropped"}[
                                 (bool(has_z[i]), bool(has_m[i]))])

    live = np.flatnonzero(~missing)
    # The geometries before any repair, to measure the area change of those repaired.
    before_repairs = geoms.copy()
    if len(live):
        # Only geometries with a vertex equal to the next one can lose vertices.
        dups = live[_may_repeat(geoms[live])]
        before = shapely.get_num_coordinates(geoms[dups])
        geoms[dups] = shapely.remove_repeated_points(geoms[dups], 0.0)
        removed = before - shapely.get_num_coordinates(geoms[dups])
        for k in np.flatnonzero(removed):
            count = int(removed[k])
            notes[dups[k]].append(f"{count} duplicate vert{'ex' if count == 1 else 'ices'} removed")

    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        idx = np.flatnonzero(invalid)
        reasons = shapely.is_valid_reason(geoms[idx])
        repaired = shapely.make_valid(geoms[idx])
        target = dim if dim is not None else shapely.get_dimensions(geoms[idx])
        fixed = keep_dimension(repaired, target)
        lost_parts = _lower_dimension_parts(repaired, target)
        for k, i in enumerate(idx):
            msg = f"invalid geometry ({reasons[k]}) repaired with make_valid"
            if fixed[k] is None:
                msg += ("; it collapsed to a lower dimension, nothing of the expected dimension "
                        "remained, dropped")
            elif lost_parts[k]:
                lost = int(lost_parts[k])
                msg += f"; collapsed parts dropped ({lost} lines/points)"
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

    if dim in (None, POLYGON):
        touched = np.flatnonzero(np.array([bool(n) for n in notes]) & ~gone)
        area_before = shapely.area(before_repairs[touched])
        area_after = shapely.area(geoms[touched])
        for i, a_before, a_after in zip(touched, area_before, area_after, strict=True):
            if a_before > 0:
                change = abs(a_after - a_before) / a_before
                if change > area_change_warn:
                    notes[i].append(f"area changed by {change:.1%} by the repairs (check the "
                                    "boundary)")
            elif a_after > 0:
                notes[i].append("the original boundary crosses itself so that its lobes "
                                "cancel (net area 0); the repaired area is the sum of the lobes")
    return Normalised(geoms, notes)


def _may_repeat(geoms: np.ndarray) -> np.ndarray:
    """Which geometries may hold repeated vertices (a superset of those that do).

    Lines and polygons whose coordinates are finite and never equal to the next ones
    are untouched by ``remove_repeated_points``; anything else is left to GEOS to decide.
    """
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    x, y = coords[:, 0], coords[:, 1]
    maybe = np.zeros(len(geoms), dtype=bool)
    same = (x[1:] == x[:-1]) & (y[1:] == y[:-1]) & (owner[1:] == owner[:-1])
    maybe[owner[1:][same]] = True
    maybe[owner[~(np.isfinite(x) & np.isfinite(y))]] = True
    maybe |= ~np.isin(shapely.get_type_id(geoms), _SIMPLE_VERTEX_TYPES)
    return maybe


def _lower_dimension_parts(geoms: np.ndarray, dim: int | np.ndarray) -> np.ndarray:
    """How many single parts of each geometry have a dimension below ``dim``."""
    dims = np.broadcast_to(np.asarray(dim), geoms.shape)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    singles, sub_owner = shapely.get_parts(parts, return_index=True)
    owner = owner[sub_owner]
    lower = shapely.get_dimensions(singles) < dims[owner]
    return np.bincount(owner[lower], minlength=len(geoms))


#: Types whose only repeated vertices are consecutive equal coordinates.
_SIMPLE_VERTEX_TYPES = (shapely.GeometryType.POINT, shapely.GeometryType.LINESTRING,
                        shapely.GeometryType.LINEARRING, shapely.GeometryType.POLYGON,
                        shapely.GeometryType.MULTILINESTRING, shapely.GeometryType.MULTIPOLYGON)
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
