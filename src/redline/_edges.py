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

#: Segments per boundary piece (at most).
PIECE_SEGMENTS = 32
#: Length (m) after which a boundary piece ends (a piece may run one segment past it).
PIECE_LENGTH = 1000.0


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
    """Cut linestrings into consecutive pieces, the vertices kept exactly.

    A piece ends after :data:`PIECE_SEGMENTS` segments, and where the distance along the
    line passes a multiple of :data:`PIECE_LENGTH`: so a piece's envelope stays small
    even where a boundary has few, long segments (grid-cut units, straight borders),
    and an envelope query near a project finds only the edges close to it.
    """
    if len(lines) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    first = np.r_[True, line_of[1:] != line_of[:-1]]
    starts = np.flatnonzero(first)
    size = np.diff(np.r_[starts, len(coords)])
    position = np.arange(len(coords)) - np.repeat(starts, size)
    step = np.hypot(*np.diff(coords, axis=0, prepend=coords[:1]).T)
    step[first] = 0.0
    along = np.cumsum(step)
    along -= np.repeat(along[starts], size)  # distance along its own line
    band = np.floor(along / PIECE_LENGTH)
    new = first | (position % PIECE_SEGMENTS == 0) | (band != np.r_[band[:1], band[:-1]])
    piece = np.cumsum(new) - 1
    # A vertex that starts a new piece also ends the previous one: repeated there (the
    # copies go last, so a stable sort by piece puts each at the end of its piece).
    shared = new & ~first
    all_piece = np.concatenate([piece, piece[shared] - 1])
    all_coords = np.concatenate([coords, coords[shared]])
    order = np.argsort(all_piece, kind="stable")
    all_piece, all_coords = all_piece[order], all_coords[order]
    # A last piece made of a line's final vertex alone has no segment: dropped.
    keep = np.bincount(all_piece)[all_piece] >= 2
    used, index = np.unique(all_piece[keep], return_inverse=True)
    pieces = shapely.linestrings(all_coords[keep], indices=index)
    return pieces, owner[line_of[new][used]].astype(np.int64)
