"""``redline screen``: one project file → verdicts, findings, outputs."""

from __future__ import annotations

import sys

import click

from .. import api
from ..access import parse_pollutants, resolve_industry
from ..io import read_projects
from ..pack import load_pack
from ..report import FORMATS, print_result, write_outputs
from ..rules.ruleset import SEVERITY
from ..settings import DEFAULT
from . import EXIT_BAD_INPUT, EXIT_FAIL_ON
from .options import (
    buffer_option,
    fail_on_option,
    lang_option,
    map_options,
    pack_option,
    rules_option,
    split_list,
)


@click.command()
@click.argument("project", type=click.Path(dir_okay=True))
@pack_option
@click.option("--kind", type=click.Choice(["auto", "footprint", "linear", "outfall", "site"]),
              default="auto", show_default=True, help="What the features are.")
@click.option("--industry", help="GB/T 4754-2017 industry code (C2614) or name (化学原料, 电镀).")
@click.option("--project-type", "project_types",
              help="Comma-separated tags used by rules: water_supply, national_major, "
                   "redline_allowed_activity, pollutant_discharge; 新建/改建/扩建, 排放废水, "
                   "涉重金属.")
@click.option("--pollutants", help="Comma-separated pollutants the project emits: COD, 氨氮, "
                                   "总磷, 总氮, 重金属, VOCs, SO2, NOx, 颗粒物.")
@click.option("--crs", help="CRS of the input: EPSG code, WKT, PROJ string or pipeline, cgcs2000, "
                            "wgs84, gcj02, bd09, xian80, beijing54.")
@click.option("--layer", help="Layer of a multi-layer source, dataset inside a zip, or sheet.")
@click.option("--cad-layer", "cad_layers", help="Comma-separated CAD layers to read from a DXF.")
@click.option("--id-field", help="Field holding the project id.")
@click.option("--name-field", help="Field holding the project name.")
@click.option("--encoding", help="Text encoding of attributes, CSV/TXT or DXF (e.g. GBK).")
@buffer_option
@rules_option
@lang_option
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False),
              help="Write outputs into this folder.")
@click.option("--format", "formats", default="json,gpkg", show_default=True,
              help=f"Outputs for -o, comma-separated: {', '.join(FORMATS)}.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result document (JSON) alone on stdout.")
@fail_on_option
@map_options
def screen(project, pack_dir, kind, industry, project_types, pollutants, crs, layer, cad_layers,
           id_field,
           name_field, encoding, buffer_m, rules_files, lang, outdir, formats, as_json, fail_on,
           map_options):
    """Screen the project(s) in PROJECT against a layer pack.

    Each feature of PROJECT is one project. Without --json a table per project is
    printed: the verdict, then each finding with layer, zone, relation, numbers and rule.

    \b
    Examples:
      redline screen site.geojson
      redline screen outfall.gpkg --kind outfall --json
      redline screen plant.shp --industry C2614 --pack layers/fujian -o out
      redline screen 拐点坐标.xlsx --crs EPSG:4527
      redline screen site.dxf --cad-layer 红线
      redline screen plant.shp --industry 电镀 --project-type 新建 --pollutants 重金属
      redline screen site.shp -o out --format html,docx,xlsx,png --offline
    """
    chosen = split_list(formats)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise click.BadParameter(f"unknown format {unknown[0]!r} (choose from "
                                 f"{', '.join(FORMATS)})", param_hint="--format")
    industry = resolve_industry(industry) if industry else None
    emitted = parse_pollutants(split_list(pollutants))
    pack = load_pack(pack_dir)
    projects = read_projects(project, layer=layer, kind=kind, crs=crs, id_field=id_field,
                             name_field=name_field, industry=industry,
                             project_types=split_list(project_types), encoding=encoding,
                             cad_layers=split_list(cad_layers), region=pack.bounds)
    if emitted:
        projects["pollutants"] = [emitted] * len(projects)
    result = api.screen(projects, pack, rules=rules_files, settings=DEFAULT, buffer_m=buffer_m)
    if as_json:
        click.echo(result.to_json(lang))
    else:
        print_result(result, lang=lang)
    if outdir:
        for path in write_outputs(result, outdir, chosen, lang=lang, map_options=map_options):
            click.echo(f"wrote {path}", err=True)
    for row in result.projects.itertuples(index=False):
        for error in row.errors:
            click.echo(f"redline: error: {row.project_id}: {error}", err=True)
    sys.exit(exit_code(result, fail_on))


def exit_code(result, fail_on: str | None) -> int:
    """2 when a project could not be screened, 1 when a verdict reaches ``fail_on``."""
    if result.projects["errors"].map(bool).any():
        return EXIT_BAD_INPUT
    if fail_on:
        worst = result.projects["verdict"].map(SEVERITY).max()
        if worst >= SEVERITY[fail_on]:
            return EXIT_FAIL_ON
    return 0
