"""CRS facts for China and the two projections the engine measures in.

Everything is stored in CGCS2000 geographic coordinates (EPSG:4490). Areas are
measured in one ellipsoidal Albers equal-area projection per pack (exactly
equal-area on the GRS80 ellipsoid, so a planar area there is the ellipsoidal area);
lengths and distances are measured geodesically on the same ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion
from pyproj.exceptions import CRSError

from .errors import InputError

CGCS2000 = CRS.from_epsg(4490)
#: The CGCS2000 ellipsoid is GRS80 to within 0.1 mm of semi-minor axis.
GEOD = Geod(ellps="GRS80")

#: Rough extent of China's territory, for sanity checks of geographic coordinates.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

#: Friendly names accepted wherever a CRS is asked for.
CRS_NAMES: dict[str, int] = {
    "cgcs2000": 4490,
    "wgs84": 4326,
    "xian80": 4610,
    "beijing54": 4214,
}


def parse_crs(text: str | int | CRS, *, what: str = "--crs") -> CRS:
    """Parse a CRS given as a name, an EPSG code, WKT or a PROJ string.

    Parameters
    ----------
    text
        ``"EPSG:4527"``, ``4527``, ``"cgcs2000"``, WKT or a PROJ string.
    what
        How to name the value in an error message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    InputError
        When the text names no CRS that PROJ knows.
    """
    if isinstance(text, CRS):
        return text
    value = str(text).strip()
    key = value.lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in CRS_NAMES:
        return CRS.from_epsg(CRS_NAMES[key])
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except CRSError:
        names = ", ".join(sorted(CRS_NAMES))
        raise InputError(
            f"{what}: unknown CRS {value!r} (give an EPSG code such as EPSG:4527, WKT, "
            f"a PROJ string, or one of {names})"
        ) from None


def crs_label(crs: CRS | None) -> str | None:
    """Return ``EPSG:nnnn`` when the CRS has an EPSG code, else its name."""
    if crs is None:
        return None
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def equal_area_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Return an Albers equal-area CRS on the CGCS2000 datum fitted to lon/lat bounds.

    The standard parallels sit at 1/6 and 5/6 of the latitude range, which keeps
    the scale error of distances small inside the extent; areas are exact anywhere
    (the projection is equal-area on the ellipsoid). Built on the CGCS2000 datum
    itself so that projecting involves no datum shift.
    """
    minx, miny, maxx, maxy = bounds
    span = max(maxy - miny, 0.2)
    mid = (miny + maxy) / 2
    conversion = AlbersEqualAreaConversion(
        latitude_first_parallel=round(mid - span / 3, 6),
        latitude_second_parallel=round(mid + span / 3, 6),
        latitude_false_origin=round(mid, 6),
        longitude_false_origin=round((minx + maxx) / 2, 6),
    )
    return ProjectedCRS(conversion=conversion, geodetic_crs=CGCS2000,
                        name="redline equal-area (Albers, CGCS2000)")


@dataclass(frozen=True)
class Projector:
    """Moves geometry arrays between CGCS2000 lon/lat and one equal-area CRS.

    Parameters
    ----------
    equal_area
        The equal-area CRS (see :func:`equal_area_crs`).
    """

    equal_area: CRS

    @cached_property
    def _forward(self) -> Transformer:
        return Transformer.from_crs(CGCS2000, self.equal_area, always_xy=True)

    @cached_property
    def _inverse(self) -> Transformer:
        return Transformer.from_crs(self.equal_area, CGCS2000, always_xy=True)

    def to_metric(self, geoms: np.ndarray) -> np.ndarray:
        """Project lon/lat geometries (array) to the equal-area CRS."""
        return _transform(geoms, self._forward)

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        """Project equal-area geometries (array) back to CGCS2000 lon/lat."""
        return _transform(geoms, self._inverse)

    def points_to_lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project an (n, 2) array of equal-area coordinates to lon, lat arrays."""
        return self._inverse.transform(xy[:, 0], xy[:, 1])


def reproject(geoms: np.ndarray, src: CRS, dst: CRS) -> np.ndarray:
    """Reproject a geometry array (``None`` entries kept) from ``src`` to ``dst``."""
    geoms = np.asarray(geoms, dtype=object)
    if src.equals(dst) or geoms.size == 0:
        return geoms
    return _transform(geoms, Transformer.from_crs(src, dst, always_xy=True))


def _transform(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms

    def func(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, func)


def geodesic_length(geoms: np.ndarray) -> np.ndarray:
    """Geodesic length (m) on the GRS80 ellipsoid of lon/lat geometries.

    Lines are measured along their vertices; polygons along their rings (the
    perimeter); points have length 0. Vectorised: one call to ``Geod.inv`` over
    every segment of every geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    lines = shapely.boundary(geoms)
    lines = np.where(shapely.get_dimensions(geoms) == 2, lines, geoms)
    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same_part = coord_part[1:] == coord_part[:-1]
    _, _, seg = GEOD.inv(coords[:-1, 0][same_part], coords[:-1, 1][same_part],
                         coords[1:, 0][same_part], coords[1:, 1][same_part])
    seg_owner = part_owner[coord_part[1:][same_part]]
    np.add.at(out, seg_owner, seg)
    return out


def geodesic_distance(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                      lat2: np.ndarray) -> np.ndarray:
    """Geodesic distance (m) between pairs of lon/lat points on the GRS80 ellipsoid."""
    if len(lon1) == 0:
        return np.zeros(0)
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=float)


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where lon/lat fall in China's rough extent (a sanity check, not a border)."""
    return (
        (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])
    )
