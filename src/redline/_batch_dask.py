"""Run batch chunks on a dask cluster, spatially partitioned with dask-geopandas.

The client streams the inputs chunk by chunk (as the single-process run does) and
gathers a window of chunks into one GeoDataFrame; dask-geopandas shuffles it into
spatially coherent partitions (Hilbert order), each partition is screened on a
worker, and the results are put back in input order and written chunk by chunk.
Every worker loads the (compiled) pack once and keeps it. Per-project results do
not depend on which projects share a partition, so the files are byte-identical to
those of a single-process run.

The pack folder must be readable at the same path on every worker (a shared file
system); compile it first (``redline pack compile``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from ._batch_input import Chunk, Source, read_chunks
from ._batch_run import RunConfig, chunk_projects, runner_for


def _screen_partition(frame, config: RunConfig) -> tuple[np.ndarray, pa.Table, pa.Table]:
    """Worker side: screen one partition; return its input positions and tables."""
    seq = frame["_seq"].to_numpy()
    projects = frame.drop(columns="_seq").reset_index(drop=True)
    # Columns as the reader makes them: objects with None for missing values (the
    # shuffle may have turned them into strings, and None into NaN).
    for column in projects.columns:
        dtype = projects[column].dtype
        if column != projects.geometry.name and (dtype is np.dtype(object)
                                                 or isinstance(dtype, pd.StringDtype)):
            values = projects[column].astype(object)
            projects[column] = values.where(values.notna(), None)
    tables = runner_for(config).screen(projects)
    return seq, tables[0], tables[1]


def run_on_dask(config: RunConfig, sources: list[Source], pending: list[Chunk], *,
                workers: int, scheduler: str | None
                ) -> Iterator[tuple[int, pa.Table, pa.Table]]:
    """Screen ``pending`` chunks on a dask cluster; yield each chunk's tables in order.

    Parameters
    ----------
    config
        What every worker needs (the pack folder, rules, settings…).
    sources, pending
        The plan and the chunks still to screen.
    workers
        Worker processes of the local cluster (ignored with ``scheduler``).
    scheduler
        Address of an existing cluster's scheduler; ``None`` starts a local one.
    """
    import dask
    import dask_geopandas
    import geopandas as gpd
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        partitions = max(1, len(client.scheduler_info()["workers"]))
        window: list[tuple[Chunk, gpd.GeoDataFrame]] = []
        for chunk, features, message in read_chunks(sources, pending):
            window.append((chunk, chunk_projects(config, chunk, sources[chunk.source], features,
                                                 message)))
            if len(window) >= 2 * partitions:
                yield from _screen_window(client, window, config, partitions, dask,
                                          dask_geopandas)
                window = []
        if window:
            yield from _screen_window(client, window, config, partitions, dask, dask_geopandas)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _screen_window(client, window, config: RunConfig, partitions: int, dask, dask_geopandas
                   ) -> Iterator[tuple[int, pa.Table, pa.Table]]:
    import geopandas as gpd

    frames = [projects for _, projects in window]
    projects = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    projects["_seq"] = np.arange(len(projects))
    located = projects.geometry.notna().to_numpy()
    tasks = []
    if located.any():
        with dask.config.set({"dataframe.convert-string": False}):
            spread = dask_geopandas.from_geopandas(projects[located], npartitions=partitions)
            spatial = spread.spatial_shuffle(by="hilbert", npartitions=partitions)
        tasks += [dask.delayed(_screen_partition)(part, config) for part in spatial.to_delayed()]
    if (~located).any():
        tasks.append(dask.delayed(_screen_partition)(projects[~located], config))
    results = client.gather(client.compute(tasks))
    seq = np.concatenate([r[0] for r in results])
    table = pa.concat_tables([r[1] for r in results])
    findings = pa.concat_tables([r[2] for r in results])
    # Back to input order: projects by position, findings by their project's position
    # (stable, so each project's findings keep their order).
    table = table.take(pa.array(np.argsort(seq, kind="stable")))
    ids = table["project_id"].to_numpy(zero_copy_only=False)
    position = pd.Index(ids).get_indexer(findings["project_id"].to_numpy(zero_copy_only=False))
    findings = findings.take(pa.array(np.argsort(position, kind="stable")))
    position = np.sort(position)
    start = 0
    for chunk, frame in window:
        end = start + len(frame)
        lo, hi = np.searchsorted(position, [start, end])
        yield chunk.index, table.slice(start, len(frame)), findings.slice(lo, hi - lo)
        start = end
