"""Reading raster layers of a pack: catalog keys, legend, classes and file metadata.

:func:`load_raster_layer` opens a ``land_cover``, ``terrain`` or ``raster_constraint``
entry with rasterio, reads only its metadata (never the pixels) and checks the catalog
keys; the pixels are read by the screen stage, :mod:`redline.raster`, which documents the
catalog keys and what each kind gives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from .._raster_grid import Grid
from ..catalog import FromSpec, LayerSpec, PackIssue, file_checksum
from ..crs import CGCS2000, crs_label, parse_crs, reproject
from ..errors import PackError

_VERDICTS = ("clear", "attention", "restricted", "prohibited")


# ------------------------------------------------------------------------ catalog


@dataclass(frozen=True)
class LegendEntry:
    """One land-cover class: raster value, code and names."""

    value: float
    code: str | None
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class RasterClass:
    """A class of a raster constraint (by value) or of a terrain layer (by slope).

    A cell belongs to the class when its value is one of ``values``, or when
    ``low <= value < high`` (either bound may be open). Classes are tried in catalog
    order; the first that matches wins.
    """

    name: str
    title_zh: str
    title_en: str
    values: tuple[float, ...] = ()
    low: float | None = None
    high: float | None = None
    verdict: str | None = None

    def matches(self, values: np.ndarray) -> np.ndarray:
        """True where ``values`` belong to the class."""
        if self.values:
            return np.isin(values, np.asarray(self.values, dtype=float))
        out = np.isfinite(values)
        if self.low is not None:
            out &= values >= self.low
        if self.high is not None:
            out &= values < self.high
        return out

    @property
    def code(self) -> str:
        """The values or range of the class as text (``"5"``, ``"[25, ∞)"``)."""
        if self.values:
            return ",".join(number_text(v) for v in self.values)
        low = number_text(self.low) if self.low is not None else "-∞"
        high = number_text(self.high) if self.high is not None else "∞"
        return f"[{low}, {high})"


@dataclass
class RasterLayer(FromSpec):
    """A raster layer of a pack: metadata and catalog configuration, no pixels.

    Attributes
    ----------
    spec
        The catalog entry.
    grid
        Transform, size and CRS of the raster.
    band
        The band read (1-based).
    dtype
        The band's data type.
    nodata
        The nodata value (the file's, or the catalog's ``nodata``); cells masked by the
        file (nodata, internal masks, NaN) never count as data either.
    scale, offset
        The band's scale and offset (applied to terrain values).
    crs_in, crs_how
        The CRS label and how it was decided.
    block
        The internal block (tile) size, rows × columns.
    legend
        Land-cover classes by raster value.
    classes
        Constraint classes (by value) or terrain slope classes (by degrees).
    basis
        Legal basis of the class verdicts, as written in the catalog.
    """

    spec: LayerSpec
    grid: Grid
    band: int
    dtype: str
    nodata: float | None
    scale: float
    offset: float
    crs_in: str | None
    crs_how: str
    block: tuple[int, int]
    legend: dict[float, LegendEntry] = field(default_factory=dict)
    classes: list[RasterClass] = field(default_factory=list)
    basis: list[dict[str, Any]] = field(default_factory=list)




    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the raster file(s) (computed on first use)."""
        return file_checksum(self.path)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Lon/lat (CGCS2000) extent of the raster."""
        g = self.grid
        box = shapely.segmentize(shapely.box(*g.bounds_of(0, g.height, 0, g.width)),
                                 max(abs(g.transform.a) * g.width, abs(g.transform.e) * g.height)
                                 / 16)
        return tuple(float(v) for v in shapely.bounds(reproject(np.array([box]), g.crs,
                                                                CGCS2000))[0])

    def class_names(self) -> list[str]:
        """Names of the classes, in catalog order."""
        return [c.name for c in self.classes]

    def classify(self, values: np.ndarray) -> np.ndarray:
        """Index of the class of each value (-1: none)."""
        out = np.full(values.shape, -1, dtype=np.int64)
        for i, cls in enumerate(self.classes):
            out[(out < 0) & cls.matches(values)] = i
        return out

    def describe(self) -> dict[str, Any]:
        """The layer's entry in the ``pack.layers`` block of a result."""
        t = self.grid.transform
        return {"id": self.id, "kind": self.kind, "title": self.spec.title,
                "sha256": self.sha256, "features": 0,
                "raster": {"width": self.grid.width, "height": self.grid.height,
                           "crs": self.crs_in, "cell_size": [abs(t.a), abs(t.e)],
                           "band": self.band, "nodata": self.nodata}}

    def read(self, dataset, window: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Values and a validity mask for a cell window ``(row0, row1, col0, col1)``."""
        from rasterio.windows import Window

        row0, row1, col0, col1 = window
        arr = dataset.read(self.band, window=Window(col0, row0, col1 - col0, row1 - row0),
                           masked=True)
        data = np.asarray(arr.data)
        valid = ~np.ma.getmaskarray(arr)
        if self.nodata is not None:
            valid &= data != self.nodata
        if data.dtype.kind == "f":
            valid &= np.isfinite(data)
        if self.kind == "terrain" and (self.scale != 1.0 or self.offset != 0.0):
            data = data.astype(float) * self.scale + self.offset
        return data, valid


def load_raster_layer(spec: LayerSpec, pack_crs: str, issues: list[PackIssue]) -> RasterLayer:
    """Open a raster layer's file for its metadata and check its catalog keys.

    Parameters
    ----------
    spec
        The catalog entry (``spec.extra`` holds the raster keys).
    pack_crs
        ``[pack].crs``, assumed when the file declares no CRS.
    issues
        Problems found are appended here (warnings; errors are raised).

    Returns
    -------
    RasterLayer

    Raises
    ------
    PackError
        The file cannot be opened, is rotated, lacks the band, or a catalog key is
        malformed.
    """
    extra = spec.extra
    band = extra.get("band", 1)
    if not isinstance(band, int) or band < 1:
        raise PackError(f"band must be a positive integer, got {band!r}")
    # rasterio is imported here, not with the module: a pack without rasters (and every
    # command that never meets one) does not pay for its import.
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(spec.path) as ds:
            if band > ds.count:
                raise PackError(f"{spec.path.name} has {ds.count} band(s); band {band} asked")
            transform, width, height = ds.transform, ds.width, ds.height
            declared = CRS.from_user_input(ds.crs.to_wkt()) if ds.crs else None
            nodata, dtype = ds.nodatavals[band - 1], ds.dtypes[band - 1]
            scale, offset = ds.scales[band - 1], ds.offsets[band - 1]
            block = tuple(ds.block_shapes[band - 1])
    except RasterioIOError as exc:
        raise PackError(f"{spec.path.name}: cannot be read as a raster ({exc})") from None
    if transform.b != 0 or transform.d != 0 or transform.a <= 0 or transform.e >= 0:
        raise PackError(f"{spec.path.name}: the raster is not north-up (rotated or flipped "
                        "grid); warp it to a north-up grid first (e.g. gdalwarp)")
    if spec.crs:
        crs, how = parse_crs(spec.crs, what=f"layer {spec.id} crs"), "catalog (layer)"
    elif declared is not None:
        crs, how = declared, "declared by file"
    else:
        crs, how = parse_crs(pack_crs, what="[pack].crs"), "assumed from [pack].crs"
        issues.append(PackIssue("warning", spec.id,
                                f"file declares no CRS; assumed {crs_label(crs)} from [pack].crs"))
    if "nodata" in extra:
        if not isinstance(extra["nodata"], (int, float)):
            raise PackError(f"nodata must be a number, got {extra['nodata']!r}")
        nodata = float(extra["nodata"])
    if width * height > 10_000_000 and block[1] >= width:
        issues.append(PackIssue("warning", spec.id,
                                f"{spec.path.name} is a large striped (untiled) raster: windowed "
                                "reads are slow; convert it to a tiled GeoTIFF or COG"))
    layer = RasterLayer(
        spec=spec, grid=Grid(transform, width, height, crs), band=band, dtype=str(dtype),
        nodata=None if nodata is None else float(nodata), scale=float(scale or 1.0),
        offset=float(offset or 0.0), crs_in=crs_label(crs), crs_how=how, block=block)
    titles = _class_titles(extra.get("class_titles", {}))
    verdicts = _verdicts(extra.get("verdicts", {}))
    if spec.kind == "land_cover":
        layer.legend = _legend(extra.get("legend"))
        if not layer.legend:
            issues.append(PackIssue("warning", spec.id,
                                    "no [layers.legend]: land-cover classes are named by value"))
    elif spec.kind == "raster_constraint":
        layer.classes = _value_classes(spec.classes, extra.get("thresholds", []), titles, verdicts)
        if not layer.classes:
            raise PackError("a raster_constraint layer needs [layers.classes] or "
                            "[[layers.thresholds]] mapping values to classes")
    elif spec.kind == "terrain":
        layer.classes = _ranges(extra.get("slope_classes", []), "slope_classes", titles, verdicts)
    known = set(layer.class_names())
    for name in [*titles, *verdicts]:
        if name not in known:
            raise PackError(f"class {name!r} in class_titles/verdicts is not a class of the layer "
                            f"({', '.join(sorted(known)) or 'none'})")
    unjudged = [c.name for c in layer.classes if c.verdict is None]
    if spec.kind == "raster_constraint" and unjudged:
        issues.append(PackIssue("warning", spec.id,
                                f"classes without a verdict in [layers.verdicts] (reported, not "
                                f"judged): {', '.join(unjudged)}"))
    layer.basis = _basis(extra.get("basis", []))
    if verdicts and not layer.basis:
        issues.append(PackIssue("warning", spec.id,
                                "[layers.verdicts] without a basis: findings cite the pack catalog"))
    return layer


def _legend(raw: Any) -> dict[float, LegendEntry]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PackError("[layers.legend] must be a table of value = { code, zh, en }")
    legend = {}
    for key, entry in raw.items():
        value = _value(key, "legend")
        if isinstance(entry, str):
            entry = {"zh": entry}
        if not isinstance(entry, dict) or not (entry.get("zh") or entry.get("en")):
            raise PackError(f"legend value {key}: needs a name (zh and/or en)")
        zh = str(entry.get("zh") or entry.get("en"))
        legend[value] = LegendEntry(value, str(entry["code"]) if entry.get("code") else None,
                                    zh, str(entry.get("en") or zh))
    return legend


def _value(key: Any, where: str) -> float:
    try:
        value = float(str(key).strip())
    except ValueError:
        raise PackError(f"[layers.{where}] key {key!r} is not a raster value (a number)") from None
    if not math.isfinite(value):
        raise PackError(f"[layers.{where}] key {key!r} is not a finite number")
    return value


def _class_titles(raw: Any) -> dict[str, tuple[str, str]]:
    if not isinstance(raw, dict):
        raise PackError("[layers.class_titles] must be a table of class = { zh, en }")
    out = {}
    for name, entry in raw.items():
        if isinstance(entry, str):
            entry = {"zh": entry}
        if not isinstance(entry, dict):
            raise PackError(f"class_titles.{name} must be a string or {{ zh, en }}")
        zh = str(entry.get("zh") or entry.get("en") or name)
        out[str(name)] = (zh, str(entry.get("en") or zh))
    return out


def _verdicts(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise PackError("[layers.verdicts] must be a table of class = verdict")
    for name, verdict in raw.items():
        if verdict not in _VERDICTS:
            raise PackError(f"verdicts.{name}: {verdict!r} is not one of {', '.join(_VERDICTS)}")
    return {str(k): str(v) for k, v in raw.items()}


def _value_classes(classes: dict[str, str], thresholds: Any, titles: dict[str, tuple[str, str]],
                   verdicts: dict[str, str]) -> list[RasterClass]:
    by_value: dict[str, list[float]] = {}
    for raw, name in classes.items():
        by_value.setdefault(name, []).append(_value(raw, "classes"))
    out = [RasterClass(name, *titles.get(name, (name, name)), values=tuple(sorted(values)),
                       verdict=verdicts.get(name)) for name, values in by_value.items()]
    out += _ranges(thresholds, "thresholds", titles, verdicts)
    return out


def _ranges(raw: Any, where: str, titles: dict[str, tuple[str, str]],
            verdicts: dict[str, str]) -> list[RasterClass]:
    if not isinstance(raw, list):
        raise PackError(f"[[layers.{where}]] must be an array of tables {{ class, min, max }}")
    out = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not entry.get("class"):
            raise PackError(f"[[layers.{where}]] entry {n} needs a class")
        bounds = [entry.get(k) for k in ("min", "max")]
        if all(b is None for b in bounds) or not all(
                b is None or isinstance(b, (int, float)) for b in bounds):
            raise PackError(f"[[layers.{where}]] entry {n}: min and/or max must be numbers")
        name = str(entry["class"])
        out.append(RasterClass(name, *titles.get(name, (name, name)),
                               low=None if bounds[0] is None else float(bounds[0]),
                               high=None if bounds[1] is None else float(bounds[1]),
                               verdict=verdicts.get(name)))
    return out


def _basis(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(b, dict) and b.get("document")
                                            for b in raw):
        raise PackError("basis must be a table (or array of tables) with a document")
    return [dict(b) for b in raw]


def number_text(value: float) -> str:
    """A raster value as text: whole numbers without a decimal point (``3``, ``2.5``)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


