"""The ``redline`` command line: argument parsing only; the work is in the library.

Exit codes (DESIGN §2.3): 0 done, 1 a verdict at or above ``--fail-on``, 2 bad input
or usage (one line on stderr, no traceback), 3 an internal error.
"""

from __future__ import annotations

import os
import sys

import click

from .._version import __version__
from ..errors import RedlineError

EXIT_OK, EXIT_FAIL_ON, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Group(click.Group):
    """Turns user errors into one line and exit 2, anything else into exit 3."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"redline: error: {exc.format_message()}{hint}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException as exc:
            click.echo(f"redline: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("redline: aborted", err=True)
            sys.exit(EXIT_BAD_INPUT)
        sys.exit(code if isinstance(code, int) else EXIT_OK)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RedlineError as exc:
            click.echo(f"redline: error: {exc}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # the last line of defence: never a bare traceback
            if os.environ.get("REDLINE_DEBUG"):
                raise
            click.echo(f"redline: internal error: {type(exc).__name__}: {exc} "
                       "(set REDLINE_DEBUG=1 for the traceback; please report it)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="redline")
def cli() -> None:
    """Screen construction projects against China's spatial-control layers (EIA review).

    \b
    Examples:
      redline demo                               screen the bundled demo projects
      redline screen site.shp --json             one project file, result JSON on stdout
      redline screen road.kml --pack mypack -o out --format json,gpkg
      redline batch parcels/ --pack mypack -o out  screen many projects (resumable)
      redline pack check mypack                  validate a layer pack
      redline rules show                         the active rules and their legal bases
    """


def _register() -> None:
    from . import batch, demo, pack, rules, screen

    cli.add_command(screen.screen)
    cli.add_command(batch.batch)
    cli.add_command(demo.demo)
    cli.add_command(pack.pack)
    cli.add_command(rules.rules)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="redline")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("redline: interrupted", err=True)
        sys.exit(130)
