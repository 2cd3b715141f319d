"""The screening engine: how each project relates to each zone of each layer.

For every layer, candidate (project, zone) pairs come from one STRtree query over
the layer's zones in the pack's equal-area CRS; intersections, areas and distances
are then computed as arrays over exactly those pairs. Nothing here decides a
verdict: the output (:class:`Screening`) holds measurements only, and the rules
(:mod:`redline.rules`) judge them.

Relations (DESIGN §2.2): ``overlaps`` (shares area or length beyond the sliver
tolerance), ``inside`` (a point or line wholly within a zone), ``touches`` (shares
only a boundary, a sliver within tolerance, or a gap narrower than the tolerance),
``near`` (within the buffer, ``distance_m`` > 0), ``outside`` (part of the project
lies outside the urban boundary or the pack's coverage; ``overlap_m2`` /
``overlap_length_m`` then measure that part) and ``downstream`` (a water-source zone
reached along the river network from an outfall; ``distance_m`` along the river).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._edges import EdgeIndex
from ._network import RiverNetwork
from .crs import CGCS2000, geodesic_distance, geodesic_length
from .geometry import keep_dimension
from .pack import Layer, Pack
from .projects import add_message
from .raster import screen_rasters
from .settings import DEFAULT, Settings

#: Columns of the findings frame, in order (geometry last).
FINDING_COLUMNS = (
    "project_id", "layer", "kind", "zone_id", "zone_name", "zone_class", "zone_code",
    "relation", "overlap_m2", "overlap_pct", "overlap_length_m", "distance_m", "zone_index",
)

#: Layers that say where a project *is*: only overlaps/inside count, never proximity.
_MEMBERSHIP = {"admin", "control_unit", "urban_boundary"}
#: Relations kept per layer kind besides overlaps/inside.
_PROXIMITY = {"ecological_redline", "water_source", "nature_reserve", "basic_farmland",
              "river", "intake"}


@dataclass
class Screening:
    """What the engine measured, before any rule is applied.

    Attributes
    ----------
    projects
        The input projects (EPSG:4490) plus ``area_m2`` (footprints), ``length_m``
        (linear projects) and any per-project ``errors`` found while screening.
    findings
        One row per (project, zone, relation) with :data:`FINDING_COLUMNS`; geometry
        is the overlap piece, the shortest line to a near zone, the part outside, or
        the river path downstream, in EPSG:4490.
    pack, settings
        What was screened against, and with which tolerances.
    land_cover, terrain
        Per-project land-cover occupation and terrain statistics from the pack's raster
        layers (see :data:`redline.raster.LAND_COVER_COLUMNS`, ``TERRAIN_COLUMNS``).
    """

    projects: gpd.GeoDataFrame
    findings: gpd.GeoDataFrame
    pack: Pack
    settings: Settings
    land_cover: pd.DataFrame | None = None
    terrain: pd.DataFrame | None = None

def screen_projects(projects: gpd.GeoDataFrame, pack: Pack,
                    settings: Settings = DEFAULT) -> Screening:
    """Measure every project against every layer of a pack.

    Parameters
    ----------
    projects
        A projects frame (see :mod:`redline.projects`), EPSG:4490.
    pack
        A loaded pack.
    settings
        Buffer, sliver tolerances, outfall tracing distances.

    Returns
    -------
    Screening
    """
    # A shallow copy: the engine never changes a list of the caller's frame in place
    # (see :func:`redline.projects.add_message`), so the message lists need no copying.
    projects = projects.copy(deep=False)
    for column in ("errors", "warnings"):
        projects[column] = _as_lists(projects[column].to_numpy(dtype=object))
    lonlat = projects.geometry.values.to_numpy() if len(projects) else np.empty(0, dtype=object)
    usable = ~shapely.is_missing(lonlat) & (_lengths(projects["errors"]) == 0)
    # Each project is projected once; every measurement below works on these geometries.
    metric = np.full(len(projects), None, dtype=object)
    metric[usable] = pack.projector.to_metric(lonlat[usable])

    kinds = projects["kind"].to_numpy()
    is_area = usable & (kinds == "footprint")
    is_line = usable & (kinds == "linear")
    projects["area_m2"] = np.where(is_area, shapely.area(metric), np.nan)
    length = np.full(len(projects), np.nan)
    length[is_line] = geodesic_length(lonlat[is_line])
    projects["length_m"] = length

    dims = np.full(len(projects), -1)
    dims[usable] = shapely.get_dimensions(metric[usable])
    ctx = _Context(projects, lonlat, metric, dims, usable, pack, settings)
    # Admin layers are intersected first: they also say where the pack has data.
    admin = {layer.id: _hit_pairs(ctx, layer) for layer in pack.layers_of("admin")
             if len(layer.zones)}
    parts = [_coverage(ctx, admin)]
    usable = ctx.usable  # coverage may have turned projects into errors
    for layer in pack.layers:
        if len(layer.zones) == 0 or not usable.any():
            continue
        parts.append(_screen_layer(ctx, layer, admin.get(layer.id)))
        if layer.kind == "urban_boundary":
            parts.append(_outside(ctx, layer))
    parts.append(_downstream(ctx))
    rasters = screen_rasters(projects, ctx.usable, pack, settings)
    parts.append(rasters.findings)
    findings = _assemble([p for p in parts if p is not None and _part_length(p)], projects,
                         pack)
    return Screening(projects, findings, pack, settings, rasters.land_cover, rasters.terrain)


@dataclass
class _Context:
    projects: gpd.GeoDataFrame
    lonlat: np.ndarray
    metric: np.ndarray
    dims: np.ndarray  # geometry dimension per project, -1 when unusable
    usable: np.ndarray
    pack: Pack
    settings: Settings

    @cached_property
    def part_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per project: index of its first part, number of parts; first vertex per part.

        A single-part geometry's first vertex is its first coordinate; only the (few)
        multi-part geometries are split into parts.
        """
        rows = np.flatnonzero(self.usable)
        geoms = self.metric[rows]
        count = np.zeros(len(self.metric), dtype=np.int64)
        multi = shapely.get_type_id(geoms) >= 4  # Multi* and collections
        count[rows] = np.where(multi, shapely.get_num_geometries(geoms), 1)
        start = np.cumsum(count) - count
        xy = np.empty((int(count.sum()), 2))
        single = rows[~multi]
        xy[start[single]] = _first_vertices(self.metric[single])
        if multi.any():
            parts, owner = shapely.get_parts(self.metric[rows[multi]], return_index=True)
            owner = rows[multi][owner]
            rank = np.arange(len(parts)) - np.searchsorted(owner, owner)  # owners are sorted
            xy[start[owner] + rank] = _first_vertices(parts)
        return start, count, xy


def _first_vertices(geoms: np.ndarray) -> np.ndarray:
    """The first coordinate (x, y) of each non-empty geometry."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    return coords[np.searchsorted(index, np.arange(len(geoms)))]


# ------------------------------------------------------------------- per-layer pass

#: Zones with more vertices than this (and many more than the project) are clipped to
#: the project's envelope before GEOS intersects or measures them.
_CLIP_MIN_VERTICES = 64


def _hit_pairs(ctx: _Context, layer: Layer) -> dict[str, np.ndarray]:
    """The (project row, zone index) pairs that intersect, and which are covered.

    Most projects lie deep inside one zone, far from any zone edge. So the edges
    decide first: the layer's short boundary pieces (:mod:`redline._edges`) that meet
    a project say which pairs cross a boundary; a pair that crosses none is either
    wholly inside (``covered``: the overlap piece is the project, no intersection
    needed) or wholly outside, and one point of each project part tells which. Only
    the crossing pairs get an exact ``covers`` test, with the zone prepared.
    """
    rows = np.flatnonzero(ctx.usable)
    geoms = ctx.metric[rows]
    ip, iz = layer.tree.query(geoms)  # envelopes that intersect
    ip = rows[ip]
    nz = np.int64(len(layer.metric))
    key = ip.astype(np.int64) * nz + iz
    edges = _edges_near(layer, np.unique(iz))
    ep, ei = edges.tree.query(geoms)
    meets = shapely.intersects(edges.pieces[ei], geoms[ep])
    crossing = np.isin(key, rows[ep[meets]].astype(np.int64) * nz + edges.owner[ei[meets]])

    _prepare(layer, iz)
    zpoly = layer.dims[iz] == 2
    inside = np.zeros(len(ip), dtype=bool)
    partly = np.zeros(len(ip), dtype=bool)
    clear = ~crossing & zpoly
    partly[clear], inside[clear] = _parts_inside(ctx, ip[clear], layer.metric[iz[clear]])
    hit = crossing | partly
    covered = inside.copy()
    edge = crossing & zpoly  # crosses the boundary, or lies inside touching it
    covered[edge] = shapely.covers(layer.metric[iz[edge]], ctx.metric[ip[edge]])
    # Group the pairs by zone, so that each prepared zone stays hot in cache.
    order = np.lexsort((ip[hit], iz[hit]))
    return {"ip": ip[hit][order], "iz": iz[hit][order], "covered": covered[hit][order]}


#: Up to this many candidate zones, edges are cut for them alone (one project against a
#: big pack should not index every boundary of the layer); beyond, the layer's index.
_LOCAL_EDGE_ZONES = 64


def _edges_near(layer: Layer, zones: np.ndarray) -> EdgeIndex:
    """Boundary pieces of ``zones`` (indices into the layer): the layer's whole edge index,
    or, for a few zones when that index is not built yet, theirs alone (owners = layer indices).
    """
    if "edges" in layer.__dict__ or len(zones) > _LOCAL_EDGE_ZONES:
        return layer.edges
    key = zones.tobytes()
    last = layer.__dict__.get("_local_edges")
    if last is None or last[0] != key:  # the same zones again (a project re-screened): reuse
        local = EdgeIndex.build(layer.metric[zones])
        last = layer.__dict__["_local_edges"] = (
            key, EdgeIndex(local.pieces, zones[local.owner].astype(np.int64)))
    return last[1]


def _prepare(layer: Layer, zones: np.ndarray) -> None:
    """Prepare (GEOS indexes) the zones about to be tested; prepared zones stay so."""
    if "prepared" not in layer.__dict__ and len(zones):
        shapely.prepare(layer.metric[np.unique(zones)])


def _parts_inside(ctx: _Context, rows: np.ndarray, zones: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For pairs whose boundaries do not meet: is any part, and is every part, inside?

    Without a boundary contact each part of a project is wholly inside or wholly
    outside the zone, so its first vertex decides (point-in-polygon against the
    prepared zone). A multi-part project with parts on both sides intersects the
    zone without being covered.
    """
    start, count, xy = ctx.part_points
    n = count[rows]
    pair = np.repeat(np.arange(len(rows)), n)
    part = np.repeat(start[rows] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
    inside = shapely.contains_xy(zones[pair], xy[part, 0], xy[part, 1])
    hits = np.bincount(pair, weights=inside, minlength=len(rows))
    return hits > 0, hits == n


def _screen_layer(ctx: _Context, layer: Layer, pairs: dict[str, np.ndarray] | None = None
                  ) -> _Part | None:
    s = ctx.settings
    membership = layer.kind in _MEMBERSHIP
    rows = np.flatnonzero(ctx.usable)
    pairs = pairs or _hit_pairs(ctx, layer)
    live = ctx.usable[pairs["ip"]]  # coverage may have dropped projects since
    ip, iz, covered = pairs["ip"][live], pairs["iz"][live], pairs["covered"][live]
    _prepare(layer, iz)
    pg, zg = ctx.metric[ip], layer.metric[iz]
    zdim = layer.dims[iz]
    n = len(ip)
    zpoly = zdim == 2
    pdim = ctx.dims[ip]
    cut = ~covered
    piece = np.full(n, None, dtype=object)
    piece[covered] = pg[covered]
    piece[cut] = _clipped_intersection(pg[cut], zg[cut])

    relation = np.full(n, None, dtype=object)
    overlap_m2 = np.full(n, np.nan)
    distance = np.zeros(n)

    # Footprints against zones (polygons, lines, points).
    a = pdim == 2
    aa = a & zpoly
    overlap_m2[aa] = shapely.area(piece[aa])
    sliver = aa & _is_sliver(piece, overlap_m2, s)
    relation[aa] = "overlaps"
    relation[sliver] = "touches"
    trim = aa & ~sliver & cut
    piece[trim] = keep_dimension(piece[trim], 2)
    relation[a & ~zpoly] = "overlaps"  # a river runs through, or an intake lies within

    # Lines: inside when covered, else the length shared.
    ln = pdim == 1
    relation[ln & covered] = "inside"
    relation[ln & ~covered & zpoly] = "overlaps"  # refined by length below
    relation[ln & ~zpoly] = "touches"  # crossing a river line or touching a point

    # Points: inside when in the interior, touches on the boundary.
    pt = pdim == 0
    interior = pt & zpoly
    interior[interior] = shapely.contains_properly(zg[interior], pg[interior])
    relation[pt] = "touches"
    relation[interior] = "inside"

    keep = relation != None  # noqa: E711 - elementwise on an object array
    if membership:
        # A point on the line between two units or towns belongs to both (closed sets).
        relation[pt & (relation == "touches")] = "inside"
        keep &= np.isin(relation, ["overlaps", "inside"])
    columns = {"ip": ip, "iz": iz, "relation": relation, "overlap_m2": overlap_m2,
               "distance": distance, "piece": piece, "covered": covered, "zdim": zdim}
    columns = {k: v[keep] for k, v in columns.items()}
    hit_keys = ip.astype(np.int64) * len(layer.metric) + iz
    if not membership:
        near = _near_pairs(ctx, layer, rows, hit_keys=hit_keys)
        if near is not None and layer.kind not in _PROXIMITY:
            near = {k: v[near["relation"] == "touches"] for k, v in near.items()}
    else:
        # Points within the sliver width of a unit's edge (on it, up to rounding) belong to it.
        points = rows[ctx.dims[rows] == 0]
        near = (_near_pairs(ctx, layer, points, hit_keys=hit_keys,
                            within_m=ctx.settings.sliver_width_m) if len(points) else None)
        if near is not None:
            near = {k: v[near["relation"] == "touches"] for k, v in near.items()}
            near["relation"][:] = "inside"
    if near is not None:
        columns = {k: np.concatenate([columns[k], near[k]]) for k in columns}
    return _finish_layer(ctx, layer, columns)


def _near_pairs(ctx: _Context, layer: Layer, rows: np.ndarray, hit_keys: np.ndarray,
                within_m: float | None = None) -> dict[str, np.ndarray] | None:
    """Zones within the buffer of projects they do not intersect.

    The gap between disjoint shapes is the gap to the zone's boundary, so the query
    runs against the layer's short boundary pieces (:mod:`redline._edges`): only
    the few edges near each project are measured. The planar distance in the
    equal-area CRS selects the candidates (with a margin); the geodesic distance
    between the nearest points decides.
    """
    s = ctx.settings
    within_m = s.buffer_m if within_m is None else within_m
    reach = within_m * 1.01 + 1.0
    b = shapely.bounds(ctx.metric[rows])
    boxes = shapely.box(b[:, 0] - reach, b[:, 1] - reach, b[:, 2] + reach, b[:, 3] + reach)
    edges = _edges_near(layer, np.unique(layer.tree.query(boxes)[1]))
    ie, jp = edges.tree.query(boxes)[::-1]
    if len(ie) == 0:
        return None
    jp = rows[jp]
    key = jp.astype(np.int64) * len(layer.metric) + edges.owner[ie]
    apart = ~np.isin(key, hit_keys)
    ie, jp, key = ie[apart], jp[apart], key[apart]
    gap = shapely.distance(edges.pieces[ie], ctx.metric[jp])
    within = gap <= reach
    ie, jp, key, gap = ie[within], jp[within], key[within], gap[within]
    if len(ie) == 0:
        return None
    # The nearest piece of each (project, zone) pair gives its shortest line.
    order = np.lexsort((gap, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    ie, jp = ie[first], jp[first]
    lines = shapely.shortest_line(ctx.metric[jp], edges.pieces[ie])
    distance = _geodesic_line_length(ctx.pack, lines)
    near = distance <= within_m
    m = int(near.sum())
    return {"ip": jp[near], "iz": edges.owner[ie][near],
            "relation": np.where(distance[near] <= s.sliver_width_m, "touches", "near"
                                 ).astype(object),
            "overlap_m2": np.full(m, np.nan), "distance": distance[near],
            "piece": lines[near], "covered": np.zeros(m, dtype=bool),
            "zdim": layer.dims[edges.owner[ie][near]]}


def _finish_layer(ctx: _Context, layer: Layer, c: dict[str, np.ndarray]) -> _Part | None:
    """Lon/lat pieces, shared lengths and zone attributes of the kept pairs."""
    s = ctx.settings
    n = len(c["ip"])
    if n == 0:
        return None
    ip, relation, piece, covered = c["ip"], c["relation"], c["piece"], c["covered"]
    pdim, zdim = ctx.dims[ip], c["zdim"]
    # Back to lon/lat: a project that lies wholly inside is its own piece (no
    # reprojection); only new geometry (cut pieces, lines to near zones) is projected.
    piece_ll = np.full(n, None, dtype=object)
    piece_ll[covered] = ctx.lonlat[ip[covered]]
    piece_ll[~covered] = ctx.pack.projector.to_lonlat(piece[~covered])

    # Shared length of line projects, measured geodesically.
    length_m = np.full(n, np.nan)
    lines = (pdim == 1) & (zdim == 2) & (c["distance"] == 0)
    if lines.any():
        shared = keep_dimension(piece_ll[lines], 1)
        measured = geodesic_length(np.where(shapely.is_missing(shared), shapely.Point(), shared))
        length_m[lines] = measured
        short = lines.copy()
        short[lines] = (measured <= s.sliver_width_m) & (relation[lines] != "inside")
        relation[short] = "touches"
    river_in_area = (pdim == 2) & (zdim == 1) & (c["distance"] == 0)
    if river_in_area.any():
        length_m[river_in_area] = geodesic_length(piece_ll[river_in_area])

    return _with_zone_attributes({
        "row": ip, "layer": layer.id, "kind": layer.kind,
        "zone_index": c["iz"], "relation": relation,
        "overlap_m2": c["overlap_m2"], "overlap_length_m": length_m,
        "distance_m": c["distance"], "geometry": piece_ll,
    }, layer)


def _clip_to_envelopes(zones: np.ndarray, geoms: np.ndarray, margin: float) -> np.ndarray:
    """Clip large zones to the envelope of each paired geometry (plus ``margin``).

    GEOS then nodes and measures only the few zone edges near the project instead of
    every edge of a district-sized polygon. A clipped zone that comes out invalid
    (rectangle clipping can leave touching rings) is not used: the whole zone is.
    """
    zones = zones.copy()
    big = shapely.get_num_coordinates(zones) > np.maximum(
        _CLIP_MIN_VERTICES, 8 * shapely.get_num_coordinates(geoms))
    if not big.any():
        return zones
    idx = np.flatnonzero(big)
    box = shapely.bounds(geoms[idx]) + np.array([-margin, -margin, margin, margin])
    # GEOS's rectangle clip takes one rectangle per call; this runs once per large
    # boundary-crossing or near pair (a small share of all pairs), never per project.
    clipped = np.array([shapely.clip_by_rect(z, *b) for z, b in zip(zones[idx], box, strict=True)],
                       dtype=object)
    good = shapely.is_valid(clipped)
    zones[idx[good]] = clipped[good]
    return zones


def _clipped_intersection(geoms: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """``intersection(geoms, zones)`` with large zones clipped to each envelope first."""
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    return shapely.intersection(geoms, _clip_to_envelopes(zones, geoms, 1.0))


def _clipped_difference(geoms: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """``difference(geoms, area)`` with a large ``area`` clipped to each envelope first."""
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    return shapely.difference(
        geoms, _clip_to_envelopes(np.full(len(geoms), area, dtype=object), geoms, 1.0))


def _is_sliver(piece: np.ndarray, area: np.ndarray, s: Settings) -> np.ndarray:
    """True where an overlap piece is within the sliver tolerance.

    A piece is a sliver when its area is at most ``sliver_m2`` or when it is thinner
    than ``sliver_width_m`` everywhere (eroding it by half that width leaves nothing).
    Only pieces that *could* be that thin are eroded: a region thinner than w
    everywhere has area ≤ w·P + πw²/4 (P its perimeter), so larger ones are skipped.
    """
    out = np.zeros(len(piece), dtype=bool)
    measured = ~np.isnan(area)
    out[measured] = area[measured] <= s.sliver_m2
    w = s.sliver_width_m
    maybe = measured & ~out
    if maybe.any() and w > 0:
        idx = np.flatnonzero(maybe)
        perimeter = shapely.length(piece[idx])
        thin = area[idx] <= w * perimeter + np.pi * w * w / 4
        idx = idx[thin]
        if len(idx):
            out[idx] = shapely.is_empty(shapely.buffer(piece[idx], -w / 2))
    return out


def _geodesic_gap(pack: Pack, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance (m) between the nearest points of metric geometry pairs."""
    return _geodesic_line_length(pack, shapely.shortest_line(a, b))


def _geodesic_line_length(pack: Pack, lines: np.ndarray) -> np.ndarray:
    """Geodesic length (m) of two-point metric lines (nearest-point pairs)."""
    coords = shapely.get_coordinates(lines)  # two points per line
    lon, lat = pack.projector.points_to_lonlat(coords)
    return geodesic_distance(lon[0::2], lat[0::2], lon[1::2], lat[1::2])


def _with_zone_attributes(part: _Part, layer: Layer) -> _Part:
    """``part`` with the zone attribute columns of its zones (``zone_index``) added."""
    index = np.asarray(part["zone_index"])
    return {**part, **{column: values[index] for column, values in layer.zone_values.items()}}


# ------------------------------------------------------------- project-level checks


def _coverage(ctx: _Context, admin: dict[str, dict[str, np.ndarray]]) -> _Part | None:
    """Projects outside the pack's coverage are errors; partly outside is a finding.

    The coverage is the union of the admin layers (else the pack extent). A project
    inside one admin zone is covered; one that meets no admin zone is outside; only
    the rest (on the edge of an admin zone) are compared with the union of the admin
    zones they meet, clipped to their envelope.
    """
    rows = np.flatnonzero(ctx.usable)
    if len(rows) == 0:
        return None
    pack = ctx.pack
    if not admin:
        coverage = pack.coverage
        shapely.prepare(coverage)
        geoms = ctx.metric[rows]
        inside = shapely.covers(coverage, geoms)
        touching = inside.copy()
        touching[~inside] = shapely.intersects(coverage, geoms[~inside])
        partial = rows[touching & ~inside]
        outside = _clipped_difference(ctx.metric[partial], coverage)
    else:
        ip = np.concatenate([pairs["ip"] for pairs in admin.values()])
        zones = np.concatenate([pack.layer(lid).metric[pairs["iz"]] for lid, pairs in admin.items()])
        covered = np.zeros(len(ctx.metric), dtype=bool)
        covered[ip[np.concatenate([pairs["covered"] for pairs in admin.values()])]] = True
        met = np.zeros(len(ctx.metric), dtype=bool)
        met[ip] = True
        touching = met[rows]
        edge = rows[touching & ~covered[rows]]
        keep = np.isin(ip, edge)
        outside = _difference_with_union(ctx.metric, edge, ip[keep], zones[keep])
        nonempty = ~shapely.is_empty(outside)
        partial, outside = edge[nonempty], outside[nonempty]
    where = "its admin layer" if pack.coverage_source != "extent" else "its extent"
    for r in rows[~touching]:
        add_message(ctx.projects, r, "errors", f"lies outside the coverage of pack "
                    f"{pack.id!r} ({where}); screen it with a pack that covers it")
    ctx.usable[rows[~touching]] = False
    if len(partial) == 0:
        return None
    return _outside_frame(ctx, partial, outside, layer_id=pack.coverage_source,
                          kind="coverage", distance=np.zeros(len(partial)))


def _as_lists(values: np.ndarray) -> np.ndarray:
    """``values`` with every entry a list: frames that travelled through Arrow or pickling
    (dask partitions) carry numpy arrays there. Lists are kept as they are, not copied."""
    if all(type(v) is list for v in values):
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = [v if type(v) is list else list(v) for v in values]
    return out


def _lengths(column: pd.Series) -> np.ndarray:
    """Number of entries of each list in ``column``."""
    return np.fromiter(map(len, column.to_numpy(dtype=object)), dtype=np.int64,
                       count=len(column))


def _difference_with_union(metric: np.ndarray, rows: np.ndarray, owner: np.ndarray,
                           zones: np.ndarray) -> np.ndarray:
    """For each row, its geometry minus the union of the zones paired with it.

    The zones are clipped to the project's envelope and unioned per project in one
    call (a 2-D array, one row per project). Pieces left only by rounding where the
    zones' shared edges were cut (relative size below 1e-9) count as nothing.
    """
    if len(rows) == 0:
        return np.empty(0, dtype=object)
    position = np.searchsorted(rows, owner)
    clipped = _clip_to_envelopes(zones, metric[owner], 1.0)
    order = np.lexsort((np.arange(len(owner)), position))
    position, clipped = position[order], clipped[order]
    slot = np.arange(len(position)) - np.searchsorted(position, position)
    table = np.full((len(rows), int(slot.max()) + 1), None, dtype=object)
    table[position, slot] = clipped
    union = shapely.union_all(table, axis=1)
    geoms = metric[rows]
    rest = shapely.difference(geoms, union)
    size = np.where(shapely.get_dimensions(geoms) == 2, shapely.area(rest), shapely.length(rest))
    whole = np.where(shapely.get_dimensions(geoms) == 2, shapely.area(geoms), shapely.length(geoms))
    noise = (size <= 1e-9 * whole) & (shapely.get_dimensions(geoms) > 0)
    rest[noise] = shapely.Polygon()
    return rest


def _outside(ctx: _Context, layer: Layer) -> _Part | None:
    """Projects not wholly inside the union of an urban-boundary layer."""
    rows = np.flatnonzero(ctx.usable)
    union = layer.union
    shapely.prepare(union)
    geoms = ctx.metric[rows]
    out = rows[~shapely.covers(union, geoms)]
    if len(out) == 0:
        return None
    parts = _clipped_difference(ctx.metric[out], union)
    touching = shapely.intersects(union, ctx.metric[out])
    distance = np.zeros(len(out))
    apart = ~touching
    if apart.any():
        distance[apart] = _geodesic_gap(ctx.pack, ctx.metric[out][apart],
                                        np.full(apart.sum(), union, dtype=object))
    return _outside_frame(ctx, out, parts, layer_id=layer.id, kind=layer.kind,
                          distance=distance)


def _outside_frame(ctx: _Context, rows: np.ndarray, parts: np.ndarray, *, layer_id: str,
                   kind: str, distance: np.ndarray) -> _Part:
    dims = ctx.dims[rows]
    parts_ll = ctx.pack.projector.to_lonlat(parts)
    area = np.where(dims == 2, shapely.area(parts), np.nan)
    length = np.full(len(rows), np.nan)
    lines = dims == 1
    length[lines] = geodesic_length(parts_ll[lines])
    return {
        "row": rows, "layer": layer_id, "kind": kind, "zone_index": -1, "relation": "outside",
        "overlap_m2": area, "overlap_length_m": length, "distance_m": distance,
        "geometry": parts_ll,
        "zone_id": None, "zone_name": None, "zone_class": None, "zone_code": None,
    }


def _downstream(ctx: _Context) -> _Part | None:
    """Water-source zones reached downstream of each outfall along the river network."""
    kinds = ctx.projects["kind"].to_numpy()
    rows = np.flatnonzero(ctx.usable & (kinds == "outfall"))
    rivers = ctx.pack.layers_of("river")
    zones = ctx.pack.layers_of("water_source")
    if len(rows) == 0 or not rivers or not zones:
        return None
    network = RiverNetwork(np.concatenate([layer.metric for layer in rivers]))
    s = ctx.settings
    records = []
    for r in rows:  # outfalls are few; each walk is a short graph traversal
        if not network.snaps(ctx.metric[r], s.snap_m):
            add_message(ctx.projects, r, "warnings", f"outfall is more than {s.snap_m:g} m "
                        "from every river line of the pack; zones downstream were not traced")
            continue
        for layer in zones:
            for hit in network.reach(ctx.metric[r], layer.metric, tree=layer.tree,
                                     snap_m=s.snap_m, max_m=s.upstream_m):
                records.append((r, layer, hit))
    if not records:
        return None
    paths = ctx.pack.projector.to_lonlat(np.array([h.path for _, _, h in records], dtype=object))
    found = {
        "row": np.array([r for r, _, _ in records]),
        "layer": np.array([layer.id for _, layer, _ in records], dtype=object),
        "kind": "water_source", "zone_index": np.array([h.zone_index for _, _, h in records]),
        "relation": "downstream", "overlap_m2": np.nan, "overlap_length_m": np.nan,
        "distance_m": geodesic_length(paths), "geometry": paths,
    }
    return _concat_parts([
        _with_zone_attributes({k: _take(v, found["layer"] == layer.id) for k, v in found.items()},
                              layer)
        for layer in zones if (found["layer"] == layer.id).any()])


# ------------------------------------------------------------------------ assemble


#: A part of the findings: column name → one array per column, or a scalar for all rows.
_Part = dict

#: Columns of a part; the zone attributes come from the layer (``Layer.zone_values``).
_PART_COLUMNS = ("row", "layer", "kind", "zone_index", "relation", "overlap_m2",
                 "overlap_length_m", "distance_m", "geometry", "zone_id", "zone_name",
                 "zone_class", "zone_code")
_TEXT_COLUMNS = ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                 "zone_code", "relation")
_NUMBER_COLUMNS = ("overlap_m2", "overlap_pct", "overlap_length_m", "distance_m")


def _take(value, mask: np.ndarray):
    """``value[mask]`` for an array column; a scalar column stays a scalar."""
    return value[mask] if isinstance(value, np.ndarray) else value


def _column_of(part: _Part | pd.DataFrame, name: str, n: int) -> np.ndarray:
    """One column of a part as an array of length ``n`` (missing or scalar: repeated)."""
    value = part.get(name, None)
    if isinstance(value, pd.Series):
        value = value.to_numpy(dtype=object if value.dtype.kind not in "fiub" else None)
    if isinstance(value, np.ndarray):
        return value
    out = np.empty(n, dtype=object if value is None or isinstance(value, str) else type(value))
    out[:] = value
    return out


def _part_length(part: _Part | pd.DataFrame) -> int:
    return len(part) if isinstance(part, pd.DataFrame) else len(part["row"])


def _concat_parts(parts: list[_Part | pd.DataFrame]) -> _Part | None:
    """Parts (dicts or frames, e.g. the raster findings) as one part of arrays."""
    if not parts:
        return None
    sizes = [_part_length(p) for p in parts]
    return {name: np.concatenate([_column_of(p, name, n) for p, n in zip(parts, sizes, strict=True)])
            for name in _PART_COLUMNS}


def _text(values: np.ndarray) -> pd.Series:
    """An object column with ``None`` (never NaN) for missing values (see ``text_column``)."""
    values = values.astype(object)  # a copy: the parts' arrays are not touched
    values[pd.isna(values)] = None
    return pd.Series(values, dtype=object, copy=False)


def _sort_codes(values: np.ndarray) -> np.ndarray:
    """Integer codes of ``values`` that sort as the values do (missing last)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
    rank[-1] = len(uniques)  # the NA sentinel (-1) indexes the last slot
    return rank[codes]


def _assemble(parts: list[_Part | pd.DataFrame], projects: gpd.GeoDataFrame, pack: Pack
              ) -> gpd.GeoDataFrame:
    """All findings in one frame, in a deterministic order.

    The parts are concatenated as arrays and ordered with one ``lexsort`` (project, then
    layer in catalog order, then zone, then relation); the frame is built once.
    """
    c = _concat_parts(parts)
    if c is None:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=CGCS2000))
    rows = c["row"].astype(np.int64)
    c["project_id"] = projects["project_id"].to_numpy(dtype=object)[rows]
    overlap_m2 = c["overlap_m2"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(~np.isnan(overlap_m2),
                       overlap_m2 / projects["area_m2"].to_numpy(float)[rows] * 100,
                       c["overlap_length_m"].astype(float)
                       / projects["length_m"].to_numpy(float)[rows] * 100)
    c["overlap_pct"] = np.where(np.isfinite(pct), pct, np.nan)
    # Deterministic order: project, then layer in catalog order, then zone, relation.
    layer_order = {layer.id: i for i, layer in enumerate([*pack.layers, *pack.rasters])}
    codes, uniques = pd.factorize(c["layer"])
    order_of_layer = np.array([layer_order.get(u, -1) for u in uniques] + [-1])[codes]
    zone_index = c["zone_index"].astype(np.int64)
    order = np.lexsort((_sort_codes(c["relation"]), zone_index, order_of_layer, rows))
    columns = {}
    for name in FINDING_COLUMNS:
        if name == "zone_index":
            columns[name] = pd.Series(zone_index[order], dtype=int)
        elif name in _NUMBER_COLUMNS:
            columns[name] = pd.Series(c[name][order].astype(float))
        else:
            columns[name] = _text(c[name][order])
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(c["geometry"][order], crs=CGCS2000),
                            crs=CGCS2000)
