"""Walk a river network downstream from an outfall.

River lines are digitised downstream (first vertex upstream). A line continues into
every line that starts at, or passes within a metre of, its last vertex, so both
networks split at confluences and tributaries that end on the middle of a main stem
are followed. All geometry is in the pack's equal-area CRS (metres).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.ops import substring

#: Line ends closer than this (m) are connected.
JOIN_TOLERANCE_M = 1.0


@dataclass(frozen=True)
class Reach:
    """A zone reached downstream: which zone, and the river path to its edge."""

    zone_index: int
    path: shapely.Geometry  # MultiLineString from the outfall to the zone's edge


class RiverNetwork:
    """A directed river network built from line geometries (metres).

    Parameters
    ----------
    lines
        River geometries (LineString or MultiLineString), digitised downstream.
    """

    def __init__(self, lines: np.ndarray) -> None:
        parts = shapely.get_parts(np.asarray(lines, dtype=object))
        parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
        self.lines = parts[shapely.length(parts) > 0]
        self.tree = shapely.STRtree(self.lines)
        ends = shapely.get_point(self.lines, -1)
        end_idx, line_idx = self.tree.query(ends, predicate="dwithin",
                                            distance=JOIN_TOLERANCE_M)
        other = line_idx != end_idx
        line_idx, end_idx = line_idx[other], end_idx[other]
        position = shapely.line_locate_point(self.lines[line_idx], ends[end_idx])
        lengths = shapely.length(self.lines[line_idx])
        flows_on = position < lengths - JOIN_TOLERANCE_M
        self.successors: dict[int, list[tuple[int, float]]] = {}
        for src, dst, pos in zip(end_idx[flows_on], line_idx[flows_on], position[flows_on], strict=True):
            self.successors.setdefault(int(src), []).append((int(dst), float(pos)))

    def snaps(self, point: shapely.Geometry, snap_m: float) -> bool:
        """True when a river line lies within ``snap_m`` of the point."""
        return len(self.tree.query_nearest(point, max_distance=snap_m, all_matches=False)) > 0

    def reach(self, outfall: shapely.Geometry, zones: np.ndarray, *, tree: shapely.STRtree,
              snap_m: float, max_m: float) -> Iterator[Reach]:
        """Zones reached within ``max_m`` downstream of a point, nearest entry first.

        Parameters
        ----------
        outfall
            The outfall point.
        zones
            Zone geometries; ``tree`` indexes them.
        snap_m
            Largest distance from the outfall to a river for it to discharge there.
        max_m
            How far to follow the river.

        Yields
        ------
        Reach
            One per zone entered (zones that already contain the outfall excluded).
        """
        start = self.tree.query_nearest(outfall, max_distance=snap_m, all_matches=False)
        if len(start) == 0:
            return
        first = int(start[0])
        skip = set(tree.query(outfall, predicate="intersects").tolist())
        pos = float(shapely.line_locate_point(self.lines[first], outfall))
        best: dict[int, tuple[float, list[shapely.Geometry]]] = {}
        # (line, from position, distance already travelled, pieces so far)
        stack: list[tuple[int, float, float, list[shapely.Geometry]]] = [(first, pos, 0.0, [])]
        visited: set[tuple[int, float]] = set()
        while stack:
            line_i, from_pos, travelled, route = stack.pop()
            key = (line_i, round(from_pos, 1))
            if key in visited:
                continue
            visited.add(key)
            line = self.lines[line_i]
            to_pos = min(float(shapely.length(line)), from_pos + max_m - travelled)
            piece = substring(line, from_pos, to_pos)
            for z in tree.query(piece, predicate="intersects").tolist():
                if z in skip:
                    continue
                entry = _first_entry(piece, zones[z])
                dist = travelled + entry
                if z not in best or dist < best[z][0]:
                    best[z] = (dist, [*route, substring(piece, 0, entry)])
            travelled_to_end = travelled + (to_pos - from_pos)
            if to_pos >= shapely.length(line) - 1e-9 and travelled_to_end < max_m:
                for nxt, nxt_pos in self.successors.get(line_i, []):
                    stack.append((nxt, nxt_pos, travelled_to_end, [*route, piece]))
        for z, (_, pieces) in sorted(best.items(), key=lambda item: item[1][0]):
            yield Reach(z, shapely.multilinestrings(pieces))


def _first_entry(piece: shapely.Geometry, zone: shapely.Geometry) -> float:
    """Distance along ``piece`` to where it first meets ``zone``."""
    shared = shapely.intersection(piece, zone)
    coords = shapely.get_coordinates(shared)
    return float(shapely.line_locate_point(piece, shapely.points(coords)).min())
