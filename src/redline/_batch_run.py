"""The per-chunk machinery of ``redline batch`` and its plain data objects.

:class:`RunConfig` (picklable: what a worker needs), :class:`Runner` (pack and ruleset
loaded once per process; screens a chunk into its two Arrow tables, narrowing a failure
down to the projects at fault), :func:`chunk_projects`, the part files of a chunk
(:func:`write_chunk_parts`) and :class:`BatchSummary`. The
orchestration (plan, resume, processes, dask, outputs) is :mod:`redline.batch`; the
runners it drives (in-process, worker processes, dask workers) all come from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyarrow as pa

from ._batch_input import (
    Chunk,
    ChunkFeatures,
    Source,
    unreadable_ids,
)
from ._batch_tables import result_tables, write_part
from ._gc import paused_gc
from .engine import screen_projects
from .errors import RedlineError
from .io.projects import projects_from_source
from .pack import Pack, load_pack
from .projects import make_projects
from .result import Result
from .rules import decide, load_ruleset
from .rules.catalog import catalog_rules
from .rules.ruleset import VERDICTS
from .settings import Settings

MANIFEST = "manifest.json"
SCHEMA = "redline.batch/1"
DEFAULT_CHUNK_SIZE = 10_000


@dataclass
class BatchSummary:
    """What a batch run produced.

    Attributes
    ----------
    outdir
        The output folder.
    projects, screened, failed, findings
        Counts over the whole batch.
    verdicts
        Projects per verdict (``prohibited`` … ``clear``).
    chunks, resumed
        Chunks in the plan, and how many were already done when this run started.
    files
        The files written.
    """

    outdir: Path
    projects: int
    screened: int
    failed: int
    findings: int
    verdicts: dict[str, int]
    chunks: int
    resumed: int
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class RunConfig:
    """Everything a worker needs to screen a chunk (picklable, no loaded objects)."""

    pack_dir: str
    rules_files: tuple[str, ...]
    settings: Settings
    lang: str
    on: str
    reader: tuple[tuple[str, Any], ...]  # keyword arguments of projects_from_source
    reports: tuple[str, ...]
    outdir: str
    pollutants: tuple[str, ...] = ()  # emitted by every project (access lists)


class Runner:
    """Screens chunks: the pack and ruleset are loaded once per process."""

    def __init__(self, config: RunConfig, pack: Pack | None = None) -> None:
        self.config = config
        self.pack = pack if pack is not None else load_pack(config.pack_dir)
        self.ruleset = load_ruleset(self.pack.rules_path, *config.rules_files,
                                    catalog=catalog_rules(self.pack))
        self.on = dt.date.fromisoformat(config.on)

    def screen(self, projects: gpd.GeoDataFrame) -> tuple[pa.Table, pa.Table]:
        """Screen and judge projects; a failure is narrowed down to the projects at fault."""
        try:
            result = decide(screen_projects(projects, self.pack, self.config.settings),
                            self.ruleset, on=self.on)
        except Exception as exc:  # recorded per project, never lost
            if len(projects) > 1:
                mid = len(projects) // 2
                halves = [self.screen(projects.iloc[:mid]), self.screen(projects.iloc[mid:])]
                return (pa.concat_tables([h[0] for h in halves]),
                        pa.concat_tables([h[1] for h in halves]))
            failed = projects.copy()
            failed["errors"] = [[*failed["errors"].iloc[0],
                                 f"internal error while screening: {type(exc).__name__}: {exc}"]]
            result = decide(screen_projects(failed, self.pack, self.config.settings),
                            self.ruleset, on=self.on)
        if self.config.reports:
            _write_reports(result, Path(self.config.outdir) / "reports", self.config.reports,
                           self.config.lang)
        return result_tables(result, self.config.lang)

    @paused_gc()
    def run(self, chunk: Chunk, source: Source, features: ChunkFeatures | None,
            message: str | None) -> tuple[pa.Table, pa.Table]:
        """Screen one chunk into its two tables."""
        return self.screen(chunk_projects(self.config, chunk, source, features, message))


def chunk_projects(config: RunConfig, chunk: Chunk, source: Source,
                   features: ChunkFeatures | None, message: str | None) -> gpd.GeoDataFrame:
    """The projects of a chunk (features that could not be read become failed projects)."""
    reader = dict(config.reader)
    if features is not None:
        try:
            projects = projects_from_source(features.source(), first_index=chunk.start,
                                            layer_label=source.label, **reader)
        except RedlineError as exc:
            features, message = None, f"{source.name}: {exc}"
    if features is None:
        n = chunk.count
        kind = reader["kind"] if reader["kind"] != "auto" else _kind_of(source.geometry_type)
        label = f":{source.label}" if source.label else ""
        projects = make_projects(
            [None] * n, project_id=unreadable_ids(source, chunk), name=[None] * n,
            kind=[kind] * n,
            source=[f"{source.path.name}{label}#{i}" for i in range(chunk.start, chunk.start + n)],
            crs_in=[None] * n, errors=[[message or "could not be read"] for _ in range(n)])
    if source.prefix:
        projects["project_id"] = source.prefix + projects["project_id"].astype(str)
    if config.pollutants:
        projects["pollutants"] = [list(config.pollutants)] * len(projects)
    return projects


_RUNNERS: dict[RunConfig, Runner] = {}


def runner_for(config: RunConfig, pack: Pack | None = None) -> Runner:
    """The runner of this process for ``config``.

    The pack is loaded on first use only, or ``pack`` (already loaded by the caller) is
    used and replaces any runner of an earlier configuration.
    """
    if config not in _RUNNERS or pack is not None:
        _RUNNERS.clear()
        _RUNNERS[config] = Runner(config, pack)
    return _RUNNERS[config]


def run_chunk(config: RunConfig, chunk: Chunk, source: Source, features: ChunkFeatures | None,
              message: str | None) -> tuple[int, pa.Table, pa.Table]:
    """Screen one chunk with this process's runner: ``(chunk index, projects, findings)``."""
    projects, findings = runner_for(config).run(chunk, source, features, message)
    return chunk.index, projects, findings


def run_chunk_into_parts(config: RunConfig, chunk: Chunk, source: Source,
                         features: ChunkFeatures | None, message: str | None,
                         provenance: dict) -> tuple[int, dict]:
    """Screen one chunk and write its parts here: ``(chunk index, counts)``.

    Worker processes use this, so that only the counts travel back to the process
    that keeps the manifest, not the chunk's tables.
    """
    index, projects, findings = run_chunk(config, chunk, source, features, message)
    return index, write_chunk_parts(Path(config.outdir), index, projects, findings, provenance)


def part_paths(outdir: Path, index: int) -> tuple[Path, Path]:
    """The projects and findings part files of chunk ``index``."""
    return (outdir / "parts" / f"projects-{index:06d}.parquet",
            outdir / "parts" / f"findings-{index:06d}.parquet")


def write_chunk_parts(outdir: Path, index: int, projects: pa.Table, findings: pa.Table,
                      provenance: dict) -> dict:
    """Write a chunk's two parts (each atomically) and return its counts for the manifest."""
    projects_part, findings_part = part_paths(outdir, index)
    write_part(projects.combine_chunks(), projects_part, provenance)
    write_part(findings.combine_chunks(), findings_part, provenance)
    verdict = projects["verdict"].to_pylist()
    return {"projects": projects.num_rows,
            "failed": sum(v is None for v in verdict),
            "findings": findings.num_rows,
            "verdicts": {v: verdict.count(v) for v in VERDICTS if verdict.count(v)}}


def _kind_of(geometry_type: str) -> str:
    text = geometry_type.lower()
    return "footprint" if "polygon" in text else "linear" if "line" in text else "site"


def _write_reports(result: Result, folder: Path, formats: Sequence[str], lang: str) -> None:
    """One report folder per project (its findings only)."""
    from .report import write_outputs

    for i, pid in enumerate(result.projects["project_id"].tolist()):
        one = Result(projects=result.projects.iloc[[i]],
                     findings=result.findings[result.findings["project_id"] == pid],
                     pack=result.pack, ruleset=result.ruleset, settings=result.settings,
                     generated_at=result.generated_at, rules_in_force_on=result.rules_in_force_on,
                     clauses=None if result.clauses is None else
                     result.clauses[result.clauses["project_id"] == pid],
                     land_cover=None if result.land_cover is None else result.land_cover_of(pid),
                     terrain=None if result.terrain is None else result.terrain_of(pid))
        write_outputs(one, folder / _safe_name(pid), formats, lang=lang)


def _safe_name(project_id: str) -> str:
    """A folder name for a project id (path separators and control characters replaced)."""
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in project_id)
    return cleaned.strip(". ") or "_"
