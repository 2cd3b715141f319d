"""An index of zone edges in short pieces, for distances to large zones.

The distance between a project and a zone it does not intersect is the distance to
the zone's boundary. Cutting every boundary into pieces of a few dozen vertices and
indexing the pieces lets one STRtree query find the few edges near each project, so
distances and shortest lines are computed on small geometries instead of on whole
district-sized polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely

#: Segments per boundary piece.
PIECE_SEGMENTS = 32


@dataclass
class EdgeIndex:
    """Boundary pieces of a zone array and the zone each belongs to.

    Attributes
    ----------
    pieces
        LineStrings (polygon rings and lines cut into pieces of at most
        :data:`PIECE_SEGMENTS` segments) and Points (point zones), in the zones' CRS.
    owner
        Index of the zone each piece comes from.
    """

    pieces: np.ndarray
    owner: np.ndarray

    @cached_property
    def tree(self) -> shapely.STRtree:
        """STRtree over the pieces."""
        return shapely.STRtree(self.pieces)

    @classmethod
    def build(cls, zones: np.ndarray) -> EdgeIndex:
        """Cut the boundaries of ``zones`` (any geometry types) into indexed pieces."""
        zones = np.asarray(zones, dtype=object)
        parts, part_owner = shapely.get_parts(zones, return_index=True)
        dims = shapely.get_dimensions(parts)
        points = dims == 0
        polys = dims == 2
        rings, ring_part = shapely.get_rings(parts[polys], return_index=True)
        lines = np.concatenate([rings, parts[dims == 1]])
        line_owner = np.concatenate([part_owner[polys][ring_part], part_owner[dims == 1]])
        pieces, piece_owner = _cut(lines, line_owner)
        return cls(np.concatenate([pieces, parts[points]]),
                   np.concatenate([piece_owner, part_owner[points]]).astype(np.int64))


def _cut(lines: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut linestrings into consecutive pieces of at most :data:`PIECE_SEGMENTS` segments."""
    if len(lines) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    starts = np.flatnonzero(np.r_[True, line_of[1:] != line_of[:-1]])
    position = np.arange(len(coords)) - np.repeat(starts, np.diff(np.r_[starts, len(coords)]))
    piece = position // PIECE_SEGMENTS
    last_piece = np.zeros(len(lines), dtype=np.int64)
    np.maximum.at(last_piece, line_of, piece)
    # A vertex that starts a new piece also ends the previous one: repeat it there.
    shared = (position % PIECE_SEGMENTS == 0) & (position > 0)
    repeated_piece = piece[shared] - 1
    all_coords = np.concatenate([coords, coords[shared]])
    all_line = np.concatenate([line_of, line_of[shared]])
    all_piece = np.concatenate([piece, repeated_piece])
    all_position = np.concatenate([position, position[shared]])
    # A final piece made of its shared first vertex alone is dropped (no segment).
    offset = np.r_[0, np.cumsum(last_piece + 1)[:-1]]
    key = offset[all_line] + all_piece
    order = np.lexsort((all_position, key))
    key, all_coords = key[order], all_coords[order]
    counts = np.bincount(key, minlength=int(offset[-1] + last_piece[-1] + 1))
    keep = counts[key] >= 2
    key, all_coords = key[keep], all_coords[keep]
    used, index = np.unique(key, return_inverse=True)
    pieces = shapely.linestrings(all_coords, indices=index)
    piece_line = np.searchsorted(offset, used, side="right") - 1
    return pieces, owner[piece_line].astype(np.int64)
