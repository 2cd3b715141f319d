"""CRS helpers and geometry normalisation, against independent computations."""

import numpy as np
import pytest
import shapely

from conftest import GEOD, box, geod_area, geod_length, to_ll
from redline.crs import Projector, equal_area_crs, geodesic_length, parse_crs
from redline.errors import InputError
from redline.geometry import POLYGON, normalise


@pytest.mark.parametrize("bounds", [(116.7, 24.3, 117.0, 24.6), (73.0, 18.0, 135.0, 53.0)])
def test_equal_area_matches_geodesic_area(bounds):
    projector = Projector(equal_area_crs(bounds))
    rng = np.random.default_rng(1)
    for _ in range(20):
        cx, cy = rng.uniform(116.7, 117.0), rng.uniform(24.3, 24.6)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
        radius = rng.uniform(50, 3000) / 111_000
        poly = shapely.Polygon(np.column_stack([cx + radius * np.cos(angles),
                                                cy + radius * np.sin(angles)]))
        planar = shapely.area(projector.to_metric(np.array([poly]))[0])
        assert planar == pytest.approx(geod_area(poly), rel=1e-4)


def test_geodesic_length_matches_pyproj():
    line = to_ll(shapely.LineString([(480_000, 2_700_000), (483_000, 2_704_000),
                                     (490_000, 2_701_000)]))
    multi = shapely.MultiLineString([line, to_ll(box(0, 0, 100, 100)).exterior])
    got = geodesic_length(np.array([line, multi, shapely.Point(117, 24)]))
    assert got[0] == pytest.approx(geod_length(line), rel=1e-9)
    assert got[1] == pytest.approx(geod_length(line) + GEOD.geometry_length(
        to_ll(box(0, 0, 100, 100)).exterior), rel=1e-9)
    assert got[2] == 0


def test_parse_crs_names_and_errors():
    assert parse_crs("cgcs2000").to_epsg() == 4490
    assert parse_crs("4527").to_epsg() == 4527
    assert parse_crs("EPSG:4548").to_epsg() == 4548
    with pytest.raises(InputError, match="unknown CRS 'nonsense'"):
        parse_crs("nonsense")


def test_bowtie_keeps_both_lobes_and_is_recorded():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    fixed = normalise(np.array([bowtie]), POLYGON)
    assert shapely.area(fixed.geoms[0]) == pytest.approx(2.0)
    assert shapely.get_num_geometries(fixed.geoms[0]) == 2
    assert "Self-intersection" in fixed.notes[0][0]
    assert "make_valid" in fixed.notes[0][0]


def test_duplicate_vertices_found_wherever_geos_removes_them():
    # normalise asks GEOS only about geometries with a vertex equal to the next one
    square = [(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)]
    hole = [(1, 1), (2, 1), (2, 2), (1, 1)]
    geoms = np.array([
        shapely.Polygon(square),
        shapely.Polygon(square, [[(1, 1), (2, 1), (2, 1), (2, 2), (1, 1)]]),  # in the hole
        shapely.MultiPolygon([shapely.Polygon(square),
                              shapely.Polygon([(5, 5), (6, 5), (6, 6), (6, 6), (5, 5)])]),
        shapely.Polygon(square, [hole]),
        shapely.LineString([(0, 0), (1, 1), (1, 1), (2, 0)]),
        shapely.MultiPoint([(0, 0), (1, 1), (0, 0)]),
    ], dtype=object)
    with np.errstate(invalid="ignore"):  # GEOS drops non-finite vertices too
        nan_line = shapely.linestrings([(0, 0), (np.nan, 1), (3, 1), (2, 0)])
    geoms = np.append(geoms, nan_line)
    expected = shapely.remove_repeated_points(geoms, 0.0)
    removed = shapely.get_num_coordinates(geoms) - shapely.get_num_coordinates(expected)
    fixed = normalise(geoms)
    for i in range(len(geoms)):
        assert [n for n in fixed.notes[i] if "duplicate" in n] == (
            [f"{removed[i]} duplicate vert{'ex' if removed[i] == 1 else 'ices'} removed"]
            if removed[i] else [])
    assert shapely.equals_exact(fixed.geoms[:4], expected[:4]).all()


def test_normalise_drops_z_collapsed_and_foreign_parts():
    geoms = np.array([
        shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)]),
        shapely.Polygon([(0, 0), (1, 0), (1, 0), (0, 0)]),
        shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (3, 3)])]),
        None,
    ], dtype=object)
    fixed = normalise(geoms, POLYGON)
    assert not shapely.has_z(fixed.geoms[0])
    assert fixed.notes[0] == ["Z coordinates dropped"]
    assert fixed.geoms[1] is None and "dropped" in fixed.notes[1][-1]
    assert fixed.geoms[2].equals(shapely.box(0, 0, 1, 1))
    assert fixed.notes[2] == ["parts other than polygons dropped"]
    assert fixed.geoms[3] is None and fixed.notes[3] == ["empty geometry"]
