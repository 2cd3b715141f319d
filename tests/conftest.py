"""Fixtures: a small synthetic layer pack written as real files, and project builders.

The layout is drawn in metres in EPSG:4548 (CGCS2000 3-degree Gauss-Krüger, CM 117°E)
around (480 000, 2 700 000), i.e. about 116.80°E 24.40°N, so expected relations can be
read off the coordinates. Files are written with pyogrio in several formats and CRSs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.geometry
from pyproj import Geod, Transformer

X0, Y0 = 480_000.0, 2_700_000.0
METRIC = "EPSG:4548"
GEOD = Geod(ellps="GRS80")
_TO_LL = Transformer.from_crs(METRIC, "EPSG:4490", always_xy=True)


def box(x1, y1, x2, y2):
    """A box in local metres (offsets from X0, Y0)."""
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def to_ll(geom):
    """Metric (EPSG:4548) geometry → CGCS2000 lon/lat."""
    return shapely.transform(geom, lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])))


def geod_area(geom_ll) -> float:
    """Independent geodesic area (m²) of a lon/lat geometry with pyproj.Geod."""
    # Geod sums signed ring areas: orient shells counter-clockwise and holes clockwise.
    return abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(geom_ll, 1.0)
                                            if geom_ll.geom_type == "Polygon" else geom_ll)[0])


def geod_length(geom_ll) -> float:
    """Independent geodesic length (m) of a lon/lat line."""
    return GEOD.geometry_length(geom_ll)


LEVEL1 = box(14_880, 5_900, 15_120, 7_000)
LEVEL2_OUTER = box(14_000, 5_700, 16_000, 9_000)
QUASI_OUTER = box(13_500, 5_500, 16_500, 12_000)
RESERVE_CORE = box(5_000, 1_000, 6_000, 2_000)
RESERVE_BUFFER_OUTER = box(4_500, 500, 6_500, 2_500)
RESERVE_EXP_OUTER = box(4_000, 200, 7_000, 3_000)
REDLINE = box(1_000, 1_000, 3_000, 3_000)
FARMLAND = box(8_000, 10_000, 9_000, 11_000)
URBAN = box(2_000, 15_000, 7_000, 19_000)
COUNTY = box(0, 0, 20_000, 20_000)


def _frame(records, geoms, crs=METRIC):
    return gpd.GeoDataFrame(records, geometry=list(geoms), crs=crs)


def write_pack(folder: Path, *, catalog_extra: str = "", layers_extra: str = "") -> Path:
    """Write the synthetic pack into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    # admin (projected, GeoPackage layer xzq) and control units (lon/lat, layer dy)
    admin = _frame({"XZQDM": ["350699100", "350699101"], "XZQMC": ["西镇", "东镇"]},
                   [box(0, 0, 10_000, 20_000), box(10_000, 0, 20_000, 20_000)])
    admin.to_file(folder / "base.gpkg", layer="xzq", driver="GPKG")
    units = _frame({"HJZHGKDYBM": ["ZH35069910001", "ZH35069920001", "ZH35069930001"],
                    "HJZHGKDYMC": ["南部优先保护单元", "中部重点管控单元", "北部一般管控单元"],
                    "ZHGKDYFL": ["1", "2", "3"]},
                   [box(0, 0, 20_000, 8_000), box(0, 8_000, 20_000, 14_000),
                    box(0, 14_000, 20_000, 20_000)]).to_crs(4490)
    units.to_file(folder / "base.gpkg", layer="dy", driver="GPKG")
    # red line: GBK shapefile without .cpg, lon/lat
    red = _frame({"BSM": ["HX001"], "HXMC": ["南山水源涵养红线"]}, [REDLINE]).to_crs(4490)
    red.to_file(folder / "redline.shp", encoding="GBK", engine="pyogrio")
    (folder / "redline.cpg").unlink(missing_ok=True)
    # water-source zones (GeoJSON, lon/lat)
    water = _frame({"BHQMC": ["一级区", "二级区", "准保护区"],
                    "BHQJB": ["一级保护区", "二级保护区", "准保护区"]},
                   [LEVEL1, LEVEL2_OUTER - LEVEL1, QUASI_OUTER - LEVEL2_OUTER]).to_crs(4490)
    water.to_file(folder / "water.geojson", driver="GeoJSON")
    reserve = _frame({"BHDMC": ["保护区"] * 3, "GNFQ": ["核心区", "缓冲区", "实验区"]},
                     [RESERVE_CORE, RESERVE_BUFFER_OUTER - RESERVE_CORE,
                      RESERVE_EXP_OUTER - RESERVE_BUFFER_OUTER]).to_crs(4490)
    reserve.to_file(folder / "reserve.geojson", driver="GeoJSON")
    # farmland: zipped projected shapefile, one valid patch and one bow-tie
    bowtie = shapely.Polygon([(X0 + 8_000, Y0 + 12_000), (X0 + 9_000, Y0 + 13_000),
                              (X0 + 9_000, Y0 + 12_000), (X0 + 8_000, Y0 + 13_000)])
    farm = _frame({"TBBH": ["T1", "T2"], "DLMC": ["水田", "旱地"]}, [FARMLAND, bowtie])
    shp_dir = folder / "_farm"
    shp_dir.mkdir(exist_ok=True)
    farm.to_file(shp_dir / "farmland.shp", encoding="UTF-8", engine="pyogrio")
    with zipfile.ZipFile(folder / "farmland.zip", "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    for part in shp_dir.iterdir():
        part.unlink()
    shp_dir.rmdir()
    urban = _frame({"BJMC": ["城区"]}, [URBAN]).to_crs(4490)
    urban.to_file(folder / "urban.geojson", driver="GeoJSON")
    # river digitised downstream (north → south), split at y=12 000; a tributary that
    # ends on the middle of the upper segment
    river = _frame({"HLBM": ["R1", "R2", "T1"], "HLMC": ["主河上段", "主河下段", "支流"]},
                   [shapely.LineString([(X0 + 15_000, Y0 + 20_000), (X0 + 15_000, Y0 + 12_000)]),
                    shapely.LineString([(X0 + 15_000, Y0 + 12_000), (X0 + 15_000, Y0 + 0)]),
                    shapely.LineString([(X0 + 19_000, Y0 + 18_000), (X0 + 15_000, Y0 + 14_000)])]
                   ).to_crs(4490)
    river.to_file(folder / "river.geojson", driver="GeoJSON")
    intake = _frame({"QSKMC": ["取水口"]}, [shapely.Point(X0 + 15_000, Y0 + 6_000)]).to_crs(4490)
    intake.to_file(folder / "intake.geojson", driver="GeoJSON")

    (folder / "catalog.toml").write_text(f'''
[pack]
id = "synthetic"
title = "测试图层包"
version = "1.0"
crs = "EPSG:4490"
{catalog_extra}

[[layers]]
id = "admin"
kind = "admin"
title = "行政区划"
path = "base.gpkg"
layer = "xzq"
id_field = "XZQDM"
name_field = "XZQMC"
code_field = "XZQDM"

[[layers]]
id = "units"
kind = "control_unit"
title = "环境管控单元"
path = "base.gpkg"
layer = "dy"
id_field = "HJZHGKDYBM"
code_field = "HJZHGKDYBM"
name_field = "HJZHGKDYMC"
class_field = "ZHGKDYFL"

[[layers]]
id = "redline"
kind = "ecological_redline"
title = "生态保护红线"
path = "redline.shp"
encoding = "GBK"
id_field = "BSM"
name_field = "HXMC"

[[layers]]
id = "water"
kind = "water_source"
title = "饮用水水源保护区"
path = "water.geojson"
name_field = "BHQMC"
class_field = "BHQJB"
[layers.classes]
"一级保护区" = "level1"
"二级保护区" = "level2"
"准保护区" = "quasi"

[[layers]]
id = "reserve"
kind = "nature_reserve"
title = "自然保护地"
path = "reserve.geojson"
name_field = "BHDMC"
class_field = "GNFQ"

[[layers]]
id = "farmland"
kind = "basic_farmland"
title = "永久基本农田"
path = "farmland.zip"
id_field = "TBBH"

[[layers]]
id = "urban"
kind = "urban_boundary"
title = "城镇开发边界"
path = "urban.geojson"
name_field = "BJMC"

[[layers]]
id = "river"
kind = "river"
title = "河流"
path = "river.geojson"
id_field = "HLBM"
name_field = "HLMC"

[[layers]]
id = "intake"
kind = "intake"
title = "取水口"
path = "intake.geojson"
name_field = "QSKMC"
{layers_extra}
''', encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def pack_dir(tmp_path_factory) -> Path:
    """Folder of the synthetic pack (written once per session; do not modify)."""
    return write_pack(tmp_path_factory.mktemp("pack") / "synthetic")


@pytest.fixture(scope="session")
def pack(pack_dir):
    """The synthetic pack, loaded."""
    import redline

    return redline.load_pack(pack_dir)


def make(geoms_metric, *, kind=None, industry=None, types=(), ids=None, names=None):
    """A projects frame from metric geometries (EPSG:4548), through the public builder."""
    from redline.projects import kind_for, make_projects

    geoms = np.array([to_ll(g) for g in geoms_metric], dtype=object)
    n = len(geoms)
    kinds = kind_for(geoms) if kind is None else [kind] * n
    return make_projects(
        geoms, project_id=ids or [f"P{i + 1}" for i in range(n)], name=names or [None] * n,
        kind=list(kinds), source=["test"] * n, crs_in=["EPSG:4490"] * n,
        industry=[industry] * n, project_types=[list(types)] * n)


def write_projects(path: Path, geoms_metric, crs=METRIC, **fields) -> Path:
    """Write metric geometries to a vector file (reprojected to ``crs``)."""
    frame = gpd.GeoDataFrame(fields or {"XMMC": [f"项目{i}" for i in range(len(geoms_metric))]},
                             geometry=list(geoms_metric), crs=METRIC)
    if crs is not None:
        frame = frame.to_crs(crs)
    frame.to_file(path, engine="pyogrio")
    return path
