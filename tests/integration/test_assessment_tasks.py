"""Scoring and report rendering on a real Celery worker, through Redis, on PostgreSQL.

Submitting enqueues the scoring task on commit exactly as in production; the
worker (tests/integration/conftest.py starts it on a queue of its own) writes
the scorecard and the PDF, and the test reads them back.
"""

from __future__ import annotations

import time

import pytest
from pypdf import PdfReader

from assessments import services
from assessments.models import Assessment, AssessmentVersion, Report, Scorecard
from config.celery import app
from principles.models import Framework
from principles.services import bundled_load
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.services

WAIT_SECONDS = 90


def wait_for(worker, predicate, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    worker.fail(f"{what} did not happen within {WAIT_SECONDS} s")


@pytest.fixture
def routed_to_worker(worker, monkeypatch):
    """`.delay()` in the services publishes to the worker's queue through Redis."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", worker.queue)
    return worker


@pytest.fixture
def supplier_assessment(db):
    bundled_load()
    organisation = OrganisationFactory(slug="worker-supplier", kind="supplier")
    user = MembershipFactory(
        user=UserFactory(username="worker-supplier-user"),
        organisation=organisation,
        role="supplier",
    ).user
    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    assessment = services.assessment_create(
        framework=framework, organisation=organisation, user=user
    )
    for question in framework.questions.all():
        fields = {
            "status": {"status": "partial", "text": "A written process, reviewed every quarter."},
            "number": {"number": 2},
            "choice": {"choices": question.choices[:1]},
            "text": {"text": "Our platform team owns this and reviews it each quarter."},
        }[question.answer_type]
        services.answer_save(assessment=assessment, question=question, user=user, **fields)
    return assessment, user


@pytest.mark.django_db(transaction=True)
def test_a_submission_is_scored_by_the_worker(routed_to_worker, supplier_assessment):
    worker = routed_to_worker
    assessment, user = supplier_assessment

    version = services.assessment_submit(assessment=assessment, user=user)

    scorecard = wait_for(
        worker, lambda: Scorecard.objects.filter(version=version).first(), "scoring version 1"
    )
    version.refresh_from_db()
    with worker.output_on_failure():
        assert (version.status, version.error, version.attempts) == (
            AssessmentVersion.Status.DONE,
            "",
            1,
        )
        assert scorecard.level_name == scorecard.data["level"]["name"]
        assert len(scorecard.data["criteria"]) == 8
        # "partial" everywhere suggests 1 of 3; evidence-missing and thin-text rules fire.
        assert scorecard.data["red_flags"]
        assert Assessment.objects.get(pk=assessment.pk).red_flags.count() == len(
            scorecard.data["red_flags"]
        )


@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_the_pdf_report(routed_to_worker, supplier_assessment, settings):
    worker = routed_to_worker
    assessment, user = supplier_assessment
    version = services.assessment_submit(assessment=assessment, user=user)
    wait_for(worker, lambda: Scorecard.objects.filter(version=version).exists(), "scoring")

    report = services.report_request(assessment=assessment, user=user)

    wait_for(
        worker,
        lambda: (
            Report.objects.filter(pk=report.pk, status=Report.Status.DONE).exists()
            or Report.objects.filter(pk=report.pk, status=Report.Status.FAILED).exists()
        ),
        "rendering the report",
    )
    report.refresh_from_db()
    with worker.output_on_failure():
        assert (report.status, report.error) == (Report.Status.DONE, "")
        with report.file.open("rb") as handle:
            reader = PdfReader(handle)
            text = "\n".join(page.extract_text() for page in reader.pages)
        assert assessment.organisation.name in text
        assert "Practical benchmarks" in text
        assert report.size == report.file.size
