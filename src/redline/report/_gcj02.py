"""CGCS2000 / WGS 84 lon/lat → GCJ-02 (the offset datum of AMap and Tencent tiles).

GCJ-02 is not a datum that PROJ knows: it is a published obfuscation formula that
shifts coordinates inside China by a few hundred metres. Tiles from AMap are drawn in
it, so overlays must be shifted the same way to line up with them. The formula is
applied to WGS 84 coordinates; CGCS2000 differs from WGS 84 by centimetres, far below
what a web map shows, so CGCS2000 lon/lat are treated as WGS 84 here.

Outside a rough rectangle around China the formula is not applied (AMap draws the
rest of the world unshifted). The inverse is computed by fixed-point iteration.

This module is self-contained so it can be merged into :mod:`redline.crs` later.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Semi-major axis and squared eccentricity of the Krasovsky 1940 ellipsoid the formula uses.
_A = 6378245.0
_EE = 0.00669342162296594323
#: Where the offset is applied (lon_min, lat_min, lon_max, lat_max).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS 84 ``lon``, ``lat`` (inside China)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    # Both series share the same periodic terms in x; the rest is a low-order polynomial.
    wave_x = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * np.sqrt(np.abs(x)) + wave_x
             + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
             + 0.1 * np.sqrt(np.abs(x)) + wave_x
             + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    # Turn the series (metres-like units) into degrees on the Krasovsky ellipsoid.
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    return d_lon, d_lat


def in_china(lon, lat) -> np.ndarray:
    """True where the GCJ-02 offset applies."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x0, y0, x1, y1 = CHINA_BOX
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 / CGCS2000 lon/lat (degrees) → GCJ-02 lon/lat.

    Parameters
    ----------
    lon, lat
        Scalars or arrays of the same shape.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude; points outside China are returned unchanged.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d_lon, d_lat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def from_gcj02(lon, lat, *, tol: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat → WGS 84 / CGCS2000 lon/lat, by fixed-point iteration.

    The offset changes slowly with position, so ``p ← p - (f(p) - target)``
    converges to well below a millimetre in a few steps.

    Parameters
    ----------
    lon, lat
        GCJ-02 coordinates (degrees).
    tol
        Stop when every point moves less than this (degrees).
    max_iter
        Upper bound on the number of iterations.
    """
    target_lon, target_lat = np.asarray(lon, float), np.asarray(lat, float)
    cur_lon, cur_lat = target_lon.copy(), target_lat.copy()
    for _ in range(max_iter):
        fwd_lon, fwd_lat = to_gcj02(cur_lon, cur_lat)
        step_lon, step_lat = fwd_lon - target_lon, fwd_lat - target_lat
        cur_lon, cur_lat = cur_lon - step_lon, cur_lat - step_lat
        if max(np.max(np.abs(step_lon), initial=0.0), np.max(np.abs(step_lat), initial=0.0)) < tol:
            break
    return cur_lon, cur_lat


def geometries_to_gcj02(geoms) -> np.ndarray:
    """Shift an array of lon/lat shapely geometries into GCJ-02 (vectorised)."""
    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), shift)
