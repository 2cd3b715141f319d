"""Rules as data and the decision step (findings → verdicts)."""

from .decide import decide
from .ruleset import SEVERITY, VERDICTS, Basis, Rule, Ruleset, load_ruleset, national_rules_path

__all__ = ["SEVERITY", "VERDICTS", "Basis", "Rule", "Ruleset", "decide", "load_ruleset",
           "national_rules_path"]
