"""CAD drawings: DXF through GDAL's DXF driver; DWG refused with what to do instead.

DXF carries no CRS and puts every entity into one ``entities`` layer with a ``Layer``
field. Closed LWPOLYLINE/POLYLINE entities are read as polygons
(``DXF_CLOSED_LINE_AS_POLYGON``), HATCH boundaries are polygons anyway, open
polylines stay lines; arcs, circles and polyline bulges are densified at
:data:`ARC_STEP_DEG` degrees (``OGR_ARC_STEPSIZE``). Text, dimensions, bare points and
paper-space entities are annotations and are dropped (counted in a warning). A
drawing with geometry on several CAD layers must be narrowed with ``--cad-layer``.
Drawing units other than metres ($INSUNITS millimetres, centimetres…) are scaled to
metres, with a warning.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from ..errors import InputError
from .raw import RawFeatures

#: Arc densification step (degrees of arc per vertex): the area of a bulged edge is
#: then within ~4e-6 of the true arc's.
ARC_STEP_DEG = 0.5
#: DXF $INSUNITS codes with their factor to metres (0 = unitless, taken as metres).
_UNITS = {0: (1.0, None), 6: (1.0, "metres"), 4: (0.001, "millimetres"), 5: (0.01, "centimetres"),
          14: (0.1, "decimetres"), 7: (1000.0, "kilometres")}


def dwg_message(display: str) -> str:
    """The one-line refusal for a DWG drawing."""
    return (f"{display}: DWG drawings cannot be read (GDAL needs a proprietary library for "
            "DWG); open it in CAD and save it as DXF (AutoCAD: SAVEAS → DXF), then pass the .dxf")


def is_dwg(path: Path) -> bool:
    """True when the file starts with a DWG version magic (``AC10xx``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError:
        return False
    return head.startswith(b"AC10") or head.startswith(b"AC2")


@contextlib.contextmanager
def _gdal_config(options: dict[str, str]) -> Iterator[None]:
    previous = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(
            {k: (None if v is None else str(v)) for k, v in previous.items()})


def _header(path: Path) -> dict[str, str]:
    """$ACADVER, $DWGCODEPAGE and $INSUNITS from an ASCII DXF's HEADER section."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 18)
    if head.startswith(b"AutoCAD Binary DXF"):
        return {}
    lines = head.decode("latin-1").splitlines()
    out: dict[str, str] = {}
    for i in range(len(lines) - 3):
        if lines[i].strip() == "9" and lines[i + 1].strip() in ("$ACADVER", "$DWGCODEPAGE",
                                                                  "$INSUNITS"):
            out[lines[i + 1].strip()] = lines[i + 3].strip()
        if lines[i].strip() == "ENDSEC" and out:
            break
    return out


def _encoding(path: Path, header: dict[str, str], given: str | None) -> tuple[str | None, str | None]:
    """The text encoding of a DXF and a warning when it had to be guessed."""
    if given:
        return given, None
    version = header.get("$ACADVER", "")
    if version >= "AC1021":  # AutoCAD 2007 and later write UTF-8
        return "UTF-8", None
    page = header.get("$DWGCODEPAGE", "").upper()
    if page in ("ANSI_936", "GBK", "GB2312"):
        return "CP936", None
    data = path.read_bytes()
    if data.isascii():
        return None, None
    try:
        data.decode("utf-8")
        return "UTF-8", None
    except UnicodeDecodeError:
        pass
    return "GB18030", (f"{path.name}: the drawing declares code page {page or 'none'} but its "
                       "text is not valid in it; read as GB18030 (pass --encoding to override)")


def read_dxf(path: Path, display: str, *, cad_layers: Sequence[str] = (),
             encoding: str | None = None) -> RawFeatures:
    """Read the model-space geometry of a DXF drawing.

    Parameters
    ----------
    path
        The ``.dxf`` file.
    display
        How to name it in messages.
    cad_layers
        CAD layer names to keep (``--cad-layer``); required when geometry sits on
        several CAD layers.
    encoding
        Text encoding of layer names and text (from the header when omitted).

    Returns
    -------
    RawFeatures
        Closed shapes as polygons, open ones as lines; name = CAD layer.

    Raises
    ------
    InputError
        A DWG in disguise, an unreadable DXF, no usable geometry, an unknown CAD layer,
        or geometry on several CAD layers without ``--cad-layer``.
    """
    if is_dwg(path):
        raise InputError(dwg_message(display))
    header = _header(path)
    enc, enc_note = _encoding(path, header, encoding)
    options = {"DXF_CLOSED_LINE_AS_POLYGON": "YES", "OGR_ARC_STEPSIZE": str(ARC_STEP_DEG),
               "DXF_INLINE_BLOCKS": "TRUE"}
    if enc:
        options["DXF_ENCODING"] = enc
    try:
        with _gdal_config(options):
            _, table = pyogrio.read_arrow(path)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{display}: cannot read as DXF ({str(exc).strip().splitlines()[0]}); "
                         "export the drawing again as DXF") from None
    geoms = shapely.from_wkb(table["wkb_geometry"].to_numpy(zero_copy_only=False))
    frame = table.drop_columns(["wkb_geometry"]).to_pandas()
    warnings = [enc_note] if enc_note else []

    layer_col = frame["Layer"].astype(object).where(frame["Layer"].notna(), "0").astype(str)
    text = frame.get("Text", pd.Series([None] * len(frame))).astype(object)
    sub = frame.get("SubClasses", pd.Series([""] * len(frame))).astype(object).fillna("").astype(str)
    paper = frame.get("PaperSpace", pd.Series([None] * len(frame))).fillna(0).astype(int) == 1
    dims = np.where(shapely.is_missing(geoms) | shapely.is_empty(geoms), -1,
                    shapely.get_dimensions(geoms))
    is_text = (dims == 0) & text.notna().to_numpy() & ~sub.str.contains("Hatch").to_numpy()
    is_dimension = sub.str.contains("Dimension").to_numpy()
    annotation = paper.to_numpy() | is_text | is_dimension | (dims < 0)
    points = (dims == 0) & ~annotation
    usable = ~annotation & ~points
    if not usable.any() and points.any():
        usable = points  # a drawing of points only: the points are the sites
    dropped = {"text": int(is_text.sum()), "dimension": int((is_dimension & ~is_text).sum()),
               "paper-space": int((paper.to_numpy() & ~is_text & ~is_dimension).sum()),
               "point": int((points & ~usable).sum())}
    shown = ", ".join(f"{n} {what}" for what, n in dropped.items() if n)
    if shown:
        warnings.append(f"{display}: annotation entities ignored ({shown})")

    available = _layer_summary(layer_col[usable], dims[usable])
    if not available:
        raise InputError(f"{display}: no polylines, hatches or shapes in model space; "
                         "nothing to screen")
    if cad_layers:
        unknown = [n for n in cad_layers if n not in available]
        if unknown:
            raise InputError(f"{display}: no CAD layer {unknown[0]!r} with geometry (layers: "
                             f"{_describe_layers(available)})")
        keep = usable & layer_col.isin(list(cad_layers)).to_numpy()
    else:
        if len(available) > 1:
            raise InputError(f"{display}: geometry on {len(available)} CAD layers "
                             f"({_describe_layers(available)}); choose with --cad-layer")
        keep = usable
    idx = np.flatnonzero(keep)
    geoms, dims = geoms[idx], dims[idx]
    layers = layer_col.to_numpy()[idx]
    handles = np.array([str(h) if isinstance(h, str) and h else str(i) for h, i in zip(
        frame["EntityHandle"].to_numpy()[idx] if "EntityHandle" in frame else [None] * len(idx),
        idx, strict=True)], dtype=object)
    # GDAL repeats the end points of densified arcs and bulges; those repeats are not in
    # the drawing, so removing them is not a repair worth a warning.
    geoms = shapely.remove_repeated_points(geoms, 0.0)
    kinds = sub.to_numpy()[idx]

    geoms, notes = _close_rings(geoms, dims)
    geoms, hatch_notes = _drop_duplicate_hatches(geoms, kinds, layers)
    keep2 = np.array([g is not None for g in geoms])
    warnings.extend(hatch_notes)
    geoms, layers, handles, notes = geoms[keep2], layers[keep2], handles[keep2], \
        [n for n, k in zip(notes, keep2, strict=True) if k]

    factor, unit = _UNITS.get(int(header.get("$INSUNITS", "0") or 0), (1.0, None))
    if factor != 1.0:
        geoms = shapely.transform(geoms, lambda c: c * factor)
        warnings.append(f"{display}: drawing units are {unit} ($INSUNITS); coordinates scaled "
                        "to metres")
    n = len(geoms)
    attributes = pd.DataFrame({"Layer": layers, "EntityHandle": handles}, dtype=object)
    return RawFeatures(
        path=path, display=display, geometry=geoms, attributes=attributes,
        labels=[f":{layers[i]}#{handles[i]}" for i in range(n)],
        where=[f"entity {handles[i]} (CAD layer {layers[i]})" for i in range(n)],
        warnings=warnings, feature_warnings=notes, name_field="Layer",
        layer=",".join(cad_layers) if cad_layers else None)


def _layer_summary(layers: pd.Series, dims: np.ndarray) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    names = {0: "points", 1: "lines", 2: "closed shapes"}
    for name, dim in zip(layers, dims, strict=True):
        counts = summary.setdefault(str(name), {})
        counts[names[int(dim)]] = counts.get(names[int(dim)], 0) + 1
    return summary


def _describe_layers(summary: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{name}: " + ", ".join(f"{n} {what}" for what, n in counts.items())
                     for name, counts in sorted(summary.items()))


def _close_rings(geoms: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
    """Lines whose ends meet become polygons; lines whose ends nearly meet are flagged."""
    notes: list[list[str]] = [[] for _ in range(len(geoms))]
    lines = np.flatnonzero((dims == 1) & (shapely.get_type_id(geoms) == 1))
    if len(lines) == 0:
        return geoms, notes
    geoms = geoms.copy()
    starts = shapely.get_point(geoms[lines], 0)
    ends = shapely.get_point(geoms[lines], -1)
    gap = shapely.distance(starts, ends)
    length = shapely.length(geoms[lines])
    counts = shapely.get_num_coordinates(geoms[lines])
    closed = (gap == 0) & (counts >= 4)
    for k in np.flatnonzero(closed):
        i = lines[k]
        geoms[i] = shapely.Polygon(shapely.get_coordinates(geoms[i]))
        notes[i].append("polyline not flagged closed but its ends meet; read as a closed shape")
    near = ~closed & (gap > 0) & (gap < 0.02 * length) & (counts >= 3)
    for k in np.flatnonzero(near):
        notes[lines[k]].append(f"open polyline whose ends are {gap[k]:.2f} units apart; if it is "
                               "a boundary, close it in CAD (read as a line)")
    return geoms, notes


def _drop_duplicate_hatches(geoms: np.ndarray, kinds: np.ndarray, layers: np.ndarray
                            ) -> tuple[np.ndarray, list[str]]:
    """A HATCH that fills a closed polyline of the same CAD layer is the same shape."""
    is_hatch = np.array(["Hatch" in k for k in kinds]) & (shapely.get_dimensions(geoms) == 2)
    shapes = np.flatnonzero(~is_hatch & (shapely.get_dimensions(geoms) == 2))
    hatches = np.flatnonzero(is_hatch)
    if len(hatches) == 0 or len(shapes) == 0:
        return geoms, []
    tree = shapely.STRtree(geoms[shapes])
    pairs = tree.query(geoms[hatches], predicate="intersects")
    h, s = hatches[pairs[0]], shapes[pairs[1]]
    same_layer = layers[h] == layers[s]
    h, s = h[same_layer], s[same_layer]
    fixed_h = shapely.make_valid(geoms[h])
    fixed_s = shapely.make_valid(geoms[s])
    diff = shapely.area(shapely.symmetric_difference(fixed_h, fixed_s))
    dup = np.unique(h[diff <= 1e-6 * np.maximum(shapely.area(fixed_s), 1e-12)])
    if len(dup) == 0:
        return geoms, []
    geoms = geoms.copy()
    geoms[dup] = None
    return geoms, [f"{len(dup)} HATCH fill{'s' if len(dup) > 1 else ''} ignored: "
                   "each repeats a closed polyline on its CAD layer"]

