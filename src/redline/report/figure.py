"""A static map of one project for documents (PNG and SVG), drawn with matplotlib.

The map is drawn in a transverse Mercator projection centred on the project (on the
CGCS2000 ellipsoid), so that north is up and the scale bar is true at the project. It
shows the zones of every layer around the project, the screening buffer, the overlap
pieces in the colour of their verdict (labelled with their area or length), the
shortest lines to nearby zones and the river paths downstream (labelled with their
distance), the project itself, a longitude/latitude grid, a legend, a scale bar and
a north arrow. Nothing is fetched from the network; Chinese text uses the font found
by :mod:`._fonts`, and when there is none the figure is drawn in English with ids in
place of Chinese names (never as boxes).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..result import ILLUSTRATIVE_NOTE, VERDICT_LABELS, label, measure_text
from ._fonts import cjk_font
from ._i18n import t
from ._model import MEMBERSHIP_KINDS, dms, zone_text
from .style import (
    DOWNSTREAM_STYLE,
    NEAR_STYLE,
    PROJECT_STYLE,
    VERDICT_COLORS,
    legend_entries,
    piece_style,
    zone_style,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..result import Result

#: Default size of the figure in pixels (at :data:`DPI`).
SIZE_PX = (1200, 1000)
DPI = 150
#: Layer kinds drawn as outlines only (they cover the whole view otherwise).
_OUTLINE_KINDS = ("admin",)
#: Layer kinds not drawn in the figure (large background units; listed in the report).
_SKIPPED_KINDS = ("control_unit",)
_NICE_STEPS_DEG = [s / 3600 for s in (1, 2, 5, 10, 15, 30)] + \
    [m / 60 for m in (1, 2, 5, 10, 15, 30)] + [1.0, 2.0, 5.0]


def project_figure(result: Result, project_id: str, *, lang: str = "zh",
                   size_px: tuple[int, int] = SIZE_PX, dpi: int = DPI) -> Figure:
    """Draw the static map of one project.

    Parameters
    ----------
    result
        The screening result.
    project_id
        The project to draw.
    lang
        ``zh`` or ``en``. Without a Chinese font on the machine the figure is drawn
        in English whatever ``lang`` says.
    size_px, dpi
        Size of the figure in pixels, and its resolution.

    Returns
    -------
    matplotlib.figure.Figure
        A figure not attached to pyplot (no display needed); save it with
        ``savefig``, or use :func:`save_figures`.
    """
    from matplotlib.figure import Figure

    rows = result.projects[result.projects["project_id"] == str(project_id)]
    if rows.empty:
        raise KeyError(project_id)
    project = next(rows.itertuples(index=False))
    font = cjk_font()
    if font is None:
        lang = "en"
    text = _Text(font)
    fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    with _rc(font):
        _draw(fig, result, project, lang, text)
    return fig


def figure_bytes(result: Result, project_id: str, fmt: str = "png", *, lang: str = "zh",
                 size_px: tuple[int, int] = SIZE_PX, dpi: int = DPI) -> bytes:
    """The figure of one project encoded as ``png`` or ``svg``."""
    fig = project_figure(result, project_id, lang=lang, size_px=size_px, dpi=dpi)
    return _encode(fig, fmt, dpi)


def render_figures(result: Result, formats: Iterable[str] = ("png",), *,
                   lang: str = "zh") -> dict[str, dict[str, bytes]]:
    """Draw every project that has a geometry once and encode it in each format.

    Returns
    -------
    dict
        ``{project_id: {fmt: bytes}}``; projects without a geometry are left out.
    """
    out: dict[str, dict[str, bytes]] = {}
    for row in result.projects.itertuples(index=False):
        if row.geometry is None or row.geometry.is_empty:
            continue
        fig = project_figure(result, row.project_id, lang=lang)
        out[str(row.project_id)] = {fmt: _encode(fig, fmt, DPI) for fmt in formats}
    return out


def save_figures(result: Result, outdir: str | Path, formats: Iterable[str] = ("png", "svg"), *,
                 lang: str = "zh", rendered: dict[str, dict[str, bytes]] | None = None) -> list[Path]:
    """Write ``figure-<project id>.<fmt>`` for every project that has a geometry.

    Parameters
    ----------
    result
        The screening result.
    outdir
        Output folder (created if needed).
    formats
        ``png`` and/or ``svg``.
    lang
        ``zh`` or ``en``.
    rendered
        Figures already drawn by :func:`render_figures` (drawn here when missing).

    Returns
    -------
    list of Path
        The files written.
    """
    formats = list(formats)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    if rendered is None or any(f not in r for r in rendered.values() for f in formats):
        rendered = render_figures(result, formats, lang=lang)
    written = []
    for project_id, encoded in rendered.items():
        for fmt in formats:
            path = outdir / f"figure-{safe_name(project_id)}.{fmt}"
            path.write_bytes(encoded[fmt])
            written.append(path)
    return written


def _encode(fig: Figure, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    with _rc(cjk_font()):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return buffer.getvalue()


def safe_name(project_id: Any) -> str:
    """A project id made safe for a file name."""
    return re.sub(r"[^\w.-]+", "_", str(project_id)).strip("._") or "project"


# ----------------------------------------------------------------------------- drawing


def has_cjk(text: str) -> bool:
    """True when ``text`` holds CJK characters or punctuation (U+2E80 and up)."""
    return any(ord(ch) >= 0x2E80 for ch in text)


class _Text:
    """Text for the figure: Chinese only when a font can draw it."""

    def __init__(self, font: str | None):
        self.cjk = font is not None

    def __call__(self, value: Any, fallback: str = "") -> str:
        value = "" if value is None else str(value)
        if self.cjk or not has_cjk(value):
            return value
        return fallback


def _rc(font: str | None):
    import matplotlib as mpl

    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return mpl.rc_context({"font.family": families, "svg.fonttype": "path",
                           "axes.unicode_minus": False, "hatch.linewidth": 0.6,
                           "svg.hashsalt": "redline"})


def _metadata(fmt: str) -> dict:
    # Keep output byte-stable: no creation date, a fixed software tag.
    if fmt == "svg":
        return {"Date": None, "Creator": "redline"}
    if fmt == "png":
        return {"Software": "redline"}
    return {}


def _local_crs(geom) -> CRS:
    centre = geom.centroid
    return CRS.from_proj4(f"+proj=tmerc +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +k=1 "
                          "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs")


def _transform(transformer: Transformer, geoms: np.ndarray) -> np.ndarray:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def _draw(fig: Figure, result: Result, project: Any, lang: str, text: _Text) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    geom = project.geometry
    has_geom = geom is not None and not geom.is_empty
    crs = _local_crs(geom if has_geom else shapely.box(*result.pack.bounds))
    fwd = Transformer.from_crs("EPSG:4490", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4490", always_xy=True)

    ax = fig.add_axes((0.075, 0.1, 0.6, 0.79))
    buffer_m = result.settings.buffer_m
    local = _transform(fwd, [geom])[0] if has_geom else shapely.box(-1000, -1000, 1000, 1000)
    xlim, ylim = _extent(local, buffer_m, ax, fig)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    view = shapely.box(xlim[0], ylim[0], xlim[1], ylim[1])
    view_ll = _transform(inv, [shapely.segmentize(view, 50.0)])[0]
    # zone names go where they do not hide the project and its labels
    keep_clear = shapely.buffer(local, max(0.08 * (xlim[1] - xlim[0]), 1.0))

    handles: dict[str, Any] = {}
    involved = _involved_zones(result, project.project_id)

    # zones of every layer in view
    for layer in result.pack.layers:
        if layer.kind in _SKIPPED_KINDS or not len(layer.zones):
            continue
        window = result.pack.projector.to_metric(np.array([view_ll]))[0]
        idx = np.sort(layer.tree.query(window))
        if not len(idx):
            continue
        zones = layer.zones.iloc[idx]
        local_zones = _transform(fwd, zones.geometry.values.to_numpy())
        for cls in dict.fromkeys(zones["zone_class"]):
            mask = (zones["zone_class"] == cls).to_numpy() if cls is not None \
                else zones["zone_class"].isna().to_numpy()
            style = zone_style(layer.kind, cls)
            outline = layer.kind in _OUTLINE_KINDS
            _plot(ax, local_zones[mask], style.color, None if outline else style.fill,
                  style.fill_opacity, style.weight, style.mpl_dashes(), zorder=2 if outline else 1)
            drawn = shapely.boundary(local_zones[mask]) if outline else local_zones[mask]
            if shapely.intersects(drawn, view).any():
                entry = legend_entries(layer.kind, [cls], lang)[0][0]
                dim = shapely.get_dimensions(local_zones[mask][0])
                handles[text(entry, layer.kind)] = _handle(style, dim, outline)
        for i, z, g in zip(idx, zones.itertuples(index=False), local_zones, strict=True):
            if (layer.id, int(i)) in involved:
                name = text(zone_text(z, lang, layer.kind), z.zone_id or "")
                _zone_label(ax, shapely.difference(g, keep_clear), name, xlim, ylim)

    # screening buffer
    if has_geom and buffer_m > 0:
        ring = shapely.buffer(local, buffer_m)
        _plot(ax, [ring], "#757575", None, 0, 0.9, (0, (4, 3)), zorder=3)
        handles[f"{t('legend_buffer', lang)} ({buffer_m:g} m)"] = Line2D(
            [], [], color="#757575", linestyle=(0, (4, 3)), linewidth=0.9)

    # findings
    findings = result.findings_of(project.project_id)
    findings = findings[~findings["kind"].isin(MEMBERSHIP_KINDS)]
    local_f = _transform(fwd, findings.geometry.values.to_numpy()) if len(findings) else []
    for f, g in zip(findings.itertuples(), local_f, strict=True):
        if g is None or g.is_empty:
            continue
        if f.relation in ("overlaps", "inside", "touches") and f.kind != "urban_boundary":
            style = piece_style(f.verdict)
            _plot(ax, [g], style.color, style.fill, 0.45, 1.6, "-", zorder=5, hatch="////",
                  line_width=4.0)
            handles[f"{t('legend_piece', lang)} · {label(VERDICT_LABELS, f.verdict, lang)}"] = \
                Patch(facecolor=_rgba(style.fill, 0.45), edgecolor=style.color, hatch="////")
            _label(ax, g, measure_text(f, lang) or label_relation(f.relation, lang), xlim, ylim)
        elif f.relation in ("near", "downstream"):
            style = NEAR_STYLE if f.relation == "near" else DOWNSTREAM_STYLE
            _plot(ax, [g], style.color, None, 0, 1.6, (0, (4, 3)), zorder=6)
            key = "legend_near" if f.relation == "near" else "legend_downstream"
            handles[t(key, lang)] = Line2D([], [], color=style.color, linestyle=(0, (4, 3)))
            _label(ax, g, measure_text(f, lang), xlim, ylim, at_middle=True)

    # the project on top
    if has_geom:
        color = PROJECT_STYLE.color
        if shapely.get_dimensions(local) == 0:
            pts = shapely.get_coordinates(local)
            ax.scatter(pts[:, 0], pts[:, 1], marker="*", s=220, color=color,
                       edgecolor="white", linewidth=0.8, zorder=8)
            handles[t("legend_project", lang)] = Line2D([], [], marker="*", color=color,
                                                          linestyle="none", markersize=12)
        else:
            _plot(ax, [local], color, None, 0, 2.4, "-", zorder=8)
            handles[t("legend_project", lang)] = _handle(PROJECT_STYLE, shapely.get_dimensions(local),
                                                         True)

    ax.set_xlabel("")
    ax.set_ylabel("")
    _graticule(ax, inv, fwd, xlim, ylim)
    _north_arrow(ax, lang)
    _scale_bar(ax)
    _titles(fig, result, project, lang, text)
    fig.legend(list(handles.values()), list(handles.keys()), loc="upper left",
               bbox_to_anchor=(0.7, 0.89), frameon=True, fontsize=7.5,
               title=("图例" if lang == "zh" else "Legend"), title_fontsize=8.5,
               alignment="left", borderaxespad=0.0)


def label_relation(relation: str, lang: str) -> str:
    """A short word for a relation without numbers."""
    from ..result import RELATION_LABELS

    return label(RELATION_LABELS, relation, lang)


def _involved_zones(result: Result, project_id: str) -> set:
    f = result.findings_of(project_id)
    f = f[~f["kind"].isin((*MEMBERSHIP_KINDS, "urban_boundary", "coverage"))]
    return {(row.layer, int(row.zone_index)) for row in f.itertuples()}


def _extent(local, buffer_m: float, ax, fig) -> tuple[tuple[float, float], tuple[float, float]]:
    """View limits around the project and its buffer, matching the axes' shape."""
    x0, y0, x1, y1 = local.bounds
    pad = max(buffer_m, 150.0) * 1.15
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    box = ax.get_position()
    aspect = (box.height * fig.get_figheight()) / (box.width * fig.get_figwidth())
    width, height = x1 - x0, y1 - y0
    if height / width < aspect:
        grow = (width * aspect - height) / 2
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = (height / aspect - width) / 2
        x0, x1 = x0 - grow, x1 + grow
    return (x0, x1), (y0, y1)


def _rgba(color: str | None, alpha: float):
    from matplotlib.colors import to_rgba

    return to_rgba(color, alpha) if color else "none"


def _plot(ax, geoms, color: str, fill: str | None, alpha: float, width: float, dash, *,
          zorder: int, hatch: str | None = None, line_width: float | None = None) -> None:
    """Draw polygons, lines and points of one style."""
    import geopandas as gpd

    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return
    dims = shapely.get_dimensions(geoms)
    polys, lines, points = geoms[dims == 2], geoms[dims == 1], geoms[dims == 0]
    if len(polys):
        gpd.GeoSeries(polys).plot(ax=ax, facecolor=_rgba(fill, alpha), edgecolor=color,
                                  linewidth=width, linestyle=dash, hatch=hatch, zorder=zorder)
    if len(lines):
        gpd.GeoSeries(lines).plot(ax=ax, color=color, linewidth=line_width or width,
                                  linestyle=dash, zorder=zorder)
    if len(points):
        pts = shapely.get_coordinates(points)
        ax.scatter(pts[:, 0], pts[:, 1], s=36, color=fill or color, edgecolor=color,
                   linewidth=0.8, zorder=zorder + 1)


def _handle(style, dim: int, outline: bool):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    linestyle = (0, (4, 2)) if style.dash else "-"
    if dim == 1:
        return Line2D([], [], color=style.color, linewidth=max(style.weight, 1.5), linestyle=linestyle)
    if dim == 0:
        return Line2D([], [], marker="o", color=style.color, linestyle="none", markersize=6)
    face = "none" if outline or not style.fill else _rgba(style.fill, max(style.fill_opacity, 0.3))
    return Patch(facecolor=face, edgecolor=style.color, linewidth=style.weight, linestyle=linestyle)


def _inside_view(point, xlim, ylim) -> bool:
    return xlim[0] < point.x < xlim[1] and ylim[0] < point.y < ylim[1]


def _label(ax, geom, text: str, xlim, ylim, *, at_middle: bool = False) -> None:
    if not text:
        return
    view = shapely.box(xlim[0], ylim[0], xlim[1], ylim[1])
    part = shapely.intersection(geom, view)
    if part.is_empty:
        return
    if at_middle and part.geom_type in ("LineString", "MultiLineString"):
        point = shapely.line_interpolate_point(shapely.line_merge(part), 0.5, normalized=True) \
            if part.geom_type == "LineString" or shapely.line_merge(part).geom_type == "LineString" \
            else part.representative_point()
    else:
        point = part.representative_point()
    ax.annotate(text, (point.x, point.y), fontsize=7.5, ha="center", va="center", zorder=10,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#333333", "lw": 0.6,
                      "alpha": 0.9})


def _zone_label(ax, geom, text: str, xlim, ylim) -> None:
    if not text:
        return
    view = shapely.box(xlim[0], ylim[0], xlim[1], ylim[1])
    part = shapely.intersection(geom, view)
    if part.is_empty:
        return
    point = part.representative_point()
    if not _inside_view(point, xlim, ylim):
        return
    ax.annotate("\n".join(textwrap.wrap(text, 16)), (point.x, point.y), fontsize=6.5,
                color="#263238", ha="center", va="center", zorder=4, alpha=0.9)


def _nice_step(span_deg: float) -> float:
    for step in _NICE_STEPS_DEG:
        if span_deg / step <= 5:
            return step
    return _NICE_STEPS_DEG[-1]


def _graticule(ax, inv: Transformer, fwd: Transformer, xlim, ylim) -> None:
    """Meridians and parallels across the view, labelled where they meet the frame."""
    corners_x = np.array([xlim[0], xlim[1], xlim[0], xlim[1]])
    corners_y = np.array([ylim[0], ylim[0], ylim[1], ylim[1]])
    lon, lat = inv.transform(corners_x, corners_y)
    lon0, lon1, lat0, lat1 = min(lon), max(lon), min(lat), max(lat)
    step = _nice_step(max(lon1 - lon0, lat1 - lat0))
    seconds = step < 1 / 60
    style = {"color": "#90a4ae", "linewidth": 0.5, "alpha": 0.8, "zorder": 0.5}
    ticks_x, labels_x, ticks_y, labels_y = [], [], [], []
    dense = np.linspace(0, 1, 60)
    for value in np.arange(np.ceil(lon0 / step) * step, lon1 + 1e-12, step):
        lats = lat0 - step + (lat1 - lat0 + 2 * step) * dense
        x, y = fwd.transform(np.full_like(lats, value), lats)
        ax.plot(x, y, **style)
        at = np.interp(ylim[0], y, x)
        if xlim[0] < at < xlim[1]:
            ticks_x.append(at)
            labels_x.append(_deg_label(value, "E", "W", seconds))
    for value in np.arange(np.ceil(lat0 / step) * step, lat1 + 1e-12, step):
        lons = lon0 - step + (lon1 - lon0 + 2 * step) * dense
        x, y = fwd.transform(lons, np.full_like(lons, value))
        ax.plot(x, y, **style)
        at = np.interp(xlim[0], x, y)
        if ylim[0] < at < ylim[1]:
            ticks_y.append(at)
            labels_y.append(_deg_label(value, "N", "S", seconds))
    ax.set_xticks(ticks_x, labels_x)
    ax.set_yticks(ticks_y, labels_y)
    ax.tick_params(labelsize=6.5, length=3, direction="in", top=True, right=True)
    for tick in ax.get_yticklabels():
        tick.set_rotation(90)
        tick.set_verticalalignment("center")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def _deg_label(value: float, pos: str, neg: str, seconds: bool) -> str:
    text = dms(value, pos, neg)
    # whole minutes drop the seconds; whole seconds drop the decimals
    return re.sub(r"\.\d{2}″", "″", text) if seconds else re.sub(r"\d{2}\.\d{2}″", "", text)


def _north_arrow(ax, lang: str) -> None:
    ax.annotate("", xy=(0.94, 0.965), xytext=(0.94, 0.875), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3.5,
                            "headwidth": 11, "headlength": 11}, zorder=11)
    ax.text(0.94, 0.855, t("north", lang), transform=ax.transAxes, ha="center", va="top",
            fontsize=9, zorder=11)


def _scale_bar(ax) -> None:
    from matplotlib_scalebar.scalebar import ScaleBar

    ax.add_artist(ScaleBar(1.0, "m", location="lower left", length_fraction=0.25,
                           box_alpha=0.85, border_pad=0.6, font_properties={"size": 7}))


def _titles(fig, result: Result, project: Any, lang: str, text: _Text) -> None:
    verdict = label(VERDICT_LABELS, project.verdict, lang)
    name = text(project.name)
    head = f"{project.project_id} {name}".strip()
    conclusion = f"筛查结论:{verdict}" if lang == "zh" else f"Verdict: {verdict}"
    fig.text(0.075, 0.955, head, fontsize=13, va="baseline")
    fig.text(0.675, 0.955, conclusion, fontsize=12, ha="right", va="baseline",
             color=VERDICT_COLORS.get(project.verdict, VERDICT_COLORS[None]))
    pack = result.pack
    sub = f"{t('figure', lang)} · {text(pack.title_for(lang), pack.id)} {pack.version}"
    fig.text(0.075, 0.915, sub, fontsize=8.5, color="#37474f", va="baseline")
    centre = _transform_centre(project.geometry)
    info = [
        t("crs_note", lang) if text.cjk or lang == "en" else "",
        ("投影:横轴墨卡托(中央经线 " if lang == "zh" else "Projection: transverse Mercator (CM ")
        + f"{dms(centre, 'E', 'W') if centre is not None else '—'})",
        f"{'图层包' if lang == 'zh' else 'pack'}: {pack.id} {pack.version}; "
        f"{'规则' if lang == 'zh' else 'rules'}: {result.ruleset.id} {result.ruleset.version}",
        f"{t('made_with', lang)} · {result.generated_at[:10]}",
    ]
    wrapped = "\n".join(textwrap.fill(line, 36 if lang == "zh" else 56) for line in info if line)
    fig.text(0.7, 0.1, wrapped, fontsize=6.5, color="#455a64", va="bottom", linespacing=1.4)
    if result.illustrative:
        fig.text(0.5, 0.025, text(label({0: ILLUSTRATIVE_NOTE}, 0, lang), ILLUSTRATIVE_NOTE[1]),
                 fontsize=10, color="#b71c1c", ha="center", va="bottom")


def _transform_centre(geom) -> float | None:
    if geom is None or geom.is_empty:
        return None
    return float(geom.centroid.x)
