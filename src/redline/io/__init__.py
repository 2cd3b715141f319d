"""Readers for project inputs and layer sources."""

from .projects import read_projects
from .vector import VectorSource, list_layers, read_vector

__all__ = ["VectorSource", "list_layers", "read_projects", "read_vector"]
