"""The public entry points: read projects, load a pack, screen.

Everything the command line does goes through these functions, so a notebook gets
exactly what ``redline screen`` gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from ._gc import paused_gc
from .engine import screen_projects
from .io import read_projects
from .pack import Pack, load_pack
from .result import Result
from .rules import Ruleset, decide, load_ruleset
from .rules.catalog import catalog_rules
from .settings import DEFAULT, Settings


@paused_gc()
def screen(projects: gpd.GeoDataFrame | str | Path, pack: Pack | str | Path | None = None, *,
           rules: Ruleset | Sequence[str | Path] = (), settings: Settings = DEFAULT,
           buffer_m: float | None = None, on: dt.date | None = None) -> Result:
    """Screen projects against a layer pack and judge them with a ruleset.

    Parameters
    ----------
    projects
        A projects frame from :func:`read_projects`, or a path to read with defaults.
    pack
        A loaded :class:`~redline.pack.Pack`, a pack folder, or ``None`` for the
        bundled (illustrative) demo pack.
    rules
        A loaded ruleset (used as given), or extra ruleset files merged over the
        national ruleset (after the rules the pack's catalog implies and the pack's own
        ruleset, if it ships one).
    settings
        Tolerances and distances; ``buffer_m`` overrides its buffer.
    buffer_m
        Distance (m) within which zones are reported as ``near``.
    on
        The date whose law applies (today by default).

    Returns
    -------
    Result
        ``Result.projects`` and ``Result.findings`` are GeoDataFrames;
        ``Result.to_dict()`` is the result document.

    Examples
    --------
    >>> import redline
    >>> pack = redline.load_pack()                     # the demo pack
    >>> projects = redline.read_projects("site.geojson")
    >>> result = redline.screen(projects, pack)
    >>> result.projects[["project_id", "verdict"]]
    """
    if not isinstance(projects, gpd.GeoDataFrame):
        projects = read_projects(projects)
    if not isinstance(pack, Pack):
        pack = load_pack(pack)
    ruleset = rules if isinstance(rules, Ruleset) else load_ruleset(
        pack.rules_path, *rules, catalog=catalog_rules(pack))
    settings = settings.updated(buffer_m=buffer_m)
    return decide(screen_projects(projects, pack, settings), ruleset, on=on)
