"""Batch inputs: find the sources, plan the chunks, stream each chunk's features.

A batch reads one or more files or folders (searched recursively); every feature is
one project. Before anything is screened the plan is made: each source's layer and
encoding, its feature count and checksum, and its ids (so that repeated ids are a
clear error up front, and ids that repeat *across* files are qualified by the file).
The plan cuts each source into chunks of consecutive features; a chunk is the unit
that is screened, written and resumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from .errors import InputError
from .io.encoding import EncodingChoice
from .io.projects import ID_FIELDS, layer_label, project_ids
from .io.vector import VectorSource, layer_argument, resolve_layer, source_from_arrow
from .pack import file_checksum

#: File suffixes picked up when a folder is given (a ``.gdb`` folder is one source).
VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".kmz", ".gml",
                   ".geojsonl", ".geojsons", ".zip", ".sqlite"}


@dataclass
class Source:
    """One layer of one input file."""

    path: Path
    layer: str
    label: str | None  # layer named in each project's ``source``
    encoding: EncodingChoice
    features: int
    checksum: str
    geometry_type: str
    id_field: str | None
    prefix: str = ""  # prepended to ids when ids repeat across sources

    @property
    def name(self) -> str:
        """How the source is named in messages and id prefixes."""
        return f"{self.path.name}:{self.label}" if self.label else self.path.name

    def describe(self) -> dict:
        """The source as recorded in the batch manifest."""
        return {"path": str(self.path), "layer": self.layer, "features": self.features,
                "sha256": self.checksum, "id_field": self.id_field, "id_prefix": self.prefix}


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive features of one source."""

    index: int
    source: int
    start: int
    count: int


def find_inputs(inputs: list[str | Path], exclude: Path | None = None) -> list[Path]:
    """Files named, and vector files found in folders named (recursively, sorted)."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir() and path.suffix.lower() != ".gdb":
            for candidate in sorted(path.rglob("*")):
                if exclude is not None and _inside(candidate, exclude):
                    continue
                if any(part.startswith(".") for part in candidate.relative_to(path).parts):
                    continue
                gdb = candidate.is_dir() and candidate.suffix.lower() == ".gdb"
                vector = (candidate.is_file() and candidate.suffix.lower() in VECTOR_SUFFIXES
                          and not any(p.suffix.lower() == ".gdb" for p in candidate.parents))
                if gdb or vector:
                    found.append(candidate)
        else:
            found.append(path)
    if not found:
        raise InputError(f"no vector files found in {', '.join(str(i) for i in inputs)}")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def plan_sources(paths: list[Path], *, layer: str | None, encoding: str | None,
                 id_field: str | None, options: dict[str, str | None] | None = None
                 ) -> list[Source]:
    """Open every input, count its features and check that project ids are unique.

    ``options`` maps options (``--industry-field``) to the field they name, which
    every input must have.

    Raises
    ------
    InputError
        An input cannot be opened, names no usable layer, lacks the id field or a
        field named in ``options``, or repeats an id within itself.
    """
    sources = []
    all_ids = []
    for path in paths:
        name, choice = resolve_layer(path, layer, encoding)
        try:
            info = pyogrio.read_info(path, layer=layer_argument(path, name),
                                     encoding=choice.encoding, force_feature_count=True)
        except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read layer {name!r} ({exc})") from None
        fields = [str(f) for f in info["fields"]]
        field = id_field if id_field else next((f for f in ID_FIELDS if f in fields), None)
        named = {"--id-field": id_field, **(options or {})}
        for option, wanted in named.items():
            if wanted and wanted not in fields:
                raise InputError(f"{option}: {path.name} has no field {wanted!r} "
                                 f"(fields: {', '.join(fields)})")
        source = Source(path=path, layer=name, label=layer_label(path, layer, name),
                        encoding=choice, features=int(info["features"]),
                        checksum=file_checksum(path), geometry_type=str(info["geometry_type"]),
                        id_field=field)
        ids = _read_ids(source, 0, source.features)
        repeated = pd.Series(ids).duplicated(keep=False)
        if repeated.any():
            shown = ", ".join(sorted(set(np.asarray(ids, dtype=object)[repeated.to_numpy()]))[:5])
            raise InputError(f"{source.name}: project ids must be unique; repeated: {shown} "
                             "(choose another field with --id-field)")
        all_ids.append(pd.Series(ids, dtype=object))
        sources.append(source)
    if len(sources) > 1 and pd.concat(all_ids, ignore_index=True).duplicated().any():
        for source in sources:
            source.prefix = f"{source.name}:"
    return sources


def _read_ids(source: Source, start: int, count: int) -> list[str]:
    """The ids of ``count`` features from ``start``, as the reader would make them."""
    if source.id_field is None or count == 0:
        return [str(i) for i in range(start, start + count)]
    _, table = pyogrio.read_arrow(
        source.path, layer=layer_argument(source.path, source.layer), read_geometry=False,
        columns=[source.id_field], encoding=source.encoding.encoding, skip_features=start,
        max_features=count)
    return project_ids(table.to_pandas(), source.id_field, source.path.name, start)


def plan_chunks(sources: list[Source], chunk_size: int) -> list[Chunk]:
    """Cut every source into chunks of at most ``chunk_size`` consecutive features."""
    chunks = []
    for s, source in enumerate(sources):
        for start in range(0, source.features, chunk_size):
            chunks.append(Chunk(len(chunks), s, start, min(chunk_size, source.features - start)))
    return chunks


@dataclass
class ChunkFeatures:
    """A chunk's features as read: an Arrow table whose geometry is still WKB.

    Cheap to send to a worker process (Arrow buffers pickle as they are); the
    geometries are decoded by :meth:`source` where the chunk is screened.
    """

    path: Path
    layer: str
    meta: dict
    table: pa.Table
    encoding: EncodingChoice

    def source(self) -> VectorSource:
        """The features as a :class:`~redline.io.vector.VectorSource` (geometries decoded).

        Raises
        ------
        InputError
            When the layer has no geometry column.
        """
        return source_from_arrow(self.path, self.layer, self.meta, self.table, self.encoding)


def read_chunks(sources: list[Source], chunks: list[Chunk]
                ) -> Iterator[tuple[Chunk, ChunkFeatures | None, str | None]]:
    """Stream the features of ``chunks`` (in order), one table per chunk.

    Consecutive chunks of a source are read from one Arrow stream, so every feature
    is read once, whatever the format. A chunk that cannot be read comes back as
    ``(chunk, None, message)``; reading resumes at the next chunk.
    """
    run: list[Chunk] = []
    for chunk in chunks:
        if run and (chunk.source != run[-1].source or chunk.start != run[-1].start + run[-1].count):
            yield from _read_run(sources[run[0].source], run)
            run = []
        run.append(chunk)
    if run:
        yield from _read_run(sources[run[0].source], run)


def _read_run(source: Source, run: list[Chunk]
              ) -> Iterator[tuple[Chunk, ChunkFeatures | None, str | None]]:
    first = run[0].start
    done = 0
    try:
        with pyogrio.open_arrow(source.path, layer=layer_argument(source.path, source.layer),
                                encoding=source.encoding.encoding, skip_features=first,
                                batch_size=min(run[0].count, 65536),
                                use_pyarrow=True) as (meta, reader):
            pending: list[pa.RecordBatch] = []
            held = 0
            for chunk in run:
                while held < chunk.count:
                    batch = reader.read_next_batch()
                    pending.append(batch)
                    held += batch.num_rows
                table = pa.Table.from_batches(pending)
                rest = table.slice(chunk.count)
                table = table.slice(0, chunk.count)
                pending, held = rest.to_batches(), rest.num_rows
                yield chunk, ChunkFeatures(source.path, source.layer, meta, table,
                                           source.encoding), None
                done += 1
    except (StopIteration, DataSourceError, DataLayerError, OSError, ValueError,
            UnicodeDecodeError, pa.ArrowException, InputError) as exc:
        message = f"{source.name}: cannot read features {run[done].start}–" \
                  f"{run[done].start + run[done].count - 1} ({type(exc).__name__}: {exc})"
        yield run[done], None, message
        if done + 1 < len(run):
            yield from _read_run(source, run[done + 1:])


def unreadable_ids(source: Source, chunk: Chunk) -> list[str]:
    """Ids for the features of a chunk that could not be read (numbers if need be)."""
    try:
        return _read_ids(source, chunk.start, chunk.count)
    except Exception:  # the ids are a courtesy; numbers always work
        return [str(i) for i in range(chunk.start, chunk.start + chunk.count)]
