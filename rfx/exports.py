"""XLSX and CSV exports of the RFx evaluation matrix (DESIGN §7).

One row per submitted proposal, ranked ones first, from `rfx.reports.comparison_data`
(so the figures are the ranking's own). Every text cell that a spreadsheet could read
as a formula (starting with = + - @) is neutralised: `safe_cell` for CSV, `write_cell`
for XLSX, both from the assessments exports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assessments.xlsx import safe_cell, write_cell


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def matrix_table(data: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows; scores in [0, 1] to 4 decimals, the total out of 100."""
    with_prices = data["with_prices"]
    header = ["Supplier", "Rank", "Total (of 100)", "Maturity (M)", "Extra questionnaire (E)"]
    header += ["Licence and terms (L)"]
    if with_prices:
        header += ["Cost (K)", "Price", "Currency"]
    header += ["Not ranked because"]
    header += [f"{criterion['code']}. {criterion['title']}" for criterion in data["criteria"]]
    rows = []
    for row in data["rows"]:
        line: list[Any] = [
            row["supplier"],
            row["rank"],
            None if row["total"] is None else round(row["total"], 2),
            _score(row["maturity"]),
            _score(row["extra"]),
            _score(row["terms"]),
        ]
        if with_prices:
            line += [_score(row["cost"]), row["price"], row["currency"]]
        line.append(row["excluded_reason"])
        line += [_score(score) for score in row["criteria"]]
        rows.append(line)
    return header, rows


def matrix_csv(data: Mapping[str, Any]) -> str:
    header, rows = matrix_table(data)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in [header, *rows]:
        writer.writerow(["" if value is None else safe_cell(value) for value in line])
    return buffer.getvalue()


def matrix_xlsx(data: Mapping[str, Any], *, title: str = "") -> bytes:
    header, rows = matrix_table(data)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Evaluation matrix"
    for column, value in enumerate(header, start=1):
        cell = write_cell(sheet.cell(row=1, column=column), value)
        cell.font = Font(bold=True)
    for row_number, line in enumerate(rows, start=2):
        for column, value in enumerate(line, start=1):
            if value is not None:
                write_cell(sheet.cell(row=row_number, column=column), value)
    sheet.freeze_panes = "B2"
    for column in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 30 if column == 1 else 16
    if title:
        workbook.properties.title = safe_cell(title)[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
