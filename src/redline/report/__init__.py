"""Renderers: they read a :class:`~redline.result.Result` and never recompute anything."""

from .files import FORMATS, write_outputs
from .table import print_result, print_summary

__all__ = ["FORMATS", "print_result", "print_summary", "write_outputs"]
