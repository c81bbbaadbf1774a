"""The PDF maturity report: rendering, PDF/A metadata, the radar chart, the job and its pages."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports, services
from assessments.models import RedFlag, Report, Scorecard
from assessments.reports import (
    PRODUCT_NAME,
    build_report_context,
    radar_points,
    radar_svg,
    render_html,
    report_render,
)
from assessments.tasks import render_report

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Reports are written under a throwaway MEDIA_ROOT, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """Scoring and rendering run in the test's process even when REDIS_URL names a broker
    (the CI settings); the real worker is tests/integration's business."""
    from config.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def request_and_render(assessment, user, capture) -> Report:
    with capture(execute=True):
        report = services.report_request(assessment=assessment, user=user)
    report.refresh_from_db()
    return report


def pdf_text(report: Report) -> str:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # Lines wrap wherever the layout decides; compare with whitespace collapsed.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def report_files(media_root, assessment) -> list[str]:
    folder = media_root / "reports" / str(assessment.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- the rendered PDF -------------------------------------------------------------------------


def test_the_report_shows_the_organisation_level_every_criterion_and_the_red_flags(
    submitted_assessment, supplier_a, django_capture_on_commit_callbacks
):
    report = request_and_render(
        submitted_assessment, supplier_a, django_capture_on_commit_callbacks
    )

    assert report.status == Report.Status.DONE, report.error
    text = pdf_text(report)
    scorecard = Scorecard.objects.get(version=report.version)
    assert "Acme Analytics" in text
    assert f"Level {scorecard.level} · {scorecard.level_name}" in text
    assert f"Overall score {round(scorecard.score * 100)}%" in text
    for criterion in submitted_assessment.framework.criteria.all():
        assert f"{criterion.code}. {criterion.title}" in text
        level = scorecard.data["criteria"][criterion.code]["level"]["level"]
        recommendation = criterion.recommendations[str(level)]
        assert " ".join(recommendation.split()) in text
    red_flags = scorecard.data["red_flags"]
    assert red_flags, "the fixture's answers have no evidence, which raises red flags"
    assert " ".join(red_flags[0]["message"].split()) in text
    assert "Appendix: answers and scores" in text
    assert "We do this routinely under a documented, reviewed and audited process." in text


def test_the_report_is_pdf_a_3b_with_document_metadata_and_several_pages(
    submitted_assessment, supplier_a, django_capture_on_commit_callbacks
):
    report = request_and_render(
        submitted_assessment, supplier_a, django_capture_on_commit_callbacks
    )

    with report.file.open("rb") as handle:
        data = handle.read()
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-1.7")
    assert report.size == len(data)
    assert len(reader.pages) > 3
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.pdfaid_part == "3"
    assert xmp.pdfaid_conformance == "B"
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"  # the sRGB output intent PDF/A requires
    assert (
        reader.metadata.title
        == "ML maturity report: Acme Analytics (ML Maturity Model 1.0, version 1)"
    )
    assert reader.metadata.author == PRODUCT_NAME
    assert (
        "ML Maturity Model 1.0 assessment of Acme Analytics, version 1" in reader.metadata.subject
    )
    assert "ML maturity" in reader.metadata["/Keywords"]
    fonts = {
        font["/BaseFont"]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts and all("DejaVu" in str(name) for name in fonts)


def test_the_report_shows_dismissed_flags_with_their_reason_and_unnamed_reviewer_comments(
    submitted_assessment, supplier_a, review_team, django_capture_on_commit_callbacks
):
    lead, _ = review_team
    question = submitted_assessment.framework.questions.get(code="1.1")
    flag = RedFlag.objects.filter(
        assessment=submitted_assessment, status=RedFlag.Status.ACTIVE
    ).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=submitted_assessment,
            question=question,
            reviewer=lead.reviewer,
            score=3,
            comment="Benchmarks are agreed with every client in writing.",
        )
        services.red_flag_dismiss(
            flag=flag, user=lead.reviewer, reason="We saw the evidence at the site visit."
        )

    report = request_and_render(
        submitted_assessment, supplier_a, django_capture_on_commit_callbacks
    )

    text = pdf_text(report)
    assert "Dismissed red flags (1)" in text
    assert " ".join(flag.rule.message.split()) in text
    assert "We saw the evidence at the site visit." in text
    assert "Benchmarks are agreed with every client in writing." in text
    assert "Reviewer · scored 3 of 3 (Exceeds)" in text
    assert lead.reviewer.username not in text
    assert lead.reviewer.get_full_name() not in text


def test_a_framework_no_one_here_wrote_renders_too(
    vendor_framework, supplier_a, supplier_a_org, django_capture_on_commit_callbacks
):
    """Two criteria (no radar), custom levels and every answer type."""
    from tests.assessments.conftest import answer_everything

    assessment = services.assessment_create(
        framework=vendor_framework, organisation=supplier_a_org, user=supplier_a
    )
    answer_everything(assessment, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)

    report = request_and_render(assessment, supplier_a, django_capture_on_commit_callbacks)

    assert report.status == Report.Status.DONE, report.error
    text = pdf_text(report)
    for criterion in vendor_framework.criteria.all():
        assert f"{criterion.code}. {criterion.title}" in text
    assert "not scored yet (answers of this type are scored by a reviewer)" in text
    assert "1. Weak" in text and "3. Strong" in text


# --- the job: claim, idempotency, failure and retry -------------------------------------------


def test_rendering_twice_leaves_one_done_report_and_one_file(
    submitted_assessment, supplier_a, media_root, django_capture_on_commit_callbacks
):
    report = request_and_render(
        submitted_assessment, supplier_a, django_capture_on_commit_callbacks
    )
    first_name = report.file.name

    # A finished report is not claimed again: nothing changes.
    assert report_render(report_id=report.pk) is None
    report.refresh_from_db()
    assert report.file.name == first_name
    assert report_files(media_root, submitted_assessment) == [first_name.rsplit("/", 1)[1]]

    # A redelivered job (the worker died after writing) renders again and replaces the file.
    Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)
    again = report_render(report_id=report.pk)

    assert again is not None and again.status == Report.Status.DONE
    assert Report.objects.filter(assessment=submitted_assessment).count() == 1
    files = report_files(media_root, submitted_assessment)
    assert files == [again.file.name.rsplit("/", 1)[1]]
    assert again.size == (media_root / again.file.name).stat().st_size


def test_a_report_being_rendered_by_another_worker_is_left_alone(submitted_assessment, supplier_a):
    report = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        status=Report.Status.RUNNING,
        started_at=timezone.now(),
    )

    assert report_render(report_id=report.pk) is None

    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING
    assert not report.file


def test_a_report_left_running_by_a_worker_that_died_is_taken_over(submitted_assessment):
    report = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        status=Report.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=30),
    )

    rendered = report_render(report_id=report.pk)

    assert rendered is not None
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert report.file


def test_a_failed_render_is_marked_failed_with_a_reason_and_a_retry_renders_it(
    submitted_assessment, supplier_a, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(html):
        raise RuntimeError("the font cache is unreadable")

    with monkeypatch.context() as patch:
        patch.setattr(reports, "render_pdf", broken)
        report = request_and_render(
            submitted_assessment, supplier_a, django_capture_on_commit_callbacks
        )

    assert report.status == Report.Status.FAILED
    assert "the font cache is unreadable" in report.error
    assert report.error.startswith("The PDF could not be produced")
    assert report.attempts == 1
    assert not report.file
    assert report_files(media_root, submitted_assessment) == []

    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(report=report)
    report.refresh_from_db()

    assert report.status == Report.Status.DONE
    assert report.error == ""
    assert report.attempts == 2
    assert len(report_files(media_root, submitted_assessment)) == 1


def test_a_version_without_a_scorecard_fails_with_a_reason_a_person_can_act_on(
    submitted_assessment,
):
    version = submitted_assessment.versions.get()
    Scorecard.objects.filter(version=version).delete()
    report = Report.objects.create(assessment=submitted_assessment, version=version)

    render_report.delay(report.pk)

    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert (
        report.error
        == "The answers of this version have not been scored yet. Retry once scoring has finished."
    )


# --- radar chart ------------------------------------------------------------------------------


def parse_radar(svg: str):
    root = ET.fromstring(svg)  # noqa: S314 — our own output, not untrusted input
    scores = next(
        polygon for polygon in root.iter(f"{SVG}polygon") if polygon.get("class") == "radar-scores"
    )
    points = [tuple(map(float, pair.split(","))) for pair in scores.get("points").split()]
    labels = [
        " ".join(span.text for span in text.iter(f"{SVG}tspan"))
        for text in root.iter(f"{SVG}text")
        if list(text.iter(f"{SVG}tspan"))
    ]
    return root, points, labels


@pytest.mark.parametrize("count", [3, 5, 8, 13])
def test_the_radar_has_one_point_and_one_label_per_axis_inside_the_chart(count):
    values = [index / (count - 1) for index in range(count)]
    axes = [
        (f"{index + 1}. Criterion number {index + 1}", value) for index, value in enumerate(values)
    ]

    root, points, labels = parse_radar(radar_svg(axes))

    assert len(points) == count
    assert len(labels) == count
    width, height = (float(part) for part in root.get("viewBox").split()[2:])
    centre = (width / 2, height / 2)
    outer = max(math.dist(centre, point) for point in points)
    assert outer > 0
    for point, value in zip(points, values, strict=True):
        assert 0 <= point[0] <= width and 0 <= point[1] <= height
        assert math.dist(centre, point) == pytest.approx(outer * value, abs=0.2)
    assert labels[0].endswith("0%") and labels[-1].endswith("100%")


def test_the_radar_draws_a_left_out_criterion_at_the_centre_marked_n_a():
    root, points, labels = parse_radar(radar_svg([("A", 0.5), ("B", None), ("C", 1.0)]))

    width, height = (float(part) for part in root.get("viewBox").split()[2:])
    assert points[1] == pytest.approx((width / 2, height / 2), abs=0.1)
    assert labels == ["A 50%", "B n/a", "C 100%"]


def test_the_radar_clamps_scores_out_of_range_and_escapes_labels():
    svg = radar_svg([("<b>Bold</b> & co", 1.7), ("B", -0.3), ("C", 0.25)])

    _, points, labels = parse_radar(svg)
    assert "<b>" not in svg and "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in svg
    assert labels[0] == "<b>Bold</b> & co 100%"
    assert labels[1] == "B 0%"
    assert radar_points([1.7], centre_x=0, centre_y=0, radius=10) == [pytest.approx((0, -10))]


def test_the_radar_needs_three_axes():
    with pytest.raises(ValueError, match="at least three axes"):
        radar_svg([("A", 0.5), ("B", 0.5)])


# --- context building (no database) -----------------------------------------------------------


def small_framework(criteria_count: int = 3) -> dict:
    return {
        "name": "Tiny",
        "version": "2",
        "slug": "tiny",
        "description": "",
        "levels": [
            {"level": 1, "name": "Low", "min_score": 0.0},
            {"level": 2, "name": "High", "min_score": 0.5},
        ],
        "criteria": [
            {
                "code": str(number),
                "title": f"Criterion {number}",
                "principle": "",
                "weight": 1,
                "recommendations": {
                    "1": f"Improve {number} from low.",
                    "2": f"Keep {number} high.",
                },
                "questions": [
                    {
                        "code": f"{number}.1",
                        "text": f"Question {number}.1?",
                        "answer_type": "status",
                    }
                ],
            }
            for number in range(1, criteria_count + 1)
        ],
    }


def small_scorecard() -> dict:
    return {
        "score": 0.5,
        "level": {"level": 2, "name": "High"},
        "criteria": {
            "1": {"score": 1.0, "level": {"level": 2, "name": "High"}},
            "2": None,
            "3": {"score": 0.0, "level": {"level": 1, "name": "Low"}},
        },
        "questions": {
            "1.1": {"score": 3.0, "source": "consensus", "hidden": False},
            "2.1": {"score": None, "source": "na", "hidden": False},
            "3.1": {"score": 0.0, "source": "answer", "hidden": False},
        },
        "raw_scores": {"1.1": 3.0, "2.1": None, "3.1": 2.0},
        "red_flags": [
            {
                "question": "3.1",
                "code": "3.1a",
                "severity": "critical",
                "message": "No plan at all.",
            }
        ],
        "dismissed_red_flags": [
            {"question": "1.1", "code": "1.1a", "severity": "minor", "message": "Thin."}
        ],
        "divergences": ["1.1"],
    }


def small_context(**overrides) -> dict:
    arguments = {
        "meta": {
            "organisation": "Acme",
            "title": "Acme: Tiny 2",
            "kind": "Self-assessment",
            "reviewing_organisation": "",
            "version_number": 1,
            "submitted_at": None,
            "scored_at": None,
            "generated_at": None,
            "report_id": 1,
        },
        "framework": small_framework(),
        "scorecard": small_scorecard(),
        "answers": {
            "1.1": {
                "status": "yes",
                "text": "Always.",
                "evidence": [{"title": "Policy", "url": ""}],
            },
            "2.1": {"status": "na"},
            "3.1": {"status": "yes", "text": ""},
        },
        "comments": {"1.1": [{"author": "Reviewer", "score": 3, "text": "Solid."}]},
        "dismissal_reasons": {"1.1a": "Seen on site."},
    }
    arguments.update(overrides)
    return build_report_context(**arguments)


def test_the_context_gives_each_criterion_its_level_recommendation_and_marks_left_out_ones():
    context = small_context()

    first, left_out, last = context["criteria"]
    assert (first["score_percent"], first["level_name"], first["recommendation"]) == (
        "100%",
        "High",
        "Keep 1 high.",
    )
    assert (
        left_out["left_out"]
        and left_out["score_percent"] == "n/a"
        and left_out["recommendation"] == ""
    )
    assert (last["level"], last["recommendation"]) == (1, "Improve 3 from low.")
    assert last["red_flag_counts"] == [{"severity": "critical", "name": "Critical", "count": 1}]
    assert left_out["score_tally"] == [{"label": "not applicable", "count": 1}]
    assert first["score_tally"] == [{"label": "exceeds", "count": 1}]
    assert context["criteria_scored"] == 2
    assert "n/a" in context["radar"]


def test_the_context_groups_flags_by_severity_and_keeps_dismissal_reasons():
    context = small_context()

    assert [(group["severity"], len(group["flags"])) for group in context["red_flags"]] == [
        ("critical", 1),
        ("major", 0),
        ("minor", 0),
    ]
    assert context["dismissed_flags"][0]["reason"] == "Seen on site."
    assert context["dismissed_flags"][0]["question_text"] == "Question 1.1?"


def test_the_appendix_says_where_each_score_came_from():
    questions = {
        entry["code"]: entry
        for group in small_context()["appendix"]
        for entry in group["questions"]
    }

    assert questions["1.1"]["score_words"] == "3 of 3 (Exceeds)"
    assert questions["1.1"]["source_words"] == "agreed by the review panel"
    assert questions["1.1"]["diverged"] is True
    assert questions["1.1"]["evidence"] == [{"title": "Policy", "is_link": False}]
    assert (questions["2.1"]["status_words"], questions["2.1"]["score_words"]) == (
        "Not applicable",
        "not applicable",
    )
    assert questions["3.1"]["forced_to_zero"] is True
    assert questions["3.1"]["raw_score_words"] == "2 of 3 (Met)"


def test_a_framework_with_fewer_than_three_criteria_gets_no_radar_but_still_renders():
    framework = small_framework(criteria_count=2)
    scorecard = small_scorecard()
    scorecard["criteria"].pop("3")

    context = small_context(framework=framework, scorecard=scorecard, answers={})

    assert context["radar"] is None
    assert "Criterion 2" in render_html(context)


def test_the_competition_block_appears_only_when_competition_results_are_given():
    assert "Competition results" not in render_html(small_context())

    html = render_html(
        small_context(
            competition={
                "accuracy": 0.875,
                "macro_f1": 0.8,
                "weighted_f1": 0.86,
                "passed": False,
                "per_class": {"OK": {"precision": 0.9, "recall": 0.95, "f1": 0.92, "support": 20}},
                "confusion_matrix": {"labels": ["OK", "FAULT"], "matrix": [[19, 1], [3, 7]]},
                "bars": [
                    {
                        "metric": "recall",
                        "class": "FAULT",
                        "min": 0.9,
                        "value": 0.7,
                        "passed": False,
                    }
                ],
            }
        )
    )

    assert "Competition results" in html
    # In the words and percentages of the competition pages (rfx.competition_display).
    assert "87.5%" in html and "Recall of “FAULT” must be at least 90%" in html
    assert re.search(
        r"<td class=\"num\">70%</td><td><span class=\"sev-critical\">Failed</span>", html
    )
    assert re.search(r"<th>FAULT</th><td>3</td><td>7</td>", html)


# --- pages ------------------------------------------------------------------------------------

ALLOWED = ["supplier_a", "buyer", "declared_reviewer"]
DENIED = ["undeclared_reviewer", "unassigned_reviewer", "supplier_b", "outsider"]


@pytest.fixture
def person(request, submitted_assessment):
    """The user for a role name; reviewer roles differ only in their assignment."""
    role = request.param
    if role == "declared_reviewer":
        lead, _ = request.getfixturevalue("review_team")
        return lead.reviewer
    if role == "undeclared_reviewer":
        reviewer = request.getfixturevalue("reviewer")
        services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
        return reviewer
    if role == "unassigned_reviewer":
        return request.getfixturevalue("reviewer")
    return request.getfixturevalue(role)


@pytest.fixture
def done_report(submitted_assessment):
    """A finished report with a small stand-in file, so page tests need not render a PDF."""
    from django.core.files.base import ContentFile

    report = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        status=Report.Status.DONE,
        size=len(b"%PDF-1.7 stand-in"),
    )
    report.file.save("stand-in.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=True)
    return report


@pytest.fixture
def failed_report(submitted_assessment):
    return Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        status=Report.Status.FAILED,
        error="The PDF could not be produced (OSError: disk full).",
    )


def request_url(assessment) -> str:
    return reverse("assessment-report-request", args=[assessment.pk])


def report_url(name: str, report: Report) -> str:
    return reverse(f"assessment-report-{name}", args=[report.assessment_id, report.pk])


@pytest.mark.parametrize("person", ALLOWED, indirect=True)
def test_people_who_may_see_reports_can_ask_for_one(client, person, submitted_assessment):
    client.force_login(person)

    response = client.post(request_url(submitted_assessment), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    report = Report.objects.get(assessment=submitted_assessment)
    assert (report.status, report.requested_by, report.version.number) == (
        Report.Status.QUEUED,
        person,
        1,
    )
    body = response.content.decode()
    assert "is queued" in body
    assert f'hx-get="{report_url("status", report)}"' in body and 'hx-trigger="every 2s"' in body


@pytest.mark.parametrize("person", DENIED, indirect=True)
def test_others_cannot_ask_for_a_report(client, person, submitted_assessment):
    client.force_login(person)

    response = client.post(request_url(submitted_assessment), HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("person", ALLOWED, indirect=True)
def test_people_who_may_see_reports_see_the_status_and_download_the_pdf(
    client, person, done_report
):
    client.force_login(person)

    status = client.get(report_url("status", done_report), HTTP_HX_REQUEST="true")
    download = client.get(report_url("download", done_report))

    assert status.status_code == 200
    body = status.content.decode()
    assert "Report ready" in body and report_url("download", done_report) in body
    assert "hx-trigger" not in body
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert (
        download["Content-Disposition"]
        == 'attachment; filename="acme-analytics-ml-maturity-model-1-0-v1.pdf"'
    )
    assert b"".join(download.streaming_content) == b"%PDF-1.7 stand-in"


@pytest.mark.parametrize("person", DENIED, indirect=True)
def test_others_get_404_for_the_status_and_the_download(client, person, done_report):
    client.force_login(person)

    assert client.get(report_url("status", done_report), HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(report_url("download", done_report)).status_code == 404


@pytest.mark.parametrize("person", ALLOWED, indirect=True)
def test_people_who_may_see_reports_can_retry_a_failed_one(client, person, failed_report):
    client.force_login(person)

    response = client.post(report_url("retry", failed_report), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    failed_report.refresh_from_db()
    assert (failed_report.status, failed_report.error) == (Report.Status.QUEUED, "")
    assert 'hx-trigger="every 2s"' in response.content.decode()


@pytest.mark.parametrize("person", DENIED, indirect=True)
def test_others_cannot_retry_a_report(client, person, failed_report):
    client.force_login(person)

    response = client.post(report_url("retry", failed_report), HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    failed_report.refresh_from_db()
    assert failed_report.status == Report.Status.FAILED


def test_anonymous_visitors_are_sent_to_sign_in_for_every_report_page(client, done_report):
    login = reverse("login")
    for method, url in [
        ("post", request_url(done_report.assessment)),
        ("get", report_url("status", done_report)),
        ("get", report_url("download", done_report)),
        ("post", report_url("retry", done_report)),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url
    assert Report.objects.count() == 1


def test_a_report_of_another_assessment_is_not_found_under_this_one(
    client, supplier_a, done_report, framework, supplier_a_org
):
    other = services.assessment_create(
        framework=framework, organisation=supplier_a_org, user=supplier_a
    )
    client.force_login(supplier_a)

    response = client.get(reverse("assessment-report-download", args=[other.pk, done_report.pk]))

    assert response.status_code == 404


def test_asking_from_the_page_renders_the_report_and_the_status_stops_polling_when_ready(
    client, supplier_a, submitted_assessment, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url(submitted_assessment))

    report = Report.objects.get(assessment=submitted_assessment)
    assert response.status_code == 302
    assert response["Location"] == report_url("status", report)
    assert report.status == Report.Status.DONE and report.size > 10_000
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Report ready" in body and "hx-trigger" not in body
    download = client.get(report_url("download", report))
    assert b"".join(download.streaming_content)[:8] == b"%PDF-1.7"


def test_the_status_of_a_failed_report_shows_the_reason_and_a_retry_button(
    client, supplier_a, failed_report
):
    client.force_login(supplier_a)

    response = client.get(report_url("status", failed_report), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "could not be created" in body
    assert "The PDF could not be produced (OSError: disk full)." in body
    assert report_url("retry", failed_report) in body
    assert "hx-trigger" not in body


def test_retrying_a_report_that_did_not_fail_explains_why_not(client, supplier_a, done_report):
    client.force_login(supplier_a)

    fragment = client.post(report_url("retry", done_report), HTTP_HX_REQUEST="true")
    page = client.post(report_url("retry", done_report))

    assert fragment.status_code == 200
    assert "Only a failed report can be retried." in fragment.content.decode()
    assert page.status_code == 400
    assert "Only a failed report can be retried." in page.content.decode()
    done_report.refresh_from_db()
    assert done_report.status == Report.Status.DONE


def test_asking_for_the_report_of_a_draft_never_submitted_explains_what_to_do(
    client, supplier_a, assessment
):
    client.force_login(supplier_a)

    response = client.post(request_url(assessment), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Submit the assessment before asking for its report." in response.content.decode()
    assert not Report.objects.exists()


def test_downloading_a_report_that_is_not_ready_is_not_found(client, supplier_a, failed_report):
    client.force_login(supplier_a)

    assert client.get(report_url("download", failed_report)).status_code == 404


def test_the_overview_offers_the_report_and_then_its_download(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)
    overview = reverse("assessment-detail", args=[submitted_assessment.pk])

    before = client.get(overview).content.decode()
    assert "Create PDF report" in before and request_url(submitted_assessment) in before

    report = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        status=Report.Status.DONE,
        size=2048,
        file="reports/x.pdf",
    )
    after = client.get(overview).content.decode()
    assert "Create PDF report" not in after
    assert report_url("download", report) in after and "2.0\xa0KB" in after


def test_the_status_offers_a_new_report_once_the_scores_have_changed(
    client, supplier_a, done_report
):
    client.force_login(supplier_a)
    url = report_url("status", done_report)
    assert "Create a new report" not in client.get(url).content.decode()

    # A reviewer's score rescored the version after the report was made.
    Scorecard.objects.filter(version=done_report.version).update(
        updated_at=done_report.created_at + timedelta(minutes=5)
    )
    body = client.get(url).content.decode()

    assert "The scores have changed since this report was created." in body
    assert "Create a new report for version 1" in body
    assert request_url(done_report.assessment) in body


def test_the_status_says_when_a_newer_version_has_been_submitted(
    client, supplier_a, done_report, django_capture_on_commit_callbacks
):
    assessment = done_report.assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_reopen(assessment=assessment, user=supplier_a)
        services.assessment_submit(assessment=assessment, user=supplier_a)
    client.force_login(supplier_a)

    body = client.get(report_url("status", done_report)).content.decode()

    assert "This report covers version 1; version 2 has been submitted since." in body
    assert "Create a new report for version 2" in body


def test_the_status_fragment_costs_a_fixed_number_of_queries(
    client, supplier_a, done_report, django_assert_num_queries
):
    client.force_login(supplier_a)

    with django_assert_num_queries(6):
        response = client.get(report_url("status", done_report), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
