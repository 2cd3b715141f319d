"""The HTML report: one self-contained file with the figures and the interactive map.

Sections per project: 项目概况 (overview), 结论 (verdict and reasons), 管控要素明细
(one row per control layer), 所在环境管控单元 (control units) and the static figure;
then 数据来源 (pack, layer checksums, ruleset, tool, time, settings) and a disclaimer.
Several projects get a summary table first. The page embeds everything it needs
(figures as PNG data URIs, Leaflet inlined), so it opens offline. Every value that
comes from data is escaped by the template engine.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np
import shapely

from ..gcj02 import to_offset
from ..result import Result
from ._i18n import t
from ._model import project_views, sources
from .figure import figure_bytes
from .webmap import make_map, map_parts


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("redline.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["short_reason"] = _short_reason
    return env


def _short_reason(reason: str) -> str:
    """A reason without its legal basis, for the summary table."""
    for marker in ("(依据:", " (basis:"):
        if marker in reason:
            return reason.split(marker)[0]
    return reason


def render_html(result: Result, *, lang: str = "zh", basemap: str = "osm",
                tianditu_key: str | None = None, offline: bool = False,
                figures: bool | Mapping[str, bytes] = True, interactive: bool = True) -> str:
    """The HTML report as text.

    Parameters
    ----------
    result
        The screening result.
    lang
        ``zh`` (default) or ``en``.
    basemap, tianditu_key, offline
        Basemap of the interactive map (see :func:`redline.report.webmap.make_map`).
    figures
        Embed the static figure of each project: ``True`` draws them, a mapping
        ``{project_id: png bytes}`` supplies them, ``False`` leaves them out.
    interactive
        Embed the interactive map.

    Returns
    -------
    str
        A complete HTML document.
    """
    views = project_views(result, lang)
    src = sources(result, lang)
    webmap = None
    if interactive:
        m = make_map(result, lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                     offline=offline, height="100%", collapsed_layers=True)
        webmap = map_parts(m)
    pictures: dict[str, str | None] = {}
    bounds: dict[str, list | None] = {}
    for row in result.projects.itertuples(index=False):
        drawable = row.geometry is not None and not shapely.is_empty(row.geometry)
        png = _figure_png(result, row.project_id, figures, lang) if drawable else None
        pictures[str(row.project_id)] = base64.b64encode(png).decode("ascii") if png else None
        bounds[str(row.project_id)] = _bounds(row.geometry, basemap == "amap" and not offline) \
            if drawable else None
    names = "、".join(v.name or v.id for v in views[:3]) if lang == "zh" else \
        ", ".join(v.name or v.id for v in views[:3])
    if len(views) > 3:
        names += f" 等 {len(views)} 个项目" if lang == "zh" else f" and {len(views) - 3} more"
    subtitle = f"{names} · {src.pack_title} · {src.generated_at}"
    template = _environment().get_template("report.html.j2")
    return template.render(
        lang=lang, t=lambda key: t(key, lang), title=f"{t('report_title', lang)} — {names}",
        subtitle=subtitle, views=views, sources=src, webmap=webmap, figures=pictures,
        bounds=bounds, gcj=basemap == "amap" and not offline, css=_css(),
    )


def _figure_png(result: Result, project_id: str, figures: bool | Mapping[str, bytes],
                lang: str) -> bytes | None:
    if isinstance(figures, Mapping):
        return figures.get(str(project_id))
    return figure_bytes(result, project_id, "png", lang=lang) if figures else None


def write_html(result: Result, path: str | Path, **options) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result, **options), encoding="utf-8")
    return path


@cache
def _css() -> str:
    return (resources.files("redline.report") / "templates" / "report.css").read_text("utf-8")


def _bounds(geom, gcj: bool) -> list[list[float]]:
    if gcj:
        geom = to_offset(np.array([geom], dtype=object), "gcj02")[0]
    x0, y0, x1, y1 = geom.bounds
    return [[round(y0, 7), round(x0, 7)], [round(y1, 7), round(x1, 7)]]
