"""Find the right reader for a project file and read it into :class:`RawFeatures`.

Dispatch is by suffix, with a look at the bytes where names lie (a DWG saved as
``.dxf``, a survey TXT): archives (``.zip``, ``.kmz``) are checked and extracted into a
scratch folder first; coordinate tables and survey TXT have their own readers; DXF
goes through :mod:`redline.io.cad`; GeoParquet through geopandas; everything else
through GDAL (:mod:`redline.io.vector`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .archive import TABLE_SUFFIXES, choose_member, extract_archive, find_datasets
from .cad import dwg_message, is_dwg, read_dxf
from .raw import RawFeatures
from .survey_txt import looks_like_survey_txt, read_survey_txt
from .tables import read_table
from .vector import list_layers, read_vector

#: Formats whose layers are folders of one dataset: all layers are read together.
_FOLDER_LAYERS = (".kml",)
#: Formats whose layer name is worth keeping in ``source``.
_NAMED_LAYERS = (".gpkg", ".gdb", ".sqlite")
_scratch = count()


def read_source(path: Path, *, layer: str | None = None, encoding: str | None = None,
                cad_layers: Sequence[str] = (), workdir: Path,
                display: str | None = None) -> RawFeatures:
    """Read any supported project file into raw features.

    Parameters
    ----------
    path
        The file (or FileGDB folder).
    layer
        ``--layer``: a layer (GeoPackage, FileGDB, KML), a dataset inside an archive,
        or a worksheet of a workbook.
    encoding
        ``--encoding`` for attribute text, CSV/TXT text or DXF text.
    cad_layers
        ``--cad-layer`` names for DXF.
    workdir
        A scratch folder for extracted archives (the caller removes it).
    display
        How to name the dataset in messages (default: the file name).

    Returns
    -------
    RawFeatures
    """
    display = display or path.name
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); re-export or re-copy it")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, layer=layer, encoding=encoding, cad_layers=cad_layers,
                         workdir=workdir, display=display)
    if suffix == ".kmz":
        return _read_kmz(path, layer=layer, encoding=encoding, workdir=workdir, display=display)
    if suffix == ".dwg" or (suffix == ".dxf" and is_dwg(path)):
        raise InputError(dwg_message(display))
    if suffix == ".dxf":
        return read_dxf(path, display, cad_layers=cad_layers, encoding=encoding)
    if suffix in TABLE_SUFFIXES:
        return read_table(path, display, encoding=encoding, sheet=layer)
    if suffix == ".txt":
        if looks_like_survey_txt(path):
            return read_survey_txt(path, display, encoding=encoding)
        return read_table(path, display, encoding=encoding)
    if suffix in (".parquet", ".geoparquet"):
        return _read_geoparquet(path, display)
    return _read_gdal(path, display, layer=layer, encoding=encoding)


def _read_gdal(path: Path, display: str, *, layer: str | None, encoding: str | None
               ) -> RawFeatures:
    suffix = path.suffix.lower()
    if suffix in _FOLDER_LAYERS and layer is None:
        layers = list_layers(path)
        if len(layers) > 1:
            parts = [read_vector(path, layer=name, encoding=encoding) for name in layers]
            parts = [p for p in parts if len(p.attributes)]
            if not parts:
                raise InputError(f"{path}: holds no features")
            raws = [RawFeatures.from_vector(path, display, p.geometry, p.attributes, p.crs,
                                            layer=p.layer, label_layer=True, warnings=p.warnings)
                    for p in parts]
            return _concat(raws)
    source = read_vector(path, layer=layer, encoding=encoding)
    label_layer = suffix in _NAMED_LAYERS or path.is_dir()
    return RawFeatures.from_vector(path, display, source.geometry, source.attributes, source.crs,
                                   layer=source.layer, label_layer=label_layer,
                                   warnings=source.warnings)


def _concat(raws: list[RawFeatures]) -> RawFeatures:
    first = raws[0]
    where = [f"{r.layer} {w}" for r in raws for w in r.where]
    return RawFeatures(
        path=first.path, display=first.display,
        geometry=np.concatenate([r.geometry for r in raws]),
        attributes=pd.concat([r.attributes for r in raws], ignore_index=True),
        labels=[lab for r in raws for lab in r.labels], where=where, crs=first.crs,
        warnings=list(dict.fromkeys(w for r in raws for w in r.warnings)))


def _read_geoparquet(path: Path, display: str) -> RawFeatures:
    import geopandas as gpd
    import pyarrow

    try:
        frame = gpd.read_parquet(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise InputError(f"{display}: cannot read as Parquet ({type(exc).__name__}: "
                         f"{_first_line(exc)}); re-export it") from None
    except ValueError as exc:
        raise InputError(f"{display}: not a GeoParquet file ({_first_line(exc)}); write it "
                         "with GeoParquet metadata (geopandas to_parquet, GDAL ≥ 3.8)") from None
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return RawFeatures.from_vector(path, display, frame.geometry.to_numpy(), attributes,
                                   frame.crs)


def _scratch_dir(workdir: Path) -> Path:
    folder = workdir / f"archive-{next(_scratch)}"
    folder.mkdir(parents=True)
    return folder


def _read_zip(path: Path, *, layer, encoding, cad_layers, workdir: Path, display: str
              ) -> RawFeatures:
    folder = extract_archive(path, _scratch_dir(workdir))
    members = find_datasets(folder)
    member, pass_layer, notes = choose_member(path, members, layer)
    try:
        raw = read_source(member.path, layer=pass_layer, encoding=encoding,
                          cad_layers=cad_layers, workdir=workdir,
                          display=f"{display}/{member.name}")
    except InputError as exc:
        raise InputError(str(exc).replace(str(member.path), f"{path}/{member.name}")
                         .replace(str(folder), str(path))) from None
    raw.path = path
    raw.warnings = notes + raw.warnings
    return raw


def _read_kmz(path: Path, *, layer, encoding, workdir: Path, display: str) -> RawFeatures:
    folder = extract_archive(path, _scratch_dir(workdir))
    kmls = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".kml" and p.is_file())
    if not kmls:
        raise InputError(f"{path}: the KMZ holds no .kml document; export it again")
    main = next((p for p in kmls if p.name.lower() == "doc.kml"), kmls[0])
    try:
        raw = _read_gdal(main, display, layer=layer, encoding=encoding)
    except InputError as exc:
        raise InputError(str(exc).replace(str(main), str(path))) from None
    raw.path = path
    return raw


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
