"""Grid maths for raster layers: tiles, true cell areas, exact cell coverage, slope.

Everything here works on one north-up grid (an affine transform without rotation) and
plain arrays; :mod:`redline.raster` decides what to read and what to report.

- :func:`split_by_tiles` cuts geometries at the edges of fixed, grid-aligned tiles, so that
  each piece lies in one tile and each tile's window is read once for all its pieces.
- :class:`CellArea` gives the true (ellipsoidal) area of cells: exact ellipsoidal
  quadrangles for geographic grids, nominal area divided by the projection's areal
  scale for projected grids.
- :func:`polygon_cells` gives the exact fraction of each cell covered by polygons
  (exactextract); :func:`line_cells` cuts lines at every cell edge; :func:`point_cells`
  finds the cell of each point.
- :func:`slope_degrees` is Horn's slope on a DEM window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS, Proj, Transformer

from .crs import CGCS2000, GEOD

#: Edge length of the grid-aligned tiles (cells) that group projects for one read.
TILE = 1024
#: Lattice spacing (cells) on which projection scale factors are evaluated, then
#: interpolated bilinearly (scale factors vary by < 1e-6 across a lattice square).
_SCALE_LATTICE = 64


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid.

    Attributes
    ----------
    transform
        Affine transform from (col, row) to raster CRS coordinates (no rotation).
    width, height
        Size in cells.
    crs
        The raster's CRS.
    """

    transform: Affine
    width: int
    height: int
    crs: CRS

    def cells_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (row, col) positions of raster-CRS coordinates."""
        t = self.transform
        return (y - t.f) / t.e, (x - t.c) / t.a

    def windows(self, bounds: np.ndarray) -> np.ndarray:
        """Cell windows ``(row0, row1, col0, col1)`` (end exclusive) holding each bounds row.

        ``bounds`` is an (n, 4) array of ``minx, miny, maxx, maxy`` in the raster CRS.
        Windows are clipped to the grid; an empty window has ``row0 >= row1`` or
        ``col0 >= col1``.
        """
        t = self.transform
        minx, miny, maxx, maxy = bounds.T
        xs = np.sort(np.stack([(minx - t.c) / t.a, (maxx - t.c) / t.a]), axis=0)
        ys = np.sort(np.stack([(maxy - t.f) / t.e, (miny - t.f) / t.e]), axis=0)
        col0 = np.floor(xs[0])
        col1 = np.floor(xs[1]) + 1
        row0 = np.floor(ys[0])
        row1 = np.floor(ys[1]) + 1
        out = np.stack([np.clip(row0, 0, self.height), np.clip(row1, 0, self.height),
                        np.clip(col0, 0, self.width), np.clip(col1, 0, self.width)], axis=1)
        return np.nan_to_num(out, nan=0).astype(np.int64)

    def window_transform(self, row0: int, col0: int) -> Affine:
        """Transform of a window whose top-left cell is (row0, col0)."""
        return self.transform @ Affine.translation(col0, row0)

    def bounds_of(self, row0: int, row1: int, col0: int, col1: int) -> tuple[float, ...]:
        """Raster-CRS bounds ``(xmin, ymin, xmax, ymax)`` of a cell window."""
        t = self.transform
        xs = (t.c + col0 * t.a, t.c + col1 * t.a)
        ys = (t.f + row0 * t.e, t.f + row1 * t.e)
        return (min(xs), min(ys), max(xs), max(ys))


def split_by_tiles(geoms: np.ndarray, grid: Grid, tile: int = TILE
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut geometries at the edges of grid-aligned tiles of ``tile`` × ``tile`` cells.

    Parameters
    ----------
    geoms
        Geometries in the raster CRS.
    grid
        The raster grid.
    tile
        Tile edge in cells.

    Returns
    -------
    pieces, owner, tile_id
        One piece per (geometry, tile it reaches inside the grid): the piece, the index
        of its geometry, and the tile's number (row-major). Geometries that fall
        outside the grid have no piece. Tile edges are cell edges, so the coverage of
        the pieces adds up exactly to the coverage of the whole.
    """
    windows = grid.windows(shapely.bounds(geoms))
    ok = (windows[:, 0] < windows[:, 1]) & (windows[:, 2] < windows[:, 3])
    ok &= ~shapely.is_empty(geoms)
    idx = np.flatnonzero(ok)
    w = windows[idx]
    t_r0, t_r1 = w[:, 0] // tile, (w[:, 1] - 1) // tile
    t_c0, t_c1 = w[:, 2] // tile, (w[:, 3] - 1) // tile
    n_r, n_c = t_r1 - t_r0 + 1, t_c1 - t_c0 + 1
    count = n_r * n_c
    owner = np.repeat(idx, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    tr = np.repeat(t_r0, count) + k // np.repeat(n_c, count)
    tc = np.repeat(t_c0, count) + k % np.repeat(n_c, count)
    tiles_across = -(-grid.width // tile)
    tile_id = tr * tiles_across + tc
    pieces = geoms[owner].copy()
    cut = np.repeat(count > 1, count)
    if cut.any():
        boxes = [grid.bounds_of(r * tile, (r + 1) * tile, c * tile, (c + 1) * tile)
                 for r, c in zip(tr[cut], tc[cut], strict=True)]
        rects = shapely.box(*np.asarray(boxes).T)
        pieces[cut] = shapely.intersection(pieces[cut], rects)
        keep = ~cut | ~shapely.is_empty(pieces)
        pieces, owner, tile_id = pieces[keep], owner[keep], tile_id[keep]
    return pieces, owner, tile_id


class CellArea:
    """True area (m²) of the cells of a grid, on the grid CRS's ellipsoid.

    Geographic grids: each cell is an ellipsoidal quadrangle between two parallels and
    two meridians, whose area has a closed form (through the authalic latitude
    function ``q``); it depends on the row only. Projected grids: the nominal cell area
    (converted to m²) divided by the projection's areal scale factor at the cell, the
    factor coming from PROJ on a lattice of nodes and interpolated bilinearly.

    Parameters
    ----------
    grid
        The raster grid.
    """

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        crs = grid.crs
        self.geographic = bool(crs.is_geographic)
        t = grid.transform
        unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        if self.geographic:
            ellipsoid = crs.ellipsoid
            self._a = float(ellipsoid.semi_major_metre)
            inv_f = float(ellipsoid.inverse_flattening)
            f = 1.0 / inv_f if inv_f else 0.0
            self._e2 = f * (2.0 - f)
            self._dlon = abs(t.a) * unit  # radians
            self._unit = unit
        else:
            self._nominal = abs(t.a * t.e) * unit * unit
            geodetic = crs.geodetic_crs or CGCS2000
            self._to_lonlat = Transformer.from_crs(crs, geodetic, always_xy=True)
            self._proj = Proj(crs)

    # ------------------------------------------------------------------ geographic
    def _q(self, lat_rad: np.ndarray) -> np.ndarray:
        e2 = self._e2
        s = np.sin(lat_rad)
        if e2 == 0:
            return 2.0 * s
        e = np.sqrt(e2)
        return (1 - e2) * (s / (1 - e2 * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))

    def row_areas(self, rows: np.ndarray) -> np.ndarray:
        """Area (m²) of one cell in each given row of a geographic grid."""
        t = self.grid.transform
        lat_top = (t.f + rows * t.e) * self._unit
        lat_bottom = (t.f + (rows + 1) * t.e) * self._unit
        band = np.abs(self._q(lat_top) - self._q(lat_bottom))
        return self._a * self._a * self._dlon / 2.0 * band

    # ------------------------------------------------------------------- projected
    def areal_scale(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The projection's areal scale factor at the centres of the given cells.

        Evaluated by PROJ on the lattice nodes (every ``_SCALE_LATTICE`` cells) of the
        rectangle the cells span, then interpolated bilinearly.
        """
        s = _SCALE_LATTICE
        rf, cf = (rows + 0.5) / s, (cols + 0.5) / s
        i, j = np.floor(rf).astype(np.int64), np.floor(cf).astype(np.int64)
        fr, fc = rf - i, cf - j
        i0, j0 = int(i.min()), int(j.min())
        ni, nj = int(i.max()) - i0 + 2, int(j.max()) - j0 + 2
        ii, jj = np.meshgrid(np.arange(i0, i0 + ni), np.arange(j0, j0 + nj), indexing="ij")
        t = self.grid.transform
        lon, lat = self._to_lonlat.transform((t.c + jj * s * t.a).ravel(),
                                             (t.f + ii * s * t.e).ravel())
        scale = np.asarray(self._proj.get_factors(lon, lat).areal_scale,
                           dtype=float).reshape(ni, nj)
        i, j = i - i0, j - j0
        top = scale[i, j] * (1 - fc) + scale[i, j + 1] * fc
        bottom = scale[i + 1, j] * (1 - fc) + scale[i + 1, j + 1] * fc
        return top * (1 - fr) + bottom * fr

    def __call__(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """True area (m²) of the cells at the given (global) rows and columns."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros(0)
        if self.geographic:
            unique, inverse = np.unique(rows, return_inverse=True)
            return self.row_areas(unique)[inverse]
        return self._nominal / self.areal_scale(rows, cols)

    def spacing_m(self, rows: np.ndarray, col: float) -> tuple[np.ndarray, np.ndarray]:
        """True cell width and height (m) in each given row (for slope).

        Geographic grids: the parallel and meridian arcs of the cell at the row's centre
        latitude. Projected grids: the nominal spacing divided by the linear scale at
        column ``col`` (square root of the areal scale; exact for conformal projections).
        """
        t = self.grid.transform
        rows = np.asarray(rows, dtype=float)
        if self.geographic:
            lat = (t.f + (rows + 0.5) * t.e) * self._unit
            s2 = np.sin(lat) ** 2
            w = np.sqrt(1 - self._e2 * s2)
            prime_vertical = self._a / w
            meridian = self._a * (1 - self._e2) / w**3
            return (prime_vertical * np.cos(lat) * self._dlon,
                    meridian * abs(t.e) * self._unit)
        cols = np.full(len(rows), col)
        k = np.sqrt(self.areal_scale(rows.astype(np.int64), cols.astype(np.int64)))
        unit = np.sqrt(self._nominal / abs(t.a * t.e))
        return abs(t.a) * unit / k, abs(t.e) * unit / k


# ------------------------------------------------------------------- cell coverage


@dataclass
class Cells:
    """Cells touched by geometries: one row per (geometry, cell).

    Attributes
    ----------
    owner
        Index of the geometry in the array passed in.
    row, col
        Global cell indices.
    weight
        Polygons: the covered fraction of the cell (0–1]. Lines: the length (m) of the
        line inside the cell. Points: 1.
    """

    owner: np.ndarray
    row: np.ndarray
    col: np.ndarray
    weight: np.ndarray

    @classmethod
    def empty(cls) -> Cells:
        """No cells."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), z.copy(), np.zeros(0))

    @classmethod
    def concat(cls, parts: list[Cells]) -> Cells:
        """Concatenate several cell tables."""
        parts = [p for p in parts if len(p.owner)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("owner", "row", "col", "weight")))


def polygon_cells(polygons: np.ndarray, grid: Grid, window: tuple[int, int, int, int],
                  data: np.ndarray) -> Cells:
    """Exact covered fraction of every cell of a window touched by each polygon.

    Parameters
    ----------
    polygons
        Polygons in the raster CRS (pieces may reach outside the window: only cells of
        the window are reported).
    grid
        The raster grid.
    window
        ``(row0, row1, col0, col1)`` of the window.
    data
        The window's values (any dtype; exactextract needs a raster to walk).

    Returns
    -------
    Cells
        ``weight`` is the fraction of the cell's (planar, raster-CRS) area covered,
        computed by exactextract from the exact polygon/cell intersections.
    """
    row0, row1, col0, col1 = window
    if len(polygons) == 0 or row1 <= row0 or col1 <= col0:
        return Cells.empty()
    # exactextract is imported on first use: commands that never read a raster skip it.
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from ._exactextract_glue import WkbFeatures

    xmin, ymin, xmax, ymax = grid.bounds_of(row0, row1, col0, col1)
    source = NumPyRasterSource(np.ascontiguousarray(data), xmin, ymin, xmax, ymax)
    out = exact_extract(source, WkbFeatures(polygons), ["cell_id", "coverage"],
                        include_cols=["i"], output="geojson")
    width = col1 - col0
    owners, ids, fractions = [], [], []
    for feature in out:
        props = feature["properties"]
        cell_id = props["cell_id"]
        if cell_id is None or len(cell_id) == 0:
            continue
        owners.append(np.full(len(cell_id), props["i"], dtype=np.int64))
        ids.append(np.asarray(cell_id, dtype=np.int64))
        fractions.append(np.asarray(props["coverage"], dtype=float))
    if not ids:
        return Cells.empty()
    cell_id = np.concatenate(ids)
    return Cells(np.concatenate(owners), row0 + cell_id // width, col0 + cell_id % width,
                 np.concatenate(fractions))


def line_cells(lines: np.ndarray, grid: Grid, to_lonlat: Transformer) -> Cells:
    """Length (m, geodesic) of each line inside every grid cell it crosses.

    Each segment is cut at every row and column edge it crosses, so each piece lies
    in one cell; pieces are measured geodesically between their lon/lat end points.
    Pieces outside the grid are dropped (their length is the uncovered part).
    """
    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return Cells.empty()
    same = coord_part[1:] == coord_part[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    seg_owner = part_owner[coord_part[1:][same]]
    r0, c0 = grid.cells_of(p0[:, 0], p0[:, 1])
    r1, c1 = grid.cells_of(p1[:, 0], p1[:, 1])
    n = len(p0)
    seg = np.arange(n)
    ts = [np.zeros(n), np.ones(n)]
    owners = [seg, seg]
    for a, b in ((c0, c1), (r0, r1)):
        lo = np.floor(np.minimum(a, b)) + 1
        hi = np.ceil(np.maximum(a, b)) - 1
        count = np.maximum(hi - lo + 1, 0).astype(np.int64)
        which = np.repeat(seg, count)
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        edge = lo[which] + k
        with np.errstate(invalid="ignore", divide="ignore"):
            ts.append((edge - a[which]) / (b[which] - a[which]))
        owners.append(which)
    t = np.concatenate(ts)
    which = np.concatenate(owners)
    order = np.lexsort((t, which))
    t, which = t[order], which[order]
    nxt = np.flatnonzero(which[1:] == which[:-1])
    ta, tb, s = t[nxt], t[nxt + 1], which[nxt]
    keep = tb > ta
    ta, tb, s = ta[keep], tb[keep], s[keep]
    mid = (ta + tb) / 2
    row = np.floor(r0[s] + mid * (r1[s] - r0[s])).astype(np.int64)
    col = np.floor(c0[s] + mid * (c1[s] - c0[s])).astype(np.int64)
    inside = (row >= 0) & (row < grid.height) & (col >= 0) & (col < grid.width)
    ta, tb, s, row, col = ta[inside], tb[inside], s[inside], row[inside], col[inside]
    xa = p0[s] + ta[:, None] * (p1[s] - p0[s])
    xb = p0[s] + tb[:, None] * (p1[s] - p0[s])
    lon_a, lat_a = to_lonlat.transform(xa[:, 0], xa[:, 1])
    lon_b, lat_b = to_lonlat.transform(xb[:, 0], xb[:, 1])
    length = np.asarray(GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2], dtype=float) if len(s) \
        else np.zeros(0)
    return Cells(seg_owner[s], row, col, length)


def point_cells(points: np.ndarray, grid: Grid) -> Cells:
    """The cell of each point (points outside the grid have none)."""
    parts, owner = shapely.get_parts(points, return_index=True)
    xy = shapely.get_coordinates(parts)
    if len(xy) == 0:
        return Cells.empty()
    rf, cf = grid.cells_of(xy[:, 0], xy[:, 1])
    row, col = np.floor(rf).astype(np.int64), np.floor(cf).astype(np.int64)
    inside = (row >= 0) & (row < grid.height) & (col >= 0) & (col < grid.width)
    first = np.zeros(len(owner), dtype=bool)  # a multipoint counts once, at its first point
    first[np.unique(owner, return_index=True)[1]] = True
    inside &= first
    return Cells(owner[inside], row[inside], col[inside], np.ones(inside.sum()))


def slope_degrees(z: np.ndarray, dx_m: np.ndarray, dy_m: np.ndarray) -> np.ndarray:
    """Slope (degrees) of a DEM window by Horn's method.

    Parameters
    ----------
    z
        Elevations (m), NaN where there is no data; the window should carry one cell of
        margin on each side where the raster has one. Beyond the outer ring the surface
        is extrapolated linearly (so a plane keeps its slope up to the raster's edge).
    dx_m, dy_m
        True cell width and height (m) per row of ``z``.

    Returns
    -------
    numpy.ndarray
        Slope in degrees, same shape as ``z``; NaN where a neighbour has no data.
    """
    # Odd reflection pads with 2·z[0] − z[1], a linear extrapolation (needs two rows).
    p = np.pad(z, 1, mode="reflect", reflect_type="odd") if min(z.shape) >= 2 \
        else np.pad(z, 1, mode="edge")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * np.asarray(dx_m)[:, None])
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * np.asarray(dy_m)[:, None])
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
