"""Decide the CRS of project coordinates: given, declared, or inferred from the numbers.

Order (DOMAIN §4): a CRS given by the user (``--crs``) wins, then one the file
declares (``.prj``, GeoPackage, a survey header), then inference from the numbers —
lon/lat inside China → CGCS2000 geographic; an easting with a two-digit zone prefix →
the Gauss–Krüger zone it names (3° zones 25–45, 6° zones 13–23) on CGCS2000 unless a
header names the datum; unprefixed projected metres → refused, naming the likely
central meridians and the ``--crs`` to pass. Every assumption becomes a warning.

Besides PROJ's CRSs the user may name the offset systems of Chinese web maps
(``gcj02``, ``bd09``, see :mod:`redline.gcj02`) or give a PROJ pipeline that takes
the coordinates to CGCS2000 lon/lat in degrees (for local Xian 1980 / Beijing 1954
parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from ..crs import CGCS2000, CHINA_LAT, CHINA_LON, CRS_NAMES, crs_label, in_china, parse_crs
from ..errors import InputError
from ..gcj02 import OFFSET_TITLES, OFFSETS

#: EPSG codes of Gauss–Krüger CRSs per datum: (6° zone 13, 6° CM 75°E, 3° zone 25, 3° CM 75°E);
#: the codes of a family are consecutive (DOMAIN §4).
GK_EPSG = {
    "cgcs2000": (4491, 4502, 4513, 4534),
    "xian80": (2327, 2338, 2349, 2370),
    "beijing54": (21413, 21453, 2401, 2422),
}
DATUM_TITLES = {"cgcs2000": "CGCS2000", "xian80": "Xian 1980", "beijing54": "Beijing 1954",
                "wgs84": "WGS 84"}
#: Datums that reach CGCS2000 only with local parameters that redline does not ship.
LOCAL_DATUMS = ("xian80", "beijing54")

_SIX_ZONES = range(13, 24)
_THREE_ZONES = range(25, 46)
#: Plausible Gauss–Krüger numbers in China: the easting within a zone (false easting
#: 500 km ± the half-width of a 6° zone at 18°N) and the northing (3°N–54°N).
_EASTING_IN_ZONE = (150_000.0, 850_000.0)
_NORTHING = (300_000.0, 6_100_000.0)
#: At most this many coordinates are tested when inferring (evenly sampled).
_SAMPLE = 50_000


@dataclass(frozen=True)
class SourceCRS:
    """What the input coordinates are, and how to take them to CGCS2000 lon/lat.

    Attributes
    ----------
    crs
        The CRS of the numbers (for an offset system, WGS 84 lon/lat); ``None`` for a
        pipeline.
    offset
        ``"gcj02"`` or ``"bd09"`` when the lon/lat are offset web-map coordinates.
    pipeline
        A PROJ pipeline string that maps the coordinates to CGCS2000 lon/lat degrees.
    how
        ``given``, ``declared`` or ``inferred``.
    """

    crs: CRS | None
    offset: str | None = None
    pipeline: str | None = None
    how: str = "given"

    @property
    def label(self) -> str:
        """``EPSG:nnnn``, ``GCJ-02``, ``BD-09`` or ``PROJ pipeline``."""
        if self.pipeline:
            return "PROJ pipeline"
        if self.offset:
            return {"gcj02": "GCJ-02", "bd09": "BD-09"}[self.offset]
        return crs_label(self.crs) or "unknown"

    @property
    def datum(self) -> str | None:
        """Short datum key (``cgcs2000``, ``xian80``, ``beijing54``, ``wgs84``) or ``None``."""
        return datum_of(self.crs) if self.crs is not None and not self.offset else None


@dataclass(frozen=True)
class CrsHints:
    """Partial CRS facts stated in a file's text (a survey header, a table's title rows)."""

    datum: str | None = None
    width: int | None = None
    zone: int | None = None
    cm: float | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.datum, self.width, self.zone, self.cm))


@dataclass
class Decision:
    """The CRS chosen for a file, whether X/Y must be swapped, and what was assumed."""

    source: SourceCRS
    swap: bool = False
    warnings: list[str] = field(default_factory=list)


def parse_input_crs(value: str | int | CRS | SourceCRS | None) -> SourceCRS | None:
    """Parse ``--crs``: an EPSG code, WKT, a PROJ string or pipeline, or a name.

    Names: ``cgcs2000``, ``wgs84``, ``gcj02``, ``bd09``, ``xian80``, ``beijing54``.

    Raises
    ------
    InputError
        When the value names nothing PROJ or redline knows.
    """
    if value is None or isinstance(value, SourceCRS):
        return value
    if isinstance(value, CRS):
        return SourceCRS(value)
    text = str(value).strip()
    key = text.lower().replace("-", "").replace("_", "").replace(" ", "")
    if key in OFFSETS:
        return SourceCRS(CRS.from_epsg(4326), offset=key)
    if re.match(r"^\+?proj=pipeline\b", text):
        try:
            Transformer.from_pipeline(text)
        except ProjError as exc:
            raise InputError(f"--crs: PROJ cannot build the pipeline ({str(exc).splitlines()[0]})"
                             ) from None
        return SourceCRS(None, pipeline=text)
    try:
        return SourceCRS(parse_crs(text))
    except InputError:
        names = ", ".join(sorted([*CRS_NAMES, *OFFSETS]))
        raise InputError(
            f"--crs: unknown CRS {text!r} (give an EPSG code such as EPSG:4527, WKT, a PROJ "
            f"string or pipeline, or one of {names})") from None


def datum_of(crs: CRS | None) -> str | None:
    """The datum of a CRS as a short key, or ``None`` when it is none of the Chinese four."""
    if crs is None:
        return None
    geodetic = crs.geodetic_crs or crs
    name = (geodetic.datum.name if geodetic.datum is not None else geodetic.name).lower()
    if "xian" in name or "xi'an" in name:
        return "xian80"
    if "beijing" in name:
        return "beijing54"
    if ("china" in name and "2000" in name) or "cgcs" in name:
        return "cgcs2000"
    if ("wgs" in name and "84" in name) or "world geodetic system 1984" in name:
        return "wgs84"
    return None


def gk_crs(datum: str, width: int, zone: int, *, prefixed: bool) -> CRS:
    """The Gauss–Krüger CRS of a datum, zone width (3 or 6) and zone number.

    ``prefixed`` chooses the variant whose false easting carries the zone number
    (``zone × 10⁶ + 500 000``) rather than the plain 500 000 m one.
    """
    zones = _THREE_ZONES if width == 3 else _SIX_ZONES
    if zone not in zones:
        raise InputError(f"{width}-degree zone {zone} is not a zone over China "
                         f"({zones.start}–{zones.stop - 1})")
    cm = zone * 3 if width == 3 else zone * 6 - 3
    if datum not in GK_EPSG:  # WGS 84 has no EPSG Gauss–Krüger family: build one
        x0 = zone * 1_000_000 + 500_000 if prefixed else 500_000
        return CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0={x0} +y_0=0 "
                              "+datum=WGS84 +units=m +no_defs +type=crs")
    six_prefixed, six_cm, three_prefixed, three_cm = GK_EPSG[datum]
    if width == 3:
        return CRS.from_epsg((three_prefixed if prefixed else three_cm) + zone - 25)
    return CRS.from_epsg((six_prefixed if prefixed else six_cm) + zone - 13)


def zone_of_cm(cm: float, width: int) -> int:
    """Zone number of a central meridian (3° zone n has CM 3n, 6° zone n has CM 6n − 3)."""
    return round(cm / 3) if width == 3 else round((cm + 3) / 6)


_DATUM_WORDS = (
    ("cgcs2000", ("2000国家大地", "国家2000", "cgcs2000", "cgcs 2000", "china 2000", "2000坐标")),
    ("xian80", ("西安80", "西安1980", "1980西安", "80西安", "xian80", "xian 1980", "xian_1980")),
    ("beijing54", ("北京54", "北京1954", "1954北京", "54北京", "beijing54", "beijing 1954",
                   "beijing_1954")),
    ("wgs84", ("wgs84", "wgs-84", "wgs 84", "wgs_84")),
)


def datum_from_text(text: str) -> str | None:
    """The datum a free-text CRS description names (``2000国家大地坐标系`` → ``cgcs2000``)."""
    low = text.lower().replace("年", "")
    for key, words in _DATUM_WORDS:
        if any(w in low for w in words):
            return key
    return None


def hints_from_text(text: str) -> CrsHints:
    """CRS facts stated in free text: datum, zone width, zone number, central meridian."""
    width = zone = cm = None
    if m := re.search(r"([36])\s*(?:度|°)\s*(?:分)?带", text):
        width = int(m.group(1))
    if m := re.search(r"(?:带号|第)\s*[::=]?\s*(\d{2})\s*(?:带)?", text):
        zone = int(m.group(1))
    if m := re.search(r"(?:中央经线|中央子午线|central meridian|\bCM)\s*[::=]?\s*(\d{2,3}(?:\.\d+)?)",
                      text, re.IGNORECASE):
        cm = float(m.group(1))
    return CrsHints(datum=datum_from_text(text), width=width, zone=zone, cm=cm)


def decide_crs(xy: np.ndarray, *, name: str, given: SourceCRS | None = None,
               declared: CRS | None = None, hints: CrsHints | None = None,
               region: tuple[float, float, float, float] | None = None) -> Decision:
    """Choose the CRS of a file's coordinates and say what was assumed.

    Parameters
    ----------
    xy
        (n, 2) coordinates as read (x = easting or longitude, y = northing or latitude,
        unless swapped).
    name
        How to name the file in messages.
    given, declared
        The user's CRS (``--crs``) and the file's own.
    hints
        Partial facts from the file's text (datum, zone width, zone, CM).
    region
        Lon/lat bounds of the area being screened (a pack's extent), used to name the
        likely central meridians when the zone cannot be inferred.

    Returns
    -------
    Decision

    Raises
    ------
    InputError
        When no CRS can be decided, or the coordinates land outside China in every order.
    """
    xy = _sample(np.asarray(xy, dtype=float).reshape(-1, 2))
    if len(xy) == 0:
        raise InputError(f"{name}: holds no coordinates")
    hints = hints or CrsHints()
    if given is not None:
        if (given.crs is not None and not given.offset and given.crs.is_geographic
                and not _lonlat_either_way(xy) and _gauss_kruger_like(xy)):
            # `--crs xian80` with projected numbers names the datum; the zone comes from them
            decision = _infer(xy, name, CrsHints(datum_of(given.crs), hints.width, hints.zone,
                                                 hints.cm), region, datum_given=True)
        else:
            decision = Decision(given)
            if declared is not None and (given.crs is None or given.offset
                                         or not declared.equals(given.crs)):
                decision.warnings.append(f"{name} declares {crs_label(declared)}; using "
                                         f"{given.label} as given by --crs")
            _check_order(xy, decision, name)
    elif declared is not None:
        decision = Decision(SourceCRS(declared, how="declared"))
        _check_order(xy, decision, name)
    else:
        decision = _infer(xy, name, hints, region)
    decision.warnings.extend(_datum_notes(decision.source, name))
    return decision


def to_cgcs2000(geoms: np.ndarray, source: SourceCRS, *, swap: bool = False) -> np.ndarray:
    """Take geometries from ``source`` coordinates to CGCS2000 lon/lat (``None`` kept)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return geoms
    # shapely.has_m exists from shapely 2.1 (the floor is 2.0.4; M needs 2.1 to exist).
    has_m = shapely.has_m(geoms) if hasattr(shapely, "has_m") else False
    if not swap and _is_cgcs2000(source) and not (shapely.has_z(geoms) | has_m).any():
        # Already 2-D CGCS2000 lon/lat: the same geometries (they are immutable)
        return geoms.copy()
    move = _mover(source)

    def func(coords: np.ndarray) -> np.ndarray:
        x, y = (coords[:, 1], coords[:, 0]) if swap else (coords[:, 0], coords[:, 1])
        return np.column_stack(move(x, y))

    return shapely.transform(geoms, func)


def _is_cgcs2000(source: SourceCRS) -> bool:
    return not source.pipeline and not source.offset and source.crs.equals(CGCS2000)


def _mover(source: SourceCRS):
    if source.pipeline:
        transformer = Transformer.from_pipeline(source.pipeline)
        return transformer.transform
    if source.offset:
        back = OFFSETS[source.offset][0]
        to_cgcs = Transformer.from_crs(source.crs, CGCS2000, always_xy=True)
        return lambda x, y: to_cgcs.transform(*back(x, y))
    if _is_cgcs2000(source):
        return lambda x, y: (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    transformer = Transformer.from_crs(source.crs, CGCS2000, always_xy=True)
    return transformer.transform


def _sample(xy: np.ndarray) -> np.ndarray:
    finite = np.isfinite(xy[:, 0]) & np.isfinite(xy[:, 1])
    if not finite.all():
        xy = xy[finite]
    if len(xy) > _SAMPLE:
        xy = xy[np.linspace(0, len(xy) - 1, _SAMPLE).astype(int)]
    return xy


def _lonlat_either_way(xy: np.ndarray) -> bool:
    return bool(in_china(xy[:, 0], xy[:, 1]).mean() > 0.5 or in_china(xy[:, 1], xy[:, 0]).mean() > 0.5)


def _gauss_kruger_like(xy: np.ndarray) -> bool:
    return any(_prefixed_mask(e, n)[0].mean() > 0.5 or _unprefixed_mask(e, n).mean() > 0.5
               for e, n in ((xy[:, 0], xy[:, 1]), (xy[:, 1], xy[:, 0])))


def _prefixed_mask(east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which points look like zone-prefixed Gauss–Krüger, and their prefixes."""
    prefix = np.floor(east / 1_000_000)
    rest = east - prefix * 1_000_000
    ok = ((np.isin(prefix, [*_SIX_ZONES, *_THREE_ZONES]))
          & (rest >= _EASTING_IN_ZONE[0]) & (rest <= _EASTING_IN_ZONE[1])
          & (north >= _NORTHING[0]) & (north <= _NORTHING[1]))
    return ok, prefix


def prefixed_zones(east: np.ndarray, north: np.ndarray) -> set[int] | None:
    """The zone prefixes of eastings (``None`` unless all look like prefixed GK)."""
    ok, prefix = _prefixed_mask(east, north)
    return {int(p) for p in np.unique(prefix)} if len(ok) and ok.all() else None


def _unprefixed_mask(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return ((east >= _EASTING_IN_ZONE[0]) & (east <= _EASTING_IN_ZONE[1])
            & (north >= _NORTHING[0]) & (north <= _NORTHING[1]))


def _infer(xy: np.ndarray, name: str, hints: CrsHints,
           region: tuple[float, float, float, float] | None, *,
           datum_given: bool = False) -> Decision:
    """Infer from the numbers. The hypothesis most points fit (over half) wins; points
    that fit none are left for the per-feature check to flag, so one mistyped parcel does
    not sink the file."""
    x, y = xy[:, 0], xy[:, 1]
    datum = hints.datum or "cgcs2000"
    datum_note = ("" if hints.datum else
                  "; the datum cannot be told from the numbers: CGCS2000 assumed")
    intro = f"{name} declares no CRS" if not datum_given else f"{name}: --crs names only a datum"
    orders = ((False, x, y), (True, y, x))
    candidates = []  # (share, rank, kind, swap)
    for swap, a, b in orders:
        candidates.append((in_china(a, b).mean(), 0, "lonlat", swap))
        candidates.append((_prefixed_mask(a, b)[0].mean(), 1, "prefixed", swap))
        candidates.append((_unprefixed_mask(a, b).mean(), 2, "plain", swap))
    share, _, kind, swap = max(candidates, key=lambda c: (c[0], -c[1], not c[3]))
    if share <= 0.5:
        raise InputError(_unknown_numbers(name, x, y))
    east, north = (y, x) if swap else (x, y)

    if kind == "lonlat":
        crs = {"cgcs2000": CGCS2000, "xian80": CRS.from_epsg(4610),
               "beijing54": CRS.from_epsg(4214), "wgs84": CRS.from_epsg(4326)}[datum]
        warnings = [f"{intro}; lon/lat in China assumed to be {DATUM_TITLES[datum]} "
                    f"({crs_label(crs)})" if not hints.datum else
                    f"{name}: lon/lat on {DATUM_TITLES[datum]} as the file states "
                    f"({crs_label(crs)})"]
        if swap:
            warnings.append(f"{name}: coordinates are in latitude/longitude order; "
                            "swapped to longitude/latitude")
        return Decision(SourceCRS(crs, how="inferred"), swap, warnings)

    if kind == "prefixed":
        ok, prefix = _prefixed_mask(east, north)
        zones, counts = np.unique(prefix[ok], return_counts=True)
        if len(zones) > 1 and counts.min() > 0.1 * counts.sum():
            shown = " and ".join(str(int(z)) for z in zones)
            raise InputError(f"{name}: eastings carry different zone prefixes ({shown}); "
                             "split the file by zone or pass --crs")
        zone = int(zones[np.argmax(counts)])
        width = 3 if zone in _THREE_ZONES else 6
        crs = gk_crs(datum, width, zone, prefixed=True)
        cm = zone * 3 if width == 3 else zone * 6 - 3
        warnings = [f"{intro}; eastings carry the zone prefix {zone}: {width}-degree "
                    f"Gauss-Krüger zone {zone} (CM {cm}°E), {crs_label(crs)}{datum_note}"]
        if swap:
            warnings.append(_swap_note(name))
        return Decision(SourceCRS(crs, how="inferred"), swap, warnings)

    # Gauss–Krüger without a prefix: only a stated zone or CM can place it
    zone, width = _zone_from_hints(hints, name)
    if zone is None:
        raise InputError(_refusal(name, east, north, region))
    crs = gk_crs(datum, width, zone, prefixed=False)
    cm = zone * 3 if width == 3 else zone * 6 - 3
    warnings = [f"{name}: Gauss-Krüger metres without a zone prefix placed in {width}-degree "
                f"zone {zone} (CM {cm}°E) as the file states, {crs_label(crs)}{datum_note}"]
    if swap:
        warnings.append(_swap_note(name))
    return Decision(SourceCRS(crs, how="inferred"), swap, warnings)


def _zone_from_hints(hints: CrsHints, name: str) -> tuple[int | None, int]:
    width = hints.width or 3
    if hints.cm is not None:
        if hints.width is None:  # a CM that is a multiple of 3 but not 6n − 3 is a 3° zone
            width = 6 if (hints.cm + 3) % 6 == 0 and hints.zone in _SIX_ZONES else 3
        return zone_of_cm(hints.cm, width), width
    if hints.zone is not None:
        if hints.width is None:
            width = 3 if hints.zone in _THREE_ZONES else 6
        return hints.zone, width
    return None, width


def _swap_note(name: str) -> str:
    return (f"{name}: X and Y are swapped (the easting is in the X column); swapped so that "
            "X is the northing and Y the easting (Chinese survey convention)")


def _refusal(name: str, east: np.ndarray, north: np.ndarray,
             region: tuple[float, float, float, float] | None) -> str:
    numbers = (f"easting {east.min():,.0f}–{east.max():,.0f}, "
               f"northing {north.min():,.0f}–{north.max():,.0f}")
    head = (f"{name}: coordinates look like Gauss-Krüger metres without a zone prefix "
            f"({numbers}) and the zone cannot be told from the numbers")
    if region is None:
        return (f"{head}; pass --crs with the zone's code, e.g. CGCS2000 3-degree CM 117°E "
                "is EPSG:4548 (EPSG:4534–4554 for CM 75°E–135°E in 3° steps; 6-degree "
                "zones EPSG:4502–4512)")
    minx, _, maxx, _ = region
    options = []
    for width in (3, 6):
        cms = sorted({_nearest_cm(lon, width) for lon in np.linspace(minx, maxx, 9)})
        for cm in cms:
            crs = gk_crs("cgcs2000", width, zone_of_cm(cm, width), prefixed=False)
            fits = _lands_in(east, north, crs, region)
            options.append((not fits, width, cm, crs_label(crs)))
    options.sort()
    fitting = [o for o in options if not o[0]]
    shown = fitting or options
    listed = " or ".join(f"--crs {code} (CGCS2000 {width}-degree CM {cm:g}°E)"
                         for _, width, cm, code in shown[:4])
    where = (f"the pack covers {minx:.2f}–{maxx:.2f}°E"
             + ("; the points fall inside it with" if fitting else "; try"))
    return f"{head}; {where} {listed}"


def _nearest_cm(lon: float, width: int) -> int:
    if width == 3:
        return int(3 * round(lon / 3))
    return int(6 * np.floor(lon / 6) + 3)


def _lands_in(east: np.ndarray, north: np.ndarray, crs: CRS,
              region: tuple[float, float, float, float], margin: float = 0.25) -> bool:
    lon, lat = Transformer.from_crs(crs, CGCS2000, always_xy=True).transform(east, north)
    minx, miny, maxx, maxy = region
    return bool(((lon >= minx - margin) & (lon <= maxx + margin)
                 & (lat >= miny - margin) & (lat <= maxy + margin)).all())


def _unknown_numbers(name: str, x: np.ndarray, y: np.ndarray) -> str:
    numbers = f"x {x.min():,.3f}–{x.max():,.3f}, y {y.min():,.3f}–{y.max():,.3f}"
    hint = ""
    if any(_prefixed_mask(a / 1000, b / 1000)[0].mean() > 0.5
           or _unprefixed_mask(a / 1000, b / 1000).mean() > 0.5 for a, b in ((x, y), (y, x))):
        hint = " (they look like millimetres: export the drawing in metres)"
    return (f"{name}: coordinates ({numbers}) are neither lon/lat in China "
            f"({CHINA_LON[0]:g}–{CHINA_LON[1]:g}°E, {CHINA_LAT[0]:g}–{CHINA_LAT[1]:g}°N) nor "
            f"Gauss-Krüger metres{hint}; pass --crs with the CRS they are in")


def _check_order(xy: np.ndarray, decision: Decision, name: str) -> None:
    """Swap X/Y when only the swapped order lands in China (declared or given CRS)."""
    if decision.source.pipeline:
        return
    move = _mover(decision.source)
    with np.errstate(all="ignore"):
        lon, lat = move(xy[:, 0], xy[:, 1])
        inside = in_china(np.asarray(lon), np.asarray(lat))
        if inside.any():
            return
        lon_s, lat_s = move(xy[:, 1], xy[:, 0])
        swapped_inside = in_china(np.asarray(lon_s), np.asarray(lat_s))
    if swapped_inside.mean() > 0.5:
        decision.swap = True
        what = ("latitude/longitude order" if decision.source.crs is not None
                and decision.source.crs.is_geographic else "X/Y swapped (northing first)")
        decision.warnings.append(
            f"{name}: in {decision.source.label} the coordinates fall outside China but land "
            f"inside it with the axes exchanged ({what}); axes swapped")


def _datum_notes(source: SourceCRS, name: str) -> list[str]:
    notes = []
    if source.offset:
        notes.append(f"{name}: {OFFSET_TITLES[source.offset]} coordinates converted to "
                     "CGCS2000 by inverting the published offset (to < 0.01 m)")
    datum = source.datum
    if datum in LOCAL_DATUMS:
        notes.append(
            f"{name}: {DATUM_TITLES[datum]} coordinates: redline has no official "
            f"{DATUM_TITLES[datum]} → CGCS2000 parameters, so lon/lat were carried over "
            "unchanged (errors of tens of metres, 100 m or more possible); for an exact "
            "result pass your local parameters with --crs, e.g. a PROJ string with "
            "+towgs84=dx,dy,dz,rx,ry,rz,ds or a '+proj=pipeline …' ending in CGCS2000 lon/lat "
            "degrees")
    if source.pipeline:
        notes.append(f"{name}: coordinates taken to CGCS2000 lon/lat with the PROJ pipeline "
                     "given by --crs")
    return notes
