"""The interactive map of a result (folium / Leaflet).

Every pack layer is its own overlay, styled by kind and class (:mod:`.style`); the
projects are outlined; overlap pieces are filled in the colour of their verdict and
labelled with their area or length; the shortest lines to nearby zones and the river
paths downstream of outfalls are drawn and labelled with their distance. Popups show
each zone's attributes (HTML-escaped). A legend, a measure tool and a scale bar are
added, and the view fits the projects.

The map needs no network: Leaflet and redline's helpers are inlined (see
:mod:`._assets`); only basemap tiles are fetched, and when they cannot be the
overlays still show (a note says so). Basemaps: OpenStreetMap (default), Tianditu
with a user key, AMap (the overlays are then shifted to GCJ-02 to line up with it),
or none.
"""

from __future__ import annotations

import html
import json
import os
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
import shapely
import xyzservices.providers as xyz
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from ..errors import InputError
from ..gcj02 import to_offset
from ..kinds import class_title
from ..pack import ZONE_COLUMNS
from ..result import ILLUSTRATIVE_NOTE, KIND_LABELS, VERDICT_LABELS, label, measure_text
from . import _assets
from ._i18n import t
from ._model import MEMBERSHIP_KINDS, layer_title, size_text, zone_text
from .style import (
    DOWNSTREAM_STYLE,
    NEAR_STYLE,
    PROJECT_STYLE,
    VERDICT_COLORS,
    Style,
    legend_entries,
    piece_style,
    zone_style,
)

if TYPE_CHECKING:
    from ..result import Result

#: Basemaps :func:`make_map` knows.
BASEMAPS = ("osm", "tianditu", "amap", "none")
#: Environment variable read for a Tianditu key when none is passed.
TIANDITU_KEY_ENV = "REDLINE_TIANDITU_KEY"

_TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}&x={{x}}&y={{y}}&l={{z}}&tk={key}"
_PIECE_RELATIONS = ("overlaps", "inside", "touches")
_POINT_RADIUS = 7
_MAX_ATTR_CHARS = 400
#: Fixed labels (areas, distances) show from this zoom level on (about 1:35 000).
_LABELS_FROM_ZOOM = 14


def make_map(result: Result, *, project_id: str | None = None, lang: str = "zh",
             basemap: str = "osm", tianditu_key: str | None = None, offline: bool = False,
             margin_m: float | None = None, height: str = "100%",
             collapsed_layers: bool = False) -> folium.Map:
    """Build the interactive map of a screening result.

    Parameters
    ----------
    result
        The screening result.
    project_id
        Show and fit only this project (default: all projects).
    lang
        ``zh`` or ``en`` for labels, legend and popups.
    basemap
        ``osm`` (default), ``tianditu`` (needs ``tianditu_key`` or the
        ``REDLINE_TIANDITU_KEY`` environment variable), ``amap`` (overlays drawn in
        GCJ-02) or ``none``.
    tianditu_key
        A Tianditu API key (it ends up in the page, as every tile URL needs it).
    offline
        No basemap and no request to any server: for machines without internet.
    margin_m
        How far around the projects to draw zones (default: 3 × the buffer, at least
        1.5 km).
    height
        CSS height of the map element.
    collapsed_layers
        Fold the list of layers into a button (for small maps embedded in a page).

    Returns
    -------
    folium.Map
        Call ``.save(path)`` for a standalone page, or display it in a notebook.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"--basemap: unknown basemap {basemap!r} (choose from {', '.join(BASEMAPS)})")
    if offline:
        basemap = "none"
    key = tianditu_key or os.environ.get(TIANDITU_KEY_ENV)
    if basemap == "tianditu" and not key:
        raise InputError(f"--basemap tianditu needs a key: pass --tianditu-key or set {TIANDITU_KEY_ENV}")
    gcj = basemap == "amap"

    projects = result.projects
    if project_id is not None:
        projects = projects[projects["project_id"] == str(project_id)]
        if projects.empty:
            raise InputError(f"no project with id {project_id!r} in this result")
    geoms = projects.geometry.values.to_numpy()
    has_geom = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    margin = margin_m if margin_m is not None else max(3 * result.settings.buffer_m, 1500.0)
    window = _window(result, geoms[has_geom], margin)

    m = folium.Map(location=None, tiles=None, control_scale=False, height=height,
                   zoom_control=True, prefer_canvas=False)
    _inline_assets(m)
    _add_basemaps(m, basemap, key, lang)
    shift = (lambda g: to_offset(g, "gcj02")) if gcj else (lambda g: g)

    legend: list[tuple[str, str]] = []
    for layer in result.pack.layers:
        idx = np.sort(layer.tree.query(window)) if len(layer.zones) else np.array([], int)
        zones = layer.zones.iloc[idx]
        style_of = [zone_style(layer.kind, c) for c in zones["zone_class"]]
        title = layer_title(result, layer.id, layer.kind, lang)
        props = [{"style": s.leaflet(), "popup": _zone_popup(layer, z, title, lang),
                  "tip": html.escape(zone_text(z, lang, layer.kind)),
                  **({"radius": _POINT_RADIUS} if layer.kind == "intake" else {})}
                 for s, z in zip(style_of, zones.itertuples(index=False), strict=True)]
        show = zone_style(layer.kind, None).show
        _geojson(m, shift(zones.geometry.values.to_numpy()), props, title, show=show,
                 css_class=f"rl-zone rl-{layer.kind}")
        entries = legend_entries(layer.kind, zones["zone_class"], lang) if len(zones) else []
        legend += [(_swatch(s, line=layer.kind in ("river", "admin")), html.escape(text))
                   for text, s in entries]

    _add_projects(m, result, projects[has_geom], shift, lang)
    legend.insert(0, (_swatch(PROJECT_STYLE), t("legend_project", lang)))
    legend += _add_findings(m, result, projects, shift, lang)

    bounds = _bounds(shift(geoms[has_geom])) if has_geom.any() else _bounds(
        shift(np.array([shapely.box(*result.pack.bounds)])))
    m.fit_bounds(bounds, padding=(20, 20), max_zoom=17)
    folium.LayerControl(collapsed=collapsed_layers, position="topright").add_to(m)
    _Extras(legend, _banner(result, lang), _note(result, lang, gcj), lang).add_to(m)
    return m


# ----------------------------------------------------------------------------- pieces


def _window(result: Result, geoms: np.ndarray, margin: float) -> shapely.Geometry:
    """The area (equal-area CRS) whose zones are drawn."""
    if len(geoms) == 0:
        return shapely.box(*result.pack.projector.to_metric(
            np.array([shapely.box(*result.pack.bounds)]))[0].bounds)
    metric = result.pack.projector.to_metric(geoms)
    x0, y0, x1, y1 = shapely.total_bounds(metric)
    return shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def _bounds(geoms: np.ndarray) -> list[list[float]]:
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    return [[float(y0), float(x0)], [float(y1), float(x1)]]


def _features(geoms: np.ndarray, props: list[dict]) -> dict:
    """A GeoJSON FeatureCollection (coordinates rounded to 1e-7°, about 1 cm)."""
    geoms = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = shapely.transform(geoms[keep], lambda c: np.round(c, 7))
    texts = shapely.to_geojson(geoms) if len(geoms) else []
    kept = [p for p, k in zip(props, keep, strict=True) if k]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": json.loads(g), "properties": p}
                         for g, p in zip(texts, kept, strict=True)]}


def _geojson(m: folium.Map, geoms: np.ndarray, props: list[dict], name: str, *,
             css_class: str, show: bool = True) -> None:
    # className reaches every path Leaflet draws for the collection (for styling and tests)
    folium.GeoJson(
        _features(geoms, props), name=html.escape(name), show=show, overlay=True, control=True,
        marker=folium.CircleMarker(radius=_POINT_RADIUS, fill=True, className=css_class),
        on_each_feature=JsCode("redline.feature"), zoom_on_click=False, className=css_class,
    ).add_to(m)


def _zone_popup(layer, zone: Any, title: str, lang: str) -> str:
    """An HTML table of a zone's attributes; every value is escaped."""
    rows = [(t("zone", lang), zone.zone_name or "—")]
    cls = class_title(layer.kind, zone.zone_class, lang)
    if cls:
        rows.append(("类别" if lang == "zh" else "class", cls))
    if zone.zone_id:
        rows.append(("编号" if lang == "zh" else "id", zone.zone_id))
    for column, value in zone._asdict().items():
        if column in ZONE_COLUMNS or column == "geometry" or _missing(value):
            continue
        text = str(value)
        if len(text) > _MAX_ATTR_CHARS:
            text = text[:_MAX_ATTR_CHARS] + "…"
        rows.append((column, text))
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f'<div class="rl-popup"><h4>{html.escape(title)}</h4><table>{body}</table></div>'


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _add_projects(m: folium.Map, result: Result, projects, shift, lang: str) -> None:
    props = []
    for row in projects.itertuples(index=False):
        color = VERDICT_COLORS.get(row.verdict, VERDICT_COLORS[None])
        verdict = label(VERDICT_LABELS, row.verdict, lang)
        reasons = result.reasons(row.project_id, lang) if row.verdict else list(row.errors)
        items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons[:8])
        size = size_text(_num(row.area_m2), _num(row.length_m), lang)
        kind = html.escape(label(KIND_LABELS, row.kind, lang))
        popup = (f'<div class="rl-popup"><h4>{html.escape(str(row.project_id))} '
                 f'{html.escape(row.name or "")}</h4><table>'
                 f'<tr><th>{t("kind", lang)}</th><td>{kind}</td></tr>'
                 f'<tr><th>{t("size", lang)}</th><td>{html.escape(size)}</td></tr>'
                 f'<tr><th>{t("verdict", lang)}</th><td><b style="color:{color}">'
                 f'{html.escape(verdict)}</b></td></tr></table>'
                 + (f"<ul>{items}</ul>" if items else "") + "</div>")
        style = PROJECT_STYLE.leaflet() | {"fill": True, "fillOpacity": 0.04}
        props.append({"style": style, "popup": popup,
                      "tip": html.escape(f"{row.project_id} {row.name or ''} · {verdict}"),
                      "radius": _POINT_RADIUS + 2})
    _geojson(m, shift(projects.geometry.values.to_numpy()), props, t("overlay_projects", lang),
             css_class="rl-project")


def _add_findings(m: folium.Map, result: Result, projects, shift, lang: str) -> list[tuple[str, str]]:
    """Overlap pieces, distance lines, downstream paths and parts outside; legend rows."""
    f = result.findings
    f = f[f["project_id"].isin(projects["project_id"]) & ~f["kind"].isin(MEMBERSHIP_KINDS)]
    legend = []
    groups = (
        ("overlay_pieces", (f["relation"].isin(_PIECE_RELATIONS)) & (f["kind"] != "urban_boundary"),
         True),
        ("overlay_near", f["relation"] == "near", True),
        ("overlay_downstream", f["relation"] == "downstream", True),
        ("overlay_outside", f["relation"] == "outside", False),
    )
    for key, mask, show in groups:
        rows = f[mask]
        props = []
        for row in rows.itertuples():
            style = _finding_style(row)
            text = _finding_label(row, lang)
            tip = f"{row.project_id} · {layer_title(result, row.layer, row.kind, lang)} · " \
                  f"{zone_text(row, lang)} · {text}"
            prop = {"style": style.leaflet(), "radius": _POINT_RADIUS,
                    "popup": f'<div class="rl-popup">{html.escape(tip)}</div>'}
            # Parts outside are large and hidden at first: a hover tip, not a fixed label.
            if key == "overlay_outside":
                prop["tip"] = html.escape(tip)
            else:
                prop["label"] = html.escape(text)
            props.append(prop)
        _geojson(m, shift(rows.geometry.values.to_numpy()), props, t(key, lang), show=show,
                 css_class="rl-" + key.removeprefix("overlay_"))
        if key == "overlay_pieces":
            for verdict in dict.fromkeys(rows["verdict"]):
                legend.append((_swatch(piece_style(verdict)),
                               f'{t("legend_piece", lang)} · {label(VERDICT_LABELS, verdict, lang)}'))
        elif len(rows) and key == "overlay_near":
            legend.append((_swatch(NEAR_STYLE, line=True), t("legend_near", lang)))
        elif len(rows) and key == "overlay_downstream":
            legend.append((_swatch(DOWNSTREAM_STYLE, line=True), t("legend_downstream", lang)))
    return legend


def _finding_style(row: Any) -> Style:
    if row.relation == "near":
        return NEAR_STYLE
    if row.relation == "downstream":
        return DOWNSTREAM_STYLE
    style = piece_style(row.verdict)
    if row.geometry is not None and row.geometry.geom_type.endswith("LineString"):
        return Style(style.color, None, 0.0, 6.0)
    return style


def _finding_label(row: Any, lang: str) -> str:
    text = measure_text(row, lang)
    if row.relation == "touches" and not text:
        return "边界相接" if lang == "zh" else "touches"
    if row.relation == "inside" and not text:
        return "位于其内" if lang == "zh" else "inside"
    return text


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


# ------------------------------------------------------------------------ decoration


def _swatch(style: Style, *, line: bool = False) -> str:
    if line:
        border = "dashed" if style.dash else "solid"
        return f'<span class="rl-sw rl-line" style="border-top:3px {border} {style.color}"></span>'
    fill = style.fill or "transparent"
    opacity = max(style.fill_opacity, 0.25) if style.fill else 0
    border = "dashed" if style.dash else "solid"
    return (f'<span class="rl-sw" style="border:2px {border} {style.color};'
            f'background:{_rgba(fill, opacity)}"></span>')


def _rgba(color: str, alpha: float) -> str:
    if not color.startswith("#") or len(color) != 7:
        return color
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:.2f})"


def _banner(result: Result, lang: str) -> str | None:
    if not result.illustrative:
        return None
    return html.escape(label({0: ILLUSTRATIVE_NOTE}, 0, lang))


def _note(result: Result, lang: str, gcj: bool) -> str:
    pack = result.pack
    text = html.escape(f"{pack.title_for(lang)} · {pack.id} {pack.version}")
    if gcj:
        text += "<br>" + html.escape(t("gcj_note", lang))
    return text


def _inline_assets(m: folium.Map) -> None:
    """Replace folium's CDN links by inlined Leaflet and redline assets."""
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    header.add_child(folium.Element(f"<style>{_assets.leaflet_css()}</style>"), name="rl_leaflet_css")
    header.add_child(folium.Element(f"<style>{_assets.redline_css()}</style>"), name="rl_css")
    header.add_child(folium.Element(f"<script>{_assets.leaflet_js()}</script>"), name="rl_leaflet_js")
    header.add_child(folium.Element(f"<script>{_assets.redline_js()}</script>"), name="rl_js")


def _add_basemaps(m: folium.Map, basemap: str, key: str | None, lang: str) -> None:
    def tianditu(kind: str, name: str, *, overlay: bool = False, show: bool = True):
        folium.TileLayer(
            tiles=_TIANDITU.format(s="{s}", layer=kind, key=key), attr="&copy; 天地图 Tianditu",
            name=name, subdomains="01234567", max_zoom=18, overlay=overlay, show=show,
        ).add_to(m)

    if basemap == "none":
        m.get_root().header.add_child(
            folium.Element("<style>.leaflet-container{background:#f4f3ef}</style>"), name="rl_bg")
        return
    if basemap == "amap":
        folium.TileLayer(xyz.Gaode.Normal, name="高德地图 AMap" if lang == "zh" else "AMap").add_to(m)
        folium.TileLayer(xyz.Gaode.Satellite, show=False,
                         name="高德影像 AMap satellite" if lang == "zh" else "AMap satellite").add_to(m)
        return
    # The first base layer shown is the chosen one; the others start hidden.
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    if key:
        tianditu("vec_w", "天地图矢量 Tianditu", show=basemap == "tianditu")
        tianditu("img_w", "天地图影像 Tianditu imagery", show=False)
    if basemap == "tianditu":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=False).add_to(m)
    if key:
        tianditu("cva_w", "天地图注记 Tianditu labels", overlay=True)


class _Extras(MacroElement):
    """Legend, banner, note, measure tool and offline notice of a redline map."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    redline.scale(map);
    redline.measure(map, {{ this.measure_text|tojson }});
    redline.labelsFrom(map, {{ this.labels_from|tojson }});
    redline.legend(map, {{ this.legend_html|tojson }});
    {%- if this.banner_html %}
    redline.banner(map, {{ this.banner_html|tojson }});
    {%- endif %}
    redline.note(map, {{ this.note_html|tojson }});
    redline.tileNotice(map, {{ this.offline_text|tojson }});
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, legend: list[tuple[str, str]], banner: str | None, note: str, lang: str):
        super().__init__()
        self._name = "RedlineExtras"
        rows = "".join(f'<div class="rl-row">{sw}<span>{text}</span></div>'
                       for sw, text in dict.fromkeys(legend))
        self.legend_html = f"<b>{'图例' if lang == 'zh' else 'Legend'}</b>{rows}"
        self.banner_html = banner
        self.note_html = note
        self.offline_text = html.escape(t("offline_note", lang))
        self.labels_from = _LABELS_FROM_ZOOM
        self.measure_text = {"hint": t("measure_hint", lang), "distance": t("measure_distance", lang),
                             "area": t("measure_area", lang)}


def map_parts(m: folium.Map) -> dict[str, str]:
    """The pieces of a rendered map to embed it in another page.

    Returns ``head`` (styles and scripts, Leaflet included), ``body`` (the map
    element) and ``script`` (the code that draws it), without folium's full-page
    styles.
    """
    root = m.get_root()
    root.render()
    for name in ("css_style", "map_style"):
        root.header._children.pop(name, None)
    return {"head": root.header.render(), "body": root.html.render(),
            "script": root.script.render(), "name": m.get_name()}

