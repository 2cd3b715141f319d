#!/usr/bin/env python
"""Generate the illustrative demo layer pack ``layers/demo``.

The pack describes 清溪县, a FICTIONAL county in southern Fujian (admin code 350699 does
not exist, on purpose). Every layer is synthetic: it exists to demonstrate and test
``redline`` and must never be used for a real review.

Usage::

    python scripts/make_demo_pack.py [--out layers/demo]

All geometry is built in EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger, CM 117E) from a
fixed seed, written in EPSG:4490 with lon/lat rounded to 7 decimals, then read back and
checked: every intended relation of the demo projects is asserted on the files as
written, and the script fails loudly when one does not hold. The pack is built in a
staging folder and only replaces ``--out`` once every check has passed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import shapely
from pyproj import Transformer
from shapely import affinity, ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from demo_rasters import RASTER_CATALOG, write_rasters

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

SEED = 20261125
METRIC_CRS = "EPSG:4548"
OUTPUT_CRS = "EPSG:4490"
DECIMALS = 7
COUNTY = "清溪县"
COUNTY_CODE = "350699"
#: Fixed date stamped into DBF headers, GeoPackage metadata and zip entries, so that
#: re-running the script gives byte-identical files.
FIXED_DATE = (2026, 11, 25)
#: Lon/lat of the county centre; every "km(x, y)" offset below is relative to it.
ORIGIN_LONLAT = (117.625, 24.55)
GEOJSON_OPTIONS = {"COORDINATE_PRECISION": DECIMALS}
MAX_PACK_BYTES = 2 * 1024 * 1024

_TO_METRIC = Transformer.from_crs(OUTPUT_CRS, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, OUTPUT_CRS, always_xy=True)
ORIGIN = np.array(_TO_METRIC.transform(*ORIGIN_LONLAT))

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# geometry helpers (all metric, EPSG:4548)
# --------------------------------------------------------------------------------------
def km(x: float, y: float) -> np.ndarray:
    """Metric coordinates of a point ``x`` km east and ``y`` km north of the origin."""
    return ORIGIN + 1000.0 * np.array([x, y])


def unit(vector: np.ndarray) -> np.ndarray:
    """The vector scaled to length 1."""
    return vector / np.hypot(*vector)


def smooth_blob(rng: np.random.Generator, centre: np.ndarray, area_m2: float, *,
                aspect: float = 1.0, rotation_deg: float = 0.0, roughness: float = 0.15,
                n_vertices: int = 256) -> Polygon:
    """An irregular, smooth, star-shaped polygon of an exact area.

    Parameters
    ----------
    rng
        Random generator (phases and amplitudes of the outline harmonics).
    centre
        Metric coordinates of the centre.
    area_m2
        Area of the result.
    aspect
        Ratio of the long to the short axis before the harmonics.
    rotation_deg
        Counter-clockwise rotation of the long axis from east.
    roughness
        Relative amplitude of the outline harmonics (orders 2-5).
    n_vertices
        Number of vertices of the outline.

    Returns
    -------
    shapely.Polygon
    """
    theta = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
    order = np.arange(2, 6)
    amplitude = roughness * rng.uniform(0.5, 1.0, order.size) / (order - 1)
    phase = rng.uniform(0.0, 2.0 * np.pi, order.size)
    radius = 1.0 + (amplitude[:, None] * np.cos(order[:, None] * theta + phase[:, None])).sum(0)
    outline = Polygon(np.column_stack([radius * np.cos(theta) * math.sqrt(aspect),
                                       radius * np.sin(theta) / math.sqrt(aspect)]))
    scale = math.sqrt(area_m2 / outline.area)
    outline = affinity.scale(outline, scale, scale, origin=(0.0, 0.0))
    outline = affinity.rotate(outline, rotation_deg, origin=(0.0, 0.0))
    return affinity.translate(outline, *centre)


def resample(line: LineString, spacing_m: float) -> LineString:
    """The line re-digitised with equally spaced vertices no further apart than ``spacing_m``."""
    n_segments = math.ceil(line.length / spacing_m)
    points = shapely.line_interpolate_point(line, np.linspace(0.0, line.length, n_segments + 1))
    coords = shapely.get_coordinates(points)
    coords[0], coords[-1] = line.coords[0], line.coords[-1]
    return LineString(coords)


def meander_line(rng: np.random.Generator, start: np.ndarray, end: np.ndarray, *,
                 amplitude_m: float, modes: Sequence[int], spacing_m: float = 100.0) -> LineString:
    """A meandering river line from ``start`` to ``end`` (digitised in that order).

    The lateral offset from the chord is a sine series that vanishes at both ends, so
    the line is a graph over its chord and cannot cross itself.

    Parameters
    ----------
    rng
        Random generator (amplitudes and signs of the modes).
    start, end
        Metric coordinates of the first (upstream) and last (downstream) vertex.
    amplitude_m
        Amplitude of the first mode; mode ``m`` gets about ``amplitude_m * m**-0.6``.
    modes
        Sine modes (half-waves over the chord).
    spacing_m
        Vertex spacing of the result.

    Returns
    -------
    shapely.LineString
    """
    mode = np.asarray(modes, dtype=float)
    t = np.linspace(0.0, 1.0, 8001)
    chord = end - start
    normal = unit(np.array([-chord[1], chord[0]]))
    amplitude = (amplitude_m * rng.uniform(0.5, 1.0, mode.size) * mode**-0.6
                 * rng.choice([-1.0, 1.0], mode.size))
    lateral = (amplitude[:, None] * np.sin(np.pi * mode[:, None] * t)).sum(0)
    coords = start + t[:, None] * chord + lateral[:, None] * normal
    coords[0], coords[-1] = start, end
    return resample(LineString(coords), spacing_m)


def vertex_chainage(line: LineString) -> np.ndarray:
    """Distance along the line of each of its vertices."""
    steps = np.hypot(*np.diff(shapely.get_coordinates(line), axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)])


def frame_at(line: LineString, distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point, unit tangent (downstream) and unit left normal at a distance along a line."""
    behind, here, ahead = shapely.get_coordinates(shapely.line_interpolate_point(
        line, [max(distance - 25.0, 0.0), distance, min(distance + 25.0, line.length)]))
    tangent = unit(ahead - behind)
    return here, tangent, np.array([-tangent[1], tangent[0]])


def offset_point(line: LineString, distance: float, offset_m: float) -> np.ndarray:
    """The point ``offset_m`` to the left (negative: right) of a point on a line."""
    here, _, normal = frame_at(line, distance)
    return here + offset_m * normal


def rectangle(centre: np.ndarray, width_m: float, depth_m: float,
              direction: np.ndarray | None = None) -> Polygon:
    """A rectangle centred on ``centre``, its width along ``direction`` (default east)."""
    angle = 0.0 if direction is None else math.degrees(math.atan2(direction[1], direction[0]))
    shape = shapely.box(-width_m / 2, -depth_m / 2, width_m / 2, depth_m / 2)
    return affinity.translate(affinity.rotate(shape, angle, origin=(0.0, 0.0)), *centre)


def ray_hit(boundary: BaseGeometry, origin: np.ndarray, angle_deg: float) -> np.ndarray:
    """The first point where a ray from ``origin`` meets ``boundary``."""
    direction = np.array([math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))])
    hits = shapely.get_coordinates(
        LineString([origin, origin + 100_000.0 * direction]).intersection(boundary))
    return hits[np.argmin(np.hypot(*(hits - origin).T))]


def long_axis(polygon: Polygon) -> np.ndarray:
    """Unit vector along the long side of a polygon's minimum rotated rectangle."""
    corners = shapely.get_coordinates(polygon.minimum_rotated_rectangle)[:3]
    sides = np.diff(corners, axis=0)
    return unit(sides[np.argmax(np.hypot(*sides.T))])


def voronoi_cells(seeds: np.ndarray, outline: Polygon) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``outline``, in the order of the seeds."""
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline,
                                                       ordered=True))
    return shapely.intersection(cells, outline)


def shared_outline(tessellations: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Re-build several tessellations of one outline from their common refinement.

    Each tessellation puts its own intersection vertices on the outline; rebuilt from
    the faces of all boundaries noded together, every tessellation carries all of them,
    so their outer rings are vertex for vertex the same (also after rounding).
    """
    # Snap-rounded noding (1 mm grid) merges the near-coincident copies of the outline
    # that each clipping leaves, so no sliver faces appear between them.
    noded = shapely.union_all(shapely.boundary(np.concatenate(tessellations)), grid_size=1e-3)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.point_on_surface(faces)
    rebuilt = []
    for cells in tessellations:
        tree = shapely.STRtree(cells)
        face_index, cell_index = tree.query(inside, predicate="within")
        if len(face_index) != len(faces) or len(np.unique(face_index)) != len(faces):
            raise RuntimeError("a face of the common refinement has no single owner")
        owner = np.empty(len(faces), dtype=int)
        owner[face_index] = cell_index
        rebuilt.append(np.array([shapely.union_all(faces[owner == i])
                                 for i in range(len(cells))]))
    return rebuilt


def poisson_disk(rng: np.random.Generator, region: Polygon, count: int, min_spacing_m: float,
                 fixed: np.ndarray) -> np.ndarray:
    """``count`` random points in ``region``, no two (nor any and ``fixed``) closer than spacing."""
    x0, y0, x1, y1 = region.bounds
    chosen = [*fixed]
    candidates = rng.uniform([x0, y0], [x1, y1], size=(20 * count, 2))
    candidates = candidates[shapely.contains_xy(region, candidates[:, 0], candidates[:, 1])]
    for candidate in candidates:  # sequential by nature: each pick constrains the next
        if len(chosen) == len(fixed) + count:
            break
        if np.hypot(*(np.asarray(chosen) - candidate).T).min() >= min_spacing_m:
            chosen.append(candidate)
    if len(chosen) != len(fixed) + count:
        raise RuntimeError(f"could only place {len(chosen) - len(fixed)} of {count} seeds")
    return np.asarray(chosen[len(fixed):])


def field_patch(rng: np.random.Generator, centre: np.ndarray, area_m2: float) -> Polygon:
    """An irregular 4-10-vertex farmland patch, star-shaped around ``centre``."""
    n_vertices = int(rng.integers(4, 11))
    step = 2.0 * np.pi / n_vertices
    theta = (np.arange(n_vertices) + rng.uniform(-0.3, 0.3, n_vertices)) * step
    radius = rng.uniform(0.7, 1.0, n_vertices)
    patch = Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
    patch = affinity.scale(patch, rng.uniform(1.0, 1.8), 1.0, origin=(0.0, 0.0))
    patch = affinity.rotate(patch, rng.uniform(0.0, 180.0), origin=(0.0, 0.0))
    scale = math.sqrt(area_m2 / patch.area)
    return affinity.translate(affinity.scale(patch, scale, scale, origin=(0.0, 0.0)), *centre)


def _round_lonlat(coords: np.ndarray) -> np.ndarray:
    lon, lat = _TO_LONLAT.transform(coords[:, 0], coords[:, 1])
    lonlat = np.column_stack([lon, lat])
    # "%.7f" then parse: the nearest double to the 7-decimal value, which every writer
    # (GeoJSON text included) reproduces exactly, unlike np.round.
    return np.char.mod(f"%.{DECIMALS}f", lonlat).astype(np.float64)


def to_lonlat(geometries: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
    """Metric geometries as CGCS2000 lon/lat rounded to 7 decimals."""
    return shapely.transform(geometries, _round_lonlat)


def metric_frame(records: dict[str, Sequence], geometry: Sequence[BaseGeometry]
                 ) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the metric CRS."""
    return gpd.GeoDataFrame(records, geometry=list(geometry), crs=METRIC_CRS)


# --------------------------------------------------------------------------------------
# the scene
# --------------------------------------------------------------------------------------
@dataclass
class Scene:
    """Every layer of the pack and the reserved project sites, in the metric CRS."""

    county: Polygon
    main: LineString
    tributary: LineString
    s_confluence: float
    s_intake: float
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sites: dict[str, BaseGeometry] = field(default_factory=dict)
    bowtie_tbbh: str = ""
    p02_edge_hint: np.ndarray | None = None


TOWNSHIPS = (  # name, nominal seed (km from the origin)
    ("城关镇", None),  # seeded at the county seat
    ("溪口镇", (-5.0, 2.0)),
    ("东湖镇", None),  # seeded at the township's urban area
    ("石门乡", (5.0, 10.5)),
    ("云峰乡", (-12.0, 8.5)),
    ("南岭乡", (-8.0, -10.0)),
)

VILLAGES = ("后洋村", "上坂村", "下埔村", "林厝村", "陈厝村", "东坑村", "岭头村", "湖边村",
            "田中村", "新圩村", "大埔村", "后垄村", "前洋村", "塘边村", "溪尾村", "洋中村",
            "石埕村", "官路村", "黄田村", "坂头村")


def build_rivers(rng: np.random.Generator) -> tuple[LineString, LineString, int, int, int]:
    """Main stem 清溪 and tributary 石门溪, both digitised downstream at ~100 m.

    Returns the main stem, the tributary and the main-stem vertex indices of the
    confluence, the intake and the lower split point.
    """
    main = meander_line(rng, km(-12.5, 10.5), km(15.5, -12.5), amplitude_m=1800.0,
                        modes=(1, 2, 3, 5, 8, 13, 19))
    chainage = vertex_chainage(main)
    i_confluence = int(np.argmin(np.abs(chainage - 12_500.0)))
    i_intake = int(np.argmin(np.abs(chainage - (chainage[i_confluence] + 9_200.0))))
    i_split = int(np.argmin(np.abs(chainage - (chainage[i_intake] + 9_500.0))))
    confluence = np.asarray(main.coords[i_confluence])
    tributary = meander_line(rng, km(3.0, 8.8), confluence, amplitude_m=450.0,
                             modes=(1, 2, 3, 5, 8, 11))
    return main, tributary, i_confluence, i_intake, i_split


def water_source_zones(main: LineString, s_intake: float) -> list[BaseGeometry]:
    """Level-1, level-2 and quasi zones around the intake (HJ 338-2018 style extents)."""
    level1 = ops.substring(main, s_intake - 1000.0, s_intake + 100.0).buffer(120.0)
    level2 = ops.substring(main, s_intake - 3000.0, s_intake + 300.0).buffer(1000.0)
    level2 = level2.difference(level1)
    quasi = ops.substring(main, s_intake - 6000.0, s_intake + 500.0).buffer(1500.0)
    quasi = quasi.difference(shapely.union(level1, level2))
    return [level1, level2, quasi]


def build_scene(rng: np.random.Generator) -> Scene:
    """Build every layer (metric) and reserve the sites of the demo projects."""
    county = smooth_blob(rng, km(0.0, 0.0), 1000e6, aspect=35.0 / 33.0, roughness=0.10,
                         n_vertices=720)
    main, tributary, i_conf, i_intake, i_split = build_rivers(rng)
    chainage = vertex_chainage(main)
    s_conf, s_intake = float(chainage[i_conf]), float(chainage[i_intake])
    scene = Scene(county, main, tributary, s_conf, s_intake)
    coords = shapely.get_coordinates(main)

    scene.layers["river"] = metric_frame(
        {"HLBM": ["HL001", "HL002", "HL003", "HL004"], "HLMC": ["清溪"] * 3 + ["石门溪"]},
        [LineString(coords[: i_conf + 1]), LineString(coords[i_conf: i_split + 1]),
         LineString(coords[i_split:]), tributary])
    scene.layers["intake"] = metric_frame(
        {"QSKBM": [f"QSK{COUNTY_CODE}001"], "QSKMC": [f"{COUNTY}第一水厂取水口"]},
        [Point(coords[i_intake])])

    water = water_source_zones(main, s_intake)
    scene.layers["water_source"] = metric_frame(
        {"BHQMC": [f"{COUNTY}第一水厂饮用水水源{level}" for level in
                   ("一级保护区", "二级保护区", "准保护区")],
         "BHQJB": ["一级保护区", "二级保护区", "准保护区"], "SYLX": ["河流型"] * 3}, water)

    core = smooth_blob(rng, km(-11.0, -4.0), 8e6, aspect=1.3, rotation_deg=70.0)
    reserve_name = f"{COUNTY}戴云山余脉省级自然保护区"
    scene.layers["nature_reserve"] = metric_frame(
        {"BHDMC": [reserve_name] * 3, "GNFQ": ["核心区", "缓冲区", "实验区"],
         "BHDJB": ["省级"] * 3},
        [core, core.buffer(800.0).difference(core),
         core.buffer(2000.0).difference(core.buffer(800.0))])

    core_centre = np.asarray(core.centroid.coords[0])
    redlines = [
        smooth_blob(rng, km(0.0, 11.3), 24e6, aspect=1.6, rotation_deg=10.0),
        smooth_blob(rng, km(-11.5, 8.3), 18e6, aspect=1.3, rotation_deg=120.0),
        smooth_blob(rng, core_centre + np.array([-1800.0, 1300.0]), 22e6, aspect=1.4, rotation_deg=100.0),
        smooth_blob(rng, km(9.0, 10.0), 8e6, aspect=1.2, rotation_deg=40.0),
    ]
    scene.layers["eco_redline"] = metric_frame(
        {"BSM": [f"HX{COUNTY_CODE}{n:03d}" for n in range(1, 5)],
         "HXMC": [f"{COUNTY}北部山地水源涵养生态保护红线",
                  f"{COUNTY}清溪源头水源涵养生态保护红线",
                  f"{COUNTY}戴云山余脉生物多样性维护生态保护红线",
                  f"{COUNTY}东北部丘陵水土保持生态保护红线"],
         "HXLX": ["水源涵养", "水源涵养", "生物多样性维护", "水土保持"]}, redlines)

    here, tangent, normal = frame_at(main, s_intake + 5600.0)
    seat_angle = math.degrees(math.atan2(tangent[1], tangent[0]))
    county_seat = smooth_blob(rng, here + 700.0 * normal, 12e6, aspect=1.5,
                              rotation_deg=seat_angle)
    there, tangent_t, normal_t = frame_at(main, s_intake + 13_000.0)
    town = smooth_blob(rng, there - 150.0 * normal_t, 3e6, aspect=1.3,
                       rotation_deg=math.degrees(math.atan2(tangent_t[1], tangent_t[0])))
    scene.layers["urban_boundary"] = metric_frame(
        {"BJMC": [f"{COUNTY}县城城镇开发边界", f"{COUNTY}东湖镇城镇开发边界"],
         "BJLX": ["城镇开发边界"] * 2}, [county_seat, town])

    reserve_sites(scene, here, tangent, normal)
    build_farmland(rng, scene)
    reserve_p14(scene)
    build_admin(rng, scene)
    reserve_access_sites(scene, normal)  # after every random draw: layers unchanged
    return scene


def reserve_sites(scene: Scene, seat_point: np.ndarray, seat_tangent: np.ndarray,
                  seat_normal: np.ndarray) -> None:
    """Place the demo projects that do not depend on the farmland (metric, provisional P02)."""
    main, s_intake = scene.main, scene.s_intake
    layers = scene.layers
    redline = layers["eco_redline"].geometry.values
    water = layers["water_source"].geometry.values
    reserve = layers["nature_reserve"].geometry.values

    # P01: a 3 ha square across the east edge of the smallest red line, 40 % inside.
    r4 = redline[3]
    r4_centre = np.asarray(r4.centroid.coords[0])
    edge = ray_hit(r4.exterior, r4_centre, 0.0)
    outward = unit(edge - r4_centre)
    side = math.sqrt(30_000.0)

    def inside_share(shift: float) -> float:
        square = rectangle(edge + shift * outward, side, side, outward)
        return square.intersection(r4).area / square.area

    low, high = -side, side
    for _ in range(60):  # bisection: the share falls as the square moves outward
        mid = (low + high) / 2
        low, high = (mid, high) if inside_share(mid) > 0.4 else (low, mid)
    scene.sites["P01"] = rectangle(edge + low * outward, side, side, outward)

    # P02 (provisional, for the farmland exclusion): north edge of the first red line.
    r1 = redline[0]
    scene.p02_edge_hint = ray_hit(r1.exterior, np.asarray(r1.centroid.coords[0]), 90.0)
    scene.sites["P02"] = Point(scene.p02_edge_hint).buffer(150.0)

    # P03: 1 ha square 250 m outside the quasi zone, on the right bank side.
    outer = shapely.union_all(water)
    p03_point, p03_tangent, p03_normal = frame_at(main, s_intake - 4500.0)
    centre = p03_point - 1800.0 * p03_normal
    for _ in range(20):  # move along the normal until the gap is 250 m
        gap = rectangle(centre, 100.0, 100.0, p03_tangent).distance(outer)
        centre = centre - (250.0 - gap) * p03_normal
    scene.sites["P03"] = rectangle(centre, 100.0, 100.0, p03_tangent)

    scene.sites["P05"] = Point(offset_point(main, s_intake - 2000.0, -15.0))
    scene.sites["P06"] = Point(offset_point(scene.tributary, scene.tributary.length - 1500.0,
                                            10.0))
    scene.sites["P07"] = rectangle(seat_point + 1500.0 * seat_normal, math.sqrt(20_000.0),
                                   math.sqrt(20_000.0), seat_tangent)
    scene.sites["P08"] = rectangle(km(-2.5, -11.5), math.sqrt(5_000.0), math.sqrt(5_000.0))
    x_east = scene.county.bounds[2]
    scene.sites["P09"] = rectangle(np.array([x_east + 30_000.0, scene.county.centroid.y]),
                                   math.sqrt(20_000.0), math.sqrt(20_000.0))
    p10_point, p10_tangent, p10_normal = frame_at(main, s_intake - 5000.0)
    scene.sites["P10"] = rectangle(p10_point + 650.0 * p10_normal, 200.0, 200.0, p10_tangent)

    core = reserve[0]
    core_centre = np.asarray(core.centroid.coords[0])
    scene.sites["P11"] = Point(ray_hit(core.buffer(1400.0).exterior, core_centre, -30.0))
    p12_mid = ray_hit(core.buffer(1750.0).exterior, core_centre, -100.0)
    along = np.array([math.cos(math.radians(-10.0)), math.sin(math.radians(-10.0))])
    scene.sites["P12"] = LineString([p12_mid - 1600.0 * along, p12_mid + 1600.0 * along])

    p13_point, p13_tangent, p13_normal = frame_at(main, s_intake - 300.0)
    scene.sites["P13"] = rectangle(p13_point - 85.0 * p13_normal, 55.0, 55.0, p13_tangent)

    # P04: a county road on the right bank of the upper river, climbing into the
    # source-area red line; its first kilometres cross the valley farmland.
    scene.sites["P04"] = LineString([offset_point(main, s, -offset) for s, offset in (
        (9_000.0, 900.0), (7_600.0, 1_000.0), (6_000.0, 1_200.0), (4_400.0, 1_500.0), (3_000.0, 2_000.0),
        (2_200.0, 2_900.0))])


def build_farmland(rng: np.random.Generator, scene: Scene, count: int = 150) -> None:
    """About 150 non-overlapping permanent-basic-farmland patches in the river lowlands.

    Two or three patches are centred on the P04 road so the road crosses them; one
    convex four-vertex patch is turned into a bow-tie (self-intersecting ring).
    """
    layers = scene.layers
    lowland = shapely.union(scene.main.buffer(2600.0), scene.tributary.buffer(1600.0))
    lowland = lowland.intersection(scene.county.buffer(-300.0))
    reserve_outer = shapely.union_all(layers["nature_reserve"].geometry.values)
    site_margin = [site.buffer(700.0) for key, site in scene.sites.items()
                   if key not in ("P04", "P09")]
    blocked = shapely.union_all([
        scene.main.buffer(400.0), scene.tributary.buffer(300.0),
        shapely.union_all(layers["eco_redline"].geometry.values).buffer(300.0),
        reserve_outer.buffer(300.0),
        shapely.union_all(layers["urban_boundary"].geometry.values).buffer(600.0),
        layers["water_source"].geometry.values[0].buffer(200.0),
        *site_margin])
    allowed = lowland.difference(blocked)
    shapely.prepare(allowed)

    road = scene.sites["P04"]
    road_centres = shapely.get_coordinates(shapely.line_interpolate_point(road, [450.0, 1500.0]))
    forced = [field_patch(rng, centre, 90_000.0) for centre in road_centres]
    if not all(allowed.contains(patch) for patch in forced):
        raise RuntimeError("a farmland patch on the P04 road falls outside the allowed lowland")

    x0, y0, x1, y1 = allowed.bounds
    points = rng.uniform([x0, y0], [x1, y1], size=(20_000, 2))
    points = points[shapely.contains_xy(allowed, points[:, 0], points[:, 1])][: 6 * count]
    areas = np.exp(rng.uniform(math.log(22_000.0), math.log(280_000.0), len(points)))
    candidates = np.array([field_patch(rng, centre, area) for centre, area in zip(points, areas,
                                                                                   strict=True)])
    fits = shapely.contains(allowed, candidates)
    centres, chosen = [*road_centres], [*forced]
    for centre, patch in zip(points[fits], candidates[fits], strict=True):
        if len(chosen) == count:
            break
        if not shapely.dwithin(np.asarray(chosen), patch, 40.0).any():
            chosen.append(patch)
            centres.append(centre)
    if len(chosen) != count:
        raise RuntimeError(f"only {len(chosen)} of {count} farmland patches fit")
    patches, centres = np.asarray(chosen), np.asarray(centres)
    order = np.lexsort((centres[:, 0], -np.round(centres[:, 1], -3)))  # north to south rows
    patches, centres = patches[order], centres[order]
    on_road = np.isin(order, np.arange(len(forced)))

    n_vertices = shapely.get_num_coordinates(patches) - 1
    convex = np.isclose(shapely.area(patches), shapely.area(shapely.convex_hull(patches)))
    bowtie = int(np.flatnonzero((n_vertices == 4) & convex & ~on_road)[0])
    p0, p1, p2, p3, _ = shapely.get_coordinates(patches[bowtie])
    patches[bowtie] = Polygon([p0, p2, p1, p3])  # the diagonals cross: a bow-tie

    tbbh = [f"{n:04d}" for n in range(1, count + 1)]
    dlmc = rng.choice(["水田", "水浇地", "旱地"], size=count, p=[0.7, 0.1, 0.2])
    village_seeds = centres[rng.choice(count, size=len(VILLAGES), replace=False)]
    nearest = np.argmin(np.hypot(*(centres[:, None, :] - village_seeds[None, :, :]).T), axis=0)
    scene.layers["basic_farmland"] = metric_frame(
        {"TBBH": tbbh, "DLMC": dlmc.tolist(), "ZLDWMC": [VILLAGES[i] for i in nearest]},
        patches)
    scene.layers["basic_farmland"]["_centre_x"] = centres[:, 0]
    scene.layers["basic_farmland"]["_centre_y"] = centres[:, 1]
    scene.layers["basic_farmland"]["_on_road"] = on_road
    scene.bowtie_tbbh = tbbh[bowtie]


def reserve_p14(scene: Scene) -> None:
    """P14: a ~2 ha footprint inside the farmland patch farthest from other zones."""
    farmland = scene.layers["basic_farmland"]
    others = shapely.union_all(np.concatenate([
        scene.layers[name].geometry.values
        for name in ("eco_redline", "water_source", "nature_reserve", "urban_boundary")]))
    area = farmland.geometry.area.to_numpy()
    candidate = ((farmland["TBBH"] != scene.bowtie_tbbh) & ~farmland["_on_road"]
                 & (area >= 60_000.0)).to_numpy()
    clearance = np.where(candidate, shapely.distance(farmland.geometry.values, others), -1.0)
    pick = int(np.argmax(clearance))
    patch = farmland.geometry.values[pick]
    # Patches are star-shaped around their centre, so shrinking about it stays inside.
    factor = math.sqrt(20_000.0 / patch.area)
    centre = (farmland["_centre_x"].iloc[pick], farmland["_centre_y"].iloc[pick])
    scene.sites["P14"] = affinity.scale(patch, factor, factor, origin=centre)
    scene.sites["P14_patch"] = patch


def build_admin(rng: np.random.Generator, scene: Scene) -> None:
    """Townships (6) and environmental control units (~24), each tessellating the county."""
    layers = scene.layers
    urban = layers["urban_boundary"].geometry.values
    seat_centre = np.asarray(urban[0].centroid.coords[0])
    town_centre = np.asarray(urban[1].centroid.coords[0])
    nominal = [seat_centre if name == "城关镇" else town_centre if name == "东湖镇"
               else km(*where) + rng.uniform(-800.0, 800.0, 2) for name, where in TOWNSHIPS]
    townships = voronoi_cells(np.asarray(nominal), scene.county)
    layers["admin"] = metric_frame(
        {"XZQDM": [f"{COUNTY_CODE}{100 + n}" for n in range(len(TOWNSHIPS))],
         "XZQMC": [f"{COUNTY}{name}" for name, _ in TOWNSHIPS], "XZQJB": ["乡镇"] * len(TOWNSHIPS)},
        townships)

    redline = layers["eco_redline"].geometry.values
    water = layers["water_source"].geometry.values
    reserve = layers["nature_reserve"].geometry.values
    seat_axis, town_axis = (long_axis(polygon) for polygon in urban)
    fixed = np.array([
        *[np.asarray(poly.representative_point().coords[0]) for poly in redline],
        np.asarray(reserve[0].centroid.coords[0]) + np.array([1000.0, -1500.0]),
        np.asarray(scene.layers["intake"].geometry.values[0].coords[0]),
        np.asarray(water[2].representative_point().coords[0]),
        # Between the water-source zones and the county seat, so that no county-seat
        # cell reaches the quasi zone.
        offset_point(scene.main, scene.s_intake + 2500.0, 0.0),
        seat_centre - 1300.0 * seat_axis, seat_centre, seat_centre + 1300.0 * seat_axis,
        town_centre - 700.0 * town_axis, town_centre + 700.0 * town_axis,
    ])
    extra = poisson_disk(rng, scene.county.buffer(-1500.0), 24 - len(fixed), 5500.0, fixed)
    cells = voronoi_cells(np.concatenate([fixed, extra]), scene.county)
    townships, cells = shared_outline([townships, cells])
    layers["admin"] = layers["admin"].set_geometry(list(townships), crs=METRIC_CRS)

    protected = {
        "生态保护红线": shapely.union_all(redline),
        "自然保护区": shapely.union_all(reserve),
        "饮用水水源保护区": shapely.union_all(water),
    }
    overlap = np.column_stack([shapely.area(shapely.intersection(cells, zone))
                               for zone in protected.values()])
    seat_overlap = shapely.area(shapely.intersection(cells, urban[0]))
    town_overlap = shapely.area(shapely.intersection(cells, urban[1]))
    unit_class = np.where(overlap.sum(1) > 0, "1",
                          np.where(seat_overlap + town_overlap > 0, "2", "3"))

    town_share = np.column_stack([shapely.area(shapely.intersection(cells, township))
                                  for township in townships])
    town_name = [TOWNSHIPS[i][0] for i in np.argmax(town_share, axis=1)]
    descriptor = list(protected)
    names = []
    for cls, town, shares, seat in zip(unit_class, town_name, overlap, seat_overlap,
                                       strict=True):
        if cls == "1":
            topic = descriptor[int(np.argmax(shares))]
            where = {"生态保护红线": town, "自然保护区": "戴云山余脉",
                     "饮用水水源保护区": "第一水厂"}[topic]
            names.append(f"{COUNTY}{where}{topic}优先保护单元")
        elif cls == "2":
            names.append(f"{COUNTY}城区重点管控单元" if seat > 0
                         else f"{COUNTY}{town}城镇重点管控单元")
        else:
            names.append(f"{COUNTY}{town}一般管控单元")

    centre = shapely.get_coordinates(shapely.point_on_surface(cells))
    order = np.lexsort((centre[:, 0], -np.round(centre[:, 1], -3), unit_class))
    cells, unit_class = cells[order], unit_class[order]
    names = _number_duplicates([names[i] for i in order])
    serial = np.concatenate([np.arange(1, (unit_class == c).sum() + 1) for c in "123"])
    layers["control_unit"] = metric_frame(
        {"HJZHGKDYBM": [f"ZH{COUNTY_CODE}{c}{s:04d}" for c, s in zip(unit_class, serial,
                                                                       strict=True)],
         "HJZHGKDYMC": names, "ZHGKDYFL": unit_class.tolist()}, cells)


ACCESS_SITES = (("P15", 20_000.0), ("P16", 10_000.0), ("P17", 15_000.0))


def reserve_access_sites(scene: Scene, seat_normal: np.ndarray) -> None:
    """P15-P17: footprints in the county-seat key unit 城区重点管控单元2, like P07.

    Candidates lie on a 100 m grid in that unit inside the urban boundary; each site is
    the free candidate nearest to P07 that is >= 600 m from every sensitive zone, the
    farmland and the river, and >= 250 m from P07 and the sites already placed. Nothing
    here draws random numbers, so the layers stay exactly as before.
    """
    units = scene.layers["control_unit"]
    cell = units.geometry.values[list(units["HJZHGKDYMC"]).index(f"{COUNTY}城区重点管控单元2")]
    room = cell.intersection(scene.layers["urban_boundary"].geometry.values[0]).buffer(-60.0)
    shapely.prepare(room)
    avoid = shapely.make_valid(np.concatenate([
        scene.layers[name].geometry.values for name in
        ("eco_redline", "water_source", "nature_reserve", "basic_farmland", "river", "intake")]))
    anchor = scene.sites["P07"]
    x0, y0, x1, y1 = room.bounds
    xs, ys = np.meshgrid(np.arange(math.floor(x0 / 100) * 100, x1, 100.0),
                         np.arange(math.floor(y0 / 100) * 100, y1, 100.0))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    order = np.lexsort((grid[:, 1], grid[:, 0],
                        np.hypot(*(grid - np.asarray(anchor.centroid.coords[0])).T)))
    taken = [anchor]
    for key, area in ACCESS_SITES:
        side = math.sqrt(area)
        for centre in grid[order]:
            site = rectangle(centre, side, side, seat_normal)
            if (room.contains(site) and shapely.distance(avoid, site).min() >= 600.0
                    and min(shapely.distance(t, site) for t in taken) >= 250.0):
                scene.sites[key] = site
                taken.append(site)
                break
        else:
            raise RuntimeError(f"no room for {key} in the county-seat key unit")


def _number_duplicates(names: list[str]) -> list[str]:
    """Append 1, 2, … to names that occur more than once, in order of appearance."""
    seen: dict[str, int] = {}
    total = {name: names.count(name) for name in names}
    numbered = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        numbered.append(f"{name}{seen[name]}" if total[name] > 1 else name)
    return numbered


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
def lonlat_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A metric frame as rounded CGCS2000 lon/lat, without helper columns."""
    columns = [c for c in frame.columns if not c.startswith("_") and c != "geometry"]
    return gpd.GeoDataFrame(frame[columns].copy(), geometry=to_lonlat(frame.geometry.values),
                            crs=OUTPUT_CRS)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write a lon/lat frame as UTF-8 GeoJSON with 7-decimal coordinates."""
    pyogrio.write_dataframe(frame, path, driver="GeoJSON", layer_options=GEOJSON_OPTIONS)


def write_shapefile(frame: gpd.GeoDataFrame, path: Path, encoding: str) -> None:
    """Write a lon/lat frame as a shapefile with a fixed DBF date."""
    date = "-".join(f"{part:02d}" for part in FIXED_DATE)
    pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding=encoding,
                            layer_options={"DBF_DATE_LAST_UPDATE": date})


def write_gbk_shapefile_without_cpg(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write a GBK shapefile that does not declare its encoding anywhere.

    Chinese shapefiles often come without a ``.cpg`` and with a zero DBF language-driver
    byte, so a reader must be told (or guess) that the text is GBK.
    """
    write_shapefile(frame, path, "GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    header = bytearray(dbf.read_bytes())
    header[29] = 0  # language driver id: "not declared"
    dbf.write_bytes(bytes(header))


def write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, staging: Path) -> None:
    """Write a UTF-8 shapefile (with ``.cpg``) and zip it with fixed entry dates."""
    staging.mkdir(parents=True, exist_ok=True)
    shp = staging / f"{path.stem}.shp"
    write_shapefile(frame, shp, "UTF-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            member = shp.with_suffix(suffix)
            info = zipfile.ZipInfo(member.name, date_time=(*FIXED_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.read_bytes())
    shutil.rmtree(staging)


def write_layers(scene: Scene, out: Path) -> None:
    """Write every layer of the pack into ``out``."""
    layers = scene.layers
    year, month, day = FIXED_DATE
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": f"{year:04d}-{month:02d}-{day:02d}T00:00:00.000Z"})
    gpkg = out / "demo.gpkg"
    pyogrio.write_dataframe(lonlat_frame(layers["admin"]), gpkg, layer="xzq", driver="GPKG")
    pyogrio.write_dataframe(lonlat_frame(layers["control_unit"]), gpkg, layer="hjgkdy",
                            driver="GPKG")
    write_gbk_shapefile_without_cpg(lonlat_frame(layers["eco_redline"]), out / "eco_redline.shp")
    write_zipped_shapefile(lonlat_frame(layers["basic_farmland"]), out / "basic_farmland.zip",
                           out / "_basic_farmland")
    for name in ("river", "intake", "water_source", "nature_reserve", "urban_boundary"):
        write_geojson(lonlat_frame(layers[name]), out / f"{name}.geojson")


# --------------------------------------------------------------------------------------
# demo projects
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoProject:
    """One demo project: its attributes, file, and the outcome it is built to show."""

    xmbh: str
    file: str
    name: str
    hydm: str
    kind: str
    outcome_zh: str
    outcome_en: str
    project_type: str = ""


PROJECTS = (
    DemoProject("P01", "p01_factory_in_redline", "某新材料厂", "C2929", "footprint",
                "约40%面积位于生态保护红线内(overlaps 生态保护红线)→ 禁止",
                "about 40 % inside an ecological red line (overlaps) → prohibited"),
    DemoProject("P02", "p02_shared_edge", "仓储物流中心", "G5960", "footprint",
                "与生态保护红线恰好共用一条边,无重叠面积(touches)→ 需关注",
                "shares exactly one edge with a red line, zero overlap (touches) → attention"),
    DemoProject("P03", "p03_near_water_source", "农产品加工厂", "C1371", "footprint",
                "距饮用水水源准保护区约250 m(near)→ 需关注",
                "about 250 m outside the quasi protection zone (near) → attention"),
    DemoProject("P04", "p04_road", "县道改建工程", "E4812", "linear",
                "穿越生态保护红线及多块永久基本农田(overlaps)→ 有条件(不可避让论证)",
                "crosses a red line and several basic-farmland patches → restricted"),
    DemoProject("P05", "p05_outfall_in_level2", "某污水处理厂排污口", "D4620", "outfall",
                "排污口位于饮用水水源二级保护区内(inside)→ 禁止",
                "outfall inside the level-2 zone (inside) → prohibited"),
    DemoProject("P06", "p06_outfall_upstream", "某食品厂排污口", "C1391", "outfall",
                "位于支流石门溪,沿河下游可达二级保护区(downstream,< 8 km)→ 有条件"
                "(取决于上游距离设置)",
                "on the tributary; the level-2 zone lies downstream along the river "
                "(downstream, < 8 km) → restricted if within the upstream-distance setting"),
    DemoProject("P07", "p07_clear_in_town", "商业综合体", "K7010", "footprint",
                "位于县城城镇开发边界内,600 m内无敏感区 → 未涉及",
                "inside the county-seat urban boundary, no sensitive zone within 600 m → clear"),
    DemoProject("P08", "p08_outside_urban", "农机维修点", "O8111", "footprint",
                "位于城镇开发边界外(outside),600 m内无其他管控区 → 需关注(规划符合性)",
                "outside every urban boundary (outside), nothing else within 600 m → attention"),
    DemoProject("P09", "p09_outside_coverage", "飞地项目", "", "footprint",
                "位于县域以东约30 km,超出全部图层范围 → 图层未覆盖(需提示)",
                "30 km east of the county, outside every layer → not covered (warn)"),
    DemoProject("P10", "p10_chemical_in_quasi", "某化工原料厂", "C2614", "footprint",
                "整体位于饮用水水源准保护区内(inside),化工行业 → 禁止",
                "wholly inside the quasi zone (inside), chemical industry → prohibited"),
    DemoProject("P11", "p11_site_in_reserve", "科研监测站", "M7461", "site",
                "位于自然保护区实验区内(inside)→ 有条件",
                "inside the reserve's experimental zone (inside) → restricted"),
    DemoProject("P12", "p12_pipeline_in_reserve", "输水管线", "D4610", "linear",
                "穿越自然保护区实验区,不涉及核心区、缓冲区(overlaps)→ 有条件",
                "crosses the reserve's experimental zone only (overlaps) → restricted"),
    DemoProject("P13", "p13_pump_station_level1", "取水泵站", "D4610", "footprint",
                "整体位于饮用水水源一级保护区内,属供水设施(project_type=water_supply)"
                "→ 非禁止,有条件",
                "wholly inside the level-1 zone; a water-supply facility, so not prohibited "
                "→ restricted",
                "water_supply"),
    DemoProject("P14", "p14_factory_in_farmland", "某砖瓦厂", "C3031", "footprint",
                "整体位于一块永久基本农田内(inside)→ 禁止",
                "wholly inside one basic-farmland patch (inside) → prohibited"),
    DemoProject("P15", "p15_chemical_in_key_unit", "某化学试剂厂", "C2661", "footprint",
                "位于城区重点管控单元2,准入清单“禁止新建化工……项目”→ 禁止(准入清单)",
                "in a key control unit whose access list bans new chemical plants "
                "→ prohibited (access list)"),
    DemoProject("P16", "p16_plating_in_key_unit", "某电镀加工厂", "C3360", "footprint",
                "位于城区重点管控单元2,全县“禁止新建电镀项目(进入依法设立的电镀集中区的除外)”"
                "等附条件条款 → 有条件(准入清单)",
                "in a key control unit; the county bans new electroplating except in a "
                "designated cluster (a conditional clause) → restricted (access list)"),
    DemoProject("P17", "p17_bakery_in_key_unit", "某面包食品厂", "C1411", "footprint",
                "位于城区重点管控单元2,准入清单条款均不针对食品制造(属“除……外”的例外)→ 未涉及",
                "in a key control unit; no access-list clause targets food manufacturing "
                "(it is an exception of one) → clear"),
)


def p02_from_written_redline(path: Path, hint: np.ndarray, depth_m: float = 160.0
                             ) -> tuple[Polygon, str]:
    """A quadrilateral sharing one edge, vertex for vertex, with the red line as written.

    Two consecutive vertices of the written (lon/lat) red line are reused unchanged;
    the two outer vertices are built in the metric CRS on the outer side. The edge is
    the one nearest ``hint`` whose two end vertices are both convex corners, so the
    quadrilateral stays outside the polygon.
    """
    written = pyogrio.read_dataframe(path, encoding="GBK")
    metric = written.to_crs(METRIC_CRS)
    index = int(np.argmin(shapely.distance(metric.geometry.values, Point(hint))))
    ring_lonlat = shapely.get_coordinates(written.geometry.values[index].exterior)[:-1]
    ring = shapely.get_coordinates(metric.geometry.values[index].exterior)[:-1]
    edge_in = ring - np.roll(ring, 1, axis=0)
    edge_out = np.roll(ring, -1, axis=0) - ring
    turn = edge_in[:, 0] * edge_out[:, 1] - edge_in[:, 1] * edge_out[:, 0]
    orientation = 1.0 if shapely.is_ccw(metric.geometry.values[index].exterior) else -1.0
    convex_corner = orientation * turn > 0
    convex_edge = convex_corner & np.roll(convex_corner, -1)
    midpoints = (ring + np.roll(ring, -1, axis=0)) / 2
    distance = np.where(convex_edge, np.hypot(*(midpoints - hint).T), np.inf)
    first = int(np.argmin(distance))
    second = (first + 1) % len(ring)
    a, b = ring[first], ring[second]
    along = unit(b - a)
    # Outer side: to the right of the edge for a counter-clockwise ring.
    outward = orientation * np.array([along[1], -along[0]])
    outer = to_lonlat(MultiPoint([b + depth_m * outward, a + depth_m * outward]))
    o_b, o_a = shapely.get_coordinates(outer)
    quad = Polygon([ring_lonlat[first], ring_lonlat[second], o_b, o_a])
    return quad, str(written["BSM"].iloc[index])


def write_projects(scene: Scene, out: Path) -> dict[str, BaseGeometry]:
    """Write one GeoJSON per demo project; returns their lon/lat geometries."""
    folder = out / "projects"
    folder.mkdir()
    p02, _ = p02_from_written_redline(out / "eco_redline.shp", scene.p02_edge_hint)
    geometries = {}
    for project in PROJECTS:
        geometry = p02 if project.xmbh == "P02" else to_lonlat(scene.sites[project.xmbh])
        geometries[project.xmbh] = geometry
        frame = gpd.GeoDataFrame(
            {"XMBH": [project.xmbh], "XMMC": [project.name], "HYDM": [project.hydm],
             "kind": [project.kind], "project_type": [project.project_type]},
            geometry=[geometry], crs=OUTPUT_CRS)
        write_geojson(frame, folder / f"{project.file}.geojson")
    return geometries


# --------------------------------------------------------------------------------------
# the access list (生态环境准入清单), illustrative
# --------------------------------------------------------------------------------------
ACCESS_TITLE = f"{COUNTY}生态环境准入清单(示意数据,非官方成果)"
ACCESS_HEADER = ("序号", "环境管控单元编码", "环境管控单元名称", "管控单元分类", "适用范围",
                 "空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求")
# (code, name, class, scope, spatial layout, pollutant discharge, risk, resource efficiency);
# cells hold numbered clauses as published lists do. Wording is illustrative.
ACCESS_ROWS = (
    ("", "", "", "全省(示意)",
     "1.禁止新建、扩建不符合国家产业政策的落后生产工艺装备和产品项目。\n"
     "2.严格控制新建“两高”项目,确需建设的须落实产能、能耗和主要污染物排放减量替代。\n"
     "3.新建化工、石化项目须进入依法合规设立的化工园区。",
     "1.新建、改建、扩建涉挥发性有机物排放的项目,实行区域内VOCs排放等量或倍量削减替代。\n"
     "2.城镇污水处理厂出水执行一级A及以上排放标准。",
     "1.涉及有毒有害物质的建设项目应开展土壤和地下水污染隐患排查。",
     "1.新建项目能效水平不得低于行业先进值。\n"
     "2.严格控制地下水开采,地下水超采区禁止新增地下水取水。"),
    ("350600", "", "", "全市(示意)",
     "1.全市范围内禁止新建列入《产业结构调整指导目录》淘汰类的项目。",
     "1.重点行业实行主要污染物排放总量控制。", "", ""),
    ("350699", "", "", "全县",
     "1.禁止新建电镀项目(进入依法设立的电镀集中区的除外)。\n"
     "2.禁止新建、扩建制革、印染、造纸(制浆)项目。\n"
     "3.原则上不再新建燃煤锅炉,确需建设的须符合相关规划。",
     "1.新增化学需氧量、氨氮排放的建设项目实行区域削减替代。\n"
     "2.畜禽规模养殖场应配套建设粪污贮存、处理与利用设施。",
     "1.沿清溪干流1公里范围内禁止新建危险化学品仓储项目。",
     "1.新建高耗水项目须落实节水措施,用水效率达到国内先进水平。"),
    ("", "", "优先保护单元", "全县优先保护单元",
     "(1)以生态保护为主,禁止开展与主导生态功能不相符的大规模开发建设活动。\n"
     "(2)禁止新建、扩建涉重金属重点行业项目。\n"
     "(3)禁止新建畜禽规模养殖场。\n"
     "(4)严格控制开发建设强度,现有不符合管控要求的项目逐步退出。",
     "(1)现有排污单位应确保污染物稳定达标排放。",
     "(1)加强生态保护红线和自然保护地周边环境风险源监管。",
     "(1)禁止在生态保护红线内开采矿产资源。"),
    ("", "", "重点管控单元", "全县重点管控单元",
     "1.新建化工、电镀、印染等项目原则上应进入合规园区。\n"
     "2.禁止在居住区、学校、医院等环境敏感目标周边新建排放有毒有害大气污染物的项目。",
     "1.新建、改建、扩建涉VOCs排放的项目应使用低VOCs含量原辅材料。\n"
     "2.城区生活污水应全部纳管集中处理。",
     "1.化工、医药等企业应编制突发环境事件应急预案并定期演练。",
     "1.高污染燃料禁燃区内禁止新建、扩建燃用高污染燃料的设施。"),
    ("", "", "一般管控单元", "全县一般管控单元",
     "1.严格执行产业准入要求,禁止新建列入淘汰类的项目。\n"
     "2.在永久基本农田集中区域,不得新建可能造成土壤污染的建设项目。",
     "1.农村生活污水应因地制宜开展治理。\n2.畜禽养殖废弃物应资源化利用。",
     "",
     "1.推进农业节水,提高农田灌溉水有效利用系数。"),
    ("ZH35069910005", "清溪县第一水厂饮用水水源保护区优先保护单元1", "1", "",
     "①禁止新建化工、印染、电镀、制革、造纸等重污染项目。\n"
     "②饮用水水源保护区内禁止设置排污口。\n"
     "③准保护区内禁止新建、扩建对水体污染严重的建设项目。",
     "①保护区汇水范围内新建项目应实施雨污分流,污水纳管处理。",
     "①禁止运输剧毒化学品的车辆进入饮用水水源保护区。\n②加油站应设置防渗漏设施。",
     "①严格控制取水量,禁止擅自新增取水口。"),
    ("ZH35069910009", "清溪县戴云山余脉自然保护区优先保护单元", "1", "",
     "1.自然保护区核心区和缓冲区内禁止建设任何生产设施。\n"
     "2.实验区内不得建设污染环境、破坏资源或者景观的生产设施。",
     "1.保护区内不得新设排污口。", "1.加强森林防火和外来物种入侵防控。",
     "1.禁止在保护区内采石、采砂、取土。"),
    ("ZH35069920002", "清溪县城区重点管控单元2", "2", "",
     "1.禁止新建化工、石化、农药、原料药项目。\n"
     "2.除农副食品加工、食品制造、电子信息等无污染或轻污染项目外,禁止新建其他工业项目。\n"
     "3.新建居住、学校等敏感建筑与工业企业之间应设置必要的防护距离。",
     "1.涉VOCs排放的企业须配套建设高效收集治理设施。\n"
     "2.餐饮油烟须经净化处理后达标排放。",
     "1.禁止在城区新建危险化学品仓储和经营场所。",
     "1.新建建筑应执行绿色建筑标准。"),
    ("ZH35069930009", "清溪县南岭乡一般管控单元3", "3", "",
     "1.严格控制新建畜禽养殖场,禁养区内禁止新建畜禽养殖场。",
     "1.汽车维修等行业产生的废机油等危险废物应交由有资质单位处置。", "", ""),
)


def write_access_list(out: Path) -> None:
    """Write ``access_list.xlsx``: a title row, headings, one row per scope or unit.

    The workbook's core properties and zip entry dates are fixed so that the file is
    byte-identical on every run.
    """
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "生态环境准入清单"
    sheet.append([ACCESS_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ACCESS_HEADER))
    sheet.append(list(ACCESS_HEADER))
    for n, row in enumerate(ACCESS_ROWS, start=1):
        sheet.append([n, *(value or None for value in row)])
    stamp = dt.datetime(*FIXED_DATE)
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = "scripts/make_demo_pack.py"
    path = out / "access_list.xlsx"
    staging = out / "_access_list.xlsx"
    book.save(staging)
    with zipfile.ZipFile(staging) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.strftime(
                    "%Y-%m-%dT%H:%M:%SZ").encode(), data)
            info = zipfile.ZipInfo(item.filename, date_time=(*FIXED_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    staging.unlink()


# --------------------------------------------------------------------------------------
# verification (on the files as written, in the metric CRS)
# --------------------------------------------------------------------------------------
class Checks:
    """Collects passed checks; raises on the first failure."""

    def __init__(self) -> None:
        self.passed: list[str] = []

    def __call__(self, condition: bool, message: str) -> None:
        if not condition:
            raise AssertionError(f"demo pack check failed: {message}")
        self.passed.append(message)


@dataclass
class Written:
    """The pack as read back: lon/lat frames and metric geometry arrays."""

    lonlat: dict[str, gpd.GeoDataFrame]
    metric: dict[str, np.ndarray]
    projects: dict[str, gpd.GeoDataFrame]
    projects_metric: dict[str, BaseGeometry]


def read_back(out: Path) -> Written:
    """Read every written file back (lon/lat and metric)."""
    sources = {
        "admin": (out / "demo.gpkg", {"layer": "xzq"}),
        "control_unit": (out / "demo.gpkg", {"layer": "hjgkdy"}),
        "eco_redline": (out / "eco_redline.shp", {"encoding": "GBK"}),
        "basic_farmland": (out / "basic_farmland.zip", {}),
        **{name: (out / f"{name}.geojson", {}) for name in
           ("river", "intake", "water_source", "nature_reserve", "urban_boundary")},
    }
    lonlat = {name: pyogrio.read_dataframe(path, **options)
              for name, (path, options) in sources.items()}
    projects = {project.xmbh: pyogrio.read_dataframe(out / "projects" / f"{project.file}.geojson")
                for project in PROJECTS}
    return Written(
        lonlat, {name: frame.to_crs(METRIC_CRS).geometry.to_numpy() for name, frame in lonlat.items()},
        projects, {key: frame.to_crs(METRIC_CRS).geometry.values[0]
                   for key, frame in projects.items()})


def verify(out: Path, scene: Scene) -> tuple[Checks, dict[str, float]]:
    """Check the written pack and the intended relation of every demo project."""
    check = Checks()
    facts: dict[str, float] = {}
    w = read_back(out)
    m = w.metric
    verify_layers(check, w, out, scene, facts)

    redline, water, reserve = m["eco_redline"], m["water_source"], m["nature_reserve"]
    farmland = shapely.make_valid(m["basic_farmland"])
    urban, river, intake = m["urban_boundary"], m["river"], m["intake"]
    county = shapely.union_all(m["admin"])
    zones = {"eco_redline": redline, "water_source": water, "nature_reserve": reserve,
             "basic_farmland": farmland, "urban_boundary": urban, "river": river,
             "intake": intake}
    everything = np.concatenate(list(zones.values()))

    def gap(geometry: BaseGeometry, *, skip: Sequence[str] = (), exclude=None) -> float:
        parts = [g for name, arr in zones.items() if name not in skip for g in arr
                 if exclude is None or not g.equals_exact(exclude, 0.0)]
        return float(shapely.distance(np.asarray(parts), geometry).min())

    p = w.projects_metric
    for key, frame in w.projects.items():
        check(len(frame) == 1 and list(frame.columns) ==
              ["XMBH", "XMMC", "HYDM", "kind", "project_type", "geometry"]
              and frame.crs.to_epsg() == 4490, f"{key}: one feature, fixed fields, EPSG:4490")
        if key != "P09":
            check(county.contains(p[key]), f"{key}: inside the county")

    # P01
    r4 = redline[3]
    share = p["P01"].intersection(r4).area / p["P01"].area
    check(abs(p["P01"].area - 30_000) < 1_500, f"P01: area {p['P01'].area:.0f} m2 ~ 3 ha")
    check(abs(share - 0.40) < 0.02, f"P01: {share:.1%} inside red line HX350699004 (~40 %)")
    check(gap(p["P01"], skip=("eco_redline",)) >= 600.0,
          "P01: >= 600 m from every other zone type (river and intake included)")

    # P02
    hx001 = redline[0]
    ring = {tuple(xy) for xy in shapely.get_coordinates(w.lonlat["eco_redline"].geometry[0])}
    quad_ll = shapely.get_coordinates(w.projects["P02"].geometry[0].exterior)
    check(sum(tuple(xy) in ring for xy in quad_ll[:-1]) == 2,
          "P02: exactly two vertices taken unchanged from the written red line HX350699001")
    check(p["P02"].intersects(hx001) and p["P02"].intersection(hx001).area == 0.0,
          "P02: intersects red line HX350699001 with intersection area exactly 0")
    check(p["P02"].intersection(hx001).length > 10.0, "P02: the shared part is an edge")
    check(gap(p["P02"], exclude=hx001) >= 500.0,
          "P02: no other zone within 500 m except that red line")

    # P03
    quasi = water[2]
    to_quasi = p["P03"].distance(quasi)
    check(abs(to_quasi - 250.0) <= 20.0, f"P03: {to_quasi:.1f} m outside the quasi zone")
    check(abs(p["P03"].area - 10_000) < 500, "P03: ~1 ha")
    check(gap(p["P03"]) > 0.0 and gap(p["P03"], skip=("water_source",)) >= 500.0,
          "P03: touches no zone; nothing but the water-source zone within 500 m")

    # P04
    road = p["P04"]
    crossed = shapely.intersection(farmland, road)
    n_crossed = int((shapely.length(crossed) > 0).sum())
    check(5_500 <= road.length <= 6_500, f"P04: length {road.length:.0f} m ~ 6 km")
    check(road.intersection(redline[1]).length > 100.0 and not road.within(redline[1]),
          "P04: crosses red line HX350699002")
    check(n_crossed >= 2, f"P04: crosses {n_crossed} basic-farmland patches (>= 2)")

    # P05
    main_stem = shapely.line_merge(shapely.union_all(river[:3]))
    check(main_stem.geom_type == "LineString", "river: the 3 main-stem features chain up")
    check(p["P05"].within(water[1]) and p["P05"].distance(water[0]) > 0,
          "P05: inside level2, outside level1")
    check(p["P05"].distance(main_stem) <= 30.0,
          f"P05: {p['P05'].distance(main_stem):.1f} m from the river (<= 30)")

    # P06
    tributary = river[3]
    check(p["P06"].distance(tributary) <= 20.0,
          f"P06: {p['P06'].distance(tributary):.1f} m from 石门溪 (<= 20)")
    polygons = np.concatenate([redline, water, reserve, farmland, urban])
    check(shapely.distance(polygons, p["P06"]).min() >= 500.0,
          "P06: not within 500 m of any zone polygon")
    t_p06 = tributary.project(p["P06"])
    to_confluence = tributary.length - t_p06
    s_conf = main_stem.project(Point(tributary.coords[-1]))
    entries = shapely.get_parts(main_stem.intersection(water[1]))
    s_enter = min(main_stem.project(Point(part.coords[0])) for part in entries)
    s_intake = main_stem.project(intake[0])
    along = to_confluence + s_enter - s_conf
    nominal = to_confluence + (s_intake - 3000.0) - s_conf
    facts.update(p06_to_confluence_m=to_confluence, p06_to_level2_m=along,
                 p06_to_level2_nominal_m=nominal)
    check(abs(to_confluence - 1500.0) < 5.0, f"P06: {to_confluence:.0f} m above the confluence")
    check(along < 8000.0, f"P06: {along:.0f} m along the river to where it enters level2 "
                          f"(< 8 km; {nominal:.0f} m to the level2 reach start s-3000)")

    # P07, P08, P09
    check(p["P07"].within(urban[0]), "P07: inside the county-seat urban boundary")
    check(abs(p["P07"].area - 20_000) < 1_000, "P07: ~2 ha")
    check(gap(p["P07"], skip=("urban_boundary",)) >= 600.0,
          "P07: >= 600 m from red lines, water-source, reserve, farmland, river, intake")
    check(not shapely.intersects(urban, p["P08"]).any(), "P08: outside every urban boundary")
    check(gap(p["P08"]) >= 600.0, f"P08: {gap(p['P08']):.0f} m (>= 600) from every zone")
    check(abs(p["P08"].area - 5_000) < 250, "P08: ~0.5 ha")
    all_layers = np.concatenate([everything, m["admin"], m["control_unit"]])
    check(shapely.distance(all_layers, p["P09"]).min() >= 25_000.0,
          "P09: >= 25 km from every layer (outside coverage)")

    # P10 .. P14
    check(p["P10"].within(quasi) and shapely.distance(water[:2], p["P10"]).min() > 0,
          "P10: wholly inside the quasi zone, not touching level1/level2")
    check(abs(p["P10"].area - 40_000) < 2_000, "P10: ~4 ha")
    check(p["P11"].within(reserve[2]) and not shapely.intersects(redline, p["P11"]).any(),
          "P11: inside the experimental zone, outside every red line")
    pipeline = p["P12"]
    check(pipeline.intersection(reserve[2]).length > 100.0
          and pipeline.difference(reserve[2]).length > 100.0
          and shapely.distance(reserve[:2], pipeline).min() > 100.0,
          "P12: crosses the experimental zone only (> 100 m from buffer and core)")
    check(not shapely.intersects(redline, pipeline).any(), "P12: crosses no red line")
    check(2_800 <= pipeline.length <= 3_500, f"P12: length {pipeline.length:.0f} m ~ 3 km")
    check(p["P13"].within(water[0]), "P13: wholly inside level1")
    check(abs(p["P13"].area - 3_025) < 200, "P13: ~0.3 ha")
    bowtie = w.lonlat["basic_farmland"]["TBBH"] == scene.bowtie_tbbh
    inside = shapely.within(p["P14"], m["basic_farmland"]) & ~bowtie.to_numpy()
    check(inside.sum() == 1, "P14: wholly inside one (valid) basic-farmland patch")
    unit_names = list(w.lonlat["control_unit"]["HJZHGKDYMC"])
    key2 = m["control_unit"][unit_names.index(f"{COUNTY}城区重点管控单元2")]
    for key, area in ACCESS_SITES:
        check(p[key].within(key2) and p[key].within(urban[0]),
              f"{key}: inside 城区重点管控单元2 and the county-seat urban boundary")
        check(abs(p[key].area - area) < area * 0.05, f"{key}: ~{area / 1e4:.1f} ha")
        check(gap(p[key], skip=("urban_boundary",)) >= 600.0,
              f"{key}: >= 600 m from every zone, the river and the intake")
    check(abs(p["P14"].area - 20_000) < 1_000, "P14: ~2 ha")
    return check, facts


def verify_layers(check: Checks, w: Written, out: Path, scene: Scene,
                  facts: dict[str, float]) -> None:
    """Checks on the layers themselves (counts, tessellations, encodings, topology)."""
    m, ll = w.metric, w.lonlat
    for name, frame in ll.items():
        check(frame.crs is not None and frame.crs.to_epsg() == 4490, f"{name}: EPSG:4490")

    county = shapely.union_all(m["admin"])
    facts["county_km2"] = county.area / 1e6
    check(900.0 <= county.area / 1e6 <= 1100.0, f"county: {county.area / 1e6:.0f} km2")
    check(county.geom_type == "Polygon" and not county.interiors, "county: one polygon, no holes")
    for name, count in (("admin", 6), ("control_unit", None)):
        cells = m[name]
        check(bool(shapely.coverage_is_valid(cells)) and shapely.is_valid(cells).all(),
              f"{name}: valid polygonal coverage (no overlaps)")
        union = shapely.union_all(cells)
        check(abs(union.area - county.area) < 1.0 and abs(shapely.area(cells).sum() - union.area)
              < 1.0, f"{name}: tessellates the county (area sum = union = county, < 1 m2)")
        if count:
            check(len(cells) == count, f"{name}: {count} features")
    outlines = [shapely.union_all(m[name]) for name in ("admin", "control_unit")]
    check(shapely.equals_exact(*outlines, 0.0) or outlines[0].symmetric_difference(
        outlines[1]).area == 0.0, "admin and control_unit cover exactly the same outline")
    codes = ll["admin"]["XZQDM"]
    check(codes.str.fullmatch(r"350699\d{3}").all() and codes.is_unique, "admin: XZQDM codes")
    units = ll["control_unit"]
    check(units["HJZHGKDYBM"].str.fullmatch(r"ZH350699[123]\d{4}").all()
          and units["HJZHGKDYBM"].is_unique and units["HJZHGKDYMC"].is_unique,
          "control_unit: unique ZH codes and names")
    check((units["HJZHGKDYBM"].str[8] == units["ZHGKDYFL"]).all(),
          "control_unit: class digit in the code matches ZHGKDYFL")
    counts = units["ZHGKDYFL"].value_counts()
    check(all(counts.get(c, 0) >= 4 for c in "123") and 20 <= len(units) <= 28,
          f"control_unit: {len(units)} units, classes {dict(sorted(counts.items()))} (>= 4 each)")
    protected = shapely.union_all(np.concatenate(
        [m["eco_redline"], m["nature_reserve"], m["water_source"]]))
    hits_protected = shapely.area(shapely.intersection(m["control_unit"], protected)) > 0
    hits_urban = shapely.intersects(m["control_unit"], shapely.union_all(m["urban_boundary"]))
    expected = np.where(hits_protected, "1", np.where(hits_urban, "2", "3"))
    check((units["ZHGKDYFL"].to_numpy() == expected).all(),
          "control_unit: priority = touches protected zones, key = urban, general = rest")

    # red lines
    red = ll["eco_redline"]
    areas = shapely.area(m["eco_redline"]) / 1e6
    check(len(red) == 4 and ((areas >= 5) & (areas <= 40)).all(),
          f"eco_redline: 4 polygons of {', '.join(f'{a:.1f}' for a in areas)} km2")
    check(red["HXMC"].tolist() == scene.layers["eco_redline"]["HXMC"].tolist(),
          "eco_redline: Chinese names round-trip when read as GBK")
    check(not (out / "eco_redline.cpg").exists() and (out / "eco_redline.prj").exists(),
          "eco_redline: .prj present, no .cpg")
    dbf = (out / "eco_redline.dbf").read_bytes()
    check("北部山地".encode("gbk") in dbf and "北部山地".encode() not in dbf,
          "eco_redline: DBF text bytes are GBK, not UTF-8")
    check(dbf[29] == 0, "eco_redline: DBF language-driver byte is 0 (encoding undeclared)")
    check(float(shapely.distance(m["eco_redline"][:, None], m["eco_redline"][None, :])
                [~np.eye(4, dtype=bool)].min()) > 500.0, "eco_redline: the 4 hills are apart")

    # rivers and intake
    river = m["river"]
    rll = shapely.get_coordinates
    parts = [rll(g) for g in ll["river"].geometry]
    check(all((parts[i][-1] == parts[i + 1][0]).all() for i in range(2)),
          "river: main-stem features 1-2 and 2-3 share end/start vertices exactly")
    check((parts[3][-1] == parts[1][0]).all(),
          "river: 石门溪's last vertex is exactly the start of main-stem feature 2 (confluence)")
    main_stem = shapely.line_merge(shapely.union_all(river[:3]))
    trib = river[3]
    check(trib.intersection(main_stem).equals(Point(trib.coords[-1])),
          "river: 石门溪 meets 清溪 only at the confluence")
    facts.update(main_km=main_stem.length / 1000, tributary_km=trib.length / 1000)
    check(37_000 <= main_stem.length <= 44_000, f"river: 清溪 {main_stem.length / 1000:.1f} km")
    check(10_000 <= trib.length <= 14_000, f"river: 石门溪 {trib.length / 1000:.1f} km")
    spacing = np.concatenate([np.hypot(*np.diff(rll(g), axis=0).T) for g in river])
    check(spacing.max() <= 110.0, f"river: vertices every <= {spacing.max():.0f} m")
    first, last = rll(main_stem)[[0, -1]]
    check(first[0] < last[0] and first[1] > last[1] and county.contains(Point(first)),
          "river: 清溪 digitised downstream, from the NW (inside the county) to the SE")
    intake_ll = rll(ll["intake"].geometry)[0]
    check(any((xy == intake_ll).all() for xy in parts[1]),
          "intake: exactly a vertex of the main stem")
    s_conf = main_stem.project(Point(trib.coords[-1]))
    s_intake = main_stem.project(m["intake"][0])
    facts["intake_below_confluence_m"] = s_intake - s_conf
    check(s_intake - s_conf >= 8000.0,
          f"intake: {s_intake - s_conf:.0f} m downstream of the confluence (>= 8 km)")

    # water-source zones, reserve, urban
    water = m["water_source"]
    check(ll["water_source"]["BHQJB"].tolist() == ["一级保护区", "二级保护区", "准保护区"],
          "water_source: three zones with raw classes")
    overlap = max(water[i].intersection(water[j]).area for i, j in ((0, 1), (0, 2), (1, 2)))
    check(overlap < 0.01, f"water_source: zones do not overlap (max {overlap:.2g} m2)")
    reserve = m["nature_reserve"]
    overlap = max(reserve[i].intersection(reserve[j]).area for i, j in ((0, 1), (0, 2), (1, 2)))
    check(overlap < 0.01, "nature_reserve: zones do not overlap")
    to_water = float(shapely.distance(reserve[:, None], water[None, :]).min())
    check(to_water >= 3000.0, f"nature_reserve: {to_water:.0f} m from the water-source zones")
    hx003 = m["eco_redline"][2]
    core_share = hx003.intersection(reserve[0]).area / reserve[0].area
    buffer_share = hx003.intersection(reserve[1]).area / reserve[1].area
    check(core_share > 0.25 and buffer_share > 0.25,
          f"nature_reserve: red line HX350699003 covers {core_share:.0%} of the core and "
          f"{buffer_share:.0%} of the buffer zone")
    urban = m["urban_boundary"]
    check(abs(urban[0].area - 12e6) < 1e5 and abs(urban[1].area - 3e6) < 1e5,
          "urban_boundary: ~12 km2 county seat and ~3 km2 township")
    check(shapely.intersects(urban, main_stem).all(), "urban_boundary: both on the river")
    to_water = float(shapely.distance(urban[:, None], water[None, :]).min())
    check(to_water >= 500.0, f"urban_boundary: {to_water:.0f} m clear of the water-source zones")
    zones = np.concatenate([m["eco_redline"], water, reserve, urban])
    check(shapely.within(zones, county.buffer(0.5)).all(),
          "zones: red lines, water source, reserve, urban all within the county")

    # farmland
    farm = ll["basic_farmland"]
    valid = shapely.is_valid(m["basic_farmland"])
    check(len(farm) == 150 and (~valid).sum() == 1
          and farm.loc[~valid, "TBBH"].tolist() == [scene.bowtie_tbbh],
          f"basic_farmland: 150 patches, exactly one invalid (bow-tie TBBH {scene.bowtie_tbbh})")
    reason = shapely.is_valid_reason(m["basic_farmland"][~valid][0])
    check(reason.startswith("Self-intersection"), f"basic_farmland: bow-tie is {reason}")
    fixed = shapely.make_valid(m["basic_farmland"])
    areas = shapely.area(fixed[valid])
    n_vertices = shapely.get_num_coordinates(m["basic_farmland"]) - 1
    check(((areas >= 20_000) & (areas <= 300_000)).all() and n_vertices.min() >= 4
          and n_vertices.max() <= 10, "basic_farmland: 2-30 ha, 4-10 vertices")
    tree = shapely.STRtree(fixed)
    pairs = tree.query(fixed, predicate="intersects")
    check((pairs[0] == pairs[1]).all(), "basic_farmland: no two patches intersect")
    reserved = [w.projects_metric["P07"], w.projects_metric["P08"]]
    near = np.concatenate([urban, reserved])
    check(float(shapely.distance(fixed[:, None], near[None, :]).min()) >= 600.0,
          "basic_farmland: >= 600 m from urban boundaries and the P07/P08 sites")
    with zipfile.ZipFile(out / "basic_farmland.zip") as archive:
        names = sorted(archive.namelist())
        cpg = archive.read("basic_farmland.cpg").decode().strip()
    check(names == sorted(f"basic_farmland.{s}" for s in ("shp", "shx", "dbf", "prj", "cpg"))
          and cpg.upper().replace("-", "") == "UTF8", f"basic_farmland.zip: 5 members, cpg {cpg}")


# --------------------------------------------------------------------------------------
# catalog and READMEs
# --------------------------------------------------------------------------------------
CATALOG = '''\
# Layer pack catalog of the ILLUSTRATIVE demo pack (generated by scripts/make_demo_pack.py).
# 清溪县 is fictional; none of these layers is official data.

[pack]
id = "demo"
title = "清溪县空间管控图层(示意数据,非官方成果)"
title_en = "Qingxi County spatial-control layers (ILLUSTRATIVE data, not official)"
version = "2026.11"
crs = "EPSG:4490"
illustrative = true
region = "福建省 清溪县(虚构)"

[[layers]]
id = "eco_redline"
kind = "ecological_redline"
title = "生态保护红线"
path = "eco_redline.shp"
encoding = "GBK"
id_field = "BSM"
name_field = "HXMC"

[[layers]]
id = "water_source"
kind = "water_source"
title = "饮用水水源保护区"
path = "water_source.geojson"
name_field = "BHQMC"
class_field = "BHQJB"

[layers.classes]
"一级保护区" = "level1"
"二级保护区" = "level2"
"准保护区" = "quasi"

[[layers]]
id = "nature_reserve"
kind = "nature_reserve"
title = "自然保护地"
path = "nature_reserve.geojson"
name_field = "BHDMC"
class_field = "GNFQ"

[layers.classes]
"核心区" = "core"
"缓冲区" = "buffer"
"实验区" = "experimental"

[[layers]]
id = "basic_farmland"
kind = "basic_farmland"
title = "永久基本农田"
path = "basic_farmland.zip"
id_field = "TBBH"
name_field = "ZLDWMC"

[[layers]]
id = "urban_boundary"
kind = "urban_boundary"
title = "城镇开发边界"
path = "urban_boundary.geojson"
name_field = "BJMC"

[[layers]]
id = "control_unit"
kind = "control_unit"
title = "环境管控单元"
path = "demo.gpkg"
layer = "hjgkdy"
id_field = "HJZHGKDYBM"
name_field = "HJZHGKDYMC"
class_field = "ZHGKDYFL"
code_field = "HJZHGKDYBM"

[layers.classes]
"1" = "priority"
"2" = "key"
"3" = "general"

[[layers]]
id = "river"
kind = "river"
title = "河流水系"
path = "river.geojson"
id_field = "HLBM"
name_field = "HLMC"

[[layers]]
id = "intake"
kind = "intake"
title = "饮用水取水口"
path = "intake.geojson"
id_field = "QSKBM"
name_field = "QSKMC"

[[layers]]
id = "admin"
kind = "admin"
title = "行政区划(乡镇)"
path = "demo.gpkg"
layer = "xzq"
id_field = "XZQDM"
name_field = "XZQMC"
code_field = "XZQDM"

[[layers]]
id = "access_list"
kind = "access_list"
title = "清溪县生态环境准入清单(示意)"
path = "access_list.xlsx"
sheet = "生态环境准入清单"
code_field = "环境管控单元编码"
name_field = "环境管控单元名称"
class_field = "管控单元分类"
scope_field = "适用范围"
'''


def write_catalog(out: Path) -> None:
    """Write ``catalog.toml`` and check that it parses."""
    path = out / "catalog.toml"
    path.write_text(CATALOG + RASTER_CATALOG, encoding="utf-8")
    with path.open("rb") as handle:
        catalog = tomllib.load(handle)
    ids = [layer["id"] for layer in catalog["layers"]]
    if len(ids) != 12 or len(set(ids)) != 12 or not all((out / layer["path"]).exists()
                                                          for layer in catalog["layers"]):
        raise AssertionError("catalog.toml: expected 12 layers with existing paths")


def write_readmes(out: Path, scene: Scene, facts: dict[str, float]) -> None:
    """Write the pack README (Chinese, then English) and the projects README."""
    n = {name: len(frame) for name, frame in scene.layers.items()}
    classes = scene.layers["control_unit"]["ZHGKDYFL"].value_counts()
    bowtie = scene.bowtie_tbbh
    layer_rows = [
        ("文件", "类型(kind)", "字段", "要素"),
        ("---", "---", "---", "---"),
        ("`demo.gpkg` 图层 `xzq`", "admin 行政区划",
         "`XZQDM` 代码, `XZQMC` 名称, `XZQJB`=乡镇", f"{n['admin']} 个乡镇,无缝无叠覆盖全县"),
        ("`demo.gpkg` 图层 `hjgkdy`", "control_unit 环境管控单元",
         "`HJZHGKDYBM` 编码(ZH+350699+类别+序号), `HJZHGKDYMC` 名称, "
         "`ZHGKDYFL` 1优先/2重点/3一般",
         f"{n['control_unit']} 个单元(优先 {classes.get('1', 0)}、重点 {classes.get('2', 0)}、"
         f"一般 {classes.get('3', 0)}),无缝无叠覆盖全县"),
        ("`eco_redline.shp`", "ecological_redline 生态保护红线",
         "`BSM` 标识码, `HXMC` 名称, `HXLX` 类型", f"{n['eco_redline']} 个面(北部、西部山地)"),
        ("`water_source.geojson`", "water_source 饮用水水源保护区",
         "`BHQMC` 名称, `BHQJB` 一级保护区/二级保护区/准保护区, `SYLX`=河流型",
         "3 个面,互不重叠"),
        ("`nature_reserve.geojson`", "nature_reserve 自然保护地",
         "`BHDMC` 名称, `GNFQ` 核心区/缓冲区/实验区, `BHDJB`=省级", "3 个面(一个省级自然保护区)"),
        ("`basic_farmland.zip`", "basic_farmland 永久基本农田",
         "`TBBH` 图斑编号, `DLMC` 地类, `ZLDWMC` 坐落单位",
         f"{n['basic_farmland']} 个图斑(沿河平原)"),
        ("`urban_boundary.geojson`", "urban_boundary 城镇开发边界",
         "`BJMC` 名称, `BJLX`=城镇开发边界", "2 个面(县城约 12 km²、东湖镇约 3 km²)"),
        ("`river.geojson`", "river 河流水系", "`HLBM` 编码, `HLMC` 名称",
         "4 条线:清溪干流分 3 段 + 支流石门溪"),
        ("`intake.geojson`", "intake 取水口", "`QSKBM` 编码, `QSKMC` 名称",
         "1 个点(清溪县第一水厂取水口)"),
        ("`land_cover.tif`", "land_cover 土地覆盖", "栅格值 1–9,图例见 `catalog.toml`",
         f"{facts['land_cover_width']} × {facts['land_cover_height']} 个 30 m 像元,"
         "EPSG:4548,分块 COG"),
        ("`dem.tif`", "terrain 数字高程模型", "高程(米,int16)",
         f"{facts['dem_width']} × {facts['dem_height']} 个 3″ 像元,EPSG:4490,"
         f"{facts['dem_min']:.0f}–{facts['dem_max']:.0f} m"),
        ("`catalog.toml`", "图层包目录", "—", "见 DESIGN §2.1"),
        ("`projects/`", "演示项目", "`XMBH`, `XMMC`, `HYDM`, `kind`, `project_type`",
         f"{len(PROJECTS)} 个,见 `projects/README.md`"),
        ("`access_list.xlsx`", "access_list 生态环境准入清单(示意)",
         "单元编码/名称/分类、适用范围 + 四个维度(每格若干编号条款)",
         f"{len(ACCESS_ROWS)} 行:全省、全市、全县、三类单元及 4 个单元"),
    ]
    layer_table = "\n".join(f"| {' | '.join(row)} |" for row in layer_rows)
    rows_zh = "\n".join(
        f"| `{p.file}.geojson` | {p.xmbh} {p.name} | {p.hydm or '—'} | {p.kind} | {p.outcome_zh} |"
        for p in PROJECTS)
    rows_en = "\n".join(
        f"| `{p.file}.geojson` | {p.xmbh} | {p.kind} | {p.outcome_en} |" for p in PROJECTS)
    readme = f"""\
# 清溪县空间管控图层 — 示意数据包(demo)

> **示意数据,非官方成果。** 本目录全部图层由 `scripts/make_demo_pack.py` 以固定随机种子生成,
> 描述的是一个**虚构**的县(清溪县,行政区划代码 350699 并不存在),仅用于演示和测试
> `redline`。**不得用于任何真实的环评、选址或审查工作。**

重新生成(确定性,每次坐标相同):

```
python scripts/make_demo_pack.py            # 输出到 layers/demo/
python scripts/make_demo_pack.py --out DIR  # 输出到其他目录
```

坐标系:全部文件为 CGCS2000 地理坐标(EPSG:4490),经纬度保留 7 位小数;几何在
CGCS2000 3度带高斯-克吕格投影(中央经线 117°E,无带号,EPSG:4548)中构建。
县域约 {facts['county_km2']:.0f} km²,位于福建南部,约东经 117.45–117.80°、北纬 24.40–24.70°。

## 图层

{layer_table}

河流按**顺流方向**数字化(首点在上游),节点间距约 100 m;干流 3 段首尾节点完全重合,
石门溪末点即干流第 1、2 段的分界点(汇流点)。取水口恰为干流的一个节点,位于汇流点下游
{facts['intake_below_confluence_m'] / 1000:.1f} km。水源保护区按取水口位置 s(沿河距离)生成:
一级 = 河段[s−1000, s+100] 缓冲 120 m;二级 = 河段[s−3000, s+300] 缓冲 1000 m 减一级;
准保护区 = 河段[s−6000, s+500] 缓冲 1500 m 减一、二级。
自然保护区缓冲区 = 核心区外扩 800 m,实验区 = 外扩 2000 m 减外扩 800 m;
红线 HX350699003 与保护区核心区、缓冲区大面积重叠(重叠划定是常见情况)。

两个栅格同为示意数据,由 `scripts/demo_rasters.py` 依据上述矢量图层合成:土地覆盖分类参照
第三次全国国土调查一级地类(耕地、种植园用地、林地、草地、湿地、城镇村及工矿用地、交通运输用地、
水域及水利设施用地、其他土地),基本农田图斑为耕地、城镇开发边界内为建设用地、河道为水域、
红线与保护区为林地,县界外 500 m 以外为无数据(0);高程为解析地形(沿干流向下游降低的河谷、
红线与保护区下的山丘、平缓起伏),不对应任何真实地形。

## 有意设置的数据缺陷(用于检验数据包校验与修复)

1. `eco_redline.shp` 属性为 **GBK** 编码,但**没有 `.cpg` 文件**,DBF 头的语言驱动字节也为 0,
   文件本身不声明编码;`catalog.toml` 中以 `encoding = "GBK"` 声明。
2. 永久基本农田为**压缩的 shapefile**(`basic_farmland.zip`,内含 .shp/.shx/.dbf/.prj/.cpg,
   `.cpg` 为 UTF-8)。
3. 图斑 **TBBH = {bowtie}** 为“蝴蝶结”自相交多边形(无效几何),校验时应被修复并记录警告。

---

# Qingxi County spatial-control layers — ILLUSTRATIVE demo pack

> **ILLUSTRATIVE, generated data — not official.** Every layer here is produced by
> `scripts/make_demo_pack.py` from a fixed seed and describes a **fictional** county
> (清溪县 "Qingxi", admin code 350699, which does not exist). It exists to demonstrate and
> test `redline` and **must not be used for any real review, siting or EIA work.**

Regenerate (deterministic: the same coordinates on every run) with
`python scripts/make_demo_pack.py [--out DIR]`.

CRS: every file is CGCS2000 geographic (EPSG:4490), lon/lat rounded to 7 decimals;
geometry is built in CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548). The county
covers about {facts['county_km2']:.0f} km² around 117.45–117.80 E, 24.40–24.70 N.

Layers (see the table above for fields): `demo.gpkg` layers `xzq` ({n['admin']} townships) and
`hjgkdy` ({n['control_unit']} control units; both tessellate the county exactly), `eco_redline.shp`
({n['eco_redline']} red lines), `water_source.geojson` (level-1/level-2/quasi zones around the
intake), `nature_reserve.geojson` (core/buffer/experimental zones of one provincial reserve),
`basic_farmland.zip` ({n['basic_farmland']} patches), `urban_boundary.geojson` (2 urban development
boundaries), `river.geojson` (main stem 清溪 in 3 chained features, digitised downstream, plus
the tributary 石门溪 ending exactly on the confluence vertex), `intake.geojson` (1 intake, a
main-stem vertex {facts['intake_below_confluence_m'] / 1000:.1f} km below the confluence),
`land_cover.tif` (a tiled COG, 30 m cells in EPSG:4548, nine classes loosely modelled on the
first-level classes of the third national land survey, derived from the vector layers; 0 = no
data beyond 500 m outside the county) and `dem.tif` (3 arc-second cells in EPSG:4490, an
analytic relief; no real terrain), both synthetic (`scripts/demo_rasters.py`).
`catalog.toml` is the pack catalog (DESIGN §2.1); `projects/` holds {len(PROJECTS)} demo projects;
`access_list.xlsx` is an ILLUSTRATIVE access list (生态环境准入清单): province-, city- and
county-wide rows, one row per unit class and rows for four units, the four dimensions as
columns, several numbered clauses per cell. Its wording imitates published lists; it is
not any real list.

Deliberate defects, for pack validation and repair:

1. `eco_redline.shp` stores **GBK** text with **no `.cpg`** and a zero DBF language-driver
   byte, so nothing in the file declares the encoding; the catalog says `encoding = "GBK"`.
2. The farmland layer is a **zipped shapefile** (`basic_farmland.zip`; its `.cpg` says UTF-8).
3. Farmland patch **TBBH = {bowtie}** is a **bow-tie** (self-intersecting ring, invalid).
"""
    (out / "README.md").write_text(readme, encoding="utf-8")

    projects = f"""\
# 演示项目 / demo projects (ILLUSTRATIVE)

每个文件是一个要素的 GeoJSON(EPSG:4490),字段 `XMBH` 项目编号、`XMMC` 项目名称、
`HYDM` 国民经济行业代码(GB/T 4754-2017,可为空)、`kind`(footprint/linear/outfall/site)、
`project_type`(逗号分隔的标签,通常为空)。几何均由 `scripts/make_demo_pack.py` 依据
示意图层构建,并在生成时校验下表所述关系;“预期结论”依据 DOMAIN 中的全国规则,
具体以规则集为准。项目均为虚构。

| 文件 | 项目 | HYDM | kind | 预期关系与结论 |
|---|---|---|---|---|
{rows_zh}

Each file is a one-feature GeoJSON (EPSG:4490) built from the illustrative layers; the
relation in the table is asserted when the pack is generated. P06's distance along the
river to where the main stem enters the level-2 zone is {facts['p06_to_level2_m']:.0f} m
({facts['p06_to_confluence_m']:.0f} m down 石门溪 to the confluence, then along 清溪).
Expected verdicts follow the national rules in DOMAIN and depend on the ruleset.

| file | project | kind | intended relation → expected verdict |
|---|---|---|---|
{rows_en}
"""
    (out / "projects" / "README.md").write_text(projects, encoding="utf-8")


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------
def _is_replaceable(folder: Path) -> bool:
    """True when ``folder`` is absent, empty, or a layer pack this script may overwrite."""
    return not folder.exists() or not any(folder.iterdir()) or (folder / "catalog.toml").exists()


def build_pack(out: Path, *, keep_failed: bool = False,
               log: Callable[[str], None] = print) -> tuple[Checks, dict[str, float]]:
    """Generate, write and verify the demo pack into ``out`` (replaced only on success).

    Parameters
    ----------
    out
        Destination folder (a layer pack folder, empty, or absent).
    keep_failed
        Keep the staging folder (``.<name>.staging`` next to ``out``) when a check fails.
    log
        Where progress lines go.

    Returns
    -------
    tuple
        The passed checks and a few measured facts.
    """
    if not _is_replaceable(out):
        raise SystemExit(f"{out}: exists and is not a layer pack; refusing to overwrite")
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    try:
        scene = build_scene(np.random.default_rng(SEED))
        write_layers(scene, staging)
        write_projects(scene, staging)
        write_access_list(staging)
        check, facts = verify(staging, scene)
        facts.update(write_rasters(scene, staging, seed=SEED, metric_crs=METRIC_CRS,
                                   lonlat_crs=OUTPUT_CRS, check=check))
        write_catalog(staging)
        write_readmes(staging, scene, facts)
        size = sum(path.stat().st_size for path in staging.rglob("*") if path.is_file())
        facts["size_bytes"] = size
        check(size <= MAX_PACK_BYTES, f"pack size {size / 1024:.0f} KiB (<= 2 MiB)")
    except BaseException:
        if not keep_failed:
            shutil.rmtree(staging, ignore_errors=True)
        raise

    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    log(f"wrote {out} ({size / 1024:.0f} KiB)")
    return check, facts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "layers" / "demo",
                        help="output folder (default: layers/demo)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only a summary")
    parser.add_argument("--keep-failed", action="store_true",
                        help="keep the staging folder when a check fails (for debugging)")
    args = parser.parse_args(argv)
    check, facts = build_pack(args.out.resolve(), keep_failed=args.keep_failed)
    if not args.quiet:
        for message in check.passed:
            print(f"  ok  {message}")
    print(f"{len(check.passed)} checks passed; P06 along-river distance to level2: "
          f"{facts['p06_to_level2_m']:.0f} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
