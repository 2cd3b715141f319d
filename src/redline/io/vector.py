"""Read any vector source that GDAL/OGR reads, through pyogrio.

Shapefiles (plain or zipped), GeoPackage, FileGDB, GeoJSON, KML and the rest come
back as a GeoDataFrame in their own CRS, together with the facts a report must
name: the layer read, the declared CRS and the attribute encoding used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from ..errors import InputError
from .encoding import EncodingChoice, choose_encoding


@dataclass
class VectorSource:
    """A vector layer as read from disk.

    Attributes
    ----------
    path, layer
        What was read.
    attributes
        The attribute table (field names as in the file).
    geometry
        Shapely geometries, in the CRS of the file.
    crs
        The CRS the file declares (``None`` when it declares none).
    encoding
        The attribute encoding used and how it was chosen.
    warnings
        Things assumed while reading.
    """

    path: Path
    layer: str | None
    attributes: pd.DataFrame
    geometry: np.ndarray
    crs: CRS | None
    encoding: EncodingChoice
    warnings: list[str] = field(default_factory=list)

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """Attributes and geometry as one GeoDataFrame (in the file's CRS)."""
        return gpd.GeoDataFrame(self.attributes, geometry=self.geometry, crs=self.crs)


#: Formats that always hold exactly one layer: no need to list layers first.
_SINGLE_LAYER = {".shp", ".geojson", ".json", ".fgb", ".geojsonl", ".geojsons"}


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in a vector source (raises :class:`InputError`)."""
    path = Path(path)
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(f"{path}: cannot open as a vector data source ({_first_line(exc)})") from None


def read_vector(path: str | Path, *, layer: str | None = None,
                encoding: str | None = None) -> VectorSource:
    """Read one layer of a vector source.

    Parameters
    ----------
    path
        File or folder (FileGDB) path; ``.zip`` archives are read in place.
    layer
        Layer name; required when the source holds several layers.
    encoding
        Attribute encoding; for shapefiles without it the ``.cpg`` or the DBF bytes
        decide (see :mod:`redline.io.encoding`).

    Returns
    -------
    VectorSource

    Raises
    ------
    InputError
        Missing file, unreadable source, ambiguous or unknown layer.
    """
    path = Path(path)
    layer, choice = resolve_layer(path, layer, encoding)
    try:
        meta, table = pyogrio.read_arrow(
            path, layer=None if path.suffix.lower() in _SINGLE_LAYER else layer,
            encoding=choice.encoding)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read layer {layer!r} ({_first_line(exc)})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: attribute text is not {choice.encoding or 'UTF-8'}; "
                         "pass the right encoding") from None
    return source_from_arrow(path, layer, meta, table, choice)


def resolve_layer(path: Path, layer: str | None, encoding: str | None
                  ) -> tuple[str, EncodingChoice]:
    """The layer to read from ``path`` and the attribute encoding to read it with.

    Raises
    ------
    InputError
        Missing file, unreadable source, ambiguous or unknown layer.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); re-export or re-copy it")
    if path.suffix.lower() == ".shp" and path.is_file():
        check_shapefile(path)
    if layer is None and path.suffix.lower() in _SINGLE_LAYER and path.is_file():
        layer = path.stem
    else:
        layers = list_layers(path)
        if not layers:
            raise InputError(f"{path}: holds no vector layer")
        if layer is None:
            if len(layers) > 1:
                raise InputError(f"{path}: holds {len(layers)} layers ({', '.join(layers)}); "
                                 "choose one with --layer")
            layer = layers[0]
        elif layer not in layers:
            raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(layers)})")
    return layer, choose_encoding(path, layer, encoding)


def layer_argument(path: Path, layer: str) -> str | None:
    """The ``layer`` argument pyogrio needs (``None`` for single-layer formats)."""
    return None if path.suffix.lower() in _SINGLE_LAYER else layer


def source_from_arrow(path: Path, layer: str, meta: dict, table, choice: EncodingChoice
                      ) -> VectorSource:
    """Wrap an Arrow table read by pyogrio (the whole layer or a batch of it).

    Raises
    ------
    InputError
        When the layer has no geometry column.
    """
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    if geometry_name not in table.column_names:
        raise InputError(f"{path}: layer {layer!r} has no geometry column")
    geometry = shapely.from_wkb(table[geometry_name].to_numpy(zero_copy_only=False))
    attributes = table.drop_columns([geometry_name]).to_pandas()
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    warnings = []
    if choice.how.startswith("detected"):
        warnings.append(f"attribute encoding {choice.describe()}; pass an encoding to override")
    return VectorSource(path, layer, attributes, np.asarray(geometry, dtype=object), crs,
                        choice, warnings)


def check_shapefile(path: Path) -> None:
    """Refuse a shapefile whose parts are missing or shorter than their headers say.

    GDAL reads a truncated ``.shp`` without complaint, returning empty geometries for
    the lost records; the headers give the true lengths, so compare them.

    Raises
    ------
    InputError
        A missing ``.dbf``/``.shx`` or a part shorter than its header declares.
    """
    parts = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
    missing = [s for s in (".shx", ".dbf") if s not in parts]
    if missing:
        raise InputError(f"{path}: the shapefile has no {' or '.join(missing)} beside it; "
                         "copy all of its files (.shp, .shx, .dbf, .prj, .cpg) together")
    for suffix in (".shp", ".shx"):
        part = parts.get(suffix, path)
        with open(part, "rb") as fh:
            head = fh.read(28)
        size = part.stat().st_size
        if len(head) < 28 or int.from_bytes(head[:4], "big") != 9994:
            raise InputError(f"{part}: not a valid {suffix} file (bad header); re-export the shapefile")
        declared = int.from_bytes(head[24:28], "big") * 2
        if size < declared:
            raise InputError(f"{part}: truncated (its header says {declared:,} bytes, the file "
                             f"has {size:,}); re-copy or re-export the shapefile")
    dbf = parts[".dbf"]
    with open(dbf, "rb") as fh:
        head = fh.read(12)
    if len(head) == 12:
        records = int.from_bytes(head[4:8], "little")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        declared = header_len + records * record_len
        if dbf.stat().st_size < declared:
            raise InputError(f"{dbf}: truncated (its header says {declared:,} bytes, the file "
                             f"has {dbf.stat().st_size:,}); re-copy or re-export the shapefile")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
