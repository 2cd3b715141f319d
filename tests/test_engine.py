"""The engine's measurements against independent computations on constructed shapes."""

import numpy as np
import pytest
import shapely

import redline
from conftest import (
    LEVEL1,
    REDLINE,
    URBAN,
    X0,
    Y0,
    box,
    geod_area,
    geod_length,
    make,
    to_ll,
)
from redline.settings import Settings


def findings(result, pid="P1", layer=None):
    f = result.findings_of(pid)
    return f if layer is None else f[f["layer"] == layer]


def one(result, pid, layer, relation=None):
    f = findings(result, pid, layer)
    if relation:
        f = f[f["relation"] == relation]
    assert len(f) == 1, f
    return f.iloc[0]


def test_overlap_area_matches_geodesic(pack):
    site = box(2_500, 2_400, 3_600, 3_300)
    result = redline.screen(make([site]), pack)
    f = one(result, "P1", "redline")
    expected = geod_area(to_ll(site.intersection(REDLINE)))
    assert f.relation == "overlaps"
    assert f.overlap_m2 == pytest.approx(expected, rel=1e-4)
    area = result.projects.iloc[0].area_m2
    assert area == pytest.approx(geod_area(to_ll(site)), rel=1e-4)
    assert f.overlap_pct == pytest.approx(expected / geod_area(to_ll(site)) * 100, rel=1e-4)
    assert f.verdict == "prohibited" and f.rule == "redline.footprint"
    # the overlap piece is returned as geometry, in lon/lat
    assert geod_area(f.geometry) == pytest.approx(expected, rel=1e-4)


def test_shared_edge_is_not_an_overlap(pack):
    # same edge vertices as the red line: (3000, 1000)-(3000, 3000)
    site = box(3_000, 1_000, 3_400, 3_000)
    result = redline.screen(make([site]), pack)
    f = one(result, "P1", "redline")
    assert f.relation == "touches"
    assert not (f.overlap_m2 > 0)
    assert f.verdict == "attention" and f.rule == "proximity.touches"
    assert result.projects.iloc[0].verdict == "attention"


def test_point_exactly_on_boundary_and_inside(pack):
    on_vertex = shapely.Point(X0 + 1_000, Y0 + 1_000)  # a red-line vertex
    inside = shapely.Point(X0 + 2_000, Y0 + 2_000)
    result = redline.screen(make([on_vertex, inside], kind="site"), pack)
    assert one(result, "P1", "redline").relation == "touches"
    f = one(result, "P2", "redline")
    assert f.relation == "inside" and f.verdict == "prohibited"


def test_multipart_footprint(pack):
    in_red = box(2_000, 2_000, 2_200, 2_300)
    in_farm = box(8_500, 10_500, 8_800, 10_600)
    site = shapely.MultiPolygon([in_red, in_farm])
    result = redline.screen(make([site]), pack)
    area = result.projects.iloc[0].area_m2
    assert area == pytest.approx(geod_area(to_ll(in_red)) + geod_area(to_ll(in_farm)), rel=1e-4)
    red = one(result, "P1", "redline")
    farm = one(result, "P1", "farmland")
    assert red.overlap_m2 == pytest.approx(geod_area(to_ll(in_red)), rel=1e-4)
    assert farm.overlap_m2 == pytest.approx(geod_area(to_ll(in_farm)), rel=1e-4)
    assert red.overlap_pct + farm.overlap_pct == pytest.approx(100, rel=1e-6)


def test_holes_are_respected(pack):
    # a ring around the red line: the hole (100 m wider) holds the whole red line
    outer = box(500, 500, 3_500, 3_500)
    hole = box(900, 900, 3_100, 3_100)
    donut = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])
    result = redline.screen(make([donut]), pack)
    assert result.projects.iloc[0].area_m2 == pytest.approx(geod_area(to_ll(donut)), rel=1e-4)
    f = one(result, "P1", "redline")
    assert f.relation == "near"
    assert f.distance_m == pytest.approx(100.0, rel=1e-3)


def test_linear_overlap_length(pack):
    road = shapely.LineString([(X0 + 14_000, Y0 + 6_500), (X0 + 15_500, Y0 + 6_800)])
    result = redline.screen(make([road]), pack)
    water = findings(result, "P1", "water")
    f = water[water["zone_class"] == "level1"].iloc[0]
    shared = road.intersection(LEVEL1)
    expected = geod_length(to_ll(shared))
    assert f.zone_class == "level1"
    assert f.overlap_length_m == pytest.approx(expected, rel=1e-4)
    assert result.projects.iloc[0].length_m == pytest.approx(geod_length(to_ll(road)), rel=1e-9)
    assert f.overlap_pct == pytest.approx(expected / geod_length(to_ll(road)) * 100, rel=1e-4)
    assert f.verdict == "prohibited"


def test_line_wholly_inside_is_inside(pack):
    line = shapely.LineString([(X0 + 1_500, Y0 + 1_500), (X0 + 2_500, Y0 + 2_000)])
    result = redline.screen(make([line]), pack)
    f = one(result, "P1", "redline")
    assert f.relation == "inside" and f.overlap_pct == pytest.approx(100)
    assert f.verdict == "restricted"


def test_near_distance_is_geodesic(pack):
    point = shapely.Point(X0 + 3_300, Y0 + 2_000)
    result = redline.screen(make([point], kind="site"), pack)
    f = one(result, "P1", "redline")
    a, b = to_ll(point), to_ll(shapely.Point(X0 + 3_000, Y0 + 2_000))
    expected = abs(redline.crs.GEOD.inv(a.x, a.y, b.x, b.y)[2])
    assert f.relation == "near"
    assert f.distance_m == pytest.approx(expected, rel=1e-5)
    # the finding geometry is the shortest line, from the project to the zone
    assert shapely.get_num_points(f.geometry) == 2


def test_buffer_limits_near(pack):
    point = shapely.Point(X0 + 3_300, Y0 + 2_000)
    result = redline.screen(make([point], kind="site"), pack, buffer_m=250)
    assert len(findings(result, "P1", "redline")) == 0
    assert result.settings.buffer_m == 250


@pytest.mark.parametrize(("strip", "relation"), [
    (0.05, "touches"),   # 0.05 m wide, 100 m²: thinner than 0.1 m
    (0.30, "overlaps"),  # 0.3 m wide: a real overlap
])
def test_thin_overlaps_are_slivers(pack, strip, relation):
    site = box(3_000 - strip, 1_000, 3_400, 3_000)
    result = redline.screen(make([site]), pack)
    f = one(result, "P1", "redline")
    assert f.relation == relation
    assert f.overlap_m2 == pytest.approx(strip * 2_000, rel=2e-3)


def test_small_area_overlap_is_a_sliver_and_tolerance_is_a_setting(pack):
    site = box(2_999.4, 1_500, 3_400, 1_501)  # 0.6 m x 1 m = 0.6 m² inside
    result = redline.screen(make([site]), pack)
    assert one(result, "P1", "redline").relation == "touches"
    strict = redline.screen(make([site]), pack, settings=Settings(sliver_m2=0.1))
    assert one(strict, "P1", "redline").relation == "overlaps"


def test_outside_urban_boundary(pack):
    site = box(6_000, 16_000, 8_000, 17_000)  # half outside the urban boundary
    result = redline.screen(make([site]), pack)
    f = one(result, "P1", "urban", "outside")
    outside = site.difference(URBAN)
    assert f.overlap_m2 == pytest.approx(geod_area(to_ll(outside)), rel=1e-4)
    assert f.overlap_pct == pytest.approx(50, rel=1e-3)
    assert f.verdict == "attention"
    inside = one(result, "P1", "urban", "overlaps")
    assert inside.overlap_pct == pytest.approx(50, rel=1e-3)
    wholly = redline.screen(make([box(3_000, 16_000, 4_000, 17_000)]), pack)
    assert len(findings(wholly, "P1", "urban").query("relation == 'outside'")) == 0


def test_admin_and_control_units(pack):
    site = box(9_000, 7_000, 11_000, 9_000)  # two towns, two control units
    result = redline.screen(make([site]), pack)
    admin = result.projects.iloc[0].admin
    assert sorted(a["code"] for a in admin) == ["350699100", "350699101"]
    doc = result.to_dict()["projects"][0]
    units = {u["code"]: u for u in doc["control_units"]}
    assert set(units) == {"ZH35069910001", "ZH35069920001"}
    assert units["ZH35069910001"]["class"] == "priority"
    assert units["ZH35069910001"]["overlap_pct"] == pytest.approx(50, rel=1e-3)


def test_outside_coverage_is_an_error_never_clear(pack):
    far = box(40_000, 5_000, 40_500, 5_500)
    straddling = box(-500, 5_000, 500, 5_500)
    result = redline.screen(make([far, straddling]), pack)
    p1, p2 = result.projects.iloc[0], result.projects.iloc[1]
    assert p1.verdict is None and "outside the coverage" in p1.errors[0]
    assert len(findings(result, "P1")) == 0
    f = one(result, "P2", "admin", "outside")
    assert f.kind == "coverage" and f.overlap_pct == pytest.approx(50, rel=1e-3)
    assert f.verdict == "attention" and p2.verdict == "attention"


def test_outfall_traced_downstream_through_a_tributary(pack):
    on_main = shapely.Point(X0 + 15_000, Y0 + 16_000)
    on_trib = shapely.Point(X0 + 18_000, Y0 + 17_000)
    result = redline.screen(make([on_main, on_trib], kind="outfall"), pack,
                            settings=Settings(upstream_m=10_000))
    main = findings(result, "P1", "water").set_index("zone_class")
    assert set(main["relation"]) == {"downstream"}
    # quasi starts at y=12 000 (4 km), level 2 at y=9 000 (7 km)
    river = lambda y1, y2: geod_length(to_ll(shapely.LineString(  # noqa: E731
        [(X0 + 15_000, Y0 + y1), (X0 + 15_000, Y0 + y2)])))
    assert main.loc["quasi", "distance_m"] == pytest.approx(river(16_000, 12_000), rel=1e-4)
    assert main.loc["level2", "distance_m"] == pytest.approx(river(16_000, 9_000), rel=1e-4)
    assert main.loc["level2", "verdict"] == "restricted"
    assert main.loc["level2", "rule"] == "water.outfall.upstream"
    trib = findings(result, "P2", "water").set_index("zone_class")
    along_trib = geod_length(to_ll(shapely.LineString([(X0 + 18_000, Y0 + 17_000),
                                                        (X0 + 15_000, Y0 + 14_000)])))
    assert trib.loc["quasi", "distance_m"] == pytest.approx(
        along_trib + river(14_000, 12_000), rel=1e-4)
    # within the default 5 km only the quasi zone of the main-stem outfall is reached
    default = redline.screen(make([on_main], kind="outfall"), pack)
    assert list(findings(default, "P1", "water")["zone_class"]) == ["quasi"]


def test_outfall_inside_level2_is_prohibited(pack):
    outfall = shapely.Point(X0 + 15_000, Y0 + 8_000)
    result = redline.screen(make([outfall], kind="outfall"), pack)
    f = one(result, "P1", "water", "inside")
    assert f.zone_class == "level2" and f.rule == "water.outfall.in_zone"
    assert result.projects.iloc[0].verdict == "prohibited"


def test_results_are_deterministic(pack):
    sites = [box(2_500, 2_400, 3_600, 3_300), shapely.Point(X0 + 15_000, Y0 + 8_000)]
    a = redline.screen(make(sites), pack).to_dict()
    b = redline.screen(make(sites), pack).to_dict()
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b


def test_layer_geometry_repairs_are_recorded(pack):
    farm = pack.layer("farmland")
    assert len(farm.zones) == 2 and farm.features_read == 2
    assert farm.repairs[0][0] == "T2"
    assert "Self-intersection" in farm.repairs[0][1]
    bowtie = farm.zones.set_index("zone_id").geometry["T2"]
    assert shapely.get_num_geometries(bowtie) == 2  # both lobes kept


def test_empty_projects_frame(pack):
    result = redline.screen(make([]), pack)
    assert len(result.projects) == 0 and len(result.findings) == 0
    assert result.to_dict()["projects"] == []


def test_findings_geometry_in_lonlat(pack):
    result = redline.screen(make([box(2_500, 2_400, 3_600, 3_300)]), pack)
    assert result.findings.crs.to_epsg() == 4490
    minx, miny, maxx, maxy = result.findings.total_bounds
    assert 116 < minx < maxx < 118 and 24 < miny < maxy < 25
    assert np.all(shapely.is_valid(result.findings.geometry.values))


def test_point_on_a_unit_boundary_belongs_to_both_units(pack):
    on_line = shapely.Point(X0 + 0, Y0 + 8_000)  # a vertex shared by the south and middle units
    result = redline.screen(make([on_line], kind="site"), pack)
    units = findings(result, "P1", "units")
    assert sorted(units["zone_id"]) == ["ZH35069910001", "ZH35069920001"]
    assert set(units["relation"]) == {"inside"}


def test_outfall_far_from_rivers_is_warned_not_traced(pack):
    far = shapely.Point(X0 + 8_000, Y0 + 5_000)  # 7 km from the river
    projects = make([far], kind="outfall")
    result = redline.screen(projects, pack)
    assert "zones downstream were not traced" in result.projects.iloc[0].warnings[0]
    assert projects.iloc[0].warnings == []  # the caller's frame is not modified


def test_edge_pieces_keep_every_vertex_and_stay_short():
    """Boundary pieces: exact vertices, ≤ PIECE_SEGMENTS segments, cut by length too."""
    from redline._edges import PIECE_LENGTH, PIECE_SEGMENTS, EdgeIndex

    square = shapely.box(0, 0, 50_000, 50_000)  # four long sides: one piece per side
    circle = shapely.Point(100_000, 0).buffer(3_000, quad_segs=256)  # 1,024 short segments
    index = EdgeIndex.build(np.array([square, circle], dtype=object))
    counts = shapely.get_num_coordinates(index.pieces) - 1
    assert counts.max() <= PIECE_SEGMENTS
    longest = {0: 50_000.0, 1: shapely.length(circle) / 1024}
    for owner, ring in ((0, square.exterior), (1, circle.exterior)):
        mine = index.pieces[index.owner == owner]
        assert np.all(shapely.length(mine) <= PIECE_LENGTH + longest[owner] + 1e-6)
        # Consecutive pieces share their end vertex; together they are the ring, exactly.
        coords = np.concatenate([shapely.get_coordinates(p)[(i > 0):] for i, p in enumerate(mine)])
        assert np.array_equal(coords, shapely.get_coordinates(ring))
    assert np.sum(index.owner == 0) == 4
    # Cut every 32 segments and wherever the distance along passes a multiple of 1 km.
    by_count, by_length = 1024 / PIECE_SEGMENTS, np.ceil(shapely.length(circle) / PIECE_LENGTH)
    assert max(by_count, by_length) <= np.sum(index.owner == 1) <= by_count + by_length
