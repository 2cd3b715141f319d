"""What a clause does (prohibition, restriction, requirement) and whom it targets.

A clause is a *prohibition* when it says 禁止/严禁/不得/不予…, a *restriction* when it
admits something only under conditions (限制/严格控制/原则上不…/须/必须/仅限/倍量替代…),
else a *requirement*. A prohibition is *conditional* when it carries an exception or a
condition (除…外, …除外, 未…的, 不符合…的, 确需…, 经…批准): reviewers must check whether the
project falls under it, so it cannot be an outright ``prohibited``. ``不得低于/不得超过…``
sets a standard and is a requirement.

Targets are found in the text with the exception spans and place names (工业园区,
化工园区 …) taken out: industries by sector word (``sectors.toml``) and by GB/T 4754-2017
name (four characters or more, verbatim), project types (新建/改建/扩建) and pollutants.
Industries named inside an exception (除印染项目外) are *exceptions* of the clause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .industry import Vocabulary, catalogue, expand_groups

EFFECTS = ("prohibition", "restriction", "requirement")

_STANDARD = r"(?:低于|高于|超过|超出|大于|小于|少于|劣于|突破)"
_PROHIBITION = re.compile(
    r"禁止|严禁|不得(?!" + _STANDARD + r")|不准|不允许|一律不|不予(?:以)?(?:审批|批准|核准|备案|准入|引进)"
    r"|不再(?:新建|审批|新增|布局|建设|引进|受理)|停止(?:审批|新建)")
_RESTRICTION = re.compile(
    r"限制|严格控制|严控|从严(?:控制|审批|管控)|原则上(?:不|禁止|严禁)|须|必须|只能|仅限|仅允许|"
    r"控制[^。；;]{0,8}规模|(?:减量|倍量|等量)(?:替代|置换)|暂停审批|限批|审慎|入园|"
    r"进入[^。；;]{0,12}(?:园区|集中区|集聚区)|应(?:当)?(?:布局在|集中)")
_PRINCIPLE = re.compile(r"原则上")
_CONDITIONS = (
    ("除…外", re.compile(r"除([^。；;]{1,60}?)(?:外|以外)")),
    ("…除外", re.compile(r"[（(]([^（）()]{1,60}?)除外[)）]|([^，,。；;（(]{1,40}?)除外")),
    ("未…的", re.compile(r"未([^。；;，,]{1,40}?)的")),
    ("不符合…的", re.compile(r"不符合([^。；;，,]{1,40}?)的")),
    ("确需", re.compile(r"确需([^。；;]{0,40})")),
    ("经…批准", re.compile(r"经([^。；;，,]{0,20}?)(?:批准|同意|论证|认定)")),
)
# Places, not industries: a park named after an industry does not target it.
_PLACES = re.compile(
    r"(?:(?![入进在于至须应的和及与或内外])[\u4e00-\u9fff]){0,6}"
    r"(?:工业园区|化工园区|园区|工业集中区|集中区|工业集聚区|集聚区|开发区|工业区|产业基地)")
_BUILD = re.compile(r"((?:[新改扩][、，,（(）)]?){1,3})建")
_TYPE_OF = {"新": "new", "改": "rebuild", "扩": "expansion"}


@dataclass(frozen=True)
class Classified:
    """The reading of one clause.

    Attributes
    ----------
    effect
        ``prohibition``, ``restriction`` or ``requirement``.
    conditional
        True when a prohibition carries an exception or condition.
    conditions
        The condition markers found (``除…外``, ``未…的`` …).
    industries, exceptions
        GB/T 4754-2017 code prefixes targeted, and those excepted.
    industry_words
        The words that named them (sector words or GB names).
    project_types
        ``new``, ``rebuild``, ``expansion`` named by the clause.
    pollutants
        Pollutant keys named by the clause.
    """

    effect: str
    conditional: bool
    conditions: tuple[str, ...]
    industries: tuple[str, ...]
    exceptions: tuple[str, ...]
    industry_words: tuple[str, ...]
    project_types: tuple[str, ...]
    pollutants: tuple[str, ...]


def classify_clause(text: str, vocabulary: Vocabulary,
                    groups: Mapping[str, Mapping[str, Any]] | None = None) -> Classified:
    """Classify one clause and find its targets.

    Parameters
    ----------
    text
        The clause text.
    vocabulary
        Sector words, pollutant words.
    groups
        Industry groups (``@name`` in sector words), e.g. ``Ruleset.industry_groups``.

    Returns
    -------
    Classified
    """
    body = re.sub(r"\s+", "", text)
    conditions: list[str] = []
    excepted_spans: list[str] = []
    for name, pattern in _CONDITIONS:
        for m in pattern.finditer(body):
            conditions.append(name)
            if name in ("除…外", "…除外"):
                excepted_spans.append(next(g for g in m.groups() if g is not None))
    conditions = list(dict.fromkeys(conditions))

    prohibition = _PROHIBITION.search(body)
    principle = _PRINCIPLE.search(body)
    if prohibition and principle and principle.start() < prohibition.start() \
            and prohibition.start() - principle.end() <= 4:
        effect = "restriction"  # 原则上不得/禁止: a prohibition with room for exceptions
    elif prohibition:
        effect = "prohibition"
    elif _RESTRICTION.search(body):
        effect = "restriction"
    else:
        effect = "requirement"

    # Targets: exception spans and place names do not target.
    scan = body
    for span in excepted_spans:
        scan = scan.replace(span, "　")
    scan = _PLACES.sub("　", scan)
    words, prefixes = _industries(scan, vocabulary)
    _, excepted = _industries(_PLACES.sub("　", "　".join(excepted_spans)), vocabulary)
    # Without groups, ``@group`` names are kept for the matcher to expand.
    industries = expand_groups(prefixes, groups) if groups else tuple(prefixes)
    exceptions = expand_groups(excepted, groups) if groups else tuple(excepted)
    types = sorted({_TYPE_OF[ch] for m in _BUILD.finditer(scan) for ch in m.group(1)
                    if ch in _TYPE_OF}, key=("new", "rebuild", "expansion").index)
    pollutants = _pollutants(scan, vocabulary)
    return Classified(
        effect=effect, conditional=effect == "prohibition" and bool(conditions),
        conditions=tuple(conditions), industries=industries, exceptions=exceptions,
        industry_words=tuple(words), project_types=tuple(types), pollutants=pollutants)


def _industries(text: str, vocabulary: Vocabulary) -> tuple[list[str], list[str]]:
    """Sector words and GB/T 4754 names in ``text`` (longest first, no overlaps)."""
    if not text.strip("　"):
        return [], []
    taken = [False] * len(text)
    words: list[str] = []
    prefixes: list[str] = []
    for word, codes in _lexicon(vocabulary):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(word)
                if codes and word not in words:  # a word without codes only masks
                    words.append(word)
                    prefixes.extend(codes)
            start = text.find(word, end)
    return words, list(dict.fromkeys(prefixes))


@lru_cache(maxsize=8)
def _lexicon_cached(key: tuple) -> tuple[tuple[str, tuple[str, ...]], ...]:
    sectors = dict(key)
    entries: dict[str, tuple[str, ...]] = {}
    frame = catalogue().frame
    for code, name, level in zip(frame["code"], frame["name"], frame["level"], strict=True):
        if level == "section" or name.startswith("其他") or len(name) < 4:
            continue
        for form in {name, name[:-1] if name.endswith("业") and len(name) > 4 else name}:
            entries.setdefault(form, (code,))
    entries.update(sectors)  # sector words win over a GB name of the same spelling
    return tuple(sorted(entries.items(), key=lambda item: (-len(item[0]), item[0])))


def _lexicon(vocabulary: Vocabulary) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return _lexicon_cached(tuple(sorted(vocabulary.sectors.items())))


def _pollutants(text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    found = []
    folded = text.casefold()
    for key, names in vocabulary.pollutants.items():
        for name in names:
            n = name.casefold()
            if n.isascii():
                hit = re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", folded)
            else:
                hit = n in folded
            if hit:
                found.append(key)
                break
    return tuple(found)
