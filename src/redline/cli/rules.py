"""``redline rules show``: the active rules with their legal bases."""

from __future__ import annotations

import click
from rich.text import Text

from ..pack import load_pack
from ..report.table import VERDICT_STYLE, console
from ..rules import load_ruleset
from ..rules.catalog import catalog_rules
from .options import lang_option, pack_option, rules_option


@click.group()
def rules() -> None:
    """Inspect rulesets."""


@rules.command()
@pack_option
@rules_option
@lang_option
def show(pack_dir, rules_files, lang):
    """Print the active rules: what each matches, its verdict and its legal basis.

    The national ruleset, then the rules the pack's catalog implies (raster class
    verdicts), then the pack's ruleset (if it ships one), then --rules files, each
    overriding rules by id.
    """
    pack = load_pack(pack_dir) if pack_dir else None
    extra = [pack.rules_path] if pack else []
    ruleset = load_ruleset(*extra, *rules_files, catalog=catalog_rules(pack) if pack else None)
    out = console()
    out.print(f"ruleset {ruleset.id} · version {ruleset.version} · {len(ruleset.rules)} rules",
              highlight=False)
    for rule in ruleset.rules:
        classes = f" [{','.join(rule.zone_classes)}]" if rule.zone_classes else ""
        projects = ",".join(rule.project_kinds) or "any project"
        condition = []
        if rule.industries:
            condition.append("industry " + ",".join(rule.industries))
        if rule.exclude_industries:
            condition.append("not " + ",".join(rule.exclude_industries))
        if rule.project_types:
            condition.append("type " + ",".join(rule.project_types))
        if rule.supersedes:
            condition.append("supersedes " + ",".join(rule.supersedes))
        if rule.layers:
            condition.append("layers " + ",".join(rule.layers))
        out.print(Text.assemble((f"{rule.id}", "bold"), "  ",
                                (rule.verdict, VERDICT_STYLE.get(rule.verdict, ""))))
        out.print(f"  matches  {','.join(rule.layer_kinds)}{classes} · {projects} · "
                  f"{','.join(rule.relations)}" + (f" · {'; '.join(condition)}" if condition else ""),
                  highlight=False, markup=False)
        out.print(f"  message  {rule.message(lang)}", highlight=False, markup=False)
        out.print(f"  basis    {rule.cite(lang)}", highlight=False, markup=False)
