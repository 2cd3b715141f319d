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
