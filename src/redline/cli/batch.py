"""``redline batch``: screen every feature of many inputs, resumably, at scale."""

from __future__ import annotations

import sys

import click

from ..rules.ruleset import SEVERITY
from . import EXIT_FAIL_ON
from .options import (
    buffer_option,
    fail_on_option,
    lang_option,
    pack_option,
    rules_option,
    split_list,
)


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@pack_option
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Output folder (new or empty; or an interrupted run with --resume).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in the output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to screen with (or dask workers with --dask).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Features per chunk: the unit of work, of output parts and of resuming.")
@click.option("--dask", "use_dask", is_flag=True, help="Run on a local dask cluster.")
@click.option("--scheduler", help="Run on the dask cluster at this address (tcp://host:8786).")
@click.option("--kind", type=click.Choice(["auto", "footprint", "linear", "outfall", "site"]),
              default="auto", show_default=True, help="What the features are.")
@click.option("--layer", help="Layer to read from multi-layer sources.")
@click.option("--crs", help="CRS of inputs that declare none (EPSG code, WKT, PROJ, cgcs2000…).")
@click.option("--encoding", help="Attribute encoding of shapefiles (e.g. GBK).")
@click.option("--id-field", help="Field holding the project id (ids must be unique).")
@click.option("--name-field", help="Field holding the project name.")
@click.option("--industry-field", help="Field holding the GB/T 4754-2017 industry code.")
@click.option("--kind-field", help="Field holding the project kind.")
@click.option("--industry", help="GB/T 4754-2017 industry code (C2614) or name (电镀) for "
                                 "every project.")
@click.option("--pollutants", help="Comma-separated pollutants every project emits: COD, 氨氮, "
                                   "VOCs, 重金属 …")
@click.option("--project-type", "project_types",
              help="Comma-separated tags for every project: water_supply, national_major, "
                   "redline_allowed_activity, pollutant_discharge.")
@buffer_option
@rules_option
@lang_option
@click.option("--xlsx", is_flag=True, help="Also write summary.xlsx.")
@click.option("--csv", "as_csv", is_flag=True, help="Also write summary.csv.")
@click.option("--reports", default="", help="Per-project reports under OUTDIR/reports/<id>/, "
                                           "comma-separated formats (json, gpkg, geojson).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@fail_on_option
def batch(inputs, pack_dir, outdir, resume, workers, chunk_size, use_dask, scheduler, kind,
          layer, crs, encoding, id_field, name_field, industry_field, kind_field, industry,
          pollutants, project_types, buffer_m, rules_files, lang, xlsx, as_csv, reports, quiet, fail_on):
    """Screen every feature of INPUT... (files, or folders searched recursively).

    Writes OUTDIR/projects.parquet (one row per project: fields of the result
    document, verdict, error, geometry) and OUTDIR/findings.parquet (one row per
    finding, geometry = the overlap piece), both GeoParquet, plus summary.json.
    Results are written chunk by chunk as they complete: a run that is killed can be
    continued with --resume and ends with exactly the same files. A project that
    cannot be screened is recorded with its error. A progress bar shows on a
    terminal, log lines otherwise.

    \b
    Examples:
      redline batch parcels.gpkg --pack mypack -o out --csv
      redline batch approvals/ --pack mypack -o out --workers 2 --id-field XMBH
      redline batch approvals/ --pack mypack -o out --resume
      redline batch big.fgb --pack mypack -o out --scheduler tcp://10.0.0.5:8786
    """
    from ..access import parse_pollutants, resolve_industry
    from ..batch import print_summary, run_batch

    industry = resolve_industry(industry) if industry else None

    summary = run_batch(
        inputs, outdir, pack=pack_dir, rules=rules_files, buffer_m=buffer_m, lang=lang,
        kind=kind, layer=layer, crs=crs, encoding=encoding, id_field=id_field,
        name_field=name_field, industry_field=industry_field, kind_field=kind_field,
        industry=industry, project_types=split_list(project_types),
        pollutants=parse_pollutants(split_list(pollutants)), chunk_size=chunk_size,
        workers=workers, resume=resume, reports=split_list(reports), xlsx=xlsx, csv=as_csv,
        progress="none" if quiet else "auto", dask=use_dask, scheduler=scheduler)
    if not quiet:
        print_summary(summary)
    if fail_on:
        worst = max((SEVERITY[v] for v, n in summary.verdicts.items() if n), default=0)
        if worst >= SEVERITY[fail_on]:
            sys.exit(EXIT_FAIL_ON)
