"""Options shared by several commands, defined once."""

from __future__ import annotations

import click

from ..rules.ruleset import VERDICTS

pack_option = click.option(
    "--pack", "pack_dir", type=click.Path(file_okay=True, dir_okay=True),
    help="Layer pack folder (default: the bundled, illustrative demo pack).")
rules_option = click.option(
    "--rules", "rules_files", multiple=True, type=click.Path(dir_okay=False),
    help="Extra ruleset file merged over the national rules (repeatable).")
buffer_option = click.option(
    "--buffer", "buffer_m", type=click.FloatRange(min=0), default=None,
    help="Report zones within this distance in metres as 'near' [default: 500].")
lang_option = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
    help="Language of messages and reports.")
fail_on_option = click.option(
    "--fail-on", type=click.Choice(VERDICTS[1:]), default=None,
    help="Exit 1 when any project's verdict is at or above this one.")


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated option value."""
    return [v.strip() for v in (value or "").replace(",", ",").split(",") if v.strip()]
