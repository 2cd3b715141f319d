"""Screen many projects: chunks, parts written as they complete, resume, scale-out.

:func:`run_batch` screens every feature of one or more inputs against a pack and
writes, into an output folder (a contract, like DESIGN §2):

``projects.parquet``
    GeoParquet, one row per project: the project fields of the result document
    (``project_id``, ``name``, ``kind``, ``source``, ``crs_in``, ``industry``,
    ``project_types``, ``area_m2``, ``length_m``, ``admin``, ``control_units``,
    ``verdict``, ``reasons``, ``warnings``, ``errors``), ``findings`` (their count),
    ``error`` (the errors joined, null when screened) and the geometry (EPSG:4490).
``findings.parquet``
    GeoParquet, one row per finding: ``project_id`` plus the finding fields of the
    result document and ``reason`` (its sentence); geometry = the overlap piece, the
    line to a near zone, the part outside, or the river path.
``summary.json``
    Counts (projects, screened, failed, per verdict, findings) and provenance.
``summary.csv`` / ``summary.xlsx`` / ``reports/<id>/``
    Optional (``csv``, ``xlsx``, ``reports``).

Nothing is lost: the inputs are cut into chunks of consecutive features; each chunk's
tables are written as Parquet parts (``parts/``) and recorded in ``manifest.json``
as soon as it completes. A run killed at any moment and started again with
``resume=True`` screens only the chunks not recorded, and the final files are
byte-identical to those of an uninterrupted run. A project that fails is recorded
with its error; the others go on. Memory is bounded by the chunk size.

Chunks run in this process, in ``workers`` processes (which read nothing but their
chunk's Arrow table and write their own parts; only counts come back), or on a dask
cluster (``dask=True`` or ``scheduler=ADDRESS``); all give identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._batch_input import (
    Chunk,
    Source,
    find_inputs,
    plan_chunks,
    plan_sources,
    read_chunks,
)
from ._batch_run import (
    BatchSummary,
    RunConfig,
    part_paths,
    run_chunk_into_parts,
    runner_for,
    write_chunk_parts,
)
from ._batch_tables import merge_parts, schemas
from ._progress import BatchProgress
from ._version import __version__
from .errors import InputError, RedlineError
from .pack import Pack, load_pack
from .projects import PROJECT_KINDS
from .result import ILLUSTRATIVE_NOTE
from .rules import load_ruleset
from .rules.catalog import catalog_rules
from .rules.ruleset import VERDICTS
from .settings import DEFAULT, Settings

MANIFEST = "manifest.json"
SCHEMA = "redline.batch/1"
DEFAULT_CHUNK_SIZE = 10_000


# ------------------------------------------------------------------------ the run


def run_batch(inputs: Sequence[str | Path], outdir: str | Path, *,
              pack: Pack | str | Path | None = None, rules: Sequence[str | Path] = (),
              settings: Settings = DEFAULT, buffer_m: float | None = None, lang: str = "zh",
              kind: str = "auto", layer: str | None = None, crs: str | None = None,
              encoding: str | None = None, id_field: str | None = None,
              name_field: str | None = None, industry_field: str | None = None,
              kind_field: str | None = None, industry: str | None = None,
              project_types: Sequence[str] = (), pollutants: Sequence[str] = (),
              chunk_size: int = DEFAULT_CHUNK_SIZE,
              workers: int = 1, resume: bool = False, reports: Sequence[str] = (),
              xlsx: bool = False, csv: bool = False, progress: str = "auto",
              dask: bool = False, scheduler: str | None = None,
              on: dt.date | None = None) -> BatchSummary:
    """Screen every feature of ``inputs`` and write the batch outputs into ``outdir``.

    Parameters
    ----------
    inputs
        Vector files, and folders searched recursively for vector files.
    outdir
        Output folder: new or empty, or that of an interrupted run with ``resume``.
    pack
        A loaded pack or a pack folder (``None``: the bundled illustrative demo pack).
        Compile large packs first (``redline pack compile``): every worker loads it.
    rules
        Extra ruleset files merged over the national rules (after the pack's own).
    settings, buffer_m
        Tolerances; ``buffer_m`` overrides the buffer.
    lang
        Language of reasons, messages and bases (``zh`` or ``en``).
    kind, layer, crs, encoding, id_field, name_field, industry_field, kind_field, industry,
    project_types
        How features become projects (as for :func:`redline.read_projects`);
        ``industry_field`` names the field with each project's GB/T 4754 code, which
        access-list findings depend on.
    pollutants
        Pollutant keys every project emits (see :func:`redline.access.parse_pollutants`).
    chunk_size
        Features per chunk: the unit of work, of output parts and of resuming.
    workers
        Processes on this machine (1: screen in this process).
    resume
        Continue the run recorded in ``outdir``.
    reports
        Formats of per-project reports written to ``outdir/reports/<id>/`` (any of
        :data:`redline.report.FORMATS`).
    xlsx, csv
        Also write ``summary.xlsx`` / ``summary.csv``.
    progress
        ``auto``, ``bar``, ``log`` or ``none``.
    dask, scheduler
        Run the chunks on a dask cluster: a local one (``dask=True``, ``workers``
        processes) or the scheduler at ``scheduler`` (``tcp://host:8786``).
    on
        The date whose law applies (today by default; a resumed run keeps the date
        of the run it continues).

    Returns
    -------
    BatchSummary

    Raises
    ------
    InputError
        Unusable inputs or options, a non-empty ``outdir`` without ``resume``, or a
        ``resume`` whose inputs or options differ from the recorded run.
    """
    from .report import FORMATS

    outdir = Path(outdir)
    if chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, got {chunk_size}")
    if kind != "auto" and kind not in PROJECT_KINDS:
        raise InputError(f"--kind: unknown kind {kind!r} (auto, {', '.join(PROJECT_KINDS)})")
    unknown = [f for f in reports if f not in FORMATS]
    if unknown:
        raise InputError(f"--reports: unknown format {unknown[0]!r} (available: {', '.join(FORMATS)})")
    manifest_file = outdir / MANIFEST
    previous = _read_manifest(manifest_file) if manifest_file.exists() else None
    if previous is None and outdir.exists() and any(outdir.iterdir()):
        raise InputError(f"{outdir}: the output folder is not empty (and holds no batch run); "
                         "choose a new folder")
    if previous is not None and not resume:
        raise InputError(f"{outdir}: holds a batch run already; pass --resume to continue it, "
                         "or choose a new folder")

    loaded = pack if isinstance(pack, Pack) else load_pack(pack)
    settings = settings.updated(buffer_m=buffer_m)
    if previous is not None:
        on = dt.date.fromisoformat(previous["plan"]["on"])
    on = on or dt.date.today()
    paths = find_inputs(list(inputs), exclude=outdir)
    sources = plan_sources(paths, layer=layer, encoding=encoding, id_field=id_field,
                           options={"--name-field": name_field, "--industry-field": industry_field,
                                    "--kind-field": kind_field})
    chunks = plan_chunks(sources, chunk_size)
    reader = {"kind": kind, "crs": crs, "id_field": id_field, "name_field": name_field,
              "industry": industry, "project_types": tuple(project_types),
              "industry_field": industry_field, "kind_field": kind_field,
              "region": tuple(float(v) for v in loaded.bounds)}
    ruleset = load_ruleset(loaded.rules_path, *rules, catalog=catalog_rules(loaded))
    plan = {
        "schema": SCHEMA, "redline": __version__, "on": on.isoformat(), "lang": lang,
        "chunk_size": chunk_size, "inputs": [s.describe() for s in sources],
        "reader": {**reader, "layer": layer, "encoding": encoding,
                   "project_types": list(project_types), "region": list(reader["region"]),
                   "pollutants": list(pollutants)},
        "pack": {"id": loaded.id, "version": loaded.version, "path": str(loaded.path),
                 "catalog_sha256": loaded.catalog_sha256,
                 "layers": [[layer.id, layer.sha256] for layer in loaded.layers]},
        "rules": ruleset.describe(), "settings": settings.to_dict(),
        "reports": list(reports),
    }
    fingerprint = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
    if previous is not None and previous.get("fingerprint") != fingerprint:
        raise InputError(f"{outdir}: cannot resume: {_differences(previous['plan'], plan)} "
                         "changed since the run began; start a new folder")

    provenance = {
        "schema": SCHEMA, "tool": {"name": "redline", "version": __version__},
        "pack": loaded.describe(), "rules": {**ruleset.describe(), "in_force_on": on.isoformat()},
        "settings": settings.to_dict(), "lang": lang,
    }
    if loaded.illustrative:
        provenance["notice"] = ILLUSTRATIVE_NOTE[0 if lang == "zh" else 1]
    config = RunConfig(pack_dir=str(loaded.path), rules_files=tuple(str(r) for r in rules),
                       settings=settings, lang=lang, on=on.isoformat(),
                       reader=tuple(reader.items()),
                       reports=tuple(reports), outdir=str(outdir),
                       pollutants=tuple(pollutants))
    state = _State(outdir, fingerprint, plan, chunks, previous)
    if previous is None:
        (outdir / "parts").mkdir(parents=True, exist_ok=True)
        state.save()
    resumed = len(state.done)
    if not state.complete and (dask or scheduler or workers > 1):
        _ensure_compiled(loaded)
    if not state.complete:
        pending = [c for c in chunks if not state.is_done(c)]
        meter = BatchProgress(sum(s.features for s in sources),
                              sum(c.count for c in chunks if state.is_done(c)), progress)
        try:
            if dask or scheduler:
                from ._batch_dask import run_on_dask

                results = ((index, write_chunk_parts(outdir, index, projects, findings,
                                                     provenance))
                           for index, projects, findings in run_on_dask(
                               config, sources, pending, workers=workers, scheduler=scheduler))
            elif workers > 1:
                results = _run_in_processes(config, sources, pending, workers, provenance)
            else:
                runner_for(config, loaded)
                results = (run_chunk_into_parts(config, chunk, sources[chunk.source], features,
                                                message, provenance)
                           for chunk, features, message in read_chunks(sources, pending))
            for index, counts in results:
                state.record(chunks[index], counts)
                meter.advance(chunks[index].count, counts["failed"])
        finally:
            meter.close()
        files = state.finish(provenance, illustrative=loaded.illustrative)
    else:
        files = state.outputs()
    summary = state.summary(files, resumed)
    if csv or xlsx:
        from ._batch_summary import write_summaries

        summary.files += write_summaries(outdir, summary, provenance, csv=csv, xlsx=xlsx)
    return summary


def _ensure_compiled(pack: Pack) -> None:
    """Compile the pack when it has no cache, so that every worker loads it fast."""
    from .compiled import CACHE_DIR, compile_pack

    if not (pack.path / CACHE_DIR / "manifest.json").exists() and os.access(pack.path, os.W_OK):
        with contextlib.suppress(RedlineError):  # workers then read the sources
            compile_pack(pack.path)


def _run_in_processes(config: RunConfig, sources: list[Source], pending: list[Chunk],
                      workers: int, provenance: dict) -> Iterable[tuple[int, dict]]:
    """Screen chunks in ``workers`` processes, which write their parts; at most two chunks
    each in flight. Yields ``(chunk index, counts)`` as chunks finish."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=runner_for,
                             initargs=(config,)) as pool:
        running: set = set()
        for chunk, features, message in read_chunks(sources, pending):
            running.add(pool.submit(run_chunk_into_parts, config, chunk,
                                    sources[chunk.source], features, message, provenance))
            if len(running) >= 2 * workers:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        for future in running:
            yield future.result()


# -------------------------------------------------------------------- run state


class _State:
    """The manifest of a run: its plan, and the chunks whose parts are written."""

    def __init__(self, outdir: Path, fingerprint: str, plan: dict, chunks: list[Chunk],
                 previous: dict | None) -> None:
        self.outdir = outdir
        self.fingerprint = fingerprint
        self.plan = plan
        self.chunks = chunks
        self.done: dict[str, dict] = {}
        self.complete = False
        if previous is not None:
            self.complete = bool(previous.get("complete")) and all(
                (outdir / name).exists() for name in ("projects.parquet", "findings.parquet"))
            for key, counts in previous.get("done", {}).items():
                if self.complete or all(p.exists() for p in self._parts(int(key))):
                    self.done[key] = counts

    def _parts(self, index: int) -> tuple[Path, Path]:
        return part_paths(self.outdir, index)

    def is_done(self, chunk: Chunk) -> bool:
        return str(chunk.index) in self.done

    def record(self, chunk: Chunk, counts: dict) -> None:
        """Record in the manifest a chunk whose parts are written."""
        self.done[str(chunk.index)] = counts
        self.save()

    def save(self) -> None:
        document = {"schema": "redline.batch-manifest/1", "fingerprint": self.fingerprint,
                    "complete": self.complete, "plan": self.plan,
                    "chunks": [[c.source, c.start, c.count] for c in self.chunks],
                    "done": dict(sorted(self.done.items(), key=lambda kv: int(kv[0])))}
        tmp = self.outdir / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.outdir / MANIFEST)

    def outputs(self) -> list[Path]:
        return [self.outdir / name for name in ("projects.parquet", "findings.parquet",
                                                "summary.json")]

    def finish(self, provenance: dict, *, illustrative: bool) -> list[Path]:
        """Merge the parts into the final files, write the summary, drop the parts."""
        missing = [c.index for c in self.chunks if not self.is_done(c)]
        if missing:
            raise RuntimeError(f"chunks {missing[:5]} were not screened")
        project_schema, finding_schema = schemas(illustrative)
        order = [c.index for c in self.chunks]
        merge_parts([self._parts(i)[0] for i in order], self.outdir / "projects.parquet",
                    project_schema, provenance)
        merge_parts([self._parts(i)[1] for i in order], self.outdir / "findings.parquet",
                    finding_schema, provenance)
        totals = self.totals()
        document = {**provenance, "inputs": self.plan["inputs"], **totals,
                    "files": {"projects": "projects.parquet", "findings": "findings.parquet"}}
        tmp = self.outdir / ".summary.json.tmp"
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.outdir / "summary.json")
        self.complete = True
        self.save()
        shutil.rmtree(self.outdir / "parts", ignore_errors=True)
        return self.outputs()

    def totals(self) -> dict[str, Any]:
        verdicts = {v: 0 for v in VERDICTS}
        for counts in self.done.values():
            for v, n in counts["verdicts"].items():
                verdicts[v] += n
        projects = sum(c["projects"] for c in self.done.values())
        failed = sum(c["failed"] for c in self.done.values())
        return {"projects": projects, "screened": projects - failed, "failed": failed,
                "verdicts": verdicts, "findings": sum(c["findings"] for c in self.done.values())}

    def summary(self, files: list[Path], resumed: int) -> BatchSummary:
        totals = self.totals()
        return BatchSummary(outdir=self.outdir, projects=totals["projects"],
                            screened=totals["screened"], failed=totals["failed"],
                            findings=totals["findings"], verdicts=totals["verdicts"],
                            chunks=len(self.chunks), resumed=resumed, files=list(files))


def _read_manifest(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable batch manifest ({exc})") from None
    if document.get("schema") != "redline.batch-manifest/1" or "plan" not in document:
        raise InputError(f"{path}: not a redline batch manifest")
    return document


def _differences(old: dict, new: dict) -> str:
    changed = [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return ", ".join(changed) or "the plan"


def print_summary(summary: BatchSummary, stream=None) -> None:
    """One line of counts (for the command line)."""
    stream = stream or sys.stderr
    verdicts = ", ".join(f"{v} {n:,}" for v, n in summary.verdicts.items())
    resumed = f" ({summary.resumed} of {summary.chunks} chunks were already done)" \
        if summary.resumed else ""
    print(f"redline batch: {summary.projects:,} projects, {summary.screened:,} screened, "
          f"{summary.failed:,} failed · {verdicts} · {summary.findings:,} findings → "
          f"{summary.outdir}{resumed}", file=stream)
