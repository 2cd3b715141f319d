"""Web assets inlined into maps and reports, so they work with no network at all.

Leaflet's JavaScript and CSS are read at run time from the installed ``xstatic-leaflet``
package (this repository ships no third-party JavaScript); the CSS's few images are
turned into ``data:`` URIs. redline's own small script and styles sit next to this
module in ``static/``.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import RedlineError


def _leaflet_dir() -> Path:
    try:
        from xstatic.pkg import leaflet
    except ImportError:  # pragma: no cover - a declared dependency
        raise RedlineError("the interactive map needs the 'xstatic-leaflet' package "
                           "(pip install xstatic-leaflet)") from None
    return Path(leaflet.BASE_DIR)


@cache
def leaflet_version() -> str:
    """Version of the Leaflet the maps inline."""
    from xstatic.pkg import leaflet

    return str(leaflet.VERSION)


@cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, safe to place inside a ``<script>`` element."""
    return _script_safe((_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8"))


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with its images inlined as ``data:`` URIs."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        target = folder / match.group(1)
        if not target.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return re.sub(r"url\((images/[^)]+)\)", inline, css)


@cache
def redline_js() -> str:
    """redline's map helpers (legend, labels, measure tool, offline notice)."""
    return _script_safe(_static("redline-map.js"))


@cache
def redline_css() -> str:
    """redline's map styles."""
    return _static("redline-map.css")


def _static(name: str) -> str:
    return (resources.files("redline.report") / "static" / name).read_text(encoding="utf-8")


def _script_safe(code: str) -> str:
    # An HTML parser ends a script at "</script"; "<\/" means the same inside JS strings.
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)
