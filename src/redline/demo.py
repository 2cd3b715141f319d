"""The bundled demo: the demo pack's example projects, read as one projects frame."""

from __future__ import annotations

import pandas as pd

from .io import read_projects
from .pack import Pack, load_pack
from .projects import make_projects


def demo_projects(pack: Pack | None = None):
    """Read every project file in the demo pack's ``projects/`` folder.

    Parameters
    ----------
    pack
        The demo pack (loaded if omitted).

    Returns
    -------
    geopandas.GeoDataFrame
        One projects frame holding all demo projects, in file-name order.
    """
    pack = pack or load_pack(None)
    files = sorted((pack.path / "projects").glob("*.geojson"))
    frames = [read_projects(path) for path in files]
    if not frames:
        return make_projects([], project_id=[], name=[], kind=[], source=[], crs_in=[])
    merged = pd.concat(frames, ignore_index=True)
    return merged.set_crs(frames[0].crs, allow_override=True)
