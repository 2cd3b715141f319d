"""``redline rules show``: the active rules with their legal bases."""

from __future__ import annotations

import click
from rich.table import Table

from ..pack import load_pack
from ..report.table import console
from ..rules import load_ruleset
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

    The national ruleset, then the pack's ruleset (if it ships one), then --rules files,
    each overriding rules by id.
    """
    extra = [load_pack(pack_dir).rules_path] if pack_dir else []
    ruleset = load_ruleset(*extra, *rules_files)
    out = console()
    out.print(f"ruleset {ruleset.id} · version {ruleset.version} · {len(ruleset.rules)} rules",
              highlight=False)
    table = Table(header_style="bold", show_lines=True)
    for col in ("id", "layer kinds", "classes", "projects", "relations", "condition", "verdict",
                "basis"):
        table.add_column(col, overflow="fold")
    for rule in ruleset.rules:
        condition = []
        if rule.industries:
            condition.append("industry " + ",".join(rule.industries))
        if rule.exclude_industries:
            condition.append("not " + ",".join(rule.exclude_industries))
        if rule.project_types:
            condition.append("type " + ",".join(rule.project_types))
        if rule.supersedes:
            condition.append("supersedes " + ",".join(rule.supersedes))
        table.add_row(rule.id, ",".join(rule.layer_kinds), ",".join(rule.zone_classes) or "any",
                      ",".join(rule.project_kinds) or "any", ",".join(rule.relations),
                      "; ".join(condition) or "—", rule.verdict, rule.cite(lang))
    out.print(table)
