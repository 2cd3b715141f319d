"""Layer packs: parse and validate ``catalog.toml``, load the layers, index them.

A pack is a folder with a ``catalog.toml`` (DESIGN §2.1) and the data files it names.
:func:`load_pack` reads every layer with pyogrio, repairs and records invalid
geometry, reprojects to CGCS2000 lon/lat and to the pack's equal-area CRS, and
normalises the zone attributes into ``zone_id``, ``zone_name``, ``zone_class`` and
``zone_code``. Problems are collected as :class:`PackIssue` objects; ``errors`` make the
pack unusable and :func:`load_pack` raises them, :func:`check_pack` reports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._edges import EdgeIndex
from ._gc import paused_gc
from ._toml import load_toml
from .catalog import FromSpec, LayerSpec, PackIssue, file_checksum
from .crs import CGCS2000, Projector, crs_label, equal_area_crs, parse_crs, reproject
from .errors import PackError, RedlineError
from .geometry import normalise
from .io.raster import load_raster_layer
from .io.vector import read_vector
from .kinds import KINDS, default_class

_LAYER_KEYS = {"id", "kind", "title", "path", "layer", "encoding", "crs", "id_field",
               "name_field", "class_field", "code_field", "classes"}

#: Columns every loaded layer carries besides its own attributes.
ZONE_COLUMNS = ("zone_id", "zone_name", "zone_class", "zone_code", "class_raw")


@dataclass
class Layer(FromSpec):
    """A loaded layer: zones in CGCS2000 lon/lat plus the same in the equal-area CRS.

    Attributes
    ----------
    spec
        The catalog entry.
    zones
        GeoDataFrame (EPSG:4490) with :data:`ZONE_COLUMNS` and the source attributes.
    metric
        The zone geometries in the pack's equal-area CRS (same order as ``zones``).
    sha256
        Checksum of the source file(s) (see :func:`file_checksum`).
    crs_in, crs_how
        The CRS the features were read in and how it was decided.
    encoding
        The attribute encoding used, and how it was chosen.
    repairs
        ``(zone_id, message)`` for each repaired or dropped feature.
    features_read
        Features in the source, before any were dropped.
    """

    spec: LayerSpec
    zones: gpd.GeoDataFrame
    metric: np.ndarray
    sha256: str
    crs_in: str | None
    crs_how: str
    encoding: str
    repairs: list[tuple[str, str]]
    features_read: int
    #: Reads the boundary pieces from a compiled pack's cache instead of cutting them.
    edge_loader: Callable[[], EdgeIndex] | None = field(default=None, repr=False,
                                                        compare=False)


    @cached_property
    def tree(self) -> shapely.STRtree:
        """STRtree over the zone geometries in the equal-area CRS."""
        return shapely.STRtree(self.metric)

    @cached_property
    def prepared(self) -> np.ndarray:
        """:attr:`metric` with every zone prepared (GEOS indexes built on first use)."""
        shapely.prepare(self.metric)
        return self.metric

    @cached_property
    def edges(self) -> EdgeIndex:
        """The zone boundaries cut into short indexed pieces (for distances)."""
        if self.edge_loader is not None:
            return self.edge_loader()
        return EdgeIndex.build(self.metric)

    @cached_property
    def zone_values(self) -> dict[str, np.ndarray]:
        """``zone_id``, ``zone_name``, ``zone_class``, ``zone_code`` as object arrays."""
        out = {}
        for column in ("zone_id", "zone_name", "zone_class", "zone_code"):
            values = self.zones[column].to_numpy(dtype=object)
            out[column] = np.where(pd.isna(values), None, values)
        return out

    @cached_property
    def dims(self) -> np.ndarray:
        """Geometry dimension of each zone (0 points, 1 lines, 2 polygons)."""
        return shapely.get_dimensions(self.metric)

    @cached_property
    def union(self) -> shapely.Geometry:
        """Union of the zones in the equal-area CRS (prepared)."""
        merged = shapely.union_all(self.metric)
        shapely.prepare(merged)
        return merged

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Lon/lat extent of the layer."""
        return tuple(float(v) for v in self.zones.total_bounds)

    def describe(self) -> dict[str, Any]:
        """The layer's entry in the ``pack.layers`` block of a result."""
        return {"id": self.id, "kind": self.kind, "title": self.spec.title,
                "sha256": self.sha256, "features": len(self.zones)}


@dataclass
class Pack:
    """A loaded layer pack.

    Attributes
    ----------
    path
        The pack folder.
    meta
        The ``[pack]`` table of the catalog.
    layers
        Loaded layers, in catalog order.
    tables
        Loaded tables (access lists), by id.
    issues
        Problems found while loading (errors make the pack unusable).
    """

    path: Path
    meta: dict[str, Any]
    layers: list[Layer]
    issues: list[PackIssue] = field(default_factory=list)
    catalog_sha256: str = ""
    #: Tables by id (``access_list`` entries → :class:`redline.access.AccessList`).
    tables: dict[str, Any] = field(default_factory=dict)
    #: Raster layers (land_cover, terrain, raster_constraint; see :mod:`redline.raster`).
    rasters: list[Any] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Pack id."""
        return str(self.meta.get("id", ""))

    @property
    def version(self) -> str:
        """Pack version."""
        return str(self.meta.get("version", ""))

    @property
    def title(self) -> str:
        """Pack title."""
        return str(self.meta.get("title", self.id))

    def title_for(self, lang: str = "zh") -> str:
        """Pack title in ``zh`` or, when the catalog has ``title_en``, in ``en``."""
        return str(self.meta.get("title_en") or self.title) if lang == "en" else self.title

    @property
    def illustrative(self) -> bool:
        """True for demo data that must be labelled as not official."""
        return bool(self.meta.get("illustrative", False))

    @property
    def rules_path(self) -> Path | None:
        """A ruleset file the pack ships (``[pack] rules = ...``), if any."""
        rules = self.meta.get("rules")
        return (self.path / rules) if rules else None

    @property
    def errors(self) -> list[PackIssue]:
        """Issues that make the pack unusable."""
        return [i for i in self.issues if i.severity == "error"]

    def layers_of(self, kind: str) -> list[Layer]:
        """Layers of one kind, in catalog order."""
        return [layer for layer in self.layers if layer.kind == kind]

    def layer(self, layer_id: str) -> Layer:
        """The layer with this id (vector layers first, then raster layers)."""
        for layer in [*self.layers, *self.rasters]:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """Lon/lat extent of all layers."""
        boxes = np.array([layer.bounds for layer in self.layers if len(layer.zones)])
        if len(boxes) == 0:
            return (73.0, 3.0, 136.0, 54.0)
        return (float(boxes[:, 0].min()), float(boxes[:, 1].min()),
                float(boxes[:, 2].max()), float(boxes[:, 3].max()))

    @cached_property
    def projector(self) -> Projector:
        """The pack's equal-area projection."""
        return Projector(equal_area_crs(self.bounds))

    @cached_property
    def coverage(self) -> shapely.Geometry:
        """Where the pack has data, in the equal-area CRS.

        The union of the admin layers when the pack has any, else the pack extent.
        """
        admin = self.layers_of("admin")
        if admin:
            return shapely.union_all(np.concatenate([layer.metric for layer in admin]))
        box = shapely.segmentize(shapely.box(*self.bounds), 0.01)
        return self.projector.to_metric(np.array([box]))[0]

    @cached_property
    def coverage_source(self) -> str:
        """What :attr:`coverage` was built from."""
        admin = self.layers_of("admin")
        return ",".join(layer.id for layer in admin) if admin else "extent"

    def describe(self) -> dict[str, Any]:
        """The ``pack`` block of a result document."""
        out: dict[str, Any] = {"id": self.id, "version": self.version, "title": self.title}
        if self.illustrative:
            out["illustrative"] = True
        out["catalog_sha256"] = self.catalog_sha256
        out["layers"] = [layer.describe() for layer in [*self.layers, *self.rasters]]
        out["layers"] += [table.describe() for table in self.tables.values()]
        return out


# --------------------------------------------------------------------------- loading


def demo_pack_path() -> Path:
    """Folder of the bundled, illustrative demo pack."""
    installed = Path(__file__).parent / "_packs" / "demo"
    if (installed / "catalog.toml").exists():
        return installed
    source_tree = Path(__file__).resolve().parents[2] / "layers" / "demo"
    if (source_tree / "catalog.toml").exists():
        return source_tree
    raise PackError("the bundled demo pack is missing from this installation; pass --pack DIR")


@paused_gc()
def load_pack(path: str | Path | None = None, *, strict: bool = True,
              use_cache: bool = True) -> Pack:
    """Load a layer pack.

    Parameters
    ----------
    path
        The pack folder or its ``catalog.toml``; ``None`` loads the bundled demo pack.
    strict
        Raise :class:`PackError` on the first unusable problem (default). With
        ``False``, return the pack with its ``issues`` (what ``redline pack check`` uses).
    use_cache
        Load from the pack's compiled cache when it has one that matches its sources
        (see :mod:`redline.compiled`; a stale cache is rebuilt). ``pack check``
        (``strict=False``) always reads the sources.

    Returns
    -------
    Pack
    """
    folder, catalog_file = _locate(path)
    if use_cache and strict:
        from .compiled import cached_pack

        cached = cached_pack(folder, catalog_file)
        if cached is not None:
            return cached
    issues: list[PackIssue] = []
    raw = load_toml(catalog_file, error=PackError)
    meta, specs = _parse_catalog(raw, folder, issues)
    if strict:
        _raise_errors(catalog_file, issues)
    pack_crs = meta.get("crs", "EPSG:4490")
    layers, rasters = [], []
    tables: dict[str, Any] = {}
    for spec in specs:
        if spec.kind in KINDS and KINDS[spec.kind].table:
            tables.update(_load_table(spec, issues))
            continue
        if spec.kind not in KINDS:
            continue
        try:
            if KINDS[spec.kind].dim is None:
                rasters.append(load_raster_layer(spec, pack_crs, issues))
            else:
                layers.append(_load_layer(spec, pack_crs, issues))
        except RedlineError as exc:
            issues.append(PackIssue("error", spec.id, str(exc)))
    pack = Pack(folder, meta, layers, issues, file_checksum(catalog_file), tables,
                rasters=rasters)
    for layer in layers:  # the equal-area CRS depends on the extent of all layers
        layer.metric = pack.projector.to_metric(layer.zones.geometry.values)
    if strict:
        _raise_errors(catalog_file, issues)
    return pack


def _load_table(spec: LayerSpec, issues: list[PackIssue]) -> dict[str, Any]:
    """Load a table kind (an access list) through :mod:`redline.access`."""
    from .access import load_access_list

    try:
        return {spec.id: load_access_list(spec, issues)}
    except RedlineError as exc:
        issues.append(PackIssue("error", spec.id, str(exc)))
        return {}


def _raise_errors(catalog_file: Path, issues: list[PackIssue]) -> None:
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more; run 'redline pack check')" if len(errors) > 1 else ""
        raise PackError(f"{catalog_file}: {errors[0]}{more}")


def _locate(path: str | Path | None) -> tuple[Path, Path]:
    if path is None:
        folder = demo_pack_path()
    else:
        folder = Path(path)
        if folder.is_file() and folder.suffix == ".toml":
            return folder.parent, folder
    catalog = folder / "catalog.toml"
    if not folder.exists():
        raise PackError(f"{folder}: no such layer pack folder")
    if not catalog.exists():
        raise PackError(f"{folder}: not a layer pack (no catalog.toml)")
    return folder, catalog


def _parse_catalog(raw: dict[str, Any], folder: Path,
                   issues: list[PackIssue]) -> tuple[dict[str, Any], list[LayerSpec]]:
    meta = raw.get("pack")
    if not isinstance(meta, dict):
        issues.append(PackIssue("error", None, "no [pack] table"))
        meta = {}
    for key in ("id", "version"):
        if not meta.get(key):
            issues.append(PackIssue("error", None, f"[pack] has no {key!r}"))
    if "crs" in meta:
        try:
            parse_crs(meta["crs"], what="[pack].crs")
        except RedlineError as exc:
            issues.append(PackIssue("error", None, str(exc)))
    entries = raw.get("layers", [])
    if not isinstance(entries, list) or not entries:
        issues.append(PackIssue("error", None, "no [[layers]] entries"))
        return meta, []
    specs, seen = [], set()
    for n, entry in enumerate(entries, start=1):
        spec = _parse_layer(entry, n, folder, issues)
        if spec is None:
            continue
        if spec.id in seen:
            issues.append(PackIssue("error", spec.id, "layer id used twice"))
            continue
        seen.add(spec.id)
        specs.append(spec)
    return meta, specs


def _parse_layer(entry: Any, n: int, folder: Path, issues: list[PackIssue]) -> LayerSpec | None:
    if not isinstance(entry, dict):
        issues.append(PackIssue("error", None, f"[[layers]] entry {n} is not a table"))
        return None
    layer_id = str(entry.get("id") or f"#{n}")
    for key in ("id", "kind", "path"):
        if not entry.get(key):
            issues.append(PackIssue("error", layer_id, f"no {key!r} key"))
    if any(not entry.get(key) for key in ("id", "kind", "path")):
        return None
    kind = str(entry["kind"])
    if kind not in KINDS:
        issues.append(PackIssue(
            "error", layer_id, f"unknown kind {kind!r} (known: {', '.join(KINDS)})"))
    path = folder / str(entry["path"])
    if not path.exists():
        issues.append(PackIssue("error", layer_id, f"file {entry['path']} not found"))
    classes = entry.get("classes", {})
    if not isinstance(classes, dict):
        issues.append(PackIssue("error", layer_id, "[layers.classes] must be a table"))
        classes = {}
    allowed = KINDS[kind].classes if kind in KINDS else ()
    for raw_value, cls in classes.items():
        if allowed and cls not in allowed:
            issues.append(PackIssue(
                "error", layer_id,
                f"class {raw_value!r} maps to {cls!r}, not a {kind} class ({', '.join(allowed)})"))
    spec = LayerSpec(
        id=str(entry["id"]), kind=kind, title=str(entry.get("title", entry["id"])), path=path,
        classes={_clean(str(k)): str(v) for k, v in classes.items()},
        extra={k: v for k, v in entry.items() if k not in _LAYER_KEYS},
        **{k: (str(entry[k]) if entry.get(k) not in (None, "") else None)
           for k in ("layer", "encoding", "crs", "id_field", "name_field", "class_field",
                     "code_field")},
    )
    if spec.kind in KINDS and KINDS[spec.kind].classes_required and not spec.class_field:
        issues.append(PackIssue("error", spec.id, f"a {kind} layer needs a class_field"))
    return spec


def _load_layer(spec: LayerSpec, pack_crs: str, issues: list[PackIssue]) -> Layer:
    source = read_vector(spec.path, layer=spec.layer, encoding=spec.encoding)
    attrs = source.attributes
    attrs.columns = [_clean(c) for c in attrs.columns]
    for message in source.warnings:
        issues.append(PackIssue("warning", spec.id, message))

    declared: CRS | None = source.crs
    if spec.crs:
        crs = parse_crs(spec.crs, what=f"layer {spec.id} crs")
        how = "catalog (layer)"
        if declared is not None and not declared.equals(crs):
            issues.append(PackIssue(
                "warning", spec.id,
                f"file declares {crs_label(declared)} but the catalog says {crs_label(crs)}; "
                "using the catalog's"))
    elif declared is not None:
        crs, how = declared, "declared by file"
    else:
        crs, how = parse_crs(pack_crs, what="[pack].crs"), "assumed from [pack].crs"
        issues.append(PackIssue("warning", spec.id,
                                f"file declares no CRS; assumed {crs_label(crs)} from [pack].crs"))
    features_read = len(attrs)

    kind = KINDS[spec.kind]
    fixed = normalise(source.geometry, kind.dim)
    geoms = reproject(fixed.geoms, crs, CGCS2000)

    for fld in ("id_field", "name_field", "class_field", "code_field"):
        name = getattr(spec, fld)
        if name and _clean(name) not in attrs.columns:
            raise PackError(f"{fld} {name!r} is not a field of {spec.path.name} "
                            f"(fields: {', '.join(attrs.columns)})")

    zone_id = _text(attrs, spec.id_field)
    unnamed = np.array([v is None or v == "" for v in zone_id], dtype=bool)
    zone_id[unnamed] = [f"{spec.id}:{i}" for i in np.flatnonzero(unnamed)]
    repairs = [(zone_id[i], "; ".join(fixed.notes[i])) for i in fixed.changed]
    for zid, message in repairs:
        issues.append(PackIssue("warning", spec.id, f"feature {zid}: {message}"))

    class_raw = _text(attrs, spec.class_field)
    keep = ~shapely.is_missing(geoms)
    columns = {
        "zone_id": zone_id, "zone_name": _text(attrs, spec.name_field),
        "zone_class": _classify(spec, class_raw, issues), "zone_code": _text(attrs, spec.code_field),
        "class_raw": class_raw,
    }
    columns.update({c: attrs[c].to_numpy() for c in attrs.columns if c not in ZONE_COLUMNS})
    zones = gpd.GeoDataFrame({k: v[keep] for k, v in columns.items()}, geometry=geoms[keep],
                             crs=CGCS2000)
    return Layer(spec=spec, zones=zones, metric=np.empty(0, dtype=object),
                 sha256=file_checksum(spec.path), crs_in=crs_label(crs), crs_how=how,
                 encoding=source.encoding.describe(), repairs=repairs,
                 features_read=features_read)


def _classify(spec: LayerSpec, raw: np.ndarray, issues: list[PackIssue]) -> np.ndarray:
    if not spec.class_field:
        return np.full(len(raw), None, dtype=object)
    cleaned = np.array([_clean(v) if v is not None else "" for v in raw], dtype=object)
    mapping = {v: spec.classes.get(v) or default_class(spec.kind, v) for v in set(cleaned)}
    unmapped = sorted(v for v, cls in mapping.items() if cls is None)
    if unmapped:
        severity = "error" if KINDS[spec.kind].classes_required else "warning"
        shown = ", ".join(repr(v) for v in unmapped[:8])
        issues.append(PackIssue(
            severity, spec.id,
            f"class values not mapped by [layers.classes]: {shown}"
            + (f" (+{len(unmapped) - 8} more)" if len(unmapped) > 8 else "")))
    return np.array([mapping[v] for v in cleaned], dtype=object)


def _text(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    """A field as an object array of stripped strings (``None`` where missing).

    Whole floats print without a decimal point (codes stored as numbers in a DBF).
    """
    if not column:
        return np.full(len(frame), None, dtype=object)
    values = frame[_clean(column)]
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.astype(object).where(text.notna(), None).to_numpy(copy=True)


def _clean(name: str) -> str:
    """Field names and class values may carry stray whitespace or newlines."""
    return re.sub(r"\s+", "", str(name))
