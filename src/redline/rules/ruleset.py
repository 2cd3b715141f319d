"""Rulesets as data: load, validate and merge rule files.

The national ruleset (``national.toml`` in this folder) is the default. A pack
(``[pack] rules = "rules.toml"``) or the user (``--rules FILE``) may add files; each
later file overrides rules by id, and ``disabled = true`` removes a rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .._toml import load_toml
from ..errors import RulesError
from ..kinds import KINDS
from ..projects import PROJECT_KINDS

VERDICTS = ("clear", "attention", "restricted", "prohibited")
#: Severity of each verdict (higher is more severe).
SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
RELATIONS = ("overlaps", "inside", "touches", "near", "outside", "downstream")
#: Finding kinds that are not layer kinds.
_EXTRA_KINDS = ("coverage",)

_RULE_KEYS = {"id", "layer_kinds", "zone_classes", "project_kinds", "relations", "industries",
              "exclude_industries", "project_types", "verdict", "message", "basis", "supersedes",
              "disabled", "note", "layers"}


@dataclass(frozen=True)
class Basis:
    """One legal basis: document, number, article, validity, and whether verified."""

    document: str
    number: str = ""
    article: str = ""
    valid_from: str | None = None
    valid_to: str | None = None
    verified: bool = True

    def cite(self, lang: str = "zh") -> str:
        """A citation such as ``中华人民共和国水污染防治法(2017年修正)第六十五条``."""
        text = self.document
        if self.document and not self.document.endswith("》") and "《" not in self.document:
            text = f"《{self.document}》"
        if self.number:
            text += f"({self.number})"
        if self.article:
            text += self.article
        if not self.verified:
            text += "[条文待核实]" if lang == "zh" else " [article unverified]"
        return text

    def in_force(self, on: dt.date) -> bool:
        """True when ``on`` falls within the validity window."""
        if self.valid_from and on < dt.date.fromisoformat(self.valid_from):
            return False
        return not (self.valid_to and on > dt.date.fromisoformat(self.valid_to))

    def to_dict(self) -> dict[str, Any]:
        """Structured form for the result document."""
        out: dict[str, Any] = {"document": self.document, "number": self.number,
                               "article": self.article, "verified": self.verified}
        if self.valid_from:
            out["valid_from"] = self.valid_from
        if self.valid_to:
            out["valid_to"] = self.valid_to
        return out


@dataclass(frozen=True)
class Rule:
    """One screening rule (see ``national.toml`` for the meaning of each field)."""

    id: str
    layer_kinds: tuple[str, ...]
    relations: tuple[str, ...]
    verdict: str
    message_zh: str
    message_en: str
    basis: tuple[Basis, ...]
    zone_classes: tuple[str, ...] = ()
    project_kinds: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    exclude_industries: tuple[str, ...] = ()
    project_types: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()
    note: str = ""
    source: str = ""
    #: Layer ids the rule is limited to (empty: any layer of its kinds).
    layers: tuple[str, ...] = ()

    def message(self, lang: str = "zh") -> str:
        """The rule's message in ``zh`` or ``en``."""
        return self.message_en if lang == "en" else self.message_zh

    def cite(self, lang: str = "zh") -> str:
        """All bases of the rule, joined."""
        return ";".join(b.cite(lang) for b in self.basis)

    def in_force(self, on: dt.date) -> bool:
        """A rule applies while at least one of its bases is in force."""
        return any(b.in_force(on) for b in self.basis) if self.basis else True


@dataclass
class Ruleset:
    """An ordered set of rules with the files it came from.

    Attributes
    ----------
    rules
        Active rules, in file order (later files' additions at the end).
    files
        ``{"id", "version", "path", "sha256"}`` for each file merged.
    industry_groups
        Named lists of industry-code prefixes (``@name`` in rules), expanded.
    """

    rules: list[Rule]
    files: list[dict[str, str]]
    industry_groups: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Ids of the merged files, joined with ``+``."""
        return "+".join(f["id"] for f in self.files)

    @property
    def version(self) -> str:
        """Versions of the merged files, joined with ``+``."""
        return "+".join(f["version"] for f in self.files)

    def describe(self) -> dict[str, Any]:
        """The ``rules`` block of a result document."""
        return {"id": self.id, "version": self.version,
                "files": [{k: f[k] for k in ("id", "version", "sha256")} for f in self.files]}

    def get(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def national_rules_path() -> Path:
    """Path of the shipped national ruleset."""
    return Path(str(resources.files("redline.rules") / "national.toml"))


def load_ruleset(*extra: str | Path | None, catalog: Any = None) -> Ruleset:
    """Load the national ruleset and merge the given files over it, in order.

    Parameters
    ----------
    *extra
        Ruleset files (``None`` entries are skipped).
    catalog
        Rules a pack's catalog implies (:class:`redline.rules.catalog.CatalogRules`),
        merged right after the national ruleset, so that the files can override them.

    Returns
    -------
    Ruleset

    Raises
    ------
    RulesError
        A missing file or a malformed rule, naming the file and the rule id.
    """
    paths = [national_rules_path(), *(Path(p) for p in extra if p)]
    try:  # parsed once per process while the files stay the same (screening one project
        # against a loaded pack should not re-read the TOML every call)
        key = (tuple((str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths),
               None if catalog is None else (str(catalog.path), catalog.sha256, catalog.id,
                                             catalog.version, len(catalog.rules)))
    except OSError:
        key = None
    if key is None or key not in _LOADED:
        ruleset = _load_ruleset(paths[0], catalog, paths[1:])
        if key is None:
            return ruleset
        _LOADED.clear()
        _LOADED[key] = ruleset
    cached = _LOADED[key]
    return Ruleset(list(cached.rules), [dict(f) for f in cached.files],
                   {k: dict(v) for k, v in cached.industry_groups.items()})


_LOADED: dict[tuple, Ruleset] = {}


def _load_ruleset(national: Path, catalog: Any, extra: list[Path]) -> Ruleset:
    merged: dict[str, Rule] = {}
    disabled: set[str] = set()
    groups: dict[str, dict[str, Any]] = {}
    files = []
    for path in (national, catalog, *extra):
        if not isinstance(path, Path):  # the pack catalog's rules, right after the national
            if path is not None and path.rules:
                files.append(path.file_entry())
                merged.update((rule.id, rule) for rule in path.rules)
            continue
        raw = load_toml(path, error=RulesError)
        head = raw.get("ruleset", {})
        if not head.get("id") or not head.get("version"):
            raise RulesError(f"{path}: [ruleset] needs an id and a version")
        files.append({"id": str(head["id"]), "version": str(head["version"]), "path": str(path),
                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
        for name, group in raw.get("industry_groups", {}).items():
            if not isinstance(group, dict) or not isinstance(group.get("codes"), list):
                raise RulesError(f"{path}: industry group {name!r} needs a codes list")
            groups[name] = group
        entries = raw.get("rules", [])
        if not isinstance(entries, list):
            raise RulesError(f"{path}: [[rules]] must be an array of tables")
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or not entry.get("id"):
                raise RulesError(f"{path}: rule #{n} has no id")
            rule_id = str(entry["id"])
            if entry.get("disabled"):
                merged.pop(rule_id, None)
                disabled.add(rule_id)
                continue
            disabled.discard(rule_id)
            merged.pop(rule_id, None)  # an override moves to the end, like an addition
            merged[rule_id] = _parse_rule(entry, path)
    rules = [_expand(rule, groups, path_of=rule.source) for rule in merged.values()]
    known = {rule.id for rule in rules} | disabled
    for rule in rules:
        missing = [s for s in rule.supersedes if s not in known]
        if missing:
            raise RulesError(f"{rule.source}: rule {rule.id}: supersedes unknown rule {missing[0]!r}")
    return Ruleset(rules, files, groups)


def _parse_rule(entry: dict[str, Any], path: Path) -> Rule:
    rule_id = str(entry["id"])

    def fail(msg: str) -> RulesError:
        return RulesError(f"{path}: rule {rule_id}: {msg}")

    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise fail(f"unknown key {sorted(unknown)[0]!r}")
    verdict = entry.get("verdict")
    if verdict not in VERDICTS:
        raise fail(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")

    def strings(key: str, allowed: tuple[str, ...] | None = None,
                required: bool = False) -> tuple[str, ...]:
        value = entry.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"{key} must be a list of strings")
        if required and not value:
            raise fail(f"{key} must not be empty")
        if allowed is not None:
            bad = [v for v in value if v not in allowed]
            if bad:
                raise fail(f"{key}: unknown value {bad[0]!r} (allowed: {', '.join(allowed)})")
        return tuple(value)

    kinds = strings("layer_kinds", (*KINDS, *_EXTRA_KINDS), required=True)
    classes = tuple(c for k in kinds if k in KINDS for c in KINDS[k].classes)
    message = entry.get("message", {})
    if not isinstance(message, dict) or not message.get("zh") or not message.get("en"):
        raise fail("message needs zh and en texts")
    raw_basis = entry.get("basis", [])
    if isinstance(raw_basis, dict):
        raw_basis = [raw_basis]
    if not raw_basis:
        raise fail("needs a basis (document, number, article)")
    try:
        basis = tuple(Basis(
            document=str(b["document"]), number=str(b.get("number", "")),
            article=str(b.get("article", "")), valid_from=b.get("valid_from") or None,
            valid_to=b.get("valid_to") or None, verified=bool(b.get("verified", True)),
        ) for b in raw_basis)
        for b in basis:
            b.in_force(dt.date.today())  # validates the dates
    except (KeyError, TypeError, ValueError) as exc:
        raise fail(f"malformed basis ({exc})") from None
    return Rule(
        id=rule_id, layer_kinds=kinds, relations=strings("relations", RELATIONS, required=True),
        verdict=verdict, message_zh=str(message["zh"]), message_en=str(message["en"]),
        basis=basis, zone_classes=strings("zone_classes", classes or None),
        project_kinds=strings("project_kinds", PROJECT_KINDS),
        industries=strings("industries"), exclude_industries=strings("exclude_industries"),
        project_types=strings("project_types"), supersedes=strings("supersedes"),
        note=str(entry.get("note", "")), source=str(path), layers=strings("layers"),
    )


def _expand(rule: Rule, groups: dict[str, dict[str, Any]], path_of: str) -> Rule:
    def expand(codes: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for code in codes:
            if code.startswith("@"):
                if code[1:] not in groups:
                    raise RulesError(f"{path_of}: rule {rule.id}: unknown industry group {code!r}")
                out.extend(str(c).upper() for c in groups[code[1:]]["codes"])
            else:
                out.append(code.upper())
        return tuple(out)

    from dataclasses import replace
    return replace(rule, industries=expand(rule.industries),
                   exclude_industries=expand(rule.exclude_industries))
