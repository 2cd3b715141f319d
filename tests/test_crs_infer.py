"""Choosing the CRS of project coordinates: given, declared, inferred, refused."""

import numpy as np
import pytest
from pyproj import CRS

from corpus import ZONE39, metric_to_ll, ring
from redline.errors import InputError
from redline.io.crs_infer import (
    CrsHints,
    decide_crs,
    gk_crs,
    hints_from_text,
    parse_input_crs,
)

PACK_AREA = (116.70, 24.30, 117.00, 24.60)
METRIC = np.array(ring(0, 0, 300, 200))  # EPSG:4548 numbers: zone 39 without the prefix
SHIFT39 = np.array([ZONE39, 0.0])


@pytest.mark.parametrize(("datum", "width", "zone", "prefixed", "code"), [
    ("cgcs2000", 3, 39, True, 4527), ("cgcs2000", 3, 39, False, 4548),
    ("cgcs2000", 6, 20, True, 4498), ("cgcs2000", 6, 20, False, 4509),
    ("xian80", 3, 39, True, 2363), ("xian80", 3, 39, False, 2384),
    ("beijing54", 3, 39, True, 2415), ("beijing54", 6, 20, True, 21420),
])
def test_gauss_kruger_codes_match_their_parameters(datum, width, zone, prefixed, code):
    crs = gk_crs(datum, width, zone, prefixed=prefixed)
    assert crs.to_epsg() == code
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    cm = zone * 3 if width == 3 else zone * 6 - 3
    assert params["Longitude of natural origin"] == cm
    assert params["False easting"] == (zone * 1e6 + 5e5 if prefixed else 5e5)


def test_parse_input_crs_names_pipelines_and_errors():
    assert parse_input_crs("cgcs2000").crs.to_epsg() == 4490
    assert parse_input_crs("WGS84").crs.to_epsg() == 4326
    assert parse_input_crs("xian80").crs.to_epsg() == 4610
    assert parse_input_crs("beijing54").crs.to_epsg() == 4214
    gcj = parse_input_crs("gcj02")
    assert gcj.offset == "gcj02" and gcj.label == "GCJ-02"
    assert parse_input_crs("BD-09").label == "BD-09"
    assert parse_input_crs("4527").label == "EPSG:4527"
    pipe = parse_input_crs("+proj=pipeline +step +inv +proj=tmerc +lon_0=117 +x_0=500000 "
                           "+ellps=krass")
    assert pipe.pipeline and pipe.label == "PROJ pipeline"
    with pytest.raises(InputError, match=r"--crs: unknown CRS 'nonsense'.*gcj02"):
        parse_input_crs("nonsense")
    with pytest.raises(InputError, match="--crs: PROJ cannot build the pipeline"):
        parse_input_crs("+proj=pipeline +step +proj=nosuch")


def test_lonlat_in_china_is_cgcs2000_with_a_warning():
    lonlat = np.array([metric_to_ll(x, y) for x, y in METRIC])
    decision = decide_crs(lonlat, name="a.geojson")
    assert decision.source.label == "EPSG:4490" and not decision.swap
    assert decision.warnings == ["a.geojson declares no CRS; lon/lat in China assumed to be "
                                 "CGCS2000 (EPSG:4490)"]
    swapped = decide_crs(lonlat[:, ::-1], name="a.csv")
    assert swapped.swap and "latitude/longitude order; swapped" in swapped.warnings[1]


def test_zone_prefix_names_the_zone_and_the_assumed_datum():
    prefixed = METRIC + SHIFT39
    decision = decide_crs(prefixed, name="site.shp")
    assert decision.source.label == "EPSG:4527" and not decision.swap
    assert decision.warnings == [
        "site.shp declares no CRS; eastings carry the zone prefix 39: 3-degree Gauss-Krüger "
        "zone 39 (CM 117°E), EPSG:4527; the datum cannot be told from the numbers: CGCS2000 "
        "assumed"]
    six = decide_crs(np.column_stack([20_500_000 + METRIC[:, 0] - 480_000, METRIC[:, 1]]),
                     name="six.shp")
    assert six.source.label == "EPSG:4498"
    # X/Y exchanged (northing in the easting column): detected and swapped back
    back = decide_crs(prefixed[:, ::-1], name="t.csv")
    assert back.swap and back.source.label == "EPSG:4527"
    assert "X and Y are swapped" in back.warnings[1]


def test_stated_datum_and_zone_are_used():
    hints = hints_from_text("坐标系:1980西安坐标系 3度分带 中央子午线 117")
    assert hints == CrsHints(datum="xian80", width=3, zone=None, cm=117.0)
    decision = decide_crs(METRIC, name="t.csv", hints=hints)
    assert decision.source.label == "EPSG:2384"
    assert "placed in 3-degree zone 39 (CM 117°E) as the file states" in decision.warnings[0]
    assert "no official Xian 1980 → CGCS2000 parameters" in decision.warnings[1]
    assert "+towgs84" in decision.warnings[1] and "--crs" in decision.warnings[1]


def test_unprefixed_metres_are_refused_naming_the_meridians():
    with pytest.raises(InputError) as info:
        decide_crs(METRIC, name="site.dxf", region=PACK_AREA)
    message = str(info.value)
    assert message.startswith("site.dxf: coordinates look like Gauss-Krüger metres without a "
                              "zone prefix (easting 480,000–480,300")
    assert "the pack covers 116.70–117.00°E; the points fall inside it with --crs EPSG:4548 " \
           "(CGCS2000 3-degree CM 117°E) or --crs EPSG:4509 (CGCS2000 6-degree CM 117°E)" in message
    assert "\n" not in message
    with pytest.raises(InputError, match="EPSG:4534–4554"):
        decide_crs(METRIC, name="site.dxf")


def test_datum_only_crs_with_projected_numbers_infers_the_zone():
    decision = decide_crs(METRIC + SHIFT39, name="a.shp", given=parse_input_crs("xian80"))
    assert decision.source.label == "EPSG:2363"
    assert "--crs names only a datum" in decision.warnings[0]
    assert "Xian 1980" in decision.warnings[1]


def test_declared_crs_wins_and_swaps_are_fixed():
    lonlat = np.array([metric_to_ll(x, y) for x, y in METRIC])
    decision = decide_crs(lonlat[:, ::-1], name="a.geojson", declared=CRS.from_epsg(4326))
    assert decision.swap and decision.source.how == "declared"
    given = decide_crs(lonlat, name="a.gpkg", declared=CRS.from_epsg(4326),
                       given=parse_input_crs("gcj02"))
    assert given.source.label == "GCJ-02"
    assert given.warnings[0] == "a.gpkg declares EPSG:4326; using GCJ-02 as given by --crs"
    assert "converted to CGCS2000" in given.warnings[1]


def test_numbers_that_fit_nothing_are_refused():
    with pytest.raises(InputError, match="neither lon/lat in China"):
        decide_crs(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 1.0]]), name="x.csv")
    with pytest.raises(InputError, match="look like millimetres"):
        decide_crs((METRIC + SHIFT39) * 1000, name="mm.dxf")
    with pytest.raises(InputError, match=r"different zone prefixes \(38 and 39\)"):
        decide_crs(np.vstack([METRIC + SHIFT39, METRIC + SHIFT39 - np.array([1e6, 0])]), name="m.shp")
