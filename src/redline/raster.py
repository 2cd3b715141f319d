"""Raster layers: land cover, terrain (DEM) and raster constraint layers.

A raster layer is a ``[[layers]]`` entry of kind ``land_cover``, ``terrain`` or
``raster_constraint`` pointing to anything rasterio opens (GeoTIFF, COG, …) in any CRS.
:func:`redline.io.raster.load_raster_layer` reads only its metadata and checks the catalog keys; pixels
are read by :func:`screen_rasters`, the raster part of the screen stage, one window per
grid-aligned tile for all the projects (or project pieces) in that tile, never the whole
raster. Cells are weighted by the exact fraction each project covers (exactextract) and
by their true area on the ellipsoid (:class:`redline._raster_grid.CellArea`).

What each kind gives, per project:

- ``land_cover``: area (footprints), length (linear projects) or the class at the point
  (sites, outfalls) per class of the legend, with shares, plus the parts with no data and
  outside the raster (:data:`LAND_COVER_COLUMNS`).
- ``terrain``: minimum, area-weighted mean and maximum elevation and slope
  (:data:`TERRAIN_COLUMNS`); optional ``slope_classes`` give findings (e.g. slopes
  ≥ 25°) that rules can judge.
- ``raster_constraint``: values mapped to classes (exact values or thresholds) give
  findings like vector zones (area or length per class, the overlap piece as geometry);
  ``[layers.verdicts]`` turns classes into rules (:mod:`redline.rules.catalog`).

Catalog keys (besides the common ones)::

    band = 1                        # band to read (default 1)
    nodata = 0                      # overrides the file's nodata value
    [layers.legend]                 # land_cover: value -> code, Chinese and English name
    1 = { code = "01", zh = "耕地", en = "cropland" }
    [layers.classes]                # raster_constraint: exact value -> class
    "5" = "extreme"
    [[layers.thresholds]]           # raster_constraint: min <= value < max -> class
    class = "high"
    min = 4
    [[layers.slope_classes]]        # terrain: min <= slope (degrees) < max -> class
    class = "steep"
    min = 25
    [layers.class_titles]           # display names of classes
    extreme = { zh = "极敏感区", en = "extremely sensitive" }
    [layers.verdicts]               # class -> verdict (becomes a rule; see rules/catalog.py)
    extreme = "restricted"
    [[layers.basis]]                # legal basis of those verdicts
    document = "…"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from . import _raster_grid
from ._raster_grid import (
    CellArea,
    Cells,
    Grid,
    line_cells,
    point_cells,
    polygon_cells,
    slope_degrees,
    split_by_tiles,
)
from .crs import CGCS2000, geodesic_length, reproject
from .errors import RedlineError
from .io.raster import LegendEntry, RasterLayer, number_text
from .projects import add_message, text_column
from .settings import DEFAULT, Settings

if TYPE_CHECKING:
    from .pack import Pack

#: Columns of the land-cover table (``Result.land_cover``), one row per project, layer
#: and part: ``part`` is ``"class"`` (a legend class), ``"nodata"`` (cells without data)
#: or ``"outside"`` (beyond the raster). ``area_m2`` for footprints, ``length_m`` for
#: linear projects; ``share_pct`` of the project's area or length (100 for the class at a
#: point).
LAND_COVER_COLUMNS = ("project_id", "layer", "part", "value", "code", "name_zh", "name_en",
                      "area_m2", "length_m", "share_pct")
#: Columns of the terrain table (``Result.terrain``), one row per project and layer.
#: Elevations in the DEM's unit (metres), slopes in degrees; the mean is area-weighted
#: (length-weighted along lines); ``covered_pct`` is the share with data.
TERRAIN_COLUMNS = ("project_id", "layer", "elevation_min", "elevation_mean", "elevation_max",
                   "slope_min_deg", "slope_mean_deg", "slope_max_deg", "covered_pct")
#: Share of a project (percent) outside a raster or without data above which a warning
#: is added to the project.
UNCOVERED_WARNING_PCT = 0.5

_NODATA_NAMES = ("无数据", "no data")
_OUTSIDE_NAMES = ("栅格范围外", "outside the raster")
#: Coverage fractions (and line lengths in m) at or below this are round-off, e.g. a
#: footprint drawn on cell edges and moved through lon/lat grazes its neighbours.
_DUST = 1e-6
#: GDAL block cache (MB) while raster windows are read.
_BLOCK_CACHE_MB = 32


# ------------------------------------------------------------------------ screening


@dataclass
class RasterScreening:
    """What the raster layers measured.

    Attributes
    ----------
    findings
        Engine-style finding rows (``row`` = project position) for raster constraint
        classes and terrain slope classes.
    land_cover
        :data:`LAND_COVER_COLUMNS`.
    terrain
        :data:`TERRAIN_COLUMNS`.
    """

    findings: pd.DataFrame | None
    land_cover: pd.DataFrame
    terrain: pd.DataFrame
    #: Per project (position), the warnings about uncovered parts (:func:`measure_rasters`).
    warnings: list[list[str]] | None = None


def empty_land_cover() -> pd.DataFrame:
    """An empty land-cover table with its columns."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "area_m2", "length_m",
                                                            "share_pct") else object)
                         for c in LAND_COVER_COLUMNS})


def empty_terrain() -> pd.DataFrame:
    """An empty terrain table with its columns."""
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("project_id", "layer") else float)
                         for c in TERRAIN_COLUMNS})


def screen_rasters(projects: gpd.GeoDataFrame, usable: np.ndarray, pack: Pack,
                   settings: Settings = DEFAULT) -> RasterScreening:
    """Measure projects against every raster layer of a pack.

    Parameters
    ----------
    projects
        The projects frame (EPSG:4490) with ``area_m2`` and ``length_m`` measured;
        warnings about uncovered parts are appended to its ``warnings`` lists.
    usable
        Which projects to measure (the others could not be screened).
    pack
        The pack; its ``rasters`` are measured in catalog order.
    settings
        Sliver tolerances (an overlap of at most ``sliver_m2`` is ``touches``).

    Returns
    -------
    RasterScreening
    """
    rows = np.flatnonzero(usable) if getattr(pack, "rasters", None) else np.zeros(0, int)
    if len(rows) == 0:
        return RasterScreening(None, empty_land_cover(), empty_terrain())
    lonlat = projects.geometry.values.to_numpy()[rows]
    dims = shapely.get_dimensions(lonlat)
    total = _sizes(projects, rows, lonlat, dims, pack)
    ids = projects["project_id"].to_numpy()[rows]
    findings, land_cover, terrain = [], [], []
    from rasterio.errors import RasterioIOError  # only packs with rasters import rasterio

    for layer in pack.rasters:
        try:
            m = _measure(layer, lonlat, dims)
        except RasterioIOError as exc:
            raise RedlineError(f"{layer.path}: cannot read raster layer {layer.id} ({exc})"
                               ) from None
        uncovered = np.clip(total - m.covered, 0, None)
        pct = np.where(total > 0, uncovered / np.where(total > 0, total, 1) * 100, 0.0)
        for i in np.flatnonzero(pct > UNCOVERED_WARNING_PCT):
            what = "outside the raster" if m.nodata[i] <= 0 else "outside the raster or no data"
            add_message(projects, rows[i], "warnings", f"raster layer {layer.id}: "
                        f"{pct[i]:.1f}% of the project is not covered ({what})")
        if layer.kind == "land_cover":
            land_cover.append(_land_cover_rows(layer, m, ids, dims, total))
        elif layer.kind == "terrain":
            terrain.append(_terrain_rows(layer, m, ids, total))
        if layer.classes:
            findings.append(_class_findings(layer, m, rows, lonlat, dims, total, settings))
    findings = [f for f in findings if f is not None and len(f)]
    return RasterScreening(
        findings=pd.concat(findings, ignore_index=True) if findings else None,
        land_cover=_concat(land_cover, empty_land_cover()),
        terrain=_concat(terrain, empty_terrain()))


def measure_rasters(footprints: gpd.GeoDataFrame, pack: Pack, *, id_column: str | None = None,
                    layers: list[str] | tuple[str, ...] | None = None,
                    settings: Settings = DEFAULT) -> RasterScreening:
    """Measure many footprints against a pack's raster layers in one pass per layer.

    The entry point for batch engines: give it a whole chunk of footprints and each
    grid-aligned tile window of each raster is read once for the chunk (not once per
    footprint or per layer and footprint). No vector layer is screened and no rule
    applied; :func:`redline.screen` calls the same code for its raster part.

    Parameters
    ----------
    footprints
        Polygons (footprints), lines (linear projects) or points, in any CRS the frame
        declares; empty or missing geometries are skipped (no rows).
    pack
        A loaded pack with raster layers.
    id_column
        Column holding the project ids; the index (as text) when ``None``.
    layers
        Ids of the raster layers to measure (all of them when ``None``).
    settings
        Sliver tolerances for raster-constraint findings.

    Returns
    -------
    RasterScreening
        ``land_cover`` and ``terrain`` keyed by ``project_id``; ``findings`` (raster
        constraint and slope classes) with ``row`` = position in ``footprints``;
        ``warnings`` per position (uncovered parts above 0.5 %).

    Examples
    --------
    >>> from redline.raster import measure_rasters
    >>> measured = measure_rasters(chunk, pack, id_column="XMBH")
    >>> measured.land_cover.pivot_table(index="project_id", columns="name_zh",
    ...                                 values="area_m2", aggfunc="sum")
    """
    from dataclasses import replace

    if footprints.crs is None:
        raise RedlineError("measure_rasters: the footprints frame has no CRS")
    geoms = reproject(footprints.geometry.values.to_numpy(), footprints.crs, CGCS2000)
    ids = (footprints[id_column] if id_column else footprints.index.to_series()).astype(str)
    frame = gpd.GeoDataFrame({
        "project_id": ids.to_numpy(), "area_m2": np.nan, "length_m": np.nan,
        "warnings": [[] for _ in range(len(footprints))],
    }, geometry=gpd.GeoSeries(geoms, crs=CGCS2000).values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if layers is not None:
        unknown = set(layers) - {layer.id for layer in pack.rasters}
        if unknown:
            raise RedlineError(f"measure_rasters: no raster layer {', '.join(sorted(unknown))} "
                               f"in pack {pack.id}")
        pack = replace(pack, rasters=[layer for layer in pack.rasters if layer.id in layers])
    out = screen_rasters(frame, usable, pack, settings)
    out.warnings = list(frame["warnings"])
    return out


def project_columns(project_ids: pd.Series, land_cover: pd.DataFrame | None,
                    terrain: pd.DataFrame | None) -> dict[str, list[list[dict[str, Any]]]]:
    """Per-project ``land_cover`` and ``terrain`` lists for the projects frame.

    Each entry is the project's rows of :data:`LAND_COVER_COLUMNS` (or
    :data:`TERRAIN_COLUMNS`) as plain dicts without ``project_id``, in table order; an
    empty list when the pack has no such layer or the project was not measured. These
    are the columns ``land_cover`` and ``terrain`` of ``Result.projects``.
    """
    out = {}
    ids = project_ids.tolist()  # plain strings: iterating a Series costs ~2x more
    for name, table in (("land_cover", land_cover), ("terrain", terrain)):
        grouped: dict[str, list[dict[str, Any]]] = {}
        if table is not None and len(table):
            records = table.drop(columns="project_id").astype(object).where(table.notna(), None)
            for pid, record in zip(table["project_id"], records.to_dict("records"), strict=True):
                grouped.setdefault(pid, []).append(record)
        out[name] = [grouped.get(pid, []) for pid in ids]
    return out


def land_cover_wide(land_cover: pd.DataFrame, *, lang: str = "zh",
                    amount: str = "area_m2") -> pd.DataFrame:
    """The land-cover table as one row per project and one column per class.

    For summary sheets and batch tables (占地类型 columns). Columns are the class names
    (``layer/name`` when there are several land-cover layers) in legend order, then
    the no-data and outside-the-raster parts; cells hold ``amount`` (``area_m2``,
    ``length_m`` or ``share_pct``), 0 where the project has none of a class.

    Parameters
    ----------
    land_cover
        ``Result.land_cover`` or ``measure_rasters(...).land_cover``.
    lang
        ``zh`` or ``en`` class names.
    amount
        The column to spread.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``project_id``, in the order projects first appear.
    """
    if land_cover is None or len(land_cover) == 0:
        return pd.DataFrame(index=pd.Index([], name="project_id"))
    name = land_cover["name_en" if lang == "en" else "name_zh"]
    several = land_cover["layer"].nunique() > 1
    column = (land_cover["layer"] + "/" + name) if several else name
    order = land_cover.assign(_column=column, _part=land_cover["part"].map(
        {"class": 0, "nodata": 1, "outside": 2}))
    order = order.sort_values(["_part", "layer", "value"], kind="stable")
    columns = list(dict.fromkeys(order["_column"]))
    projects = list(dict.fromkeys(land_cover["project_id"]))
    wide = order.pivot_table(index="project_id", columns="_column", values=amount,
                             aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(index=projects, columns=columns, fill_value=0.0)
    wide.columns.name = None
    return wide


def _sizes(projects: gpd.GeoDataFrame, rows: np.ndarray, lonlat: np.ndarray, dims: np.ndarray,
           pack: Pack) -> np.ndarray:
    """Area (m²) of polygons, length (m) of lines, 1 for points: what shares refer to."""
    area = projects["area_m2"].to_numpy(float)[rows]
    length = projects["length_m"].to_numpy(float)[rows]
    need = (dims == 2) & np.isnan(area)
    if need.any():  # polygons screened as another kind: measure them here
        area[need] = shapely.area(pack.projector.to_metric(lonlat[need]))
    need = (dims == 1) & np.isnan(length)
    if need.any():
        length[need] = geodesic_length(lonlat[need])
    return np.where(dims == 2, area, np.where(dims == 1, length, 1.0))


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty


@dataclass
class _Measured:
    """Per-layer sums for the projects measured (``owner`` = position among them)."""

    n: int
    covered: np.ndarray  # m², m or 1 with data
    nodata: np.ndarray  # m², m or 1 without data (inside the raster)
    by_value: pd.DataFrame = field(default_factory=pd.DataFrame)  # owner, value, amount
    by_class: pd.DataFrame = field(default_factory=pd.DataFrame)  # owner, cls, amount
    stats: pd.DataFrame = field(default_factory=pd.DataFrame)  # terrain: per owner
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)


def _measure(layer: RasterLayer, lonlat: np.ndarray, dims: np.ndarray) -> _Measured:
    """Read each tile window once and sum what the layer's kind needs per project."""
    grid = layer.grid
    geoms = reproject(lonlat, CGCS2000, grid.crs)
    tile = _raster_grid.TILE
    pieces, owner, tile_id = split_by_tiles(geoms, grid, tile)
    piece_dims = dims[owner]
    cell_area = CellArea(grid)
    to_lonlat = Transformer.from_crs(grid.crs, CGCS2000, always_xy=True)
    n = len(lonlat)
    out = _Measured(n, np.zeros(n), np.zeros(n), by_value=_resum([], ["owner", "value"]),
                    by_class=_resum([], ["owner", "cls"]))
    values, classes, stats = [], [], []
    order = np.argsort(tile_id, kind="stable")
    starts = np.flatnonzero(np.r_[True, tile_id[order][1:] != tile_id[order][:-1]])
    if len(order) == 0:  # nothing reaches the raster
        return out
    pad = 1 if layer.kind == "terrain" else 0
    # Each window is read once: GDAL's block cache (5 % of RAM by default) would only hold
    # decompressed blocks that are never asked for again.
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=_BLOCK_CACHE_MB), rasterio.open(layer.path) as ds:
        for start, end in zip(starts, [*starts[1:], len(order)], strict=True):
            members = order[start:end]
            window = _tile_window(grid, pieces[members], int(tile_id[members[0]]), tile, pad)
            data, valid = layer.read(ds, window)
            cells = _cells(pieces[members], piece_dims[members], grid, window, data, to_lonlat)
            if len(cells.owner) == 0:
                continue
            who = owner[members][cells.owner]
            lr, lc = cells.row - window[0], cells.col - window[2]
            amount = cells.weight.copy()
            polys = piece_dims[members][cells.owner] == 2
            amount[polys] *= cell_area(cells.row[polys], cells.col[polys])
            ok = valid[lr, lc]
            np.add.at(out.covered, who[ok], amount[ok])
            np.add.at(out.nodata, who[~ok], amount[~ok])
            cell_values = data[lr, lc]
            if layer.kind == "land_cover":
                values.append(_sum_by(who[ok], cell_values[ok].astype(float), amount[ok], "value"))
            # What classes are read from: the values, or the slope for terrain layers.
            class_source = np.where(valid, data, np.nan).astype(float)
            if layer.kind == "terrain":
                dx, dy = cell_area.spacing_m(np.arange(window[0], window[1]),
                                             (window[2] + window[3]) / 2)
                class_source = slope_degrees(class_source, dx, dy)
                slope = class_source[lr, lc]
                stats.append(_terrain_stats(who[ok], cell_values[ok].astype(float), slope[ok],
                                            amount[ok], cells.weight[ok]))
            if layer.classes:
                cls = np.where(ok, layer.classify(class_source[lr, lc]), -1)
                hit = cls >= 0
                classes.append(_sum_by(who[hit], cls[hit], amount[hit], "cls"))
                if hit.any():
                    out.pieces.append(_class_pieces(
                        layer, grid, window, class_source, pieces[members], owner[members],
                        piece_dims[members], who[hit], cls[hit]))
    out.by_value = _resum(values, ["owner", "value"])
    out.by_class = _resum(classes, ["owner", "cls"])
    if stats:
        frame = pd.concat(stats, ignore_index=True)
        out.stats = frame.groupby("owner").agg(
            zmin=("zmin", "min"), zmax=("zmax", "max"), zw=("zw", "sum"), w=("w", "sum"),
            smin=("smin", "min"), smax=("smax", "max"), sw=("sw", "sum"), ws=("ws", "sum"))
    return out


def _tile_window(grid: Grid, pieces: np.ndarray, tile_id: int, tile: int,
                 pad: int) -> tuple[int, int, int, int]:
    """The cells of one tile that its pieces reach, plus ``pad`` cells of margin."""
    win = grid.windows(shapely.bounds(pieces))
    tile_row, tile_col = divmod(tile_id, -(-grid.width // tile))
    row0 = max(int(win[:, 0].min()), tile_row * tile)
    row1 = min(int(win[:, 1].max()), (tile_row + 1) * tile)
    col0 = max(int(win[:, 2].min()), tile_col * tile)
    col1 = min(int(win[:, 3].max()), (tile_col + 1) * tile)
    return (max(row0 - pad, 0), min(row1 + pad, grid.height),
            max(col0 - pad, 0), min(col1 + pad, grid.width))


def _cells(pieces: np.ndarray, dims: np.ndarray, grid: Grid, window: tuple[int, int, int, int],
           data: np.ndarray, to_lonlat: Transformer) -> Cells:
    """The window cells each piece touches: polygons exactly, lines cut at cell edges."""
    parts = []
    for dim in (2, 1, 0):
        idx = np.flatnonzero(dims == dim)
        if len(idx) == 0:
            continue
        if dim == 2:
            found = polygon_cells(pieces[idx], grid, window, data)
        elif dim == 1:
            found = line_cells(pieces[idx], grid, to_lonlat)
        else:
            found = point_cells(pieces[idx], grid)
        inside = ((found.row >= window[0]) & (found.row < window[1])
                  & (found.col >= window[2]) & (found.col < window[3]))
        parts.append(Cells(idx[found.owner[inside]], found.row[inside], found.col[inside],
                           found.weight[inside]))
    return Cells.concat(parts)


def _sum_by(owner: np.ndarray, key: np.ndarray, amount: np.ndarray, name: str) -> pd.DataFrame:
    frame = pd.DataFrame({"owner": owner, name: key, "amount": amount})
    return frame.groupby(["owner", name], as_index=False, sort=False)["amount"].sum()


def _resum(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({k: pd.Series(dtype=float) for k in [*keys, "amount"]})
    return pd.concat(frames, ignore_index=True).groupby(keys, as_index=False)["amount"].sum()


def _terrain_stats(owner: np.ndarray, z: np.ndarray, slope: np.ndarray, amount: np.ndarray,
                   weight: np.ndarray) -> pd.DataFrame:
    touched = weight > _DUST  # a cell grazed by round-off is not under the project
    has_slope = np.isfinite(slope)
    frame = pd.DataFrame({
        "owner": owner,
        "zmin": np.where(touched, z, np.inf), "zmax": np.where(touched, z, -np.inf),
        "zw": z * amount, "w": amount,
        "smin": np.where(touched & has_slope, slope, np.inf),
        "smax": np.where(touched & has_slope, slope, -np.inf),
        "sw": np.where(has_slope, slope * amount, 0.0), "ws": np.where(has_slope, amount, 0.0),
    })
    return frame.groupby("owner", as_index=False).agg(
        {"zmin": "min", "zmax": "max", "zw": "sum", "w": "sum", "smin": "min", "smax": "max",
         "sw": "sum", "ws": "sum"})


def _class_pieces(layer: RasterLayer, grid: Grid, window: tuple[int, int, int, int],
                  class_source: np.ndarray, pieces: np.ndarray, owner: np.ndarray,
                  dims: np.ndarray, who: np.ndarray, cls: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The part of each project piece in each class it reaches (raster CRS).

    The class cells of the window are polygonised once per class; project pieces
    (polygons and lines; points need no piece) are intersected with the class polygons
    they meet, the pairs coming from one STRtree query per class.
    """
    import rasterio.features

    cell_class = layer.classify(class_source)
    transform = grid.window_transform(window[0], window[2])
    out_owner, out_cls, out_geom = [], [], []
    for k in np.unique(cls):
        wanted = np.flatnonzero(np.isin(owner, np.unique(who[cls == k])) & (dims > 0))
        mask = cell_class == k
        if len(wanted) == 0 or not mask.any():
            continue
        polys = np.array([shapely.geometry.shape(geom) for geom, _ in rasterio.features.shapes(
            mask.astype(np.uint8), mask=mask, transform=transform)], dtype=object)
        ip, iz = shapely.STRtree(polys).query(pieces[wanted], predicate="intersects")
        if len(ip) == 0:
            continue
        out_owner.append(owner[wanted[ip]])
        out_cls.append(np.full(len(ip), k))
        out_geom.append(shapely.intersection(pieces[wanted[ip]], polys[iz]))
    if not out_geom:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, object)
    return np.concatenate(out_owner), np.concatenate(out_cls), np.concatenate(out_geom)


# ------------------------------------------------------------------------- tables


def _land_cover_rows(layer: RasterLayer, m: _Measured, ids: np.ndarray, dims: np.ndarray,
                     total: np.ndarray) -> pd.DataFrame:
    by_value = m.by_value.sort_values(["owner", "amount", "value"], ascending=[True, False, True])
    owner = by_value["owner"].to_numpy(int)
    # Ignore rounding dust: a part counts from 1e-6 of the project (or 1e-3 m²).
    by_value = by_value[by_value["amount"].to_numpy(float) > np.maximum(total[owner] * _DUST, 1e-3)]
    owner = by_value["owner"].to_numpy(int)
    value = by_value["value"].to_numpy(float)
    amount = by_value["amount"].to_numpy(float)
    # Legend entries per distinct value (values without one are named "undefined value …").
    distinct, inverse = np.unique(value, return_inverse=True)
    entries = [layer.legend.get(v) or LegendEntry(
        v, None, f"未定义值 {number_text(v)}", f"undefined value {number_text(v)}")
        for v in distinct.tolist()]
    classes = pd.DataFrame({
        "owner": owner, "part": "class", "value": value,
        "code": np.array([e.code for e in entries], dtype=object)[inverse],
        "name_zh": np.array([e.name_zh for e in entries], dtype=object)[inverse],
        "name_en": np.array([e.name_en for e in entries], dtype=object)[inverse],
        "amount": amount,
    })
    outside = np.clip(total - m.covered - m.nodata, 0, None)
    extra = []
    for part, names, amounts in (("nodata", _NODATA_NAMES, m.nodata),
                                 ("outside", _OUTSIDE_NAMES, outside)):
        has = amounts > np.maximum(total * _DUST, 1e-3)
        extra.append(pd.DataFrame({"owner": np.flatnonzero(has), "part": part, "value": np.nan,
                                   "code": None, "name_zh": names[0], "name_en": names[1],
                                   "amount": amounts[has]}))
    frame = pd.concat([classes, *extra], ignore_index=True)
    frame["_order"] = frame["part"].map({"class": 0, "nodata": 1, "outside": 2})
    frame = frame.sort_values(["owner", "_order"], kind="stable").reset_index(drop=True)
    o = frame["owner"].to_numpy(int)
    d = dims[o]
    amount = frame["amount"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(d == 0, 100.0, amount / total[o] * 100)
    table = pd.DataFrame({
        "project_id": ids[o], "layer": layer.id, "part": frame["part"].to_numpy(object),
        "value": frame["value"].to_numpy(float), "code": frame["code"].to_numpy(object),
        "name_zh": frame["name_zh"].to_numpy(object), "name_en": frame["name_en"].to_numpy(object),
        "area_m2": np.where(d == 2, amount, np.nan), "length_m": np.where(d == 1, amount, np.nan),
        "share_pct": share,
    })
    table["code"] = text_column(table["code"])  # None, not NaN, where a class has no code
    return table


def _terrain_rows(layer: RasterLayer, m: _Measured, ids: np.ndarray,
                  total: np.ndarray) -> pd.DataFrame:
    if len(m.stats) == 0:
        return empty_terrain()
    s = m.stats
    owner = s.index.to_numpy(int)
    finite = np.isfinite

    def clean(v: np.ndarray) -> np.ndarray:
        return np.where(finite(v), v, np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "project_id": ids[owner], "layer": layer.id,
            "elevation_min": clean(s["zmin"].to_numpy(float)),
            "elevation_mean": clean(s["zw"].to_numpy(float) / s["w"].to_numpy(float)),
            "elevation_max": clean(s["zmax"].to_numpy(float)),
            "slope_min_deg": clean(s["smin"].to_numpy(float)),
            "slope_mean_deg": clean(s["sw"].to_numpy(float) / s["ws"].to_numpy(float)),
            "slope_max_deg": clean(s["smax"].to_numpy(float)),
            "covered_pct": np.minimum(m.covered[owner] / total[owner] * 100, 100.0),
        })


def _class_findings(layer: RasterLayer, m: _Measured, rows: np.ndarray, lonlat: np.ndarray,
                    dims: np.ndarray, total: np.ndarray, settings: Settings) -> pd.DataFrame | None:
    """Findings for the classes of a raster constraint or terrain layer (engine format)."""
    by_class = m.by_class
    if len(by_class) == 0:
        return None
    owner = by_class["owner"].to_numpy(int)
    cls = by_class["cls"].to_numpy(int)
    amount = by_class["amount"].to_numpy(float)
    d = dims[owner]
    relation = np.full(len(owner), "overlaps", dtype=object)
    relation[(d == 2) & (amount <= settings.sliver_m2)] = "touches"
    relation[(d == 1) & (amount <= settings.sliver_width_m)] = "touches"
    relation[(d == 1) & (amount >= total[owner] - settings.sliver_width_m)] = "inside"
    relation[d == 0] = "inside"
    geometry = _union_pieces(m.pieces, owner, cls, layer.grid.crs)
    geometry[d == 0] = lonlat[owner[d == 0]]
    classes = layer.classes
    return pd.DataFrame({
        "row": rows[owner], "layer": layer.id, "kind": layer.kind, "zone_index": cls,
        "relation": relation,
        "overlap_m2": np.where(d == 2, amount, np.nan),
        "overlap_length_m": np.where(d == 1, amount, np.nan),
        "distance_m": 0.0, "geometry": geometry,
        "zone_id": [f"{layer.id}:{classes[k].name}" for k in cls],
        "zone_name": [classes[k].title_zh for k in cls],
        "zone_class": [classes[k].name for k in cls],
        "zone_code": [classes[k].code for k in cls],
    })


def _union_pieces(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], owner: np.ndarray,
                  cls: np.ndarray, crs: CRS) -> np.ndarray:
    """One lon/lat geometry per (owner, class): the union of its pieces."""
    out = np.full(len(owner), None, dtype=object)
    if not parts:
        return out
    p_owner = np.concatenate([p[0] for p in parts])
    p_cls = np.concatenate([p[1] for p in parts])
    p_geom = np.concatenate([p[2] for p in parts])
    keep = ~shapely.is_empty(p_geom) & ~shapely.is_missing(p_geom)
    p_owner, p_cls, p_geom = p_owner[keep], p_cls[keep], p_geom[keep]
    frame = gpd.GeoDataFrame({"owner": p_owner, "cls": p_cls}, geometry=p_geom)
    merged = frame.dissolve(by=["owner", "cls"])
    lookup = dict(zip(merged.index, merged.geometry.to_numpy(), strict=True))
    geoms = np.array([lookup.get((o, c)) for o, c in zip(owner, cls, strict=True)], dtype=object)
    has = np.array([g is not None for g in geoms], dtype=bool)
    out[has] = reproject(geoms[has], crs, CGCS2000)
    return out

