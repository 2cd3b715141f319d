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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._network import RiverNetwork
from .crs import CGCS2000, geodesic_distance, geodesic_length
from .geometry import keep_dimension
from .pack import Layer, Pack
from .projects import text_column
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
    projects = projects.copy()
    # Fresh lists: the engine appends to them and must not touch the caller's frame.
    projects["errors"] = [list(e) for e in projects["errors"]]
    projects["warnings"] = [list(w) for w in projects["warnings"]]
    lonlat = projects.geometry.values.to_numpy() if len(projects) else np.empty(0, dtype=object)
    usable = ~shapely.is_missing(lonlat) & np.array([not e for e in projects["errors"]], bool)
    metric = np.full(len(projects), None, dtype=object)
    metric[usable] = pack.projector.to_metric(lonlat[usable])

    kinds = projects["kind"].to_numpy()
    is_area = usable & (kinds == "footprint")
    is_line = usable & (kinds == "linear")
    projects["area_m2"] = np.where(is_area, shapely.area(metric), np.nan)
    length = np.full(len(projects), np.nan)
    length[is_line] = geodesic_length(lonlat[is_line])
    projects["length_m"] = length

    ctx = _Context(projects, metric, usable, pack, settings)
    parts = [_coverage(ctx)]
    usable = ctx.usable  # coverage may have turned projects into errors
    for layer in pack.layers:
        if len(layer.zones) == 0 or not usable.any():
            continue
        parts.append(_screen_layer(ctx, layer))
        if layer.kind == "urban_boundary":
            parts.append(_outside(ctx, layer))
    parts.append(_downstream(ctx))
    rasters = screen_rasters(projects, ctx.usable, pack, settings)
    parts.append(rasters.findings)
    findings = _assemble([p for p in parts if p is not None and len(p)], projects, pack)
    return Screening(projects, findings, pack, settings, rasters.land_cover, rasters.terrain)


@dataclass
class _Context:
    projects: gpd.GeoDataFrame
    metric: np.ndarray
    usable: np.ndarray
    pack: Pack
    settings: Settings

    @property
    def dims(self) -> np.ndarray:
        out = np.full(len(self.metric), -1)
        out[self.usable] = shapely.get_dimensions(self.metric[self.usable])
        return out


# ------------------------------------------------------------------- per-layer pass


def _screen_layer(ctx: _Context, layer: Layer) -> pd.DataFrame | None:
    s = ctx.settings
    rows = np.flatnonzero(ctx.usable)
    if layer.kind in _MEMBERSHIP:
        ip, iz = layer.tree.query(ctx.metric[rows], predicate="intersects")
    else:
        # Query a little wider than the buffer: the final test is geodesic.
        ip, iz = layer.tree.query(ctx.metric[rows], predicate="dwithin",
                                  distance=s.buffer_m * 1.01 + 1.0)
    if len(ip) == 0:
        return None
    ip = rows[ip]
    pg, zg = ctx.metric[ip], layer.metric[iz]
    pdim = ctx.dims[ip]
    zdim = shapely.get_dimensions(zg)
    n = len(ip)

    relation = np.full(n, None, dtype=object)
    overlap_m2 = np.full(n, np.nan)
    length_m = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    piece = np.full(n, None, dtype=object)

    hit = shapely.intersects(pg, zg)
    # Fast path: a zone that covers the whole project needs no intersection.
    covered = hit & (zdim == 2)
    covered[covered] = shapely.covers(zg[covered], pg[covered])
    piece[covered] = pg[covered]
    cut = hit & ~covered
    piece[cut] = shapely.intersection(pg[cut], zg[cut])

    # Footprints against zones (polygons, lines, points).
    a = hit & (pdim == 2)
    aa = a & (zdim == 2)
    overlap_m2[aa] = shapely.area(piece[aa])
    sliver = aa & _is_sliver(piece, overlap_m2, s)
    relation[aa] = "overlaps"
    relation[sliver] = "touches"
    piece[aa & ~sliver] = keep_dimension(piece[aa & ~sliver], 2)
    relation[a & (zdim < 2)] = "overlaps"  # a river runs through, or an intake lies within

    # Lines: inside when covered, else the length shared.
    ln = hit & (pdim == 1)
    relation[ln & covered] = "inside"
    relation[ln & ~covered & (zdim == 2)] = "overlaps"  # refined by length below
    relation[ln & (zdim < 2)] = "touches"  # crossing a river line or touching a point

    # Points: inside when in the interior, touches on the boundary.
    pt = hit & (pdim == 0)
    interior = pt & (zdim == 2)
    interior[interior] = shapely.contains_properly(zg[interior], pg[interior])
    relation[pt] = "touches"
    relation[interior] = "inside"

    # Not intersecting: distance, refined geodesically between the nearest points.
    far = ~hit
    if far.any():
        distance[far] = _geodesic_gap(ctx.pack, pg[far], zg[far])
        piece[far] = shapely.shortest_line(pg[far], zg[far])
        relation[far] = np.where(distance[far] <= s.sliver_width_m, "touches", "near")
    distance[hit] = 0.0

    keep = relation != None  # noqa: E711 - elementwise on an object array
    keep &= ~(far & (distance > s.buffer_m))
    if layer.kind in _MEMBERSHIP:
        # A point on the line between two units or towns belongs to both (closed sets).
        relation[pt & (relation == "touches")] = "inside"
        keep &= np.isin(relation, ["overlaps", "inside"])
    elif layer.kind not in _PROXIMITY:
        keep &= relation != "near"

    piece_ll = np.full(n, None, dtype=object)
    piece_ll[keep] = ctx.pack.projector.to_lonlat(piece[keep])

    # Shared length of line projects, measured geodesically.
    lines = keep & ln & (zdim == 2)
    if lines.any():
        shared = keep_dimension(piece_ll[lines], 1)
        measured = geodesic_length(np.where(shapely.is_missing(shared), shapely.Point(), shared))
        length_m[lines] = measured
        short = lines.copy()
        short[lines] = (measured <= s.sliver_width_m) & (relation[lines] != "inside")
        relation[short] = "touches"
    river_in_area = keep & a & (zdim == 1)
    if river_in_area.any():
        length_m[river_in_area] = geodesic_length(piece_ll[river_in_area])

    frame = pd.DataFrame({
        "row": ip[keep], "layer": layer.id, "kind": layer.kind,
        "zone_index": iz[keep], "relation": relation[keep],
        "overlap_m2": overlap_m2[keep], "overlap_length_m": length_m[keep],
        "distance_m": distance[keep], "geometry": piece_ll[keep],
    })
    return _with_zone_attributes(frame, layer)


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
    nearest = shapely.shortest_line(a, b)
    coords = shapely.get_coordinates(nearest)  # two points per line
    lon, lat = pack.projector.points_to_lonlat(coords)
    return geodesic_distance(lon[0::2], lat[0::2], lon[1::2], lat[1::2])


def _with_zone_attributes(frame: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    zones = layer.zones.iloc[frame["zone_index"].to_numpy()]
    for column in ("zone_id", "zone_name", "zone_class", "zone_code"):
        frame[column] = zones[column].to_numpy()
    return frame


# ------------------------------------------------------------- project-level checks


def _coverage(ctx: _Context) -> pd.DataFrame | None:
    """Projects outside the pack's coverage are errors; partly outside is a finding."""
    rows = np.flatnonzero(ctx.usable)
    if len(rows) == 0:
        return None
    pack = ctx.pack
    coverage = pack.coverage
    shapely.prepare(coverage)
    geoms = ctx.metric[rows]
    inside = shapely.covers(coverage, geoms)
    touching = shapely.intersects(coverage, geoms)
    where = "its admin layer" if pack.coverage_source != "extent" else "its extent"
    for r in rows[~touching]:
        ctx.projects.at[ctx.projects.index[r], "errors"].append(
            f"lies outside the coverage of pack {pack.id!r} ({where}); "
            "screen it with a pack that covers it")
    ctx.usable[rows[~touching]] = False
    partial = rows[touching & ~inside]
    if len(partial) == 0:
        return None
    outside = shapely.difference(ctx.metric[partial], coverage)
    return _outside_frame(ctx, partial, outside, layer_id=pack.coverage_source,
                          kind="coverage", distance=np.zeros(len(partial)))


def _outside(ctx: _Context, layer: Layer) -> pd.DataFrame | None:
    """Projects not wholly inside the union of an urban-boundary layer."""
    rows = np.flatnonzero(ctx.usable)
    union = layer.union
    shapely.prepare(union)
    geoms = ctx.metric[rows]
    out = rows[~shapely.covers(union, geoms)]
    if len(out) == 0:
        return None
    parts = shapely.difference(ctx.metric[out], union)
    touching = shapely.intersects(union, ctx.metric[out])
    distance = np.zeros(len(out))
    apart = ~touching
    if apart.any():
        distance[apart] = _geodesic_gap(ctx.pack, ctx.metric[out][apart],
                                        np.full(apart.sum(), union, dtype=object))
    return _outside_frame(ctx, out, parts, layer_id=layer.id, kind=layer.kind,
                          distance=distance)


def _outside_frame(ctx: _Context, rows: np.ndarray, parts: np.ndarray, *, layer_id: str,
                   kind: str, distance: np.ndarray) -> pd.DataFrame:
    dims = ctx.dims[rows]
    parts_ll = ctx.pack.projector.to_lonlat(parts)
    area = np.where(dims == 2, shapely.area(parts), np.nan)
    length = np.full(len(rows), np.nan)
    lines = dims == 1
    length[lines] = geodesic_length(parts_ll[lines])
    return pd.DataFrame({
        "row": rows, "layer": layer_id, "kind": kind, "zone_index": -1, "relation": "outside",
        "overlap_m2": area, "overlap_length_m": length, "distance_m": distance,
        "geometry": parts_ll,
        "zone_id": None, "zone_name": None, "zone_class": None, "zone_code": None,
    })


def _downstream(ctx: _Context) -> pd.DataFrame | None:
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
            ctx.projects.at[ctx.projects.index[r], "warnings"].append(
                f"outfall is more than {s.snap_m:g} m from every river line of the pack; "
                "zones downstream were not traced")
            continue
        for layer in zones:
            for hit in network.reach(ctx.metric[r], layer.metric, tree=layer.tree,
                                     snap_m=s.snap_m, max_m=s.upstream_m):
                records.append((r, layer, hit))
    if not records:
        return None
    paths = ctx.pack.projector.to_lonlat(np.array([h.path for _, _, h in records], dtype=object))
    frame = pd.DataFrame({
        "row": [r for r, _, _ in records], "layer": [layer.id for _, layer, _ in records],
        "kind": "water_source", "zone_index": [h.zone_index for _, _, h in records],
        "relation": "downstream", "overlap_m2": np.nan, "overlap_length_m": np.nan,
        "distance_m": geodesic_length(paths), "geometry": paths,
    })
    return pd.concat([_with_zone_attributes(frame[frame["layer"] == layer.id].copy(), layer)
                      for layer in zones if (frame["layer"] == layer.id).any()])


# ------------------------------------------------------------------------ assemble


def _assemble(parts: list[pd.DataFrame], projects: gpd.GeoDataFrame, pack: Pack
              ) -> gpd.GeoDataFrame:
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=CGCS2000))
    frame = pd.concat(parts, ignore_index=True)
    rows = frame["row"].to_numpy()
    frame["project_id"] = projects["project_id"].to_numpy()[rows]
    area = projects["area_m2"].to_numpy()[rows]
    length = projects["length_m"].to_numpy()[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(~np.isnan(frame["overlap_m2"].to_numpy(float)),
                       frame["overlap_m2"].to_numpy(float) / area * 100,
                       frame["overlap_length_m"].to_numpy(float) / length * 100)
    frame["overlap_pct"] = np.where(np.isfinite(pct), pct, np.nan)
    # Deterministic order: project, then layer in catalog order, then zone, relation.
    layer_order = {layer.id: i for i, layer in enumerate([*pack.layers, *pack.rasters])}
    frame["_layer_order"] = frame["layer"].map(layer_order).fillna(-1)
    frame = frame.sort_values(["row", "_layer_order", "zone_index", "relation"], kind="stable")
    frame = frame[[*FINDING_COLUMNS, "geometry"]].reset_index(drop=True)
    frame["zone_index"] = frame["zone_index"].astype(int)
    for column in ("project_id", "layer", "kind", "zone_id", "zone_name", "zone_class",
                   "zone_code", "relation"):
        frame[column] = text_column(frame[column])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CGCS2000)
