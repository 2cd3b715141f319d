"""``redline demo``: screen the bundled demo projects against the demo pack."""

from __future__ import annotations

import click

from .. import api
from ..demo import demo_projects
from ..pack import load_pack
from ..report import print_result, print_summary, write_outputs
from .options import lang_option


@click.command()
@lang_option
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False),
              help="Also write result.json and result.gpkg into this folder.")
@click.option("--details", is_flag=True, help="Print every finding, not just the summary.")
def demo(lang, outdir, details):
    """Screen the bundled demo projects against the bundled demo pack.

    The demo pack is ILLUSTRATIVE: a fictional county with generated layers, not
    official data. The demo projects between them produce every verdict and relation
    (one lies outside the pack on purpose, to show how that is reported).
    """
    pack = load_pack(None)
    result = api.screen(demo_projects(pack), pack)
    (print_result if details else print_summary)(result, lang=lang)
    if outdir:
        for path in write_outputs(result, outdir, ("json", "gpkg"), lang=lang):
            click.echo(f"wrote {path}", err=True)
