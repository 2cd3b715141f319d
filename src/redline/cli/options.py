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


_basemap = click.option(
    "--basemap", type=click.Choice(["osm", "tianditu", "amap", "none"]), default="osm",
    show_default=True,
    help="Basemap of the interactive map (amap: overlays drawn in GCJ-02 to match it).")
_tianditu_key = click.option(
    "--tianditu-key", envvar="REDLINE_TIANDITU_KEY",
    help="Tianditu API key for --basemap tianditu [env REDLINE_TIANDITU_KEY].")
_offline = click.option(
    "--offline", is_flag=True,
    help="Maps request nothing from the network: no basemap tiles (Leaflet is always inlined).")


def map_options(func):
    """Add --basemap, --tianditu-key and --offline; the command gets ``map_options`` (a dict)."""
    import functools

    @_basemap
    @_tianditu_key
    @_offline
    @functools.wraps(func)
    def wrapper(*args, basemap, tianditu_key, offline, **kwargs):
        if basemap == "tianditu" and not tianditu_key and not offline:
            raise click.BadParameter("tianditu needs a key: pass --tianditu-key or set "
                                     "REDLINE_TIANDITU_KEY", param_hint="--basemap")
        options = {"basemap": basemap, "tianditu_key": tianditu_key, "offline": offline}
        return func(*args, map_options=options, **kwargs)

    return wrapper


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated option value."""
    return [v.strip() for v in (value or "").replace(",", ",").split(",") if v.strip()]
