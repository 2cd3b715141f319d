"""Compiled layer packs: a cache of normalised, projected layers next to the catalog.

Loading a pack from its sources means reading every file, repairing geometry,
reprojecting and projecting again into the pack's equal-area CRS. ``redline pack
compile DIR`` does that once and writes ``DIR/.redline-cache/``:

``manifest.json``
    The cache key, the pack's load issues, and per layer its checksum, CRS, encoding,
    repairs and the name of its Parquet file.
``<key>-<n>.parquet``
    One GeoParquet file per layer: the zone attributes, ``geometry`` (normalised,
    CGCS2000 lon/lat, EPSG:4490) and ``geometry_metric`` (the same zones in the
    pack's equal-area CRS, whose WKT the GeoParquet metadata carries).
``<key>-<n>-edges.parquet``
    The layer's boundaries cut into short indexed pieces (:mod:`redline._edges`):
    ``owner`` (zone index) and ``piece`` (WKB, equal-area CRS). Read only when a
    screening needs the whole layer's edge index (many projects).
``<key>-unions.parquet``
    Index data that is slow to rebuild: the union of each urban-boundary layer.

The key is the SHA-256 of the cache format, the redline version, the rule that cuts
boundary pieces, the catalog's checksum and every layer file's checksum, so
:func:`redline.load_pack` uses the cache only while it matches the sources byte for
byte; once a cache exists, a changed source makes :func:`load_pack` rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from ._edges import PIECE_LENGTH, PIECE_SEGMENTS, EdgeIndex
from ._toml import load_toml
from ._version import __version__
from .crs import CGCS2000
from .errors import PackError
from .pack import (
    KINDS,
    Layer,
    LayerSpec,
    Pack,
    PackIssue,
    _load_table,
    _locate,
    _parse_catalog,
    file_checksum,
    load_pack,
)

CACHE_DIR = ".redline-cache"
#: Bumped whenever the cache layout or the normalisation changes.
CACHE_FORMAT = 3
_MANIFEST = "manifest.json"


def cache_dir(path: str | Path | None = None) -> Path:
    """The cache folder of a pack (whether or not it exists)."""
    folder, _ = _locate(path)
    return folder / CACHE_DIR


def compile_pack(path: str | Path | None = None) -> Path:
    """Load a pack from its sources and write its cache.

    Parameters
    ----------
    path
        The pack folder or its ``catalog.toml`` (``None``: the bundled demo pack).

    Returns
    -------
    Path
        The cache folder.

    Raises
    ------
    PackError
        When the pack is unusable or the cache cannot be written.
    """
    pack = load_pack(path, use_cache=False)
    folder, catalog_file = _locate(path)
    _, specs = _parse_catalog(load_toml(catalog_file, error=PackError), folder, [])
    tables = [file_checksum(s.path) for s in specs if s.kind in KINDS and KINDS[s.kind].table]
    rasters = [file_checksum(s.path) for s in specs if s.kind in KINDS
               and KINDS[s.kind].dim is None and not KINDS[s.kind].table]
    return _write(pack, _key([layer.sha256 for layer in pack.layers] + tables + rasters,
                             pack.catalog_sha256))


def drop_compiled(path: str | Path | None = None) -> bool:
    """Delete a pack's cache; return whether there was one."""
    folder = cache_dir(path)
    if folder.exists():
        shutil.rmtree(folder)
        return True
    return False


def cached_pack(folder: Path, catalog_file: Path) -> Pack | None:
    """The pack from its cache, or ``None`` when it has no cache.

    A cache that no longer matches the sources is rebuilt (when the folder is
    writable; otherwise the pack is loaded from its sources with a warning).
    """
    manifest_file = folder / CACHE_DIR / _MANIFEST
    if not manifest_file.exists():
        return None
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    raw = load_toml(catalog_file, error=PackError)
    meta, specs = _parse_catalog(raw, folder, [])
    tables = [s for s in specs if s.kind in KINDS and KINDS[s.kind].table]
    rasters = [s for s in specs if s.kind in KINDS and KINDS[s.kind].dim is None
               and not KINDS[s.kind].table]
    specs = [s for s in specs if s.kind in KINDS and KINDS[s.kind].dim is not None]
    catalog_sha = file_checksum(catalog_file)
    try:
        checksums = [file_checksum(spec.path) for spec in [*specs, *tables, *rasters]]
    except OSError:
        return None  # a source is missing: let the normal load report it
    key = _key(checksums, catalog_sha)
    if manifest.get("key") == key:
        try:
            return _read(folder, meta, specs, tables, rasters, manifest, catalog_sha)
        except (OSError, ValueError, KeyError, pa.ArrowException):
            pass  # damaged or half-replaced: rebuild below
    pack = load_pack(folder, use_cache=False)
    try:
        _write(pack, key)
    except PackError as exc:
        pack.issues.append(PackIssue("warning", None, f"compiled cache is stale: {exc}"))
    return pack


def _key(checksums: list[str], catalog_sha: str) -> str:
    digest = hashlib.sha256()
    cut_rule = f"pieces:{PIECE_SEGMENTS}:{PIECE_LENGTH!r}"
    for part in (str(CACHE_FORMAT), __version__, cut_rule, catalog_sha, *checksums):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _write(pack: Pack, key: str) -> Path:
    folder = pack.path / CACHE_DIR
    prefix = key[:16]
    try:
        folder.mkdir(exist_ok=True)
        layers = []
        for n, layer in enumerate(pack.layers):
            name = f"{prefix}-{n}.parquet"
            frame = _storable(layer.zones)
            frame["geometry_metric"] = gpd.GeoSeries(layer.metric, crs=pack.projector.equal_area,
                                                     index=frame.index)
            _atomic(folder / name, lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
            edges_name = None
            if len(layer.metric):
                edges_name = f"{prefix}-{n}-edges.parquet"
                edges = layer.edges
                table = pa.table({"owner": pa.array(edges.owner, pa.int64()),
                                  "piece": pa.array(shapely.to_wkb(edges.pieces), pa.binary())})
                _atomic(folder / edges_name, lambda tmp, t=table: pq.write_table(t, tmp))
            layers.append({"id": layer.id, "file": name, "edges": edges_name,
                           "sha256": layer.sha256,
                           "crs_in": layer.crs_in, "crs_how": layer.crs_how,
                           "encoding": layer.encoding, "repairs": layer.repairs,
                           "features_read": layer.features_read})
        unions = {layer.id: layer.union for layer in pack.layers
                  if layer.kind == "urban_boundary" and len(layer.zones)}
        union_file = None
        if unions:
            union_file = f"{prefix}-unions.parquet"
            frame = gpd.GeoDataFrame({"layer": list(unions)}, geometry=list(unions.values()),
                                     crs=pack.projector.equal_area)
            _atomic(folder / union_file, lambda tmp: frame.to_parquet(tmp, index=False))
        manifest = {
            "format": CACHE_FORMAT, "redline": __version__, "key": key,
            "catalog_sha256": pack.catalog_sha256,
            "issues": [[i.severity, i.layer, i.message] for i in pack.issues],
            "layers": layers, "unions": union_file,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1)
        _atomic(folder / _MANIFEST, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        keep = {_MANIFEST, *(entry["file"] for entry in layers),
                *(entry["edges"] for entry in layers), union_file}
        for old in folder.iterdir():
            if old.name not in keep and not old.name.startswith("."):
                old.unlink(missing_ok=True)
    except OSError as exc:
        raise PackError(f"{folder}: cannot write the compiled cache ({exc.strerror or exc})"
                        ) from None
    return folder


def _atomic(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _storable(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones frame with any column Parquet cannot hold turned into text."""
    frame = zones.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        try:
            pa.array(frame[column], from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    return frame


def _read(folder: Path, meta: dict, specs: list[LayerSpec], table_specs: list[LayerSpec],
          raster_specs: list[LayerSpec], manifest: dict, catalog_sha: str) -> Pack:
    cache = folder / CACHE_DIR
    by_id = {entry["id"]: entry for entry in manifest["layers"]}
    layers = []
    for spec in specs:
        entry = by_id[spec.id]
        # Plain Arrow read: the CRSs are known, no need to parse them from the metadata.
        table = pq.read_table(cache / entry["file"])
        metric = shapely.from_wkb(table["geometry_metric"].to_numpy(zero_copy_only=False))
        lonlat = shapely.from_wkb(table["geometry"].to_numpy(zero_copy_only=False))
        attributes = table.drop_columns(["geometry", "geometry_metric"]).to_pandas()
        zones = gpd.GeoDataFrame(attributes, geometry=lonlat, crs=CGCS2000)
        for column in ("zone_id", "zone_name", "zone_class", "zone_code", "class_raw"):
            values = zones[column].to_numpy(dtype=object)
            zones[column] = np.where(zones[column].isna().to_numpy(), None, values)
        layers.append(Layer(
            spec=spec, zones=zones, metric=np.asarray(metric, dtype=object),
            sha256=entry["sha256"], crs_in=entry["crs_in"], crs_how=entry["crs_how"],
            encoding=entry["encoding"], repairs=[tuple(r) for r in entry["repairs"]],
            features_read=entry["features_read"],
            edge_loader=_edge_loader(cache / entry["edges"]) if entry.get("edges") else None))
    issues = [PackIssue(*issue) for issue in manifest["issues"]]
    # Tables (access lists) are small: read from their sources (their issues were
    # recorded when the cache was written, and their checksums are part of the key).
    tables: dict = {}
    for spec in table_specs:
        tables.update(_load_table(spec, []))
    rasters = []
    if raster_specs:  # rasters are read window by window from their files: only opened here
        from .io.raster import load_raster_layer

        pack_crs = meta.get("crs", "EPSG:4490")
        rasters = [load_raster_layer(spec, pack_crs, []) for spec in raster_specs]
    pack = Pack(folder, meta, layers, issues, catalog_sha, tables, rasters=rasters)
    if manifest.get("unions"):
        unions = gpd.read_parquet(cache / manifest["unions"])
        for layer_id, union in zip(unions["layer"], unions.geometry.values, strict=True):
            shapely.prepare(union)
            pack.layer(layer_id).__dict__["union"] = union  # fills the cached property
    return pack


def _edge_loader(path: Path) -> Callable[[], EdgeIndex]:
    """A function reading a layer's boundary pieces from the cache (called at most once,
    by :attr:`redline.pack.Layer.edges`, when a screening needs the whole index)."""
    def load() -> EdgeIndex:
        table = pq.read_table(path)
        return EdgeIndex(shapely.from_wkb(table["piece"].to_numpy(zero_copy_only=False)),
                         table["owner"].to_numpy().astype(np.int64))
    return load
