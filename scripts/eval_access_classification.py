#!/usr/bin/env python
"""Precision and recall of clause classification on the demo access list.

Every clause of ``layers/demo/access_list.xlsx`` (56) was labelled by hand from its text
alone, before looking at the classifier's output:

* prohibition — forbids a project or activity outright (exceptions or a sub-area allowed);
* restriction — admits it only under conditions: siting in a park, offsets (替代), scale
  or total-load control, 原则上不…;
* requirement — obligations and performance standards (应…, 执行…标准, 不得低于…).

Prints the confusion matrix and per-class precision/recall of ``redline.access`` and, as
a baseline measured in the same run, of a keyword rule (禁止/不得/严禁 → prohibition,
限制/严格控制 → restriction, else requirement), then every clause the classifier gets
wrong. Usage: ``python scripts/eval_access_classification.py [PACK]``.
"""

from __future__ import annotations

import re
import sys

import redline

P, R, Q = "prohibition", "restriction", "requirement"
LABELS = {  # clause id → (effect, conditional)
    "r3.spatial_layout.1": (P, False), "r3.spatial_layout.2": (R, False),
    "r3.spatial_layout.3": (R, False), "r3.pollutant_discharge.1": (R, False),
    "r3.pollutant_discharge.2": (Q, False), "r3.environmental_risk.1": (Q, False),
    "r3.resource_efficiency.1": (Q, False), "r3.resource_efficiency.2": (P, False),
    "r4.spatial_layout.1": (P, False), "r4.pollutant_discharge.1": (R, False),
    "r5.spatial_layout.1": (P, True), "r5.spatial_layout.2": (P, False),
    "r5.spatial_layout.3": (R, False), "r5.pollutant_discharge.1": (R, False),
    "r5.pollutant_discharge.2": (Q, False), "r5.environmental_risk.1": (P, False),
    "r5.resource_efficiency.1": (Q, False),
    "r6.spatial_layout.1": (P, False), "r6.spatial_layout.2": (P, False),
    "r6.spatial_layout.3": (P, False), "r6.spatial_layout.4": (R, False),
    "r6.pollutant_discharge.1": (Q, False), "r6.environmental_risk.1": (Q, False),
    "r6.resource_efficiency.1": (P, False),
    "r7.spatial_layout.1": (R, False), "r7.spatial_layout.2": (P, False),
    "r7.pollutant_discharge.1": (Q, False), "r7.pollutant_discharge.2": (Q, False),
    "r7.environmental_risk.1": (Q, False), "r7.resource_efficiency.1": (P, False),
    "r8.spatial_layout.1": (P, False), "r8.spatial_layout.2": (P, False),
    "r8.pollutant_discharge.1": (Q, False), "r8.pollutant_discharge.2": (Q, False),
    "r8.resource_efficiency.1": (Q, False),
    "r9.spatial_layout.1": (P, False), "r9.spatial_layout.2": (P, False),
    "r9.spatial_layout.3": (P, False), "r9.pollutant_discharge.1": (Q, False),
    "r9.environmental_risk.1": (P, False), "r9.environmental_risk.2": (Q, False),
    "r9.resource_efficiency.1": (P, False),
    "r10.spatial_layout.1": (P, False), "r10.spatial_layout.2": (P, False),
    "r10.pollutant_discharge.1": (P, False), "r10.environmental_risk.1": (Q, False),
    "r10.resource_efficiency.1": (P, False),
    "r11.spatial_layout.1": (P, False), "r11.spatial_layout.2": (P, True),
    "r11.spatial_layout.3": (Q, False), "r11.pollutant_discharge.1": (Q, False),
    "r11.pollutant_discharge.2": (Q, False), "r11.environmental_risk.1": (P, False),
    "r11.resource_efficiency.1": (Q, False),
    "r12.spatial_layout.1": (P, False), "r12.pollutant_discharge.1": (Q, False),
}


def keyword_baseline(text: str) -> str:
    """The naive rule a reviewer might write first."""
    if re.search("禁止|不得|严禁", text):
        return P
    if re.search("限制|严格控制", text):
        return R
    return Q


def scores(pairs: list[tuple[str, str]]) -> dict[str, tuple[float, float, int]]:
    """Per class: precision, recall, support."""
    out = {}
    for cls in (P, R, Q):
        tp = sum(t == cls and p == cls for t, p in pairs)
        predicted = sum(p == cls for _, p in pairs)
        actual = sum(t == cls for t, _ in pairs)
        out[cls] = (tp / predicted if predicted else float("nan"),
                    tp / actual if actual else float("nan"), actual)
    return out


def main(argv: list[str]) -> int:
    pack = redline.load_pack(argv[1] if len(argv) > 1 else None)
    clauses = pack.tables["access_list"].clauses.set_index("clause_id")
    missing = sorted(set(LABELS) ^ set(clauses.index))
    if missing:
        print(f"labels and clauses differ: {missing}")
        return 1
    ours = [(LABELS[cid][0], clauses.loc[cid, "effect"]) for cid in LABELS]
    base = [(LABELS[cid][0], keyword_baseline(clauses.loc[cid, "text"])) for cid in LABELS]
    print(f"{len(LABELS)} clauses labelled by hand")
    for name, pairs in (("redline.access", ours), ("keyword baseline", base)):
        accuracy = sum(t == p for t, p in pairs) / len(pairs)
        print(f"\n{name}: accuracy {accuracy:.1%}")
        print(f"{'class':<13}{'precision':>10}{'recall':>8}{'n':>4}")
        for cls, (precision, recall, n) in scores(pairs).items():
            print(f"{cls:<13}{precision:>10.1%}{recall:>8.1%}{n:>4}")
        print("confusion (rows = hand label, columns = predicted):")
        for t in (P, R, Q):
            print(f"  {t:<13}" + "".join(f"{sum(a == t and b == p for a, b in pairs):>5}"
                                          for p in (P, R, Q)))
    cond_true = {cid for cid, (_, c) in LABELS.items() if c}
    cond_pred = set(clauses.index[clauses["conditional"]])
    print(f"\nconditional prohibitions: labelled {sorted(cond_true)}, found {sorted(cond_pred)}")
    print("\nmis-classified by redline.access:")
    for cid, (truth, _) in LABELS.items():
        got = clauses.loc[cid, "effect"]
        if got != truth:
            print(f"  {cid:<28} {truth:<12} → {got:<12} {clauses.loc[cid, 'text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
