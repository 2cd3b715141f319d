"""``redline demo``: screen the bundled demo projects against the demo pack."""

from __future__ import annotations

import click

from .. import api
from ..demo import demo_projects
from ..pack import load_pack
from ..report import FORMATS, print_result, print_summary, write_outputs
from .options import lang_option, map_options, split_list


@click.command()
@lang_option
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False),
              help="Also write outputs (by default result.json, result.gpkg and the HTML "
                   "report) into this folder.")
@click.option("--format", "formats", default="json,gpkg,html", show_default=True,
              help=f"Outputs for -o, comma-separated: {', '.join(FORMATS)}.")
@click.option("--details", is_flag=True, help="Print every finding, not just the summary.")
@map_options
def demo(lang, outdir, formats, details, map_options):
    """Screen the bundled demo projects against the bundled demo pack.

    The demo pack is ILLUSTRATIVE: a fictional county with generated layers, not
    official data. The demo projects between them produce every verdict and relation
    (one lies outside the pack on purpose, to show how that is reported).
    """
    chosen = split_list(formats)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise click.BadParameter(f"unknown format {unknown[0]!r} (choose from "
                                 f"{', '.join(FORMATS)})", param_hint="--format")
    pack = load_pack(None)
    result = api.screen(demo_projects(pack), pack)
    (print_result if details else print_summary)(result, lang=lang)
    if outdir:
        for path in write_outputs(result, outdir, chosen, lang=lang, map_options=map_options):
            click.echo(f"wrote {path}", err=True)
