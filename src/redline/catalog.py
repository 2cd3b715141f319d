"""Catalog entries as written and the checksums of their sources.

The lowest layer of the read stage: :class:`LayerSpec` (one ``[[layers]]`` entry),
:class:`PackIssue` (a problem found while reading a pack) and :func:`file_checksum`.
Readers of every layer kind (vector layers in :mod:`redline.pack`, access lists in
:mod:`redline.access.table`, rasters in :mod:`redline.io.raster`) build on them, so none
of them has to import the pack loader that calls them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PackIssue:
    """A problem found in a pack; ``severity`` is ``"error"`` or ``"warning"``."""

    severity: str
    layer: str | None
    message: str

    def __str__(self) -> str:
        where = f"layer {self.layer}: " if self.layer else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass
class LayerSpec:
    """One ``[[layers]]`` entry of the catalog, as written."""

    id: str
    kind: str
    title: str
    path: Path
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    id_field: str | None = None
    name_field: str | None = None
    class_field: str | None = None
    code_field: str | None = None
    classes: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class FromSpec:
    """Mixin for what a pack loads from one catalog entry: ``id``, ``kind``, ``title``, ``path``.

    The class using it has a ``spec`` (:class:`LayerSpec`) attribute.
    """

    spec: LayerSpec

    @property
    def id(self) -> str:
        """The catalog id."""
        return self.spec.id

    @property
    def kind(self) -> str:
        """The catalog kind."""
        return self.spec.kind

    @property
    def title(self) -> str:
        """The catalog title."""
        return self.spec.title

    @property
    def path(self) -> Path:
        """The source file (or folder)."""
        return self.spec.path


def file_checksum(path: Path) -> str:
    """SHA-256 of a layer source.

    A single file hashes as ``sha256sum`` would. A shapefile hashes all its sidecar
    files (same stem) and a folder (FileGDB) all its files: each file contributes its
    name, a NUL byte and its SHA-256, in sorted order.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() != ".shp":
        return _sha256(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(path.parent).as_posix().encode() + b"\0")
        digest.update(_sha256(file).encode())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
