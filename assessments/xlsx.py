"""Offline answering: an assessment as an XLSX workbook, and the filled-in workbook read back.

Plain data in, plain data out (DESIGN §3 "Offline answering"): the view fetches
the questions and answers, `build_workbook` turns them into bytes, and
`parse_workbook` turns an upload into answer changes and row errors without
touching the database. `safe_cell` and `write_cell` keep spreadsheet programs
from evaluating anything a person typed (DESIGN §7); the RFx exports use them too.

The spec is the framework as plain data:
    {"slug", "name", "version", "criteria": [{"code", "title", "questions": [
        {"code", "text", "guidance", "answer", "choices", "required", "conditional"}]}]}
Answers map a question code to {"status", "text", "number", "choices", "evidence_count"}.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.exceptions import ApplicationError

WORKBOOK_MAX_BYTES = 5 * 1024 * 1024
# A 5 MB zip can inflate a thousandfold; nothing we export comes near this.
WORKBOOK_MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
WORKBOOK_MAX_MEMBERS = 2000
EXPLANATION_MAX_CHARS = 20000
MAX_REPORTED_ERRORS = 200

FORMAT = "assessment-answers/1"
INSTRUCTIONS_SHEET = "Instructions"
# The metadata block: keys in column Y, values in column Z of the Instructions sheet (hidden).
META_KEY_COLUMN = 25
META_VALUE_COLUMN = 26

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

STATUS_LABELS = {"yes": "Yes", "partial": "Partially", "no": "No", "na": "Not applicable"}
STATUS_WORDS = {
    "yes": "yes",
    "partially": "partial",
    "partial": "partial",
    "no": "no",
    "n/a": "na",
    "na": "na",
    "not applicable": "na",
}
STATUS_LIST = ", ".join(STATUS_LABELS.values())

ANSWER_TYPE_LABELS = {
    "status": "Yes / Partially / No / Not applicable",
    "text": "Text",
    "number": "Number",
    "choice": "Choice",
}
# Which answer cells a question of each type takes; Explanation suits every type.
FIELDS_BY_TYPE = {
    "status": ("status", "text"),
    "text": ("text",),
    "number": ("number", "text"),
    "choice": ("choices", "text"),
}


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    answer_field: str | None = None


COLUMNS = (
    Column("Code", 9),
    Column("Question", 60),
    Column("Guidance", 50),
    Column("Answer type", 22),
    Column("Required", 12),
    Column("Status", 16, "status"),
    Column("Explanation", 60, "text"),
    Column("Number", 14, "number"),
    Column("Choices", 40, "choices"),
    Column("Evidence", 11),
)
COLUMN_INDEX = {column.header: index for index, column in enumerate(COLUMNS, start=1)}
ANSWER_COLUMNS = {column.answer_field: column.header for column in COLUMNS if column.answer_field}

HEADER_FILL = PatternFill("solid", start_color="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
ANSWER_FILL = PatternFill("solid", start_color="FFF8DC")
UNUSED_FILL = PatternFill("solid", start_color="EEEEEE")
WRAP = Alignment(wrap_text=True, vertical="top")


# --- neutralising cells -------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A value that no spreadsheet program will evaluate, for CSV and other plain-text exports.

    Text that starts with = + - @ (or a tab or carriage return, which some
    programs skip before looking) gets a leading apostrophe, as OWASP advises
    against formula injection; anything else comes back unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_cell(cell: Cell, value: Any) -> Cell:
    """Put a value into an XLSX cell so that it is never a formula, keeping the text exact.

    A string is always stored as a string (data type 's') with Excel's quote
    prefix, so the text reads back unchanged and stays text if someone edits
    the cell. Characters XML cannot hold are dropped.
    """
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def sheet_title(code: str, title: str, taken: set[str]) -> str:
    """A criterion's sheet name: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    name = re.sub(r"[\[\]:*?/\\]", " ", f"{code}. {title}" if code else title)
    name = re.sub(r"\s+", " ", name).strip().strip("'").strip() or "Criterion"
    if len(name) > 31:
        name = name[:30].rstrip() + "…"
    candidate, number = name, 2
    while candidate.lower() in taken or candidate.lower() == "history":
        suffix = f" ({number})"
        candidate = name[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def sheet_titles(spec: dict) -> list[str]:
    taken = {INSTRUCTIONS_SHEET.lower()}
    return [
        sheet_title(str(criterion["code"]), criterion["title"], taken)
        for criterion in spec["criteria"]
    ]


# --- export -------------------------------------------------------------------------------------


def build_workbook(
    spec: dict,
    answers: dict[str, dict],
    *,
    assessment_id: int,
    title: str,
    editable: bool = True,
    exported_at: datetime | None = None,
) -> bytes:
    """The workbook for one assessment, pre-filled with `answers`.

    With `editable` false (a reviewer's copy, or a submitted assessment) every
    cell stays locked and the instructions say the copy is for reading.
    """
    workbook = Workbook()
    cover = workbook.active
    cover.title = INSTRUCTIONS_SHEET
    names = sheet_titles(spec)
    _write_instructions(
        cover,
        spec,
        names,
        assessment_id=assessment_id,
        title=title,
        editable=editable,
        exported_at=exported_at,
    )
    for criterion, name in zip(spec["criteria"], names, strict=True):
        _write_criterion(workbook.create_sheet(name), criterion, answers, editable=editable)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instruction_lines(editable: bool) -> list[tuple[str, str]]:
    if not editable:
        return [
            ("heading", "About this copy"),
            (
                "text",
                "This copy is for reading only: every cell is locked and it cannot be uploaded "
                "to change the answers. The answers are those of the latest submitted version, "
                "or of the draft if you are its author.",
            ),
        ]
    return [
        ("heading", "How to fill it in"),
        (
            "text",
            "1. Each criterion has its own sheet, one question per row. Type your answers in the "
            "shaded cells only; the question, guidance and code cells are locked.",
        ),
        (
            "text",
            "2. Status questions: pick Yes, Partially, No or Not applicable from the list in the "
            "Status column, and say why in the Explanation column.",
        ),
        (
            "text",
            "3. Number questions: type a plain number (for example 12 or 0.75) in the Number "
            "column.",
        ),
        (
            "text",
            "4. Choice questions: type one or more of the choices listed in the Answer type "
            "column into the Choices column, separated by a semicolon, for example: Quarterly; "
            "Annually.",
        ),
        (
            "text",
            "5. Evidence cannot be attached here: add files and links on the web page. The "
            "Evidence column shows how many are attached already.",
        ),
        (
            "text",
            "6. Save the file as an Excel workbook (.xlsx) and upload it on the assessment's "
            "workbook page. Keep the sheet names, the Code column and this sheet as they are.",
        ),
        ("heading", "What an upload changes"),
        (
            "text",
            "The whole file is checked before anything is saved. If any row has a problem, "
            "nothing is saved and the page lists every problem with its sheet and row, so you "
            "can fix them and upload again.",
        ),
        (
            "text",
            "An empty cell changes nothing: an upload never clears an answer. To clear an "
            "answer, use the web page.",
        ),
        (
            "text",
            "Questions marked 'Yes, when it applies' are asked only after certain answers to "
            "other questions; the web page hides them when they do not apply.",
        ),
        (
            "text",
            "An upload only changes a draft. Once the assessment is submitted the workbook can "
            "no longer be uploaded; reopen the assessment to start a new draft first.",
        ),
    ]


def _write_instructions(
    sheet: Worksheet,
    spec: dict,
    names: list[str],
    *,
    assessment_id: int,
    title: str,
    editable: bool,
    exported_at: datetime | None,
) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    write_cell(sheet.cell(row=1, column=1), f"Offline answers: {title}").font = Font(
        bold=True, size=14
    )
    rows: list[tuple[str, str, str]] = [
        ("field", "Assessment", title),
        (
            "field",
            "Framework",
            f"{spec.get('name', spec['slug'])} ({spec['slug']}@{spec['version']})",
        ),
    ]
    if exported_at is not None:
        rows.append(("field", "Downloaded", exported_at.strftime("%d %B %Y, %H:%M %Z").strip()))
    rows.append(("blank", "", ""))
    rows += [(kind, text, "") for kind, text in _instruction_lines(editable)]
    rows += [
        ("blank", "", ""),
        ("heading", "Statuses", ""),
        ("field", "Yes", "You do this fully and routinely, and can show it."),
        ("field", "Partially", "You do some of it, or not everywhere or every time."),
        ("field", "No", "You do not do this."),
        (
            "field",
            "Not applicable",
            "The question does not apply to what you deliver; explain why.",
        ),
        ("field", "(empty)", "Leaves the current answer as it is."),
        ("blank", "", ""),
        ("heading", "Sheets", ""),
    ]
    for criterion, name in zip(spec["criteria"], names, strict=True):
        count = len(criterion["questions"])
        rows.append(("field", name, f"{count} question{'' if count == 1 else 's'}"))

    row_number = 3
    for kind, first, second in rows:
        if kind == "heading":
            write_cell(sheet.cell(row=row_number, column=1), first).font = Font(bold=True, size=12)
        elif kind == "text":
            sheet.merge_cells(
                start_row=row_number, start_column=1, end_row=row_number, end_column=2
            )
            write_cell(sheet.cell(row=row_number, column=1), first).alignment = WRAP
            sheet.row_dimensions[row_number].height = 15 * (1 + len(first) // 110)
        elif kind == "field":
            write_cell(sheet.cell(row=row_number, column=1), first).font = Font(bold=True)
            write_cell(sheet.cell(row=row_number, column=2), second).alignment = WRAP
        row_number += 1

    metadata = {
        "format": FORMAT,
        "framework_slug": spec["slug"],
        "framework_version": spec["version"],
        "assessment_id": str(assessment_id),
    }
    for offset, (key, value) in enumerate(metadata.items(), start=1):
        write_cell(sheet.cell(row=offset, column=META_KEY_COLUMN), key)
        write_cell(sheet.cell(row=offset, column=META_VALUE_COLUMN), value)
    for column in (META_KEY_COLUMN, META_VALUE_COLUMN):
        sheet.column_dimensions[get_column_letter(column)].hidden = True
    sheet.protection.sheet = True
    sheet.sheet_view.showGridLines = False


def _answer_type_label(question: dict) -> str:
    if question["answer"] == "choice":
        return "Choice, one or more of: " + "; ".join(question["choices"])
    return ANSWER_TYPE_LABELS.get(question["answer"], question["answer"])


def _required_label(question: dict) -> str:
    if not question.get("required", True):
        return "No"
    return "Yes, when it applies" if question.get("conditional") else "Yes"


def _format_number(number: float | None) -> float | int | None:
    if number is None:
        return None
    return int(number) if float(number).is_integer() and abs(number) < 1e15 else number


def _write_criterion(
    sheet: Worksheet, criterion: dict, answers: dict[str, dict], *, editable: bool
) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = write_cell(sheet.cell(row=1, column=index), column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"

    status_validation = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_LABELS.values()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a status",
        error=f"Choose {STATUS_LIST}, or leave it empty.",
        showInputMessage=True,
        promptTitle="Status",
        prompt=f"{STATUS_LIST}. Empty leaves the answer unchanged.",
    )
    number_validation = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+300",
        formula2="1E+300",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a number",
        error="Type a plain number, for example 12 or 0.75.",
    )
    text_validation = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(EXPLANATION_MAX_CHARS),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Too long",
        error=f"An explanation can be at most {EXPLANATION_MAX_CHARS:,} characters.",
    )
    validations = [status_validation, number_validation, text_validation]

    for row, question in enumerate(criterion["questions"], start=2):
        answer = answers.get(question["code"]) or {}
        applicable = FIELDS_BY_TYPE.get(question["answer"], ("text",))
        values = {
            "Code": str(question["code"]),
            "Question": question["text"],
            "Guidance": question.get("guidance", ""),
            "Answer type": _answer_type_label(question),
            "Required": _required_label(question),
            "Evidence": int(answer.get("evidence_count") or 0),
        }
        if "status" in applicable:
            values["Status"] = STATUS_LABELS.get(answer.get("status") or "")
        if "text" in applicable:
            values["Explanation"] = answer.get("text") or None
        if "number" in applicable:
            values["Number"] = _format_number(answer.get("number"))
        if "choices" in applicable:
            values["Choices"] = "; ".join(answer.get("choices") or []) or None
        for header, index in COLUMN_INDEX.items():
            cell = sheet.cell(row=row, column=index)
            if values.get(header) not in (None, ""):
                write_cell(cell, values[header])
            cell.alignment = WRAP
            answer_field = COLUMNS[index - 1].answer_field
            if answer_field is None:
                continue
            if answer_field not in applicable:
                cell.fill = UNUSED_FILL
                continue
            if editable:
                cell.protection = Protection(locked=False)
                cell.fill = ANSWER_FILL
            coordinate = cell.coordinate
            if answer_field == "status":
                status_validation.add(coordinate)
            elif answer_field == "number":
                number_validation.add(coordinate)
            elif answer_field == "text":
                text_validation.add(coordinate)
            elif answer_field == "choices":
                prompt = "; ".join(question["choices"])
                if len(prompt) > 200:
                    prompt = prompt[:199] + "…"
                choice_validation = DataValidation(
                    allow_blank=True,
                    showInputMessage=True,
                    promptTitle="Allowed choices",
                    prompt=prompt + ". Separate several with a semicolon.",
                )
                choice_validation.add(coordinate)
                validations.append(choice_validation)

    for validation in validations:
        if validation.sqref.ranges:
            sheet.add_data_validation(validation)
    sheet.protection.sheet = True
    # People may still resize rows and columns to read long guidance.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


# --- import -------------------------------------------------------------------------------------


@dataclass
class RowChange:
    """One question row of an uploaded workbook: the fields its non-blank answer cells give."""

    code: str
    sheet: str
    row: int
    fields: dict[str, Any] = field(default_factory=dict)


def parse_workbook(
    data: bytes, spec: dict, *, assessment_id: int
) -> tuple[list[RowChange], list[str]]:
    """Read an uploaded workbook against the framework spec.

    Returns the rows found (one per question, with the fields its non-blank
    cells give) and the row errors, each naming the sheet and row. Raises
    ApplicationError when the file as a whole is unusable: not an XLSX
    workbook, not one of ours, or for another assessment or framework version.
    """
    workbook = _open_workbook(data)
    try:
        _check_metadata(workbook, spec, assessment_id)
        names = sheet_titles(spec)
        missing = [name for name in names if name not in workbook.sheetnames]
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing[:5])
            raise ApplicationError(
                f"The workbook has no sheet named {listed}. Keep the sheet names as they were "
                "downloaded, or download a fresh workbook and copy your answers into it."
            )
        home_sheet = {
            str(question["code"]): name
            for criterion, name in zip(spec["criteria"], names, strict=True)
            for question in criterion["questions"]
        }
        changes: list[RowChange] = []
        errors: list[str] = []
        seen: dict[str, str] = {}
        for criterion, name in zip(spec["criteria"], names, strict=True):
            questions = {str(question["code"]): question for question in criterion["questions"]}
            _parse_sheet(workbook[name], name, questions, home_sheet, seen, changes, errors)
        return changes, errors
    finally:
        workbook.close()


def _open_workbook(data: bytes) -> Workbook:
    not_xlsx = ApplicationError(
        "This file is not an Excel workbook (.xlsx), or it is protected with a password. Save it "
        "in Excel as 'Excel Workbook (.xlsx)' without a password and upload it again."
    )
    if len(data) > WORKBOOK_MAX_BYTES:
        raise ApplicationError(f"The file is larger than {WORKBOOK_MAX_BYTES // (1024 * 1024)} MB.")
    if not data.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise not_xlsx
            if len(members) > WORKBOOK_MAX_MEMBERS or (
                sum(member.file_size for member in members) > WORKBOOK_MAX_UNCOMPRESSED_BYTES
            ):
                raise ApplicationError(
                    "This workbook is far larger inside than a filled-in questionnaire can be. "
                    "Download a fresh workbook and copy your answers into it."
                )
    except zipfile.BadZipFile:
        raise not_xlsx from None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it does not read (extensions, styles): harmless here.
            warnings.simplefilter("ignore")
            return load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
    except Exception:  # any failure to read an untrusted file means the same thing to the person
        raise not_xlsx from None


def _check_metadata(workbook: Workbook, spec: dict, assessment_id: int) -> None:
    not_ours = ApplicationError(
        "This workbook was not downloaded from this site, or its Instructions sheet has been "
        "changed. Download the workbook from this page, fill that in and upload it."
    )
    if INSTRUCTIONS_SHEET not in workbook.sheetnames:
        raise not_ours
    sheet = workbook[INSTRUCTIONS_SHEET]
    sheet.reset_dimensions()
    metadata: dict[str, str] = {}
    for row in sheet.iter_rows(
        min_row=1, max_row=20, min_col=META_KEY_COLUMN, max_col=META_VALUE_COLUMN, values_only=True
    ):
        if len(row) >= 2 and isinstance(row[0], str) and row[1] is not None:
            metadata[row[0]] = str(row[1])
    if metadata.get("format") != FORMAT:
        raise not_ours
    label = f"{metadata.get('framework_slug')}@{metadata.get('framework_version')}"
    expected = f"{spec['slug']}@{spec['version']}"
    if label != expected:
        raise ApplicationError(
            f"This workbook is for the framework {label}, but this assessment uses {expected}. "
            "Download this assessment's workbook and copy your answers into it."
        )
    if metadata.get("assessment_id") != str(assessment_id):
        raise ApplicationError(
            "This workbook was downloaded from another assessment. To avoid mixing up answers, "
            "download this assessment's workbook and copy your answers into it."
        )


def _header_positions(header_row: tuple) -> dict[str, int]:
    """Column header → index in the row, matched ignoring case and spaces around it."""
    known = {column.header.lower(): column.header for column in COLUMNS}
    positions: dict[str, int] = {}
    for index, value in enumerate(header_row):
        if isinstance(value, str) and value.strip().lower() in known:
            positions.setdefault(known[value.strip().lower()], index)
    return positions


def _parse_sheet(
    sheet,
    name: str,
    questions: dict[str, dict],
    home_sheet: dict[str, str],
    seen: dict[str, str],
    changes: list[RowChange],
    errors: list[str],
) -> None:
    sheet.reset_dimensions()
    rows = sheet.iter_rows()
    header_cells = next(rows, ())
    positions = _header_positions(tuple(cell.value for cell in header_cells))
    missing = [header for header in ("Code", *ANSWER_COLUMNS.values()) if header not in positions]
    if missing:
        raise ApplicationError(
            f"Sheet '{name}' has no {', '.join(missing)} column in its first row. Keep the columns "
            "as they were downloaded, or download a fresh workbook."
        )
    for row_number, cells in enumerate(rows, start=2):
        cells_by_header = {
            header: cells[index] if index < len(cells) else None
            for header, index in positions.items()
        }
        code_cell = cells_by_header["Code"]
        code = _plain(code_cell.value) if code_cell is not None else ""
        filled = {
            answer_field: cells_by_header[header]
            for answer_field, header in ANSWER_COLUMNS.items()
            if cells_by_header[header] is not None and not _blank(cells_by_header[header].value)
        }
        where = f"Sheet '{name}', row {row_number}"
        if not code:
            if filled:
                errors.append(
                    f"{where}: answers are given but the Code cell is empty, so the question is "
                    "unknown"
                )
            continue
        if code not in questions:
            if code in home_sheet:
                errors.append(
                    f"{where} (question {code}): this question belongs on sheet "
                    f"'{home_sheet[code]}'"
                )
            else:
                errors.append(f"{where}: question code '{code}' is not in this framework")
            continue
        where = f"{where} (question {code})"
        if code in seen:
            errors.append(f"{where}: the question appears twice (first at {seen[code]})")
            continue
        seen[code] = f"row {row_number}"
        question = questions[code]
        change = RowChange(code=code, sheet=name, row=row_number)
        for answer_field, cell in filled.items():
            problem, value = _read_field(question, answer_field, cell)
            if problem:
                errors.append(f"{where}: {problem}")
            else:
                change.fields[answer_field] = value
        changes.append(change)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _display(value: Any, limit: int = 60) -> str:
    text = _plain(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _read_field(question: dict, answer_field: str, cell) -> tuple[str, Any]:
    """(problem, value): the cleaned value of one filled-in answer cell, or what is wrong."""
    header = ANSWER_COLUMNS[answer_field]
    value = cell.value
    if cell.data_type == "f":
        return (
            f"the {header} cell holds a formula; type the answer as plain text (start it with an "
            "apostrophe if it must begin with =, +, - or @)"
        ), None
    if cell.data_type == "e":
        return f"the {header} cell shows the error {value}; type the answer instead", None
    if answer_field not in FIELDS_BY_TYPE.get(question["answer"], ("text",)):
        return (
            f"a {question['answer']} question takes no {header.lower()}; leave the {header} cell "
            "empty",
            None,
        )

    if answer_field == "status":
        word = _plain(value).lower()
        if word not in STATUS_WORDS:
            return f"status '{_display(value)}' is not one of {STATUS_LIST}", None
        return "", STATUS_WORDS[word]

    if answer_field == "text":
        if isinstance(value, datetime | date | time):
            text = value.isoformat()
        else:
            text = _plain(value) if isinstance(value, int | float) else str(value)
        if len(text) > EXPLANATION_MAX_CHARS:
            return (
                f"the explanation has {len(text):,} characters; the limit is "
                f"{EXPLANATION_MAX_CHARS:,}"
            ), None
        return "", text

    if answer_field == "number":
        if isinstance(value, bool | datetime | date | time):
            return f"number '{_display(value)}' is not a number", None
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = str(value).strip().replace("\u00a0", "").replace(" ", "")
            if _GROUPED_RE.match(text):
                text = text.replace(",", "")
            if not _NUMBER_RE.match(text):
                return f"number '{_display(value)}' is not a number", None
            number = float(text)
        if number != number or abs(number) == float("inf"):
            return f"number '{_display(value)}' is not a number", None
        return "", number

    # choices
    chosen, unknown = split_choices(_plain(value), question["choices"])
    if unknown:
        listed = ", ".join(f"'{choice}'" for choice in question["choices"])
        if len(listed) > 300:
            listed = listed[:299] + "…"
        names = ", ".join(f"'{_display(part)}'" for part in unknown)
        verb = "is" if len(unknown) == 1 else "are"
        return f"choice {names} {verb} not one of {listed}", None
    return "", chosen


def _choice_key(text: str) -> str:
    return re.sub(r"\s*;\s*", ";", re.sub(r"\s+", " ", text.strip().lower()))


def split_choices(text: str, choices: list[str]) -> tuple[list[str], list[str]]:
    """The known choices in a '; '-separated cell (ignoring case), and the parts that are not.

    A choice may itself contain a semicolon, so the longest run of parts that
    names a choice wins.
    """
    allowed = {_choice_key(str(choice)): str(choice) for choice in choices}
    parts = [part.strip() for part in text.split(";")]
    chosen: list[str] = []
    unknown: list[str] = []
    start = 0
    while start < len(parts):
        if not parts[start]:
            start += 1
            continue
        for end in range(len(parts), start, -1):
            key = _choice_key(";".join(parts[start:end]))
            if key in allowed:
                chosen.append(allowed[key])
                start = end
                break
        else:
            unknown.append(parts[start])
            start += 1
    return list(dict.fromkeys(chosen)), unknown


def summarise_errors(errors: list[str], limit: int = MAX_REPORTED_ERRORS) -> tuple[list[str], int]:
    """The errors to show and how many more there are."""
    return errors[:limit], max(0, len(errors) - limit)
