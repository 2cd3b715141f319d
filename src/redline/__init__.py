"""redline: screen construction projects against China's spatial-control layers.

The flow is read → normalise → screen → decide → render::

    import redline
    pack = redline.load_pack()                        # bundled demo pack (illustrative)
    projects = redline.read_projects("site.shp")      # read + normalise
    result = redline.screen(projects, pack)           # screen + decide
    result.projects, result.findings                  # GeoDataFrames
    result.to_dict()                                  # the redline.result/1 document
    redline.map(result)                               # interactive map (folium)
"""

from ._version import __version__
from .api import screen
from .errors import InputError, PackError, RedlineError, RulesError
from .io import read_projects
from .pack import Pack, load_pack
from .result import Result
from .rules import load_ruleset
from .settings import Settings

__all__ = [
    "InputError", "Pack", "PackError", "RedlineError", "Result", "RulesError", "Settings",
    "__version__", "load_pack", "load_ruleset", "map", "read_projects", "screen",
]


def __getattr__(name: str):
    # ``redline.map`` imports folium only when asked for
    if name == "map":
        from .report.webmap import make_map

        return make_map
    raise AttributeError(f"module 'redline' has no attribute {name!r}")
