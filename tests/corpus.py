"""Builders for the project-input corpus: real files in every format and convention.

Shapes are drawn in local metres around (X0, Y0) of the test pack (EPSG:4548, CGCS2000
3-degree CM 117°E, i.e. zone 39 without its prefix); ``ZONE39`` adds the prefix.
Expected areas come from pyproj.Geod on the lon/lat of the same shapes, never from
redline.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from conftest import X0, Y0, geod_area, to_ll

ZONE39 = 39_000_000.0
_LL = Transformer.from_crs("EPSG:4548", "EPSG:4490", always_xy=True)


def metric_to_ll(x: float, y: float) -> tuple[float, float]:
    """One EPSG:4548 point → CGCS2000 lon/lat."""
    lon, lat = _LL.transform(x, y)
    return float(lon), float(lat)


def ring(x1, y1, x2, y2):
    """Corner points (counter-clockwise) of a box in local metres, absolute EPSG:4548."""
    return [(X0 + x1, Y0 + y1), (X0 + x2, Y0 + y1), (X0 + x2, Y0 + y2), (X0 + x1, Y0 + y2)]


def expected_area(shell, holes=()) -> float:
    """Geodesic area (m²) of a polygon given in absolute EPSG:4548 coordinates."""
    return geod_area(to_ll(shapely.Polygon(shell, list(holes))))


def dms(value: float, style: str = "symbols") -> str:
    """Degrees → a DMS string in one of the styles found in reports."""
    d = int(value)
    m = int((value - d) * 60)
    s = ((value - d) * 60 - m) * 60
    if style == "symbols":
        return f"{d}°{m}′{s:.5f}″"
    if style == "spaces":
        return f"{d} {m} {s:.5f}"
    if style == "colons":
        return f"{d}:{m}:{s:.5f}"
    return f"{d}度{m}分{s:.5f}秒"


def bulged_square(size: float = 100.0) -> tuple[list, float]:
    """A square whose right edge bulges outward as a half circle (bulge 1).

    Returns the lon/lat polygon densified finely (for the expected area) and the
    planar area (for reference).
    """
    x, y = X0, Y0
    arc = [(x + size + size / 2 * math.sin(t), y + size / 2 - size / 2 * math.cos(t))
           for t in np.linspace(0, math.pi, 2001)]
    pts = [(x, y), *arc, (x, y + size)]
    return pts, size * size + math.pi * (size / 2) ** 2 / 2


# -- DXF written by hand (group code / value pairs) ---------------------------------

def _g(code, value) -> str:
    return f"{code}\n{value}\n"


def dxf_header(version: str = "AC1021", units: int = 6) -> str:
    return (_g(0, "SECTION") + _g(2, "HEADER") + _g(9, "$ACADVER") + _g(1, version)
            + _g(9, "$INSUNITS") + _g(70, units) + _g(0, "ENDSEC"))


def dxf_lwpolyline(layer, points, closed, bulges=None, handle=None) -> str:
    out = _g(0, "LWPOLYLINE")
    if handle:
        out += _g(5, handle)
    out += (_g(8, layer) + _g(100, "AcDbEntity") + _g(100, "AcDbPolyline")
            + _g(90, len(points)) + _g(70, 1 if closed else 0))
    for i, (x, y) in enumerate(points):
        out += _g(10, f"{x:.4f}") + _g(20, f"{y:.4f}")
        if bulges and bulges.get(i):
            out += _g(42, bulges[i])
    return out


def dxf_text(layer, x, y, text) -> str:
    return _g(0, "TEXT") + _g(8, layer) + _g(10, x) + _g(20, y) + _g(40, 5) + _g(1, text)


def dxf_hatch(layer, points) -> str:
    out = (_g(0, "HATCH") + _g(8, layer) + _g(100, "AcDbEntity") + _g(100, "AcDbHatch")
           + _g(10, 0) + _g(20, 0) + _g(30, 0) + _g(210, 0) + _g(220, 0) + _g(230, 1)
           + _g(2, "SOLID") + _g(70, 1) + _g(71, 0) + _g(91, 1)
           + _g(92, 2) + _g(72, 0) + _g(73, 1) + _g(93, len(points)))
    for x, y in points:
        out += _g(10, f"{x:.4f}") + _g(20, f"{y:.4f}")
    return out + _g(97, 0) + _g(75, 0) + _g(76, 1) + _g(98, 0)


def write_dxf(path: Path, entities: str, **header) -> Path:
    text = (dxf_header(**header) + _g(0, "SECTION") + _g(2, "ENTITIES") + entities
            + _g(0, "ENDSEC") + _g(0, "EOF"))
    path.write_text(text, encoding="utf-8")
    return path


def survey_txt(parcels, *, datum="2000国家大地坐标系", width=3, zone=39, prefix=True) -> str:
    """A land-survey boundary TXT; ``parcels`` = [(header fields, [(ring no, [(x, y)])])]."""
    lines = ["[属性描述]", "格式版本号=1.01版本", "数据产生单位=测试测绘院", "数据产生日期=2026-11-20",
             f"坐标系={datum}", f"几度分带={width}", "投影类型=高斯克吕格", "计量单位=米",
             f"带号={zone}", "精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    for header, rings in parcels:
        count = sum(len(pts) + 1 for _, pts in rings)
        lines.append(",".join([str(count), *header]) + ",@")
        k = 1
        for ring_no, pts in rings:
            labels = [f"J{k + j}" for j in range(len(pts))]
            for label, (x, y) in zip(labels + labels[:1], [*pts, pts[0]], strict=True):
                east = x + (ZONE39 if prefix else 0)
                lines.append(f"{label},{ring_no},{y:.3f},{east:.3f}")
            k += len(pts)
    return "\n".join(lines) + "\n"
