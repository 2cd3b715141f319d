"""A font that draws Chinese in matplotlib figures, found without any network.

Order: a font file named by ``REDLINE_FONT``; the Noto Sans CJK collection shipped by
the ``noto-cjk-sans-otc`` dependency (SIL Open Font License); then CJK families the
system already has. When none is found, :func:`cjk_font` returns ``None`` and the
figure falls back to Latin text (ids instead of Chinese names) rather than drawing
boxes.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

#: Environment variable naming a font file to use for Chinese text.
FONT_ENV = "REDLINE_FONT"

#: CJK families in order of preference (Simplified Chinese forms first).
PREFERRED = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Hiragino Sans GB", "Heiti SC", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun",
    "Noto Sans CJK TC", "Noto Sans CJK JP",
)


def _bundled_font() -> Path | None:
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def _register(path: Path) -> list[str]:
    """Add a font file (or every face of a collection) to matplotlib; return family names."""
    from matplotlib import font_manager

    before = {id(f) for f in font_manager.fontManager.ttflist}
    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("cannot load font %s: %s", path, exc)
        return []
    return [f.name for f in font_manager.fontManager.ttflist if id(f) not in before]


@cache
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, registered with matplotlib.

    Returns
    -------
    str or None
        ``None`` when no such font exists on this machine.
    """
    from matplotlib import font_manager

    user = os.environ.get(FONT_ENV)
    if user:
        names = _register(Path(user)) if Path(user).is_file() else []
        if names:
            return names[0]
        log.warning("%s=%s is not a readable font file; ignored", FONT_ENV, user)
    bundled = _bundled_font()
    if bundled is not None:
        _register(bundled)
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in available:
            return name
    others = sorted(n for n in available if "CJK" in n or "Han " in n or "WenQuanYi" in n)
    return others[0] if others else None
