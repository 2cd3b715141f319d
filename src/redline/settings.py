"""Screening settings: tolerances and distances, in one place.

The defaults follow DOMAIN.md §2.7: no authority publishes a sliver tolerance or an
upstream distance for outfalls, so these are settings that every result reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import RedlineError


@dataclass(frozen=True)
class Settings:
    """Numbers that shape a screening; each result records the values used.

    Parameters
    ----------
    buffer_m
        Zones within this distance (metres) of a project are reported as ``near``.
    sliver_m2
        An overlap of at most this area (m²) is a boundary sliver (``touches``).
    sliver_width_m
        An overlap thinner than this everywhere (metres), a line overlap shorter than
        this, or a gap narrower than this is a boundary effect (``touches``).
    upstream_m
        For outfalls: how far downstream along the river network (metres) to look for
        drinking-water source zones (no national value exists; a local choice).
    snap_m
        For outfalls: the largest distance (metres) from the outfall to a river line
        for it to be placed on that river.
    """

    buffer_m: float = 500.0
    sliver_m2: float = 1.0
    sliver_width_m: float = 0.1
    upstream_m: float = 5000.0
    snap_m: float = 200.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value >= 0:  # also rejects NaN
                raise RedlineError(f"setting {name} must be a non-negative number, got {value!r}")

    def to_dict(self) -> dict[str, float]:
        """Return the settings as the ``settings`` block of the result document."""
        return asdict(self)

    def updated(self, **changes: Any) -> Settings:
        """Return a copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **{k: float(v) for k, v in changes.items() if v is not None})


DEFAULT = Settings()
