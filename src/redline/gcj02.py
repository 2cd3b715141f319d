"""GCJ-02 and BD-09: the offset lon/lat of Chinese web maps, in both directions.

AMap (高德) and Tencent maps show GCJ-02, a lon/lat obfuscated by a published
closed-form offset of a few hundred metres; Baidu maps show BD-09, a second offset
on top of GCJ-02. Points picked or geocoded on those maps must be taken back to true
lon/lat before screening, and results can be moved onto them for display.

The forward formulas are the well-known public ones (an offset computed on the
Krasovsky ellipsoid from trigonometric series in lon − 105°, lat − 35°; BD-09 adds a
small rotation and scaling about the origin plus a fixed shift). Neither has a closed
inverse; :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02` invert them by fixed-point
iteration until the forward image of the answer matches the input to 1e-10 degrees
(about 0.01 mm), far inside the 0.01 m the inputs need.

WGS 84 and CGCS2000 lon/lat agree to a few centimetres, well below what the offsets
or the inputs resolve, so "true lon/lat" here is either.

All functions take and return numpy arrays (or scalars) and are vectorised.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as the
#: published GCJ-02 formulas use them.
_A = 6378245.0
_EE = 0.00669342162296594323
#: BD-09 rotation constant (π · 3000 / 180).
_X_PI = np.pi * 3000.0 / 180.0
#: The offset is applied only inside this rough box around China.
_LON_RANGE = (72.004, 137.8347)
_LAT_RANGE = (0.8293, 55.8271)

#: Convergence of the iterative inverses (degrees) and the iteration cap.
_TOLERANCE_DEG = 1e-10
_MAX_ITER = 30


def _in_offset_area(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return ((lon >= _LON_RANGE[0]) & (lon <= _LON_RANGE[1])
            & (lat >= _LAT_RANGE[0]) & (lat <= _LAT_RANGE[1]))


def _series(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two trigonometric series of the GCJ-02 offset (in metres-like units)."""
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    root = np.sqrt(np.abs(x))
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root + common
             + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root + common
             + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    return d_lon, d_lat


def wgs84_to_gcj02(lon, lat):
    """True lon/lat (WGS 84 ≈ CGCS2000) → GCJ-02 (AMap, Tencent).

    Parameters
    ----------
    lon, lat
        Degrees (arrays or scalars). Points outside China are returned unchanged.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 lon, lat.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _series(lon - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    w = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_w = np.sqrt(w)
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (w * sqrt_w) * np.pi)
    d_lon = d_lon * 180.0 / (_A / sqrt_w * np.cos(rad_lat) * np.pi)
    inside = _in_offset_area(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon, lat):
    """Solve forward(p) = (lon, lat) for p by fixed-point iteration (vectorised)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    guess_lon, guess_lat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = f_lon - lon, f_lat - lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.all(np.abs(err_lon) < _TOLERANCE_DEG) and np.all(np.abs(err_lat) < _TOLERANCE_DEG):
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → true lon/lat (WGS 84 ≈ CGCS2000), iterative, to ~1e-10 degrees."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat):
    """BD-09 → GCJ-02, iterative, to ~1e-10 degrees."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat):
    """True lon/lat → BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """BD-09 → true lon/lat (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


#: Offset systems by name: (to true lon/lat, from true lon/lat).
OFFSETS = {
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
}
OFFSET_TITLES = {"gcj02": "GCJ-02 (AMap/Tencent)", "bd09": "BD-09 (Baidu)"}


def _apply(geoms: np.ndarray, func) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms

    def move(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(func(coords[:, 0], coords[:, 1]))

    return shapely.transform(geoms, move)


def from_offset(geoms: np.ndarray, system: str) -> np.ndarray:
    """Move lon/lat geometries from an offset system (``gcj02``, ``bd09``) to true lon/lat.

    Parameters
    ----------
    geoms
        Array of shapely geometries (``None`` kept).
    system
        ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    numpy.ndarray
        The geometries in true lon/lat (CGCS2000 within a few centimetres).
    """
    return _apply(geoms, OFFSETS[system][0])


def to_offset(geoms: np.ndarray, system: str) -> np.ndarray:
    """Move CGCS2000 lon/lat geometries onto an offset map (``gcj02``, ``bd09``) for display.

    Parameters
    ----------
    geoms
        Array of shapely geometries in CGCS2000 lon/lat (``None`` kept).
    system
        ``"gcj02"`` (AMap, Tencent) or ``"bd09"`` (Baidu).

    Returns
    -------
    numpy.ndarray
    """
    return _apply(geoms, OFFSETS[system][1])
