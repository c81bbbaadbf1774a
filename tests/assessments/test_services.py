import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, AssessmentVersion, Evidence, RedFlag, Scorecard
from core.exceptions import ApplicationError
from tests.assessments.conftest import answer_everything


def question(framework, code):
    return framework.questions.get(code=code)


def test_answer_save_stores_each_field_and_keeps_the_others(assessment, supplier_a, framework):
    q = question(framework, "1.1")
    services.answer_save(assessment=assessment, question=q, user=supplier_a, status="partial")
    services.answer_save(
        assessment=assessment, question=q, user=supplier_a, text="Benchmarks run weekly."
    )
    answer = Answer.objects.get(assessment=assessment, question=q)
    assert (answer.status, answer.text, answer.updated_by) == (
        "partial",
        "Benchmarks run weekly.",
        supplier_a,
    )
    assert answer.history.count() == 2


@pytest.mark.parametrize(
    ("code", "fields", "message"),
    [
        ("1.1", {"status": "maybe"}, "choose yes, partially, no or not applicable"),
        ("1.3", {"number": "a lot"}, "is not a number"),
        ("1.6", {"choices": ["not-a-choice"]}, "is not one of the choices"),
        ("1.1", {"text": "x" * 20001}, "longer than 20,000 characters"),
    ],
)
def test_answer_save_refuses_bad_values_with_the_question_code(
    assessment, supplier_a, framework, code, fields, message
):
    with pytest.raises(ApplicationError, match=message) as error:
        services.answer_save(
            assessment=assessment, question=question(framework, code), user=supplier_a, **fields
        )
    assert f"Question {code}" in error.value.message
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_submit_is_refused_with_the_list_of_missing_required_answers(
    assessment, supplier_a, framework
):
    services.answer_save(
        assessment=assessment, question=question(framework, "1.1"), user=supplier_a, status="yes"
    )
    with pytest.raises(ApplicationError) as error:
        services.assessment_submit(assessment=assessment, user=supplier_a)
    missing = error.value.extra["missing"]
    assert "1.1" not in missing
    assert "1.2" in missing
    # Optional and hidden questions are never missing: 2.4 shows only when 2.3 is yes or partial.
    assert "1.8" not in missing and "2.4" not in missing
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT
    assert not assessment.versions.exists()


def test_submit_snapshots_the_answers_and_scores_them_on_commit(
    assessment, supplier_a, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        version = services.assessment_submit(assessment=assessment, user=supplier_a)
    assert len(callbacks) == 1
    version.refresh_from_db()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert (version.number, version.status, version.error) == (1, AssessmentVersion.Status.DONE, "")
    assert version.answers["1.1"]["status"] == "yes"
    assert version.answers["1.1"]["evidence"] == []
    scorecard = version.scorecard
    assert scorecard.level_name == scorecard.data["level"]["name"]
    assert set(scorecard.data) >= {
        "score",
        "level",
        "criteria",
        "questions",
        "red_flags",
        "divergences",
    }
    # No evidence was attached, so the evidence rules fire.
    assert RedFlag.objects.filter(
        assessment=assessment, status=RedFlag.Status.ACTIVE
    ).count() == len(scorecard.data["red_flags"])


def test_a_submitted_assessment_is_read_only_until_a_new_draft_is_started(
    submitted_assessment, supplier_a, framework
):
    q = question(framework, "1.1")
    with pytest.raises(ApplicationError, match="read-only"):
        services.answer_save(
            assessment=submitted_assessment, question=q, user=supplier_a, status="no"
        )
    services.assessment_reopen(assessment=submitted_assessment, user=supplier_a)
    services.answer_save(assessment=submitted_assessment, question=q, user=supplier_a, status="no")
    version = submitted_assessment.versions.get()
    assert version.answers["1.1"]["status"] == "yes"  # the submitted copy never changes


def test_resubmitting_creates_version_two(
    submitted_assessment, supplier_a, django_capture_on_commit_callbacks
):
    services.assessment_reopen(assessment=submitted_assessment, user=supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.assessment_submit(assessment=submitted_assessment, user=supplier_a)
    assert version.number == 2
    assert list(submitted_assessment.versions.values_list("number", flat=True)) == [2, 1]


def test_scoring_twice_gives_the_same_rows(submitted_assessment):
    version = submitted_assessment.versions.get()
    first = Scorecard.objects.get(version=version)
    flags = sorted(
        RedFlag.objects.filter(assessment=submitted_assessment).values_list("rule__code", "status")
    )
    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.QUEUED)
    services.version_score(version_id=version.pk)
    second = Scorecard.objects.get(version=version)
    assert second.pk == first.pk
    assert second.data == first.data
    assert Scorecard.objects.filter(version=version).count() == 1
    assert (
        sorted(
            RedFlag.objects.filter(assessment=submitted_assessment).values_list(
                "rule__code", "status"
            )
        )
        == flags
    )


def test_a_job_already_claimed_by_another_worker_is_left_alone(submitted_assessment):
    version = submitted_assessment.versions.get()
    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.RUNNING)
    assert services.version_score(version_id=version.pk) is None


def test_a_failure_is_recorded_with_its_reason_and_can_be_retried(
    submitted_assessment, monkeypatch, django_capture_on_commit_callbacks
):
    version = submitted_assessment.versions.get()
    before = Scorecard.objects.get(version=version).data

    def broken(*args, **kwargs):
        raise ValueError("the framework spec is broken")

    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.QUEUED)
    from assessments.tasks import score_version

    with monkeypatch.context() as patched:
        patched.setattr("assessments.services.scoring.score", broken)
        score_version.apply(args=[version.pk])
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.FAILED
    assert "the framework spec is broken" in version.error
    assert Scorecard.objects.get(version=version).data == before  # nothing half-written

    with django_capture_on_commit_callbacks(execute=True):
        services.scoring_retry(version=version)
    version.refresh_from_db()
    assert (version.status, version.error) == (AssessmentVersion.Status.DONE, "")


def test_the_sweep_scores_what_was_saved_while_the_broker_was_down(submitted_assessment):
    version = submitted_assessment.versions.get()
    Scorecard.objects.filter(version=version).delete()
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.QUEUED,
        queued_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    assert services.sweep_unscored() == [version.pk]
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.DONE
    assert Scorecard.objects.filter(version=version).exists()


def test_the_sweep_leaves_fresh_jobs_and_revives_stuck_ones(submitted_assessment):
    version = submitted_assessment.versions.get()
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.QUEUED, queued_at=timezone.now()
    )
    assert services.sweep_unscored() == []
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.RUNNING,
        started_at=timezone.now() - timezone.timedelta(hours=1),
    )
    assert services.sweep_unscored() == [version.pk]


def test_a_broker_outage_never_loses_a_submission(
    assessment, supplier_a, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from assessments.tasks import score_version

    answer_everything(assessment, supplier_a)

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    # What publishing raises when Redis cannot be reached.
    with monkeypatch.context() as patched:
        patched.setattr(score_version, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            version = services.assessment_submit(assessment=assessment, user=supplier_a)
    version.refresh_from_db()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert version.status == AssessmentVersion.Status.QUEUED
    assert version.answers["1.1"]["status"] == "yes"

    # The broker is back: the periodic sweep scores what was saved.
    AssessmentVersion.objects.filter(pk=version.pk).update(
        queued_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    assert services.sweep_unscored() == [version.pk]
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.DONE


def test_evidence_files_are_checked_for_size_type_and_content(
    assessment, supplier_a, framework, monkeypatch
):
    q = question(framework, "1.1")
    pdf = SimpleUploadedFile("benchmarks.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    evidence = services.evidence_add(assessment=assessment, question=q, user=supplier_a, file=pdf)
    assert (evidence.title, evidence.size) == ("benchmarks.pdf", len(b"%PDF-1.7\n..."))

    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ApplicationError, match="does not match its .pdf extension"):
        services.evidence_add(assessment=assessment, question=q, user=supplier_a, file=fake)
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ApplicationError, match="not accepted"):
        services.evidence_add(assessment=assessment, question=q, user=supplier_a, file=exe)
    monkeypatch.setattr(services, "EVIDENCE_MAX_BYTES", 4)
    with pytest.raises(ApplicationError, match="larger than"):
        services.evidence_add(
            assessment=assessment,
            question=q,
            user=supplier_a,
            file=SimpleUploadedFile("notes.txt", b"hello"),
        )
    with pytest.raises(ApplicationError, match="Attach a file or give a link"):
        services.evidence_add(assessment=assessment, question=q, user=supplier_a)
    link = services.evidence_add(
        assessment=assessment, question=q, user=supplier_a, url="https://example.org/model-card"
    )
    assert link.title == "https://example.org/model-card"
    assert Evidence.objects.filter(assessment=assessment).count() == 2


def test_evidence_counts_reach_the_rules(
    assessment, supplier_a, framework, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    for q in framework.questions.all():
        services.evidence_add(
            assessment=assessment, question=q, user=supplier_a, url="https://example.org/doc"
        )
    with django_capture_on_commit_callbacks(execute=True):
        version = services.assessment_submit(assessment=assessment, user=supplier_a)
    version.refresh_from_db()
    assert (version.status, version.error) == (AssessmentVersion.Status.DONE, "")
    assert version.answers["1.1"]["evidence_count"] == 1
    codes = [flag["code"] for flag in version.scorecard.data["red_flags"]]
    # With evidence everywhere, no evidence-missing rule fires.
    from principles.models import RedFlagRule

    raised = RedFlagRule.objects.filter(question__framework=framework, code__in=codes)
    assert raised.count() == len(codes)
    assert not [rule.code for rule in raised if "evidence_count == 0" in rule.when]


def test_an_assessment_can_only_be_shared_with_a_buyer(
    framework, supplier_a_org, supplier_b_org, supplier_a
):
    with pytest.raises(ApplicationError, match="Only a buyer organisation"):
        services.assessment_create(
            framework=framework,
            organisation=supplier_a_org,
            user=supplier_a,
            reviewing_organisation=supplier_b_org,
        )


def test_evidence_removed_from_a_new_draft_stays_for_the_version_that_lists_it(
    assessment, supplier_a, framework, django_capture_on_commit_callbacks
):
    q = question(framework, "1.1")
    answer_everything(assessment, supplier_a)
    kept = services.evidence_add(
        assessment=assessment,
        question=q,
        user=supplier_a,
        file=SimpleUploadedFile("card.pdf", b"%PDF-1.7 model card"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    assessment.refresh_from_db()
    services.assessment_reopen(assessment=assessment, user=supplier_a)
    draft_only = services.evidence_add(
        assessment=assessment, question=q, user=supplier_a, url="https://example.org/draft"
    )

    services.evidence_delete(evidence=Evidence.objects.get(pk=kept.pk))
    services.evidence_delete(evidence=Evidence.objects.get(pk=draft_only.pk))

    assert not Evidence.objects.filter(assessment=assessment).exists()
    kept = Evidence.all_objects.get(pk=kept.pk)
    assert kept.removed_at is not None
    assert kept.file.storage.exists(kept.file.name)
    assert not Evidence.all_objects.filter(pk=draft_only.pk).exists()


def test_the_sweep_renders_reports_asked_for_while_the_broker_was_down(
    submitted_assessment, supplier_a
):
    from assessments.models import Report

    report = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        requested_by=supplier_a,
        queued_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    fresh = Report.objects.create(
        assessment=submitted_assessment,
        version=submitted_assessment.versions.get(),
        requested_by=supplier_a,
        queued_at=timezone.now(),
    )
    assert services.sweep_reports() == [report.pk]
    report.refresh_from_db()
    fresh.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert report.file
    assert fresh.status == Report.Status.QUEUED
