"""GB/T 4754-2017 industry codes and the vocabulary access lists use.

The catalogue (``redline/data/gbt4754_2017.csv``) holds sections, divisions, groups and
classes; codes extend their parent, so ``C26`` covers ``C2614`` and prefix matching is
all a rule needs. :func:`resolve_industry` turns what a user typed (``C2614``, ``2614``,
``化学原料``, ``电镀``) into one code or explains why it cannot. The sector words, pollutant
names and project-type keywords are data (``redline/data/sectors.toml``) that a pack may
extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .._toml import load_toml
from ..errors import InputError, PackError

#: Divisions of each section (GB/T 4754-2017 §4).
SECTION_DIVISIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52),
    "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72),
    "M": (73, 75), "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90),
    "S": (91, 96), "T": (97, 97),
}
LEVELS = ("section", "division", "group", "class")
_CODE = re.compile(r"^([A-T])?(\d{2,4})?$")


class IndustryError(InputError):
    """An industry code or name that cannot be resolved to one GB/T 4754-2017 entry."""


def section_of(division: str) -> str | None:
    """Section letter of a division (``"26"`` → ``"C"``)."""
    number = int(division[:2])
    return next((s for s, (lo, hi) in SECTION_DIVISIONS.items() if lo <= number <= hi), None)


def canonical_code(code: str | None) -> str | None:
    """Upper-case code with its section letter (``"2614"`` → ``"C2614"``); ``None`` if not a code."""
    if code is None:
        return None
    text = re.sub(r"\s+", "", str(code)).upper()
    match = _CODE.match(text)
    if not text or not match:
        return None
    letter, digits = match.groups()
    if digits is None:
        return letter
    section = section_of(digits)
    if section is None or (letter and letter != section):
        return None
    return section + digits


class Catalogue:
    """The GB/T 4754-2017 table: ``frame`` has ``code``, ``level``, ``name``, ``parent``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._index = dict(zip(frame["code"], frame["name"], strict=True))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._index

    def __len__(self) -> int:
        return len(self._index)

    def name(self, code: str) -> str | None:
        """Name of a code (``None`` when unknown)."""
        return self._index.get(code)

    def search(self, fragment: str) -> pd.DataFrame:
        """Entries whose name contains ``fragment``."""
        return self.frame[self.frame["name"].str.contains(fragment, regex=False)]

    def label(self, code: str) -> str:
        """``C2614 有机化学原料制造`` (the code alone when unknown)."""
        name = self.name(code)
        return f"{code} {name}" if name else code


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The shipped GB/T 4754-2017 catalogue (see ``redline/data/README.md``)."""
    path = resources.files("redline") / "data" / "gbt4754_2017.csv"
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    return Catalogue(frame)


def resolve_industry(text: str, vocabulary: Vocabulary | None = None) -> str:
    """Resolve a user's industry (a code or a name fragment) to one GB/T 4754-2017 code.

    A code may omit its section letter (``2614`` → ``C2614``). A name resolves to the entry
    of that exact name, else a sector word (``电镀``) to its single code prefix, else a
    fragment to the one entry whose name contains it, or to the entry all such entries lie
    under (``基础化学原料`` → ``C261``).

    Parameters
    ----------
    text
        What the user gave (``--industry`` or an ``HYDM`` field).
    vocabulary
        Sector words to try last (the shipped ones by default).

    Returns
    -------
    str
        The code, with its section letter.

    Raises
    ------
    IndustryError
        Unknown code, or an ambiguous or unknown name, listing the candidates.
    """
    cat = catalogue()
    given = str(text).strip()
    code = canonical_code(given)
    if code is not None:
        if code in cat:
            return code
        near = _nearest(cat, code)
        raise IndustryError(f"--industry: {given!r} is not a GB/T 4754-2017 code"
                            + (f" (nearest: {near})" if near else ""))
    if re.fullmatch(r"[A-Za-z]?\d+", given):
        raise IndustryError(f"--industry: {given!r} is not a GB/T 4754-2017 code "
                            "(a section letter and 2–4 digits, e.g. C2614)")
    hits = cat.search(given)
    exact = hits[hits["name"] == given]
    if len(exact):
        return str(sorted(exact["code"], key=len)[0])
    vocab = vocabulary or default_vocabulary()
    prefixes = vocab.sectors.get(given)
    if prefixes and len(prefixes) == 1 and not prefixes[0].startswith("@"):
        return prefixes[0]
    if len(hits) == 1:
        return str(hits["code"].iloc[0])
    if len(hits) > 1:
        codes = sorted(hits["code"], key=len)
        top = codes[0]
        if all(c.startswith(top) for c in codes):
            return top
        raise IndustryError(f"--industry: {given!r} is ambiguous; give a code: "
                            + _list(cat, hits["code"]))
    if prefixes:
        raise IndustryError(f"--industry: {given!r} is a sector word covering several "
                            f"codes; give one of: {_list(cat, prefixes)}")
    raise IndustryError(f"--industry: no GB/T 4754-2017 entry is named like {given!r}; "
                        "give a code such as C2614")


def _list(cat: Catalogue, codes: Iterable[str], limit: int = 12) -> str:
    codes = list(dict.fromkeys(codes))
    shown = ", ".join(cat.label(c) for c in codes[:limit])
    return shown + (f" (+{len(codes) - limit} more)" if len(codes) > limit else "")


def _nearest(cat: Catalogue, code: str) -> str:
    for length in range(len(code) - 1, 0, -1):
        prefix = code[:length]
        if prefix in cat:
            children = cat.frame[cat.frame["parent"] == prefix]["code"]
            return _list(cat, [prefix, *children], limit=8)
    return ""


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Sector words, pollutant names and project-type keywords.

    Attributes
    ----------
    sectors
        Word → code prefixes or ``@group`` names.
    pollutants
        Pollutant key → words that name it.
    project_types
        Project-type tag → keywords.
    implies
        Tag → tags it implies.
    files
        Files merged, in order.
    """

    sectors: dict[str, tuple[str, ...]]
    pollutants: dict[str, tuple[str, ...]]
    project_types: dict[str, tuple[str, ...]]
    implies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def merged(self, path: str | Path) -> Vocabulary:
        """This vocabulary with the tables of another file merged over it."""
        raw = load_toml(Path(path), error=PackError)
        parts = {}
        for table in ("sectors", "pollutants", "project_types", "implies"):
            mine = dict(getattr(self, table))
            extra = raw.get(table, {})
            if not isinstance(extra, Mapping):
                raise PackError(f"{path}: [{table}] must be a table")
            for key, value in extra.items():
                values = [value] if isinstance(value, str) else value
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise PackError(f"{path}: [{table}] {key!r} must be a list of strings")
                mine[str(key)] = tuple(v.upper() if table == "sectors" and not v.startswith("@")
                                       else v for v in values)
            parts[table] = mine
        return Vocabulary(**parts, files=(*self.files, str(path)))

    def pollutant_key(self, word: str) -> str | None:
        """The pollutant key for a key or one of its words (case-insensitive)."""
        folded = word.strip().casefold()
        for key, words in self.pollutants.items():
            if folded == key.casefold() or folded in (w.casefold() for w in words):
                return key
        return None

    def project_type(self, word: str) -> str:
        """The tag for a keyword (``新建`` → ``new``); other words are kept as given."""
        word = word.strip()
        for tag, words in self.project_types.items():
            if word == tag or word in words:
                return tag
        return word


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary (``redline/data/sectors.toml``)."""
    path = Path(str(resources.files("redline") / "data" / "sectors.toml"))
    empty = Vocabulary({}, {}, {}, {})
    return empty.merged(path)


def parse_pollutants(values: Sequence[str], vocabulary: Vocabulary | None = None
                     ) -> tuple[str, ...]:
    """Validate ``--pollutants`` values (keys or words) into pollutant keys.

    Raises
    ------
    InputError
        For a value that names no known pollutant (the known ones are listed).
    """
    vocab = vocabulary or default_vocabulary()
    keys = []
    for value in values:
        key = vocab.pollutant_key(value)
        if key is None:
            known = ", ".join(f"{k} ({'/'.join(w[:2])})" for k, w in vocab.pollutants.items())
            raise InputError(f"--pollutants: unknown pollutant {value!r} (known: {known})")
        keys.append(key)
    return tuple(dict.fromkeys(keys))


def normalise_project_types(tags: Iterable[str], vocabulary: Vocabulary | None = None
                            ) -> tuple[str, ...]:
    """Project-type tags with Chinese keywords mapped (新建 → ``new``) and implied tags added."""
    vocab = vocabulary or default_vocabulary()
    out = [vocab.project_type(t) for t in tags if str(t).strip()]
    for tag in list(out):
        out.extend(vocab.implies.get(tag, ()))
    return tuple(sorted(set(out)))


def expand_groups(codes: Iterable[str], groups: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """Code prefixes with ``@group`` names replaced by the group's codes (unknown groups dropped)."""
    out: list[str] = []
    for code in codes:
        if code.startswith("@"):
            out.extend(str(c).upper() for c in groups.get(code[1:], {}).get("codes", ()))
        else:
            out.append(code)
    return tuple(dict.fromkeys(out))
