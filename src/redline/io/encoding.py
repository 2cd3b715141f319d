"""Which text encoding a shapefile's attribute table (DBF) uses.

Chinese DBF files are usually GBK, but the ``.cpg`` that should say so is often
missing. The order is: an encoding given by the user or catalog, then the ``.cpg``,
then the bytes themselves: strict UTF-8 when they decode, else GB18030 (a superset of
GBK and GB2312). The caller records which rule decided.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding to read a DBF with, and how it was chosen."""

    encoding: str | None
    how: str  # "given", "cpg", "detected", "ascii" or "not a shapefile"

    def describe(self) -> str:
        """A short human description such as ``GB18030 (detected: not valid UTF-8)``."""
        if self.encoding is None:
            return "per format (UTF-8)" if self.how == "not a shapefile" else "driver default"
        return f"{self.encoding} ({self.how})"


def choose_encoding(path: Path, layer: str | None = None,
                    given: str | None = None) -> EncodingChoice:
    """Choose the attribute encoding for a shapefile (plain or zipped).

    Parameters
    ----------
    path
        The ``.shp`` file or a ``.zip`` holding one.
    layer
        For a zip with several shapefiles, the shapefile's base name.
    given
        An encoding named by the user or the catalog; wins when present.

    Returns
    -------
    EncodingChoice
    """
    if given:
        return EncodingChoice(given, "given")
    sidecars = _shapefile_sidecars(path, layer)
    if sidecars is None:
        return EncodingChoice(None, "not a shapefile")
    cpg, dbf = sidecars
    if cpg:
        declared = cpg.decode("ascii", "replace").strip()
        if declared:
            return EncodingChoice(_cpg_name(declared), "cpg")
    if not dbf:
        return EncodingChoice(None, "no DBF")
    return _detect(dbf)


def _detect(dbf: bytes) -> EncodingChoice:
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    # Field names (from byte 32) and records are all the text a DBF holds.
    text = dbf[32:header_len] + dbf[header_len:]
    if text.isascii():
        return EncodingChoice("UTF-8", "ascii")
    try:
        text.decode("utf-8")
        return EncodingChoice("UTF-8", "detected")
    except UnicodeDecodeError:
        pass
    try:
        text.decode("gb18030")
        return EncodingChoice("GB18030", "detected: not valid UTF-8")
    except UnicodeDecodeError:
        return EncodingChoice("ISO-8859-1", "detected: neither UTF-8 nor GB18030")


def _cpg_name(declared: str) -> str:
    # ArcGIS writes code page numbers; 936 is GBK, 65001 UTF-8.
    return {"936": "GBK", "65001": "UTF-8", "UTF8": "UTF-8"}.get(declared.upper(), declared)


def _shapefile_sidecars(path: Path, layer: str | None) -> tuple[bytes | None, bytes | None] | None:
    suffix = path.suffix.lower()
    if suffix == ".shp":
        cpg, dbf = path.with_suffix(".cpg"), path.with_suffix(".dbf")
        cpg = next((p for p in (cpg, path.with_suffix(".CPG")) if p.exists()), None)
        dbf = next((p for p in (dbf, path.with_suffix(".DBF")) if p.exists()), None)
        return (cpg.read_bytes() if cpg else None, dbf.read_bytes() if dbf else None)
    if suffix == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            shps = [n for n in names if n.endswith(".shp")]
            if layer:
                shps = [n for n in shps if Path(n).stem == layer.lower()] or shps
            if not shps:
                return None
            base = shps[0][:-4]
            cpg = names.get(base + ".cpg")
            dbf = names.get(base + ".dbf")
            return (zf.read(cpg) if cpg else None, zf.read(dbf) if dbf else None)
    return None
