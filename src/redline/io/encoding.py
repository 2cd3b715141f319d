"""Which text encoding a shapefile's attribute table (DBF) or a text file uses.

Chinese DBF files are usually GBK, but the ``.cpg`` that should say so is often
missing or wrong. The order is: an encoding given by the user or catalog, then the
``.cpg`` (unless the bytes contradict a declared UTF-8), then the DBF's language-driver
byte, then the bytes themselves: strict UTF-8 when they decode, else GB18030 (a
superset of GBK and GB2312). Text files (CSV tables, survey TXT) follow the same order
with a byte-order mark in place of the ``.cpg``. The caller records which rule decided.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


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
            name = _cpg_name(declared)
            if name == "UTF-8" and dbf and not _is_utf8(_dbf_text(dbf)):
                detected = _detect(dbf)
                return EncodingChoice(detected.encoding,
                                      "detected: the .cpg says UTF-8 but the bytes are not")
            return EncodingChoice(name, "cpg")
    if not dbf:
        return EncodingChoice(None, "no DBF")
    ldid = dbf[29] if len(dbf) > 29 else 0
    if ldid in _LDID and not _dbf_text(dbf).isascii():
        name = _LDID[ldid]
        try:
            _dbf_text(dbf).decode(name)
            return EncodingChoice(name, "DBF language byte")
        except UnicodeDecodeError:
            pass
    return _detect(dbf)


#: DBF language-driver ids that name a Chinese code page (0x4D: CP936/GBK, 0x7A: CP936).
_LDID = {0x4D: "GBK", 0x7A: "GBK"}


def _dbf_text(dbf: bytes) -> bytes:
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else 0
    # Field names (from byte 32) and records are all the text a DBF holds.
    return dbf[32:header_len] + dbf[header_len:]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_text(data: bytes, given: str | None = None) -> tuple[str, EncodingChoice]:
    """Decode a text file (CSV table, survey TXT) the way DBF text is decoded.

    Order: ``given`` → a byte-order mark → ASCII / strict UTF-8 → GB18030.

    Parameters
    ----------
    data
        The file's bytes.
    given
        An encoding named by the user (``--encoding``).

    Returns
    -------
    (text, EncodingChoice)

    Raises
    ------
    LookupError
        When ``given`` is not an encoding Python knows.
    UnicodeDecodeError
        When ``given`` does not decode the bytes.
    """
    if given:
        return data.decode(given), EncodingChoice(given, "given")
    for bom, name in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                      (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(name), EncodingChoice(name.upper().replace("-SIG", ""), "BOM")
    if data.isascii():
        return data.decode("ascii"), EncodingChoice("UTF-8", "ascii")
    if _is_utf8(data):
        return data.decode("utf-8"), EncodingChoice("UTF-8", "detected")
    try:
        return data.decode("gb18030"), EncodingChoice("GB18030", "detected: not valid UTF-8")
    except UnicodeDecodeError:
        return (data.decode("latin-1"),
                EncodingChoice("ISO-8859-1", "detected: neither UTF-8 nor GB18030"))


def _detect(dbf: bytes) -> EncodingChoice:
    text = _dbf_text(dbf)
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


def read_text_file(path: Path, display: str, encoding: str | None,
                   again: str = "export it again") -> tuple[str, str | None]:
    """Read and decode a text input (corner table, survey TXT).

    Returns the text and, when the encoding was detected rather than given and is not
    UTF-8, the warning that says which one was used.

    Raises
    ------
    InputError
        The file is empty, or cannot be decoded with the given encoding.
    """
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{display}: the file is empty; {again}")
    try:
        text, choice = decode_text(data, encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise InputError(f"{display}: cannot decode the text as {encoding} "
                         f"({type(exc).__name__}); pass the right --encoding") from None
    note = None
    if choice.how.startswith("detected") and choice.encoding != "UTF-8":
        note = f"{display}: text encoding {choice.describe()}; pass --encoding to override"
    return text, note
