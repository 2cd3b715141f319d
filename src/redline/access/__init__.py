"""“三线一单” access lists (生态环境准入清单) and industry-aware screening.

* :mod:`~redline.access.table` reads a pack's access list (XLSX/CSV) into clauses;
* :mod:`~redline.access.clauses` splits cells into numbered clauses and maps the wordings
  of the four dimensions;
* :mod:`~redline.access.classify` reads each clause (prohibition / restriction /
  requirement, conditions) and what it targets (industries, project types, pollutants);
* :mod:`~redline.access.industry` holds the GB/T 4754-2017 catalogue and the sector words;
* :mod:`~redline.access.match` collects the clauses that apply to each project and turns
  the targeted ones into ``access_list`` findings (verdicts come from the rules).
"""

from .classify import Classified, classify_clause
from .clauses import DIMENSIONS, dimension_of, split_clauses
from .industry import (
    IndustryError,
    Vocabulary,
    canonical_code,
    catalogue,
    default_vocabulary,
    normalise_project_types,
    parse_pollutants,
    resolve_industry,
)
from .match import APPLICABLE_COLUMNS, Assessment, applicable_clauses, assess, cite
from .table import CLAUSE_COLUMNS, SCOPES, AccessList, load_access_list

__all__ = [
    "APPLICABLE_COLUMNS", "CLAUSE_COLUMNS", "DIMENSIONS", "SCOPES", "AccessList", "Assessment",
    "Classified", "IndustryError", "Vocabulary", "applicable_clauses", "assess",
    "canonical_code", "catalogue", "cite", "classify_clause", "default_vocabulary",
    "dimension_of", "load_access_list", "normalise_project_types", "parse_pollutants",
    "resolve_industry", "split_clauses",
]
