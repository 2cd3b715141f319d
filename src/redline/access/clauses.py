"""Cells of an access list → clauses; the four dimensions and their wordings.

Published lists put one clause per row or several numbered clauses in one cell
(``1.…2.…``, ``（1）…（2）…``, ``①…②…``, ``一、…二、…``). :func:`split_clauses` splits a
cell on the numbering style it starts with (or first uses), keeping nested numbering
(``1.…：（1）…（2）…``) inside its clause and never splitting a decimal (``0.5``).
"""

from __future__ import annotations

import re

#: Canonical dimension keys with their zh and en titles.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "spatial_layout": ("空间布局约束", "spatial layout constraints"),
    "pollutant_discharge": ("污染物排放管控", "pollutant discharge control"),
    "environmental_risk": ("环境风险防控", "environmental risk prevention"),
    "resource_efficiency": ("资源开发效率要求", "resource use efficiency"),
}

# Wordings seen in published lists and their DBF field names (DOMAIN §3), exact first.
_DIMENSION_WORDS: dict[str, tuple[str, ...]] = {
    "spatial_layout": ("空间布局约束", "空间布局", "区域布局管控", "布局约束", "空间布局引导",
                       "空间布局管控", "KJBJYS"),
    "pollutant_discharge": ("污染物排放管控", "污染物排放控制", "污染排放管控", "排放管控",
                            "PWWPFGK", "PWGK"),
    "environmental_risk": ("环境风险防控", "环境风险管控", "风险防控", "HJFXFK"),
    "resource_efficiency": ("资源开发效率要求", "资源开发利用效率", "资源利用效率", "资源开发效率",
                            "能源资源利用", "资源能源利用", "资源利用效率要求", "ZYKFXLYQ"),
}
# Fallback: a key word in a longer heading.
_DIMENSION_HINTS = (("布局", "spatial_layout"), ("排放", "pollutant_discharge"),
                    ("风险", "environmental_risk"), ("资源", "resource_efficiency"),
                    ("能源", "resource_efficiency"), ("效率", "resource_efficiency"))


def clean(text: object) -> str:
    """A heading or value without any whitespace (headings carry stray newlines)."""
    return re.sub(r"\s+", "", str(text)) if text is not None else ""


def dimension_of(heading: object, extra: dict[str, str] | None = None) -> str | None:
    """Canonical dimension key of a heading or value (``区域布局管控`` → ``spatial_layout``)."""
    word = clean(heading)
    if not word:
        return None
    if extra and word in extra:
        return extra[word]
    for key, words in _DIMENSION_WORDS.items():
        if word.upper() in words or word == DIMENSIONS[key][0]:
            return key
    if len(word) > 12:  # a clause, not a heading
        return None
    for hint, key in _DIMENSION_HINTS:
        if hint in word:
            return key
    return None


def dimension_title(key: str, lang: str = "zh") -> str:
    """zh or en title of a dimension key."""
    zh, en = DIMENSIONS.get(key, (key, key))
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------- splitting

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CHINESE = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
            "十": 10}
_BOUNDARY = "\n。；;：:！!？? \t　"
_MARKERS = (
    ("arabic", re.compile(r"(?<![\d.．])(\d{1,2})\s*[.．、](?![\d])")),
    ("paren_arabic", re.compile(r"[（(]\s*(\d{1,2})\s*[)）]")),
    ("circled", re.compile(f"([{_CIRCLED}])")),
    ("chinese", re.compile(r"([一二三四五六七八九十]{1,3})\s*[、.．]")),
    ("paren_chinese", re.compile(r"[（(]\s*([一二三四五六七八九十]{1,3})\s*[)）]")),
)


def _number(style: str, token: str) -> int:
    if style == "circled":
        return _CIRCLED.index(token) + 1
    if style in ("chinese", "paren_chinese"):
        if token == "十":
            return 10
        if token.startswith("十"):
            return 10 + _CHINESE[token[1]]
        if len(token) == 3 or (len(token) == 2 and token.endswith("十")):
            tens = _CHINESE[token[0]] * 10
            return tens + (_CHINESE[token[2]] if len(token) == 3 else 0)
        return _CHINESE[token]
    return int(token)


def _markers(text: str) -> list[tuple[int, int, str, int]]:
    """(start, end, style, number) of every numbering marker at a clause boundary."""
    found = []
    for style, pattern in _MARKERS:
        for m in pattern.finditer(text):
            start = m.start()
            before = text[:start].rstrip(" \t　")
            at_boundary = not before or before[-1] in _BOUNDARY
            if style == "circled" or at_boundary:
                try:
                    found.append((start, m.end(), style, _number(style, m.group(1))))
                except (KeyError, IndexError):
                    continue
    return sorted(found)


def split_clauses(text: object) -> list[tuple[str | None, str]]:
    """Split one cell into ``(number, clause text)`` pairs.

    The numbering style is the one of the first marker; markers of that style must count
    up from 1 (a ``2.`` inside clause 1 that does not follow ``1.`` stays in the text).
    Text before the first marker becomes a clause of its own (number ``None``) when it
    says something; a cell without numbering is one clause, or one per line.

    Parameters
    ----------
    text
        The cell value.

    Returns
    -------
    list of (str or None, str)
        The clause number as written in arabic digits (``"1"``; ``①`` and ``（一）`` give
        ``"1"`` too) and the clause text, stripped.
    """
    if text is None:
        return []
    body = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body or body in ("/", "—", "-", "无", "——"):
        return []
    markers = _markers(body)
    first = next((m for m in markers if m[3] == 1), None)
    if first is None:
        lines = [line.strip() for line in body.split("\n") if line.strip()]
        return [(None, line) for line in lines] if len(lines) > 1 else [(None, body)]
    style = first[2]
    cuts = []
    expected = 1
    for start, end, marker_style, number in markers:
        if marker_style == style and number == expected and start >= first[0]:
            cuts.append((start, end, number))
            expected += 1
    out: list[tuple[str | None, str]] = []
    intro = body[: cuts[0][0]].strip(" \t　\n")
    if len(intro.strip("：:；;。,，")) > 4:
        out.append((None, intro))
    for i, (_start, end, number) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(body)
        clause = body[end:stop].strip(" \t　\n")
        if clause:
            out.append((str(number), clause))
    return out
