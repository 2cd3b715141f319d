"""Read any vector source that GDAL/OGR reads, through pyogrio.

Shapefiles (plain or zipped), GeoPackage, FileGDB, GeoJSON, KML and the rest come
back as a GeoDataFrame in their own CRS, together with the facts a report must
name: the layer read, the declared CRS and the attribute encoding used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
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
    frame
        The features, in the CRS of the file (``frame.crs`` is ``None`` when the file
        declares none).
    encoding
        The attribute encoding used and how it was chosen.
    warnings
        Things assumed while reading.
    """

    path: Path
    layer: str | None
    frame: gpd.GeoDataFrame
    encoding: EncodingChoice
    warnings: list[str] = field(default_factory=list)

    @property
    def crs(self) -> CRS | None:
        """The CRS the file declares, if any."""
        return self.frame.crs


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
    if not path.exists():
        raise InputError(f"{path}: no such file")
    layers = list_layers(path)
    if not layers:
        raise InputError(f"{path}: holds no vector layer")
    if layer is None:
        if len(layers) > 1:
            raise InputError(
                f"{path}: holds {len(layers)} layers ({', '.join(layers)}); choose one with --layer")
        layer = layers[0]
    elif layer not in layers:
        raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(layers)})")
    choice = choose_encoding(path, layer, encoding)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=choice.encoding,
                                       use_arrow=True)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read layer {layer!r} ({_first_line(exc)})") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise InputError(f"{path}: layer {layer!r} has no geometry column")
    warnings = []
    if choice.how.startswith("detected"):
        warnings.append(f"attribute encoding {choice.describe()}; pass an encoding to override")
    return VectorSource(path, layer, frame, choice, warnings)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
