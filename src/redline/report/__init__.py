"""Renderers: they read a :class:`~redline.result.Result` and never recompute anything.

``files`` writes an output folder; ``table`` prints to the console; ``webmap`` (folium),
``figure`` (matplotlib), ``html``, ``word`` and ``spreadsheet`` make the documents.
The heavy ones are imported on first use.
"""

from .files import FORMATS, write_outputs
from .table import print_result, print_summary

_LAZY = {
    "make_map": "webmap", "project_figure": "figure", "save_figures": "figure",
    "render_html": "html", "write_html": "html", "write_docx": "word",
    "write_xlsx": "spreadsheet", "write_csv": "spreadsheet",
}

__all__ = ["FORMATS", "print_result", "print_summary", "write_outputs", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'redline.report' has no attribute {name!r}")
