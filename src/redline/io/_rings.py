"""Build polygons from the rings of coordinate tables and survey files.

Coordinate lists name rings but rarely say which ring is a hole: a ring inside
another ring of the same parcel is a hole (inside a hole, an island again), which is
how surveyors draw them. Rings are closed here when the list does not repeat the
first point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass
class Ring:
    """One ring as listed: its coordinates and where it came from."""

    coords: np.ndarray  # (n, 2), x = easting or longitude
    first_row: int
    last_row: int
    label: str | None = None  # a parcel label that introduced it, if any


def ring_problem(coords: np.ndarray) -> str | None:
    """Why a ring cannot bound an area, or ``None`` when it can."""
    distinct = len(np.unique(coords, axis=0)) if len(coords) else 0
    if distinct < 3:
        return (f"a ring needs at least 3 distinct points, this one has {distinct}; "
                "add the missing corners")
    return None


def closed(coords: np.ndarray) -> np.ndarray:
    """The ring with its first point repeated at the end (when it is not already)."""
    if len(coords) and not np.array_equal(coords[0], coords[-1]):
        return np.vstack([coords, coords[:1]])
    return coords


def nest(rings: list[np.ndarray]) -> list[tuple[int, list[int]]]:
    """Group rings into shells and holes by containment.

    Returns
    -------
    list of (shell index, hole indices)
        In the order the shells were listed.
    """
    n = len(rings)
    if n == 1:
        return [(0, [])]
    polys = [shapely.Polygon(closed(r)) for r in rings]
    areas = np.abs([_shoelace(closed(r)) for r in rings])
    order = np.argsort(-areas, kind="stable")
    parent = [-1] * n
    depth = [0] * n
    for pos, i in enumerate(order):
        probe = shapely.Point(rings[i][0]) if len(rings[i]) else None
        # the smallest larger ring that holds this ring's first vertex (or whole ring)
        for j in reversed(order[:pos]):
            if probe is not None and _holds(polys[j], polys[i], probe):
                parent[i] = int(j)
                depth[i] = depth[j] + 1
                break
    groups: dict[int, list[int]] = {}
    for i in range(n):
        if depth[i] % 2 == 0:
            groups.setdefault(i, [])
    for i in range(n):
        if depth[i] % 2 == 1:
            groups[parent[i]].append(i)
    return [(shell, sorted(groups[shell])) for shell in sorted(groups)]


def _holds(outer: shapely.Polygon, inner: shapely.Polygon, probe: shapely.Point) -> bool:
    try:
        if outer.is_valid and inner.is_valid:
            return bool(outer.covers(inner))
    except shapely.errors.GEOSException:  # pragma: no cover - defensive
        pass
    return bool(shapely.contains_xy(outer, probe.x, probe.y))


def _shoelace(coords: np.ndarray) -> float:
    x, y = coords[:, 0], coords[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def polygon(rings: list[np.ndarray], groups: list[tuple[int, list[int]]]):
    """A Polygon or MultiPolygon from rings grouped by :func:`nest`."""
    parts = [shapely.Polygon(closed(rings[s]), [closed(rings[h]) for h in holes])
             for s, holes in groups]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
