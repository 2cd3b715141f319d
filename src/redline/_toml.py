"""Read TOML files (``tomllib`` on Python ≥ 3.11, ``tomli`` before)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import RedlineError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def load_toml(path: Path, *, error: type[RedlineError] = RedlineError) -> dict[str, Any]:
    """Parse a TOML file, raising ``error`` with the file and line on bad syntax."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
