"""Rules implied by a pack's catalog: verdicts of raster classes.

A ``raster_constraint`` (or ``terrain``) layer may map its classes to verdicts in
``[layers.verdicts]``, with a legal basis in ``[[layers.basis]]``. Each such class becomes
an ordinary :class:`~redline.rules.ruleset.Rule` limited to that layer
(``catalog.<layer>.<class>``), merged right after the national ruleset, so a pack's
``rules.toml`` or a user's ``--rules`` file can override or disable it by id like any
other rule. Slivers (``touches``) of judged classes get ``attention``, as for vector zones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ruleset import SEVERITY, Basis, Rule

if TYPE_CHECKING:
    from ..pack import Pack


@dataclass
class CatalogRules:
    """The rules a pack's catalog implies, and where they come from."""

    id: str
    version: str
    path: Path
    sha256: str
    rules: list[Rule] = field(default_factory=list)

    def file_entry(self) -> dict[str, str]:
        """The entry of these rules in :attr:`Ruleset.files`."""
        return {"id": self.id, "version": self.version, "path": str(self.path),
                "sha256": self.sha256}


def catalog_rules(pack: Pack) -> CatalogRules:
    """Turn the class verdicts of a pack's raster layers into rules.

    Parameters
    ----------
    pack
        A loaded pack.

    Returns
    -------
    CatalogRules
        Possibly with no rules (then nothing is merged).
    """
    catalog = pack.path / "catalog.toml"
    out = CatalogRules(id=f"{pack.id}-catalog", version=pack.version, path=catalog,
                       sha256=pack.catalog_sha256)
    for layer in getattr(pack, "rasters", []):
        judged = [c for c in layer.classes if c.verdict]
        if not judged:
            continue
        basis = tuple(_basis(b) for b in layer.basis) or (Basis(
            document=f"图层包「{pack.title}」目录:{layer.spec.title}分级管控要求",
            number=f"{pack.id} {pack.version}", verified=False),)
        title = layer.spec.title
        for cls in judged:
            out.rules.append(Rule(
                id=f"catalog.{layer.id}.{cls.name}", layer_kinds=(layer.kind,),
                layers=(layer.id,), zone_classes=(cls.name,), relations=("overlaps", "inside"),
                verdict=cls.verdict,
                message_zh=f"涉及{title}「{cls.title_zh}」(按图层包目录分级判定)",
                message_en=f"Reaches the '{cls.title_en}' class of {title} (verdict as mapped "
                           "in the pack catalog)",
                basis=basis, source=str(catalog)))
        attention = [c.name for c in judged if SEVERITY[c.verdict] >= SEVERITY["attention"]]
        if attention:
            out.rules.append(Rule(
                id=f"catalog.{layer.id}.touches", layer_kinds=(layer.kind,), layers=(layer.id,),
                zone_classes=tuple(attention), relations=("touches",), verdict="attention",
                message_zh="仅有容差内的碎片涉及该分级区域:边界误差,需核实",
                message_en="Only a sliver within tolerance reaches the class: verify",
                basis=(Basis(document="redline 筛查容差(无法定依据)", verified=False),),
                source=str(catalog)))
    return out


def _basis(raw: dict[str, Any]) -> Basis:
    return Basis(document=str(raw["document"]), number=str(raw.get("number", "")),
                 article=str(raw.get("article", "")), valid_from=raw.get("valid_from") or None,
                 valid_to=raw.get("valid_to") or None, verified=bool(raw.get("verified", True)))
