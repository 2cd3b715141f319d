"""What every project reader hands on: features in their own coordinates, with facts.

Readers (GDAL vector formats, coordinate tables, survey TXT, CAD) differ in how they
find geometry and attributes; everything after that — choosing the CRS, normalising
geometry, checking declared areas, building the projects frame — is shared and lives
in :mod:`redline.io.projects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS

from .crs_infer import CrsHints


@dataclass
class RawFeatures:
    """Features as read, before CRS handling and normalisation.

    Attributes
    ----------
    path
        The file the user named (an archive for zipped data).
    display
        How the dataset is named in messages and ``source`` (``site.zip/a/b.shp``).
    geometry
        Shapely geometries in the file's coordinates (x = easting or longitude);
        ``None`` where a feature has no usable geometry (its error says why).
    attributes
        One row per feature.
    labels
        Per feature, the suffix of its ``source`` (``#0``, ``:layer#3``, ``#地块1``).
    where
        Per feature, how to name it in messages (``feature 3``, ``parcel 2 (rows 4–9)``).
    crs
        The CRS the file declares, if any.
    hints
        Partial CRS facts stated in the file's text (survey header, table title).
    warnings
        File-level assumptions (encoding guessed, members skipped, …).
    feature_warnings, feature_errors
        Per feature.
    declared_area
        Per feature, ``(m², as written)`` when the file states an area to check.
    id_field, name_field, use_field
        Attribute columns that hold the id, name and land use by default.
    layer
        The layer read, when it is worth naming.
    """

    path: Path
    display: str
    geometry: np.ndarray
    attributes: pd.DataFrame
    labels: list[str]
    where: list[str]
    crs: CRS | None = None
    hints: CrsHints | None = None
    warnings: list[str] = field(default_factory=list)
    feature_warnings: list[list[str]] = field(default_factory=list)
    feature_errors: list[list[str]] = field(default_factory=list)
    declared_area: list[tuple[float, str] | None] = field(default_factory=list)
    id_field: str | None = None
    name_field: str | None = None
    use_field: str | None = None
    layer: str | None = None

    def __post_init__(self) -> None:
        n = len(self.geometry)
        self.geometry = np.asarray(self.geometry, dtype=object)
        if not self.feature_warnings:
            self.feature_warnings = [[] for _ in range(n)]
        if not self.feature_errors:
            self.feature_errors = [[] for _ in range(n)]
        if not self.declared_area:
            self.declared_area = [None] * n

    def __len__(self) -> int:
        return len(self.geometry)

    @classmethod
    def from_vector(cls, path: Path, display: str, geometry: np.ndarray,
                    attributes: pd.DataFrame, crs: CRS | None, *, layer: str | None = None,
                    label_layer: bool = False, warnings: list[str] | None = None
                    ) -> RawFeatures:
        """Features read from a GIS vector source: one feature, one project."""
        n = len(geometry)
        prefix = f":{layer}" if label_layer and layer else ""
        return cls(path=path, display=display, geometry=geometry,
                   attributes=attributes.reset_index(drop=True),
                   labels=[f"{prefix}#{i}" for i in range(n)],
                   where=[f"feature {i}" for i in range(n)], crs=crs,
                   warnings=[f"{display}: {w.replace('pass an encoding', 'pass --encoding')}"
                             for w in warnings or []], layer=layer)


def cell_text(value: object) -> str | None:
    """A table cell or attribute as stripped text: ``None`` when empty, ``3.0`` as ``"3"``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None
