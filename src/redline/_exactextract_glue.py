"""Shapely geometries handed to exactextract as WKB (no GeoJSON round trip).

A module of its own so that exactextract is imported only when a raster is measured
(:func:`redline._raster_grid.polygon_cells` imports it on first use).
"""

from __future__ import annotations

import numpy as np
import shapely
from exactextract.feature import Feature, FeatureSource


class WkbFeature(Feature):
    """A feature that hands exactextract its WKB and its index (no GeoJSON round trip)."""

    def __init__(self, index: int, wkb: bytes) -> None:
        Feature.__init__(self)
        self.index = index
        self.wkb = wkb
        self.values: dict = {}

    def geometry(self) -> bytes:
        return self.wkb

    def set_geometry_format(self) -> str:
        return "wkb"

    def set_geometry(self, wkb) -> None:
        pass

    def get(self, name: str):
        return self.index

    def set(self, name: str, value) -> None:
        self.values[name] = value

    def fields(self) -> list[str]:
        return ["i"]


class WkbFeatures(FeatureSource):
    """Shapely geometries as an exactextract feature source."""

    def __init__(self, geoms: np.ndarray) -> None:
        super().__init__()
        self.wkbs = shapely.to_wkb(geoms)

    def count(self) -> int:
        return len(self.wkbs)

    def __iter__(self):
        for index, wkb in enumerate(self.wkbs):
            yield WkbFeature(index, bytes(wkb))

    def srs_wkt(self):
        return None
