"""The layer kinds of the pack contract (DESIGN §2.1) and their zone classes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .geometry import LINE, POINT, POLYGON


@dataclass(frozen=True)
class Kind:
    """One layer kind: its geometry dimension, classes and display names."""

    name: str
    dim: int | None  # None: raster
    classes: tuple[str, ...] = ()
    title_zh: str = ""
    title_en: str = ""
    #: True when rules depend on the class, so an unmapped class makes the layer unusable.
    classes_required: bool = False
    #: True for tables (no geometry) that :mod:`redline.access` loads, e.g. access lists.
    table: bool = False


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("ecological_redline", POLYGON, (), "生态保护红线", "ecological red line"),
    Kind("water_source", POLYGON, ("level1", "level2", "quasi"), "饮用水水源保护区",
         "drinking-water source protection zone", True),
    Kind("nature_reserve", POLYGON, ("core", "buffer", "experimental", "general"), "自然保护地",
         "nature reserve", True),
    Kind("basic_farmland", POLYGON, (), "永久基本农田", "permanent basic farmland"),
    Kind("urban_boundary", POLYGON, (), "城镇开发边界", "urban development boundary"),
    Kind("control_unit", POLYGON, ("priority", "key", "general"), "环境管控单元",
         "environmental control unit", True),
    Kind("river", LINE, (), "河流水系", "river"),
    Kind("intake", POINT, (), "取水口", "water intake"),
    Kind("admin", POLYGON, (), "行政区划", "administrative division"),
    Kind("land_cover", None, (), "土地覆盖", "land cover"),
    Kind("terrain", None, (), "地形(数字高程模型)", "terrain (DEM)"),
    Kind("raster_constraint", None, (), "栅格管控图层", "raster constraint layer"),
    Kind("access_list", None, (), "生态环境准入清单", "environmental access list", table=True),
)}

#: Raster kinds (``dim is None``): loaded by :mod:`redline.raster`, screened cell by cell.
RASTER_KINDS = tuple(k.name for k in KINDS.values() if k.dim is None and not k.table)

#: Zone kinds whose proximity matters (sensitive zones).
SENSITIVE = ("ecological_redline", "water_source", "nature_reserve", "basic_farmland", "intake")

CLASS_TITLES: dict[str, tuple[str, str]] = {
    "level1": ("一级保护区", "level-1 zone"),
    "level2": ("二级保护区", "level-2 zone"),
    "quasi": ("准保护区", "quasi-protection zone"),
    "core": ("核心区", "core zone"),
    "buffer": ("缓冲区", "buffer zone"),
    "experimental": ("实验区", "experimental zone"),
    "general": ("一般控制区", "general control zone"),
    "priority": ("优先保护单元", "priority protection unit"),
    "key": ("重点管控单元", "key control unit"),
    "prohibition": ("禁止类条款", "prohibition"),
    "conditional_prohibition": ("附条件的禁止类条款", "conditional prohibition"),
    "restriction": ("限制类条款", "restriction"),
}
#: ``general`` means a different thing for control units.
CONTROL_UNIT_GENERAL = ("一般管控单元", "general control unit")

# Raw class values seen in official data, matched when the catalog maps nothing.
# Order matters: the first pattern that matches wins.
_DEFAULT_CLASS_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "water_source": (
        (r"^(1|一级.*)$", "level1"), (r"^(2|二级.*)$", "level2"), (r"^(3|准.*)$", "quasi"),
    ),
    "nature_reserve": (
        (r"^核心保护区$", "core"), (r"^核心区?$", "core"), (r"^缓冲区?$", "buffer"),
        (r"^实验区?$", "experimental"), (r"^一般控制区$", "general"),
    ),
    "control_unit": (
        (r"^(1|优先保护.*)$", "priority"), (r"^(2|重点管控.*)$", "key"),
        (r"^(3|一般管控.*)$", "general"),
    ),
}


def class_title(kind: str, zone_class: str | None, lang: str = "zh") -> str:
    """Display name of a normalised class (``""`` for none)."""
    if not zone_class:
        return ""
    pair = CONTROL_UNIT_GENERAL if (kind, zone_class) == ("control_unit", "general") \
        else CLASS_TITLES.get(zone_class, (zone_class, zone_class))
    return pair[0] if lang == "zh" else pair[1]


def default_class(kind: str, raw: str) -> str | None:
    """Map a raw class value to a normalised class by the built-in patterns."""
    value = re.sub(r"\s+", "", raw)
    for pattern, cls in _DEFAULT_CLASS_PATTERNS.get(kind, ()):
        if re.match(pattern, value):
            return cls
    return None
