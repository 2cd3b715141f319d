"""``redline pack check|info|compile``: validate, describe and compile layer packs."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from ..pack import load_pack
from ..report.table import console
from . import EXIT_BAD_INPUT


@click.group()
def pack() -> None:
    """Validate, describe and compile layer packs."""


@pack.command()
@click.argument("directory", type=click.Path())
def check(directory):
    """Validate the pack in DIRECTORY and report each layer.

    Prints, per layer: features read, CRS (declared or assumed), encoding, geometry
    repairs, unmapped class values; then every problem. Exits 2 when the pack is
    unusable (missing files, unknown kinds, unmapped classes that rules depend on…).
    """
    loaded = load_pack(directory, strict=True)
    out = console()
    table = Table(title=f"{loaded.title} ({loaded.id} {loaded.version})", header_style="bold")
    for col in ("layer", "kind", "features", "CRS", "encoding", "repaired", "classes"):
        table.add_column(col)
    for layer in loaded.layers:
        classes = layer.zones["zone_class"].dropna().value_counts().sort_index()
        table.add_row(layer.id, layer.kind, f"{len(layer.zones)}/{layer.features_read}",
                      f"{layer.crs_in} ({layer.crs_how})", layer.encoding,
                      str(len(layer.repairs)),
                      ", ".join(f"{k}:{v}" for k, v in classes.items()) or "—")
    for raster in loaded.rasters:
        g = raster.grid
        classes = raster.class_names() or [f"legend:{len(raster.legend)}"] * bool(raster.legend)
        table.add_row(raster.id, raster.kind, f"raster {g.width}×{g.height}",
                      f"{raster.crs_in} ({raster.crs_how})", f"band {raster.band} {raster.dtype}",
                      f"nodata {raster.nodata:g}" if raster.nodata is not None else "nodata —",
                      ", ".join(classes) or "—")
    out.print(table)
    for issue in loaded.issues:
        out.print(str(issue), style="red" if issue.severity == "error" else "yellow",
                  highlight=False, markup=False)
    errors = len(loaded.errors)
    warnings = len(loaded.issues) - errors
    out.print(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        click.echo(f"redline: error: {directory}: pack is unusable ({errors} error(s))", err=True)
        sys.exit(EXIT_BAD_INPUT)


@pack.command()
@click.argument("directory", type=click.Path())
def info(directory):
    """List the layers of the pack in DIRECTORY: features, extent and SHA-256."""
    loaded = load_pack(directory)
    out = console()
    out.print(f"{loaded.title}\nid {loaded.id} · version {loaded.version} · "
              f"catalog sha256 {loaded.catalog_sha256}", highlight=False)
    if loaded.illustrative:
        out.print("ILLUSTRATIVE data, not official", style="bold magenta")
    for layer in loaded.layers:
        b = layer.bounds
        out.print(f"{layer.id:<16} {layer.kind:<20} {len(layer.zones):>7} features  "
                  f"{b[0]:.4f},{b[1]:.4f} – {b[2]:.4f},{b[3]:.4f}  {layer.spec.title}",
                  highlight=False, markup=False, soft_wrap=True)
        out.print(f"{'':<16} sha256 {layer.sha256}", highlight=False, soft_wrap=True)
    for raster in loaded.rasters:
        b, g, t = raster.bounds, raster.grid, raster.grid.transform
        out.print(f"{raster.id:<16} {raster.kind:<20} {g.width}×{g.height} cells of "
                  f"{abs(t.a):g}×{abs(t.e):g} ({raster.crs_in})  "
                  f"{b[0]:.4f},{b[1]:.4f} – {b[2]:.4f},{b[3]:.4f}  {raster.spec.title}",
                  highlight=False, markup=False, soft_wrap=True)
        out.print(f"{'':<16} sha256 {raster.sha256}", highlight=False, soft_wrap=True)


@pack.command("compile")
@click.argument("directory", type=click.Path())
def compile_(directory):
    """Compile the pack in DIRECTORY into a fast cache (DIRECTORY/.redline-cache).

    The cache holds every layer as GeoParquet, normalised, in CGCS2000 lon/lat and in
    the pack's equal-area CRS, keyed by the checksums of the catalog and of every
    layer file. Every later load of the pack uses it while it matches the sources and
    rebuilds it when a source changes.
    """
    import time

    from ..compiled import compile_pack

    started = time.perf_counter()
    folder = compile_pack(directory)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    click.echo(f"compiled {directory} into {folder} ({size / 1e6:.1f} MB, "
               f"{time.perf_counter() - started:.1f} s)")
