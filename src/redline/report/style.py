"""How each layer kind, zone class and verdict is drawn, shared by the web map and the figure.

One table, so the interactive map, the static figure and their legends agree. Colours
follow common practice in Chinese planning maps where there is one (red lines green
with a dark edge, water-source zones in blues from level 1 to quasi, reserves in
purples from core to experimental, farmland yellow) and are otherwise chosen to stay
distinguishable when printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import KINDS, class_title


@dataclass(frozen=True)
class Style:
    """Stroke and fill of one kind of feature (colours as ``#rrggbb``)."""

    color: str
    fill: str | None = None
    fill_opacity: float = 0.35
    weight: float = 1.2
    dash: str | None = None  # SVG dash array, e.g. "6 4"
    #: Shown when the map opens (large background layers start hidden).
    show: bool = True

    def leaflet(self) -> dict:
        """The Leaflet path options for this style."""
        out = {"color": self.color, "weight": self.weight, "opacity": 0.9,
               "fillColor": self.fill or self.color,
               "fillOpacity": self.fill_opacity if self.fill else 0.0}
        if self.dash:
            out["dashArray"] = self.dash
        return out

    def mpl_dashes(self) -> str:
        """A matplotlib line style matching :attr:`dash`."""
        return "--" if self.dash else "-"


#: Style by (kind, zone class); class ``None`` is the kind's default.
ZONE_STYLES: dict[tuple[str, str | None], Style] = {
    ("ecological_redline", None): Style("#1b5e20", "#66bb6a", 0.40, 1.4),
    ("water_source", "level1"): Style("#0d47a1", "#1565c0", 0.50),
    ("water_source", "level2"): Style("#1565c0", "#42a5f5", 0.40),
    ("water_source", "quasi"): Style("#1e88e5", "#90caf9", 0.35),
    ("water_source", None): Style("#1565c0", "#64b5f6", 0.35),
    ("nature_reserve", "core"): Style("#4a148c", "#7b1fa2", 0.50),
    ("nature_reserve", "buffer"): Style("#6a1b9a", "#ab47bc", 0.40),
    ("nature_reserve", "experimental"): Style("#8e24aa", "#e1bee7", 0.45),
    ("nature_reserve", "general"): Style("#8e24aa", "#ce93d8", 0.40),
    ("nature_reserve", None): Style("#6a1b9a", "#ce93d8", 0.40),
    ("basic_farmland", None): Style("#a67c00", "#fdd835", 0.45, 0.8),
    ("urban_boundary", None): Style("#616161", "#bdbdbd", 0.15, 1.6, "6 4"),
    ("control_unit", "priority"): Style("#2e7d32", "#81c784", 0.25, 0.8, show=False),
    ("control_unit", "key"): Style("#e65100", "#ffb74d", 0.25, 0.8, show=False),
    ("control_unit", "general"): Style("#616161", "#e0e0e0", 0.25, 0.8, show=False),
    ("control_unit", None): Style("#616161", "#e0e0e0", 0.25, 0.8, show=False),
    ("river", None): Style("#0288d1", None, 0.0, 2.0),
    ("intake", None): Style("#01579b", "#01579b", 0.9, 1.5),
    ("admin", None): Style("#424242", None, 0.0, 1.0, "8 3 2 3"),
}
_FALLBACK = Style("#546e7a", "#b0bec5", 0.3)

#: Colours of verdicts (badges, overlap pieces, spreadsheet cells).
VERDICT_COLORS: dict[str | None, str] = {
    "prohibited": "#c62828", "restricted": "#ef6c00", "attention": "#f9a825",
    "clear": "#2e7d32", None: "#6a1b9a",
}
#: A light tint of each verdict colour for table cells.
VERDICT_TINTS: dict[str | None, str] = {
    "prohibited": "#ffcdd2", "restricted": "#ffe0b2", "attention": "#fff9c4",
    "clear": "#c8e6c9", None: "#e1bee7",
}

PROJECT_STYLE = Style("#d50000", None, 0.0, 3.0)
NEAR_STYLE = Style("#d50000", None, 0.0, 2.0, "5 5")
DOWNSTREAM_STYLE = Style("#0277bd", None, 0.0, 3.0, "8 4")


def zone_style(kind: str, zone_class: str | None) -> Style:
    """The style of a zone of ``kind`` and normalised ``zone_class``."""
    return ZONE_STYLES.get((kind, zone_class)) or ZONE_STYLES.get((kind, None)) or _FALLBACK


def piece_style(verdict: str | None) -> Style:
    """The style of an overlap piece (or part outside) judged ``verdict``."""
    color = VERDICT_COLORS.get(verdict, VERDICT_COLORS[None])
    return Style(color, color, 0.55, 2.0)


def legend_entries(kind: str, classes, lang: str = "zh") -> list[tuple[str, Style]]:
    """Legend rows for one layer kind: one per class present (or one for the kind)."""
    title = (KINDS[kind].title_zh if lang == "zh" else KINDS[kind].title_en) if kind in KINDS \
        else kind
    present = [c for c in dict.fromkeys(classes) if c]
    if not present:
        return [(title, zone_style(kind, None))]
    order = KINDS[kind].classes if kind in KINDS else ()
    present.sort(key=lambda c: order.index(c) if c in order else len(order))
    return [(f"{title} · {class_title(kind, c, lang)}", zone_style(kind, c)) for c in present]
