"""Summaries of a batch for people: ``summary.csv`` and ``summary.xlsx``.

Both are read back from ``projects.parquet`` one row group at a time, so they cost
little memory whatever the batch size. The workbook has a ``summary`` sheet (counts
and provenance) and the project rows (a sheet holds at most 1,048,575 rows; more
continue on ``projects 2``, …).
"""

from __future__ import annotations

import csv as csv_module
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from .report.spreadsheet import is_formula_like, neutralise_csv

if TYPE_CHECKING:
    from ._batch_run import BatchSummary

COLUMNS = ("project_id", "name", "kind", "source", "verdict", "findings", "area_m2",
           "length_m", "admin", "reason", "error", "industry", "access_list_conflicts")
_SHEET_ROWS = 1_048_575  # Excel's limit less the header


def _rows(outdir: Path) -> Iterator[list[Any]]:
    conflicts = _access_conflicts(outdir)
    table = pq.ParquetFile(outdir / "projects.parquet")
    for group in range(table.num_row_groups):
        batch = table.read_row_group(group, columns=[
            "project_id", "name", "kind", "source", "verdict", "findings", "area_m2",
            "length_m", "admin", "reasons", "error", "industry"]).to_pylist()
        for row in batch:
            pid = row["project_id"]
            # without an industry code the access list could not be checked: no count
            checked = bool(row["industry"]) and row["verdict"] is not None
            yield [pid, row["name"], row["kind"], row["source"], row["verdict"],
                   row["findings"], row["area_m2"], row["length_m"],
                   ";".join(a["code"] for a in row["admin"] or []),
                   (row["reasons"] or [None])[0], row["error"], row["industry"],
                   conflicts.get(pid, 0) if checked else None]


def _access_conflicts(outdir: Path) -> dict[str, int]:
    """Access-list clauses each project conflicts with (its ``access_list`` findings)."""
    findings = pq.read_table(outdir / "findings.parquet", columns=["project_id", "kind"],
                             filters=[("kind", "=", "access_list")])
    counts = findings.group_by("project_id").aggregate([("kind", "count")])
    return dict(zip(counts["project_id"].to_pylist(), counts["kind_count"].to_pylist(), strict=True))


def _text_cells(row: list[Any]) -> list[Any]:
    """CSV cells: text a spreadsheet could take for a formula gets a leading apostrophe."""
    return [neutralise_csv(v) for v in row]


def write_summaries(outdir: Path, summary: BatchSummary, provenance: dict[str, Any], *,
                    csv: bool, xlsx: bool) -> list[Path]:
    """Write ``summary.csv`` and/or ``summary.xlsx`` into ``outdir``; return their paths."""
    written = []
    if csv:
        path = outdir / "summary.csv"
        tmp = path.with_name(".summary.csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv_module.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(_text_cells(row) for row in _rows(outdir))
        os.replace(tmp, path)
        written.append(path)
    if xlsx:
        written.append(_write_xlsx(outdir, summary, provenance))
    return written


def _write_xlsx(outdir: Path, summary: BatchSummary, provenance: dict[str, Any]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("summary")
    if provenance.get("notice"):
        sheet.append([provenance["notice"]])
    pack = provenance["pack"]
    for label, value in (
            ("projects", summary.projects), ("screened", summary.screened),
            ("failed", summary.failed), ("findings", summary.findings),
            *((f"verdict: {v}", n) for v, n in summary.verdicts.items()),
            ("pack", f"{pack['id']} {pack['version']} ({pack.get('title', '')})"),
            ("rules", f"{provenance['rules']['id']} {provenance['rules']['version']}"),
            ("law in force on", provenance["rules"]["in_force_on"]),
            ("redline", provenance["tool"]["version"])):
        sheet.append([label, value])
    part, count = 1, 0
    sheet = book.create_sheet("projects")
    sheet.append(list(COLUMNS))
    for row in _rows(outdir):
        if count == _SHEET_ROWS:
            part, count = part + 1, 0
            sheet = book.create_sheet(f"projects {part}")
            sheet.append(list(COLUMNS))
        sheet.append(_xlsx_cells(sheet, row))
        count += 1
    path = outdir / "summary.xlsx"
    tmp = path.with_name(".summary.xlsx.tmp")
    book.save(tmp)
    os.replace(tmp, path)
    return path


def _xlsx_cells(sheet: Any, row: list[Any]) -> list[Any]:
    """Cells of a write-only sheet; formula-like text (a project named ``=…``) stays text."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if is_formula_like(value):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            cell.quotePrefix = True
            out.append(cell)
        else:
            out.append(value)
    return out
