"""Open zip archives (and KMZ) safely and find the datasets inside them.

Project files arrive zipped, often with folders inside, sometimes with several
shapefiles, sometimes made on Windows with GBK file names. Before anything is read,
every entry is checked: no entry may escape the extraction folder (zip-slip: absolute
paths, ``..``, links), and the archive may not expand past a sane size or compress
suspiciously well (zip bombs). Extraction streams each entry and stops as soon as it
writes more than the entry declared.
"""

from __future__ import annotations

import contextlib
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError


@dataclass(frozen=True)
class ZipLimits:
    """Limits for expanding an archive.

    Attributes
    ----------
    max_entries
        Most entries an archive may hold.
    max_total_bytes
        Most bytes all entries may expand to.
    max_ratio
        Largest compression ratio of an entry larger than ``ratio_floor_bytes``
        (real GIS data compresses up to ~20×; bombs reach 1000×).
    ratio_floor_bytes
        Entries smaller than this are not ratio-checked.
    """

    max_entries: int = 10_000
    max_total_bytes: int = 4 * 1024**3
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024**2


DEFAULT_LIMITS = ZipLimits()

#: Dataset kinds found in archives, in order of preference: GIS vector data first, then
#: land-survey TXT, then coordinate tables.
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".gml", ".fgb",
                   ".parquet", ".geoparquet", ".dxf", ".dwg", ".sqlite")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
TEXT_SUFFIXES = (".txt",)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name, re-decoded from GBK when the archive did not flag UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800 and not name.isascii():
        # zipfile decoded the raw bytes as CP437; Chinese Windows wrote GBK
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name.replace("\\", "/")


def check_archive(path: Path, limits: ZipLimits = DEFAULT_LIMITS) -> list[tuple[zipfile.ZipInfo, str]]:
    """Check every entry of a zip archive without extracting it.

    Returns
    -------
    list of (ZipInfo, safe relative name)
        The file entries (folders left out).

    Raises
    ------
    InputError
        Corrupt or truncated archive, an entry that escapes the folder, an encrypted
        entry, or an archive that expands past the limits.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{path}: not a readable zip archive (corrupt or truncated); "
                         "re-create or re-download it") from None
    with zf:
        infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise InputError(f"{path}: holds {len(infos):,} entries (limit {limits.max_entries:,}); "
                         "refusing to expand it")
    entries = []
    total = 0
    for info in infos:
        name = _entry_name(info)
        parts = PurePosixPath(name).parts
        mode = info.external_attr >> 16
        if (name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts
                or stat.S_ISLNK(mode)):
            raise InputError(f"{path}: entry {name!r} points outside the archive's folder "
                             "(zip-slip); refusing the archive — re-create it with relative paths")
        if info.flag_bits & 0x1:
            raise InputError(f"{path}: entry {name!r} is password-protected; "
                             "send an unencrypted archive")
        if info.is_dir():
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(f"{path}: expands to more than {limits.max_total_bytes / 1024**3:.0f} "
                             "GiB (a zip bomb?); refusing to expand it")
        if (info.file_size > limits.ratio_floor_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            ratio = info.file_size / max(info.compress_size, 1)
            raise InputError(f"{path}: entry {name!r} expands {ratio:,.0f} times "
                             f"(limit {limits.max_ratio:g}×; a zip bomb?); refusing to expand it")
        entries.append((info, name))
    return entries


def extract_archive(path: Path, dest: Path, limits: ZipLimits = DEFAULT_LIMITS) -> Path:
    """Check and extract a zip archive into ``dest`` (streamed, size-capped).

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    InputError
        See :func:`check_archive`; also an entry whose data is corrupt or longer than
        it declared.
    """
    entries = check_archive(path, limits)
    root = dest.resolve()
    with zipfile.ZipFile(path) as zf:
        for info, name in entries:
            target = (root / name).resolve()
            if root not in target.parents:
                raise InputError(f"{path}: entry {name!r} points outside the archive's folder "
                                 "(zip-slip); refusing the archive")
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size:
                            raise InputError(f"{path}: entry {name!r} expands past its declared "
                                             "size (a zip bomb?); refusing it")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise InputError(f"{path}: entry {name!r} is corrupt or truncated "
                                 f"({_first_line(exc)}); re-create the archive") from None
    return dest


@dataclass(frozen=True)
class Member:
    """One dataset found in an extracted archive."""

    path: Path
    name: str  # relative path inside the archive, with '/' separators
    family: int  # 0 vector, 1 survey TXT, 2 table

    @property
    def stem(self) -> str:
        """The file name without suffix (a shapefile's layer name)."""
        return PurePosixPath(self.name).stem


def find_datasets(folder: Path) -> list[Member]:
    """The datasets under an extracted archive's folder, in name order.

    FileGDB folders count as one dataset; files under ``__MACOSX`` and hidden files are
    skipped; a ``.txt`` counts only when it is a land-survey boundary file.
    """
    from .survey_txt import looks_like_survey_txt

    members = []
    gdbs = sorted(p for p in folder.rglob("*") if p.is_dir() and p.suffix.lower() == ".gdb")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.split("/")):
            continue
        if any(g == path or g in path.parents for g in gdbs):
            if path in gdbs:
                members.append(Member(path, rel, 0))
            continue
        if not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix in VECTOR_SUFFIXES:
            members.append(Member(path, rel, 0))
        elif suffix in TEXT_SUFFIXES and looks_like_survey_txt(path):
            members.append(Member(path, rel, 1))
        elif suffix in TABLE_SUFFIXES:
            members.append(Member(path, rel, 2))
    return members


def choose_member(archive: Path, members: list[Member], layer: str | None
                  ) -> tuple[Member, str | None, list[str]]:
    """Pick the dataset to read from an archive.

    Parameters
    ----------
    archive
        The archive (for messages).
    members
        What :func:`find_datasets` found.
    layer
        ``--layer``: a dataset's name, stem or path inside the archive; when it names
        none of them and the archive holds one multi-layer dataset, it is passed on.

    Returns
    -------
    (Member, layer to pass on, warnings)
    """
    if not members:
        raise InputError(f"{archive}: holds no dataset redline reads (shapefile, GeoPackage, "
                         "GeoJSON, KML, DXF, FileGDB, CSV/XLSX coordinate table, survey TXT…)")
    if layer:
        wanted = layer.lower().strip("/")
        hits = [m for m in members if wanted in (m.name.lower(), m.stem.lower(),
                                                 PurePosixPath(m.name).name.lower())]
        if len(hits) == 1:
            return hits[0], None, []
        if len(hits) > 1:
            raise InputError(f"{archive}: --layer {layer!r} matches several datasets "
                             f"({', '.join(m.name for m in hits)}); give the path inside the zip")
    best = min(m.family for m in members)
    top = [m for m in members if m.family == best]
    if len(top) > 1:
        listed = ", ".join(m.name for m in top)
        if layer:
            raise InputError(f"{archive}: no dataset {layer!r}; it holds {len(top)}: {listed}")
        raise InputError(f"{archive}: holds {len(top)} datasets ({listed}); "
                         "choose one with --layer")
    others = [m.name for m in members if m.family != best]
    warnings = [f"{archive.name}: read {top[0].name}; also in the archive and not read: "
                f"{', '.join(others)} (choose with --layer)"] if others else []
    return top[0], layer, warnings


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
