"""Offline answering with an XLSX workbook: export, import, neutralised cells, who may do what."""

from __future__ import annotations

import html
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from assessments import services
from assessments.models import Answer, Assessment
from assessments.xlsx import (
    COLUMN_INDEX,
    INSTRUCTIONS_SHEET,
    WORKBOOK_MAX_BYTES,
    build_workbook,
    parse_workbook,
    safe_cell,
    sheet_title,
    split_choices,
    write_cell,
)
from core.exceptions import ApplicationError
from tests.assessments.conftest import answer_everything

# --- helpers ------------------------------------------------------------------------------------

SPEC = {
    "slug": "tiny",
    "name": "Tiny questionnaire",
    "version": "2.0",
    "criteria": [
        {
            "code": "A",
            "title": "Formulas: [everywhere]? *yes*/no\\maybe and a very long title",
            "questions": [
                {
                    "code": "A1",
                    "text": "=SUM(1)",
                    "guidance": "+1",
                    "answer": "status",
                    "choices": [],
                    "required": True,
                },
                {
                    "code": "A2",
                    "text": "How many?",
                    "guidance": "",
                    "answer": "number",
                    "choices": [],
                    "required": False,
                },
                {
                    "code": "A3",
                    "text": "Which?",
                    "guidance": "",
                    "answer": "choice",
                    "choices": ["Red; or orange", "Blue", "Green"],
                    "required": True,
                    "conditional": True,
                },
                {
                    "code": "A4",
                    "text": "Describe.",
                    "guidance": "",
                    "answer": "text",
                    "choices": [],
                    "required": True,
                },
            ],
        },
        {
            "code": "B",
            "title": "Second",
            "questions": [
                {
                    "code": "B1",
                    "text": "@x",
                    "guidance": "-1",
                    "answer": "status",
                    "choices": [],
                    "required": True,
                },
            ],
        },
    ],
}
SHEET_A = sheet_title("A", SPEC["criteria"][0]["title"], {INSTRUCTIONS_SHEET.lower()})


def workbook_of(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def find_row(workbook: Workbook, code: str) -> tuple[str, int]:
    for sheet in workbook.worksheets[1:]:
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row=row, column=COLUMN_INDEX["Code"]).value == code:
                return sheet.title, row
    raise KeyError(code)


def set_answer(workbook: Workbook, code: str, **cells) -> None:
    """Type into a question's row: set_answer(wb, "1.1", Status="Yes", Explanation="…")."""
    title, row = find_row(workbook, code)
    for header, value in cells.items():
        workbook[title].cell(row=row, column=COLUMN_INDEX[header]).value = value


def cell(workbook: Workbook, code: str, header: str):
    title, row = find_row(workbook, code)
    return workbook[title].cell(row=row, column=COLUMN_INDEX[header])


def page_url(assessment) -> str:
    return reverse("assessment-workbook", args=[assessment.pk])


def download_url(assessment) -> str:
    return reverse("assessment-workbook-download", args=[assessment.pk])


def download(client, assessment) -> bytes:
    response = client.get(download_url(assessment))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return b"".join(response.streaming_content) if response.streaming else response.content


def upload(client, assessment, data: bytes, name: str = "answers.xlsx"):
    return client.post(page_url(assessment), {"workbook": SimpleUploadedFile(name, data)})


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def answer_of(assessment, code: str) -> Answer | None:
    return Answer.objects.filter(assessment=assessment, question__code=code).first()


# --- neutralising cells -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=SUM(1)", "+1", "-1", "@x", "\t=1", "\r=1"])
def test_safe_cell_puts_an_apostrophe_before_text_a_spreadsheet_would_evaluate(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Plain text", "1 = 1", "", None, 12, -3.5, "'quoted"])
def test_safe_cell_leaves_everything_else_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", ["=SUM(1)", "+1", "-1", "@x"])
def test_write_cell_stores_formula_like_text_as_text_with_a_quote_prefix(value):
    workbook = Workbook()
    written = write_cell(workbook.active.cell(row=1, column=1), value)
    assert (written.value, written.data_type, written.quotePrefix) == (value, "s", True)
    read_back = workbook_of(to_bytes(workbook)).active["A1"]
    assert (read_back.value, read_back.data_type) == (value, "s")


def test_write_cell_drops_characters_a_workbook_cannot_hold():
    workbook = Workbook()
    assert write_cell(workbook.active["A1"], "line\x0b two\x00").value == "line two"


def test_exported_cells_that_look_like_formulas_come_back_as_text_never_formulas():
    answers = {
        "A1": {"status": "yes", "text": "-1 is what we measure"},
        "A4": {"text": "@x"},
        "B1": {"status": "no", "text": "+1"},
    }
    data = build_workbook(
        SPEC, answers, assessment_id=1, title='=HYPERLINK("http://evil.test","Click")'
    )
    workbook = workbook_of(data)
    checks = [
        (cell(workbook, "A1", "Question"), "=SUM(1)"),
        (cell(workbook, "A1", "Guidance"), "+1"),
        (cell(workbook, "A1", "Explanation"), "-1 is what we measure"),
        (cell(workbook, "A4", "Explanation"), "@x"),
        (cell(workbook, "B1", "Question"), "@x"),
        (cell(workbook, "B1", "Guidance"), "-1"),
        (cell(workbook, "B1", "Explanation"), "+1"),
        (workbook[INSTRUCTIONS_SHEET]["B3"], '=HYPERLINK("http://evil.test","Click")'),
    ]
    for written, value in checks:
        assert (written.value, written.data_type) == (value, "s"), written.coordinate
    # And no sheet of the file holds a single formula element.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        assert not any(
            b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets
        )
    rows, errors = parse_workbook(data, SPEC, assessment_id=1)
    assert errors == []
    assert {row.code: row.fields.get("text") for row in rows}["A1"] == "-1 is what we measure"


# --- the shape of the workbook ------------------------------------------------------------------


def test_sheet_names_are_short_unique_and_free_of_forbidden_characters():
    taken = {INSTRUCTIONS_SHEET.lower()}
    names = [
        sheet_title("1", "Practical benchmarks", taken),
        sheet_title("2", "Explainability by justification", taken),
        sheet_title("3", "What? [draft]: a/b\\c *", taken),
        sheet_title("4", "A" * 40, taken),
        sheet_title("4", "A" * 40, taken),
        sheet_title("", "Instructions", taken),
    ]
    assert names[0] == "1. Practical benchmarks"
    assert names[1] == "2. Explainability by justifica…"
    assert names[2] == "3. What draft a b c"
    assert names[3] != names[4]
    assert names[5] != "Instructions"
    for name in names:
        assert 0 < len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
    assert len({name.lower() for name in names}) == len(names)


def test_the_workbook_has_instructions_then_one_sheet_per_criterion_with_the_columns():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    assert workbook.sheetnames == [INSTRUCTIONS_SHEET, SHEET_A, "B. Second"]
    sheet = workbook[SHEET_A]
    headers = [sheet.cell(row=1, column=index).value for index in range(1, 11)]
    assert headers == [
        "Code",
        "Question",
        "Guidance",
        "Answer type",
        "Required",
        "Status",
        "Explanation",
        "Number",
        "Choices",
        "Evidence",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 50
    assert cell(workbook, "A1", "Question").alignment.wrap_text
    assert (
        cell(workbook, "A3", "Answer type").value
        == "Choice, one or more of: Red; or orange; Blue; Green"
    )
    assert cell(workbook, "A3", "Required").value == "Yes, when it applies"
    assert cell(workbook, "A2", "Required").value == "No"


def test_question_cells_are_locked_and_answer_cells_unlocked_under_sheet_protection():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet, sheet.title
    for header in ("Code", "Question", "Guidance", "Answer type", "Required", "Evidence"):
        assert cell(workbook, "A1", header).protection.locked, header
    assert not cell(workbook, "A1", "Status").protection.locked
    assert not cell(workbook, "A1", "Explanation").protection.locked
    assert not cell(workbook, "A2", "Number").protection.locked
    assert not cell(workbook, "A3", "Choices").protection.locked
    # A cell the question does not use stays locked: a status question takes no number.
    assert cell(workbook, "A1", "Number").protection.locked
    assert cell(workbook, "A4", "Status").protection.locked


def test_a_read_only_copy_locks_every_answer_cell_too():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours", editable=False))
    assert cell(workbook, "A1", "Status").protection.locked
    assert cell(workbook, "A1", "Explanation").protection.locked
    assert "for reading only" in " ".join(
        str(value)
        for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True)
        for value in row
        if value
    )


def validations_of(sheet) -> list:
    return list(sheet.data_validations.dataValidation)


def covering(sheet, coordinate: str) -> list:
    return [validation for validation in validations_of(sheet) if coordinate in validation.sqref]


def test_status_cells_have_a_list_validation_of_the_four_statuses_allowing_blank():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    coordinate = cell(workbook, "A1", "Status").coordinate
    (validation,) = covering(workbook[SHEET_A], coordinate)
    assert validation.type == "list"
    assert validation.formula1 == '"Yes,Partially,No,Not applicable"'
    assert validation.allow_blank and validation.showErrorMessage
    assert covering(workbook["B. Second"], cell(workbook, "B1", "Status").coordinate)


def test_number_cells_have_a_decimal_validation_and_choice_cells_list_the_choices():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    (number,) = covering(workbook[SHEET_A], cell(workbook, "A2", "Number").coordinate)
    assert number.type == "decimal"
    (choice,) = covering(workbook[SHEET_A], cell(workbook, "A3", "Choices").coordinate)
    assert choice.showInputMessage
    assert "Red; or orange; Blue; Green" in choice.prompt
    assert len(choice.prompt) <= 255
    (explanation,) = covering(workbook[SHEET_A], cell(workbook, "A1", "Explanation").coordinate)
    assert (explanation.type, explanation.formula1) == ("textLength", "20000")


def test_the_metadata_block_names_the_framework_version_and_assessment_and_is_hidden():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=42, title="Ours"))
    sheet = workbook[INSTRUCTIONS_SHEET]
    block = {
        sheet.cell(row=row, column=25).value: sheet.cell(row=row, column=26).value
        for row in range(1, 5)
    }
    assert block == {
        "format": "assessment-answers/1",
        "framework_slug": "tiny",
        "framework_version": "2.0",
        "assessment_id": "42",
    }
    assert sheet.column_dimensions["Y"].hidden and sheet.column_dimensions["Z"].hidden
    assert sheet.protection.sheet
    visible = " ".join(
        str(v) for row in sheet.iter_rows(max_col=2, values_only=True) for v in row if v
    )
    assert "tiny@2.0" in visible
    assert "An empty cell changes nothing" in visible
    assert "Not applicable" in visible


def test_the_workbook_is_pre_filled_with_the_answers():
    answers = {
        "A1": {"status": "partial", "text": "Some", "evidence_count": 3},
        "A2": {"number": 12.0},
        "A3": {"choices": ["Red; or orange", "Green"]},
        "A4": {"text": "All of it"},
    }
    workbook = workbook_of(build_workbook(SPEC, answers, assessment_id=1, title="Ours"))
    assert cell(workbook, "A1", "Status").value == "Partially"
    assert cell(workbook, "A1", "Explanation").value == "Some"
    assert cell(workbook, "A1", "Evidence").value == 3
    assert cell(workbook, "A2", "Number").value == 12
    assert cell(workbook, "A3", "Choices").value == "Red; or orange; Green"
    assert cell(workbook, "A4", "Explanation").value == "All of it"


# --- reading a workbook back (pure) -------------------------------------------------------------


def parsed(workbook: Workbook) -> tuple[dict, list[str]]:
    rows, errors = parse_workbook(to_bytes(workbook), SPEC, assessment_id=1)
    return {row.code: row.fields for row in rows}, errors


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("yes", "yes"),
        ("Yes", "yes"),
        (" YES ", "yes"),
        ("partially", "partial"),
        ("partial", "partial"),
        ("Partially", "partial"),
        ("no", "no"),
        ("NO", "no"),
        ("n/a", "na"),
        ("N/A", "na"),
        ("na", "na"),
        ("Not applicable", "na"),
        ("not APPLICABLE", "na"),
    ],
)
def test_status_words_are_accepted_in_any_case(typed, status):
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    set_answer(workbook, "A1", Status=typed)
    fields, errors = parsed(workbook)
    assert errors == []
    assert fields["A1"] == {"status": status}


def test_numbers_may_use_thousand_separators_but_not_decimal_commas():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    set_answer(workbook, "A2", Number="12,500.5")
    assert parsed(workbook) == (
        {"A1": {}, "A2": {"number": 12500.5}, "A3": {}, "A4": {}, "B1": {}},
        [],
    )
    set_answer(workbook, "A2", Number="1,5")
    fields, errors = parsed(workbook)
    assert errors == [f"Sheet '{SHEET_A}', row 3 (question A2): number '1,5' is not a number"]


def test_choices_are_split_on_semicolons_even_when_a_choice_holds_one():
    choices = ["Red; or orange", "Blue", "Green"]
    assert split_choices("red; or orange; GREEN", choices) == (["Red; or orange", "Green"], [])
    assert split_choices("Blue;Blue; ", choices) == (["Blue"], [])
    assert split_choices("Blue; Purple", choices) == (["Blue"], ["Purple"])


def test_a_formula_typed_into_an_answer_cell_is_refused_not_evaluated():
    workbook = workbook_of(build_workbook(SPEC, {}, assessment_id=1, title="Ours"))
    set_answer(workbook, "A2", Number="=6*7")
    assert cell(workbook, "A2", "Number").data_type == "f"
    fields, errors = parsed(workbook)
    assert errors == [
        f"Sheet '{SHEET_A}', row 3 (question A2): the Number cell holds a formula; type the answer "
        "as plain text (start it with an apostrophe if it must begin with =, +, - or @)"
    ]


def test_a_workbook_that_is_not_ours_is_refused():
    workbook = Workbook()
    workbook.active.title = INSTRUCTIONS_SHEET
    with pytest.raises(ApplicationError, match="not downloaded from this site"):
        parse_workbook(to_bytes(workbook), SPEC, assessment_id=1)


# --- the pages: round trip ----------------------------------------------------------------------


def typed_answer(question) -> dict:
    """What a supplier types into the workbook for each kind of question."""
    if question.answer_type == "status":
        return {"Status": "Partially", "Explanation": f"Offline answer to {question.code}."}
    if question.answer_type == "number":
        return {"Number": 42, "Explanation": "Counted last quarter."}
    if question.answer_type == "choice":
        return {"Choices": "; ".join(question.choices[:2])}
    return {"Explanation": f"Offline text for {question.code}."}


def test_a_supplier_downloads_fills_in_and_uploads_the_workbook(
    client, assessment, supplier_a, framework
):
    first = framework.questions.get(code="1.1")
    services.answer_save(
        assessment=assessment,
        question=first,
        user=supplier_a,
        status="yes",
        text="Already answered on the web.",
    )
    services.evidence_add(
        assessment=assessment, question=first, user=supplier_a, url="https://example.test/a"
    )
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    assert cell(workbook, "1.1", "Status").value == "Yes"
    assert cell(workbook, "1.1", "Explanation").value == "Already answered on the web."
    assert cell(workbook, "1.1", "Evidence").value == 1

    questions = list(framework.questions.exclude(code="1.1"))
    for question in questions:
        set_answer(workbook, question.code, **typed_answer(question))
    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 302
    assert response["Location"] == page_url(assessment)
    page = client.get(response["Location"])
    assert f"Workbook uploaded: {len(questions)} answers updated, 1 unchanged." in text_of(page)
    for question in questions:
        answer = answer_of(assessment, question.code)
        assert answer is not None, question.code
        assert answer.updated_by == supplier_a
        if question.answer_type == "status":
            assert (answer.status, answer.text) == (
                "partial",
                f"Offline answer to {question.code}.",
            )
        elif question.answer_type == "number":
            assert (answer.number, answer.text) == (42.0, "Counted last quarter.")
        elif question.answer_type == "choice":
            assert answer.choices == question.choices[:2]
        else:
            assert answer.text == f"Offline text for {question.code}."
    kept = answer_of(assessment, "1.1")
    assert (kept.status, kept.text) == ("yes", "Already answered on the web.")
    assert kept.history.count() == 1


def test_uploading_the_workbook_unchanged_updates_nothing(
    client, assessment, supplier_a, framework
):
    answer_everything(assessment, supplier_a)
    client.force_login(supplier_a)
    data = download(client, assessment)
    history = {answer.pk: answer.history.count() for answer in assessment.answers.all()}

    response = upload(client, assessment, data)

    assert response.status_code == 302
    count = framework.questions.count()
    assert f"Workbook uploaded: 0 answers updated, {count} unchanged." in text_of(
        client.get(page_url(assessment))
    )
    assert {answer.pk: answer.history.count() for answer in assessment.answers.all()} == history


def test_a_blank_cell_clears_nothing(client, assessment, supplier_a, framework):
    for code, fields in {
        "1.1": {"status": "no", "text": "Not yet."},
        "1.3": {"number": 7},
        "1.6": {"choices": ["Quarterly"]},
    }.items():
        services.answer_save(
            assessment=assessment,
            question=framework.questions.get(code=code),
            user=supplier_a,
            **fields,
        )
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    set_answer(workbook, "1.1", Status=None, Explanation="   ")
    set_answer(workbook, "1.3", Number=None)
    set_answer(workbook, "1.6", Choices="")

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 302
    assert "0 answers updated" in text_of(client.get(page_url(assessment)))
    assert (answer_of(assessment, "1.1").status, answer_of(assessment, "1.1").text) == (
        "no",
        "Not yet.",
    )
    assert answer_of(assessment, "1.3").number == 7
    assert answer_of(assessment, "1.6").choices == ["Quarterly"]


# --- the pages: refusals ------------------------------------------------------------------------


def test_every_bad_row_is_named_with_sheet_and_row_and_nothing_is_merged(
    client, assessment, supplier_a
):
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    sheet_1, row_11 = find_row(workbook, "1.1")
    _, row_12 = find_row(workbook, "1.2")
    _, row_13 = find_row(workbook, "1.3")
    _, row_16 = find_row(workbook, "1.6")
    sheet_2, row_23 = find_row(workbook, "2.3")
    set_answer(workbook, "1.1", Status="Maybe")
    set_answer(workbook, "1.2", Status="Yes", Explanation="x" * 20001)
    set_answer(workbook, "1.3", Number="twelve", Status="Yes")
    set_answer(workbook, "1.6", Choices="Weekly; Quarterly")
    set_answer(workbook, "2.3", Status="Yes", Explanation="=1+1")
    set_answer(
        workbook, "1.4", Status="Yes", Explanation="A good answer that must not be saved alone."
    )
    extra = workbook[sheet_1].max_row + 1
    for offset, (code, status) in enumerate(
        [("9.9", "Yes"), ("2.1", "No"), ("1.1", "Yes"), (None, "Yes")]
    ):
        workbook[sheet_1].cell(row=extra + offset, column=COLUMN_INDEX["Code"]).value = code
        workbook[sheet_1].cell(row=extra + offset, column=COLUMN_INDEX["Status"]).value = status

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    page = text_of(response)
    expected = [
        f"Sheet '{sheet_1}', row {row_11} (question 1.1): status 'Maybe' is not one of Yes, "
        "Partially, No, Not applicable",
        f"Sheet '{sheet_1}', row {row_12} (question 1.2): the explanation has 20,001 characters; "
        "the limit is 20,000",
        f"Sheet '{sheet_1}', row {row_13} (question 1.3): number 'twelve' is not a number",
        f"Sheet '{sheet_1}', row {row_13} (question 1.3): a number question takes no status; "
        "leave the Status cell empty",
        f"Sheet '{sheet_1}', row {row_16} (question 1.6): choice 'Weekly' is not one of",
        f"Sheet '{sheet_1}', row {extra}: question code '9.9' is not in this framework",
        f"Sheet '{sheet_1}', row {extra + 1} (question 2.1): this question belongs on sheet "
        f"'{sheet_2}'",
        f"Sheet '{sheet_1}', row {extra + 2} (question 1.1): the question appears twice (first at "
        f"row {row_11})",
        f"Sheet '{sheet_1}', row {extra + 3}: answers are given but the Code cell is empty",
        f"Sheet '{sheet_2}', row {row_23} (question 2.3): the Explanation cell holds a formula",
    ]
    for message in expected:
        assert message in page, message
    assert "Nothing was saved: 10 row problems to fix" in page
    assert 'type="file"' in page  # the form is there to upload again
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_long_list_of_errors_shows_the_first_200_then_how_many_more(
    client, assessment, supplier_a
):
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    sheet = workbook.worksheets[1]
    start = sheet.max_row + 1
    for row in range(start, start + 230):
        sheet.cell(row=row, column=COLUMN_INDEX["Code"]).value = f"X{row}"

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    page = text_of(response)
    assert "Nothing was saved: 230 row problems to fix" in page
    assert page.count("is not in this framework") == 200
    assert "and 30 more" in page
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_workbook_for_another_framework_version_is_refused(client, assessment, supplier_a):
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    set_answer(workbook, "1.1", Status="Yes")
    instructions = workbook[INSTRUCTIONS_SHEET]
    assert instructions["Y3"].value == "framework_version"
    instructions["Z3"] = "0.9"

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    assert (
        "This workbook is for the framework ml-maturity-model@0.9, but this assessment uses "
        "ml-maturity-model@1.0."
    ) in text_of(response)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_workbook_of_another_framework_is_refused(
    client, assessment, supplier_a, supplier_a_org, vendor_framework
):
    other = services.assessment_create(
        framework=vendor_framework, organisation=supplier_a_org, user=supplier_a
    )
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, other))
    set_answer(workbook, "S1", Status="Yes")

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    assert "is for the framework vendor-security-questionnaire@1.0" in text_of(response)
    assert not Answer.objects.filter(assessment__in=[assessment, other]).exists()


def test_a_workbook_of_another_assessment_is_refused(
    client, assessment, framework, supplier_a, supplier_a_org
):
    other = services.assessment_create(
        framework=framework,
        organisation=supplier_a_org,
        user=supplier_a,
        title="Last year's answers",
    )
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, other))
    set_answer(workbook, "1.1", Status="Yes")

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    assert "This workbook was downloaded from another assessment" in text_of(response)
    assert not Answer.objects.filter(assessment__in=[assessment, other]).exists()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("answers.xlsx", b"Code,Status\n1.1,Yes\n"),
        ("answers.pdf", b"%PDF-1.7\n"),
        (
            "answers.xlsx",
            zip_of({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"}),
        ),
        (
            "answers.xlsx",
            zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml at all"}),
        ),
        ("answers.xlsx", b"PK\x03\x04 truncated"),
    ],
    ids=["csv", "pdf", "docx-like zip", "broken xlsx", "truncated zip"],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(
    client, assessment, supplier_a, name, content
):
    client.force_login(supplier_a)

    response = upload(client, assessment, content, name=name)

    assert response.status_code == 400
    assert "This file is not an Excel workbook (.xlsx)" in text_of(response)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_workbook_with_a_missing_sheet_is_refused(client, assessment, supplier_a):
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, assessment))
    set_answer(workbook, "1.1", Status="Yes")
    del workbook["8. Security risk processes"]

    response = upload(client, assessment, to_bytes(workbook))

    assert response.status_code == 400
    assert "The workbook has no sheet named '8. Security risk processes'" in text_of(response)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_file_over_5_mb_is_refused_before_it_is_read(client, assessment, supplier_a):
    client.force_login(supplier_a)
    data = b"PK\x03\x04" + b"0" * WORKBOOK_MAX_BYTES

    response = upload(client, assessment, data)

    assert response.status_code == 400
    assert "This file is 5.0 MB; the limit is 5 MB." in text_of(response)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_submitted_assessment_is_never_changed_by_an_upload(
    client, submitted_assessment, supplier_a
):
    client.force_login(supplier_a)
    workbook = workbook_of(download(client, submitted_assessment))
    set_answer(workbook, "1.1", Status="No", Explanation="Changed after submission.")
    before = {
        answer.pk: (answer.status, answer.text) for answer in submitted_assessment.answers.all()
    }
    snapshot = submitted_assessment.versions.get().answers

    response = upload(client, submitted_assessment, to_bytes(workbook))

    assert response.status_code == 400
    assert (
        "This assessment has been submitted and is read-only, so nothing was changed."
        in text_of(response)
    )
    assert {
        answer.pk: (answer.status, answer.text) for answer in submitted_assessment.answers.all()
    } == before
    submitted_assessment.refresh_from_db()
    assert submitted_assessment.status == Assessment.Status.SUBMITTED
    assert submitted_assessment.versions.get().answers == snapshot


def test_the_import_service_refuses_a_submitted_assessment(submitted_assessment, supplier_a):
    with pytest.raises(ApplicationError, match="submitted and is read-only"):
        services.answers_import(
            assessment=submitted_assessment,
            user=supplier_a,
            rows=[{"code": "1.1", "fields": {"status": "no"}}],
        )
    assert answer_of(submitted_assessment, "1.1").status == "yes"


def test_the_import_service_saves_all_rows_or_none(assessment, supplier_a):
    rows = [
        {"code": "1.1", "fields": {"status": "yes"}},
        {"code": "1.3", "fields": {"number": "many"}},
    ]
    with pytest.raises(ApplicationError, match="is not a number"):
        services.answers_import(assessment=assessment, user=supplier_a, rows=rows)
    assert not Answer.objects.filter(assessment=assessment).exists()


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supplier_b", "outsider", "buyer"])
def test_people_outside_the_draft_get_404_everywhere(request, client, assessment, supplier_a, who):
    client.force_login(supplier_a)
    data = download(client, assessment)
    client.force_login(request.getfixturevalue(who))
    workbook = workbook_of(data)
    set_answer(workbook, "1.1", Status="No")

    assert client.get(page_url(assessment)).status_code == 404
    assert client.get(download_url(assessment)).status_code == 404
    assert upload(client, assessment, to_bytes(workbook)).status_code == 404
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, assessment):
    for url in (page_url(assessment), download_url(assessment)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(page_url(assessment), {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_reviewer_not_assigned_to_the_assessment_gets_404(client, submitted_assessment, reviewer):
    client.force_login(reviewer)
    assert client.get(page_url(submitted_assessment)).status_code == 404
    assert client.get(download_url(submitted_assessment)).status_code == 404


def test_an_assigned_reviewer_who_has_not_declared_no_conflict_is_refused(
    client, submitted_assessment, reviewer
):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    assert client.get(page_url(submitted_assessment)).status_code == 403
    assert client.get(download_url(submitted_assessment)).status_code == 403


def test_a_declared_reviewer_downloads_a_locked_copy_but_cannot_upload(
    client, submitted_assessment, review_team, reviewer
):
    client.force_login(reviewer)
    page = client.get(page_url(submitted_assessment))
    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    assert "Only the organisation answering this assessment can upload answers." in text_of(page)
    workbook = workbook_of(download(client, submitted_assessment))
    assert cell(workbook, "1.1", "Status").value == "Yes"
    assert cell(workbook, "1.1", "Status").protection.locked

    set_answer(workbook, "1.1", Status="No")
    response = upload(client, submitted_assessment, to_bytes(workbook))

    assert response.status_code == 403
    assert answer_of(submitted_assessment, "1.1").status == "yes"


def test_reviewers_see_the_submitted_answers_never_a_reopened_draft(
    client, submitted_assessment, review_team, reviewer, supplier_a, framework
):
    services.assessment_reopen(assessment=submitted_assessment, user=supplier_a)
    services.answer_save(
        assessment=submitted_assessment,
        question=framework.questions.get(code="1.1"),
        user=supplier_a,
        status="no",
        text="A draft change the buyer must not see yet.",
    )
    client.force_login(reviewer)

    workbook = workbook_of(download(client, submitted_assessment))

    assert cell(workbook, "1.1", "Status").value == "Yes"
    assert "must not see" not in str(cell(workbook, "1.1", "Explanation").value)
    client.force_login(supplier_a)
    assert cell(workbook_of(download(client, submitted_assessment)), "1.1", "Status").value == "No"


def test_the_buyer_manager_may_download_once_the_assessment_is_submitted(
    client, submitted_assessment, buyer
):
    client.force_login(buyer)
    workbook = workbook_of(download(client, submitted_assessment))
    assert cell(workbook, "1.1", "Status").value == "Yes"
    assert upload(client, submitted_assessment, to_bytes(workbook)).status_code == 403


def test_the_page_offers_download_and_upload_to_the_supplier(client, assessment, supplier_a):
    client.force_login(supplier_a)
    response = client.get(page_url(assessment))
    assert response.status_code == 200
    page = text_of(response)
    assert download_url(assessment) in page
    assert reverse("assessment-detail", args=[assessment.pk]) in page
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert "An empty cell changes nothing" in page


def test_the_download_is_named_after_the_assessment_and_never_cached(
    client, assessment, supplier_a
):
    client.force_login(supplier_a)
    response = client.get(download_url(assessment))
    assert response["Content-Disposition"] == (
        f'attachment; filename="acme-analytics-ml-maturity-model-10-{assessment.pk}.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]


# --- cost ---------------------------------------------------------------------------------------

# session, user, assessment (selector), memberships (permission), questions, answers, evidence
EXPORT_QUERIES = 7


def test_export_query_count_does_not_grow_with_the_questions(
    client, assessment, supplier_a, supplier_a_org, vendor_framework, django_assert_num_queries
):
    answer_everything(assessment, supplier_a)
    small = services.assessment_create(
        framework=vendor_framework, organisation=supplier_a_org, user=supplier_a
    )
    assert assessment.framework.questions.count() > 3 * vendor_framework.questions.count()
    client.force_login(supplier_a)
    for each in (assessment, small):
        with django_assert_num_queries(EXPORT_QUERIES):
            response = client.get(download_url(each))
        assert response.status_code == 200
