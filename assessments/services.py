"""Every write to assessments: answering, submitting, scoring, reviewing, reports."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from assessments import scoring
from assessments.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ConsensusScore,
    Evidence,
    RedFlag,
    Report,
    ReviewerAssignment,
    ReviewerScore,
    Scorecard,
)
from assessments.selectors import (
    dismissed_rule_codes,
    draft_rule_inputs,
    evidence_in_a_version,
    reviews_input,
)
from core.exceptions import ApplicationError
from core.uploads import check_upload
from principles.models import Framework, Question, RedFlagRule
from principles.rules import normalise_answer
from principles.selectors import framework_spec

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Extension → the bytes a real file of that type starts with (None: plain text, checked as UTF-8).
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".txt": None,
    ".md": None,
    ".csv": None,
    ".json": None,
}


# --- answering ----------------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    framework: Framework,
    organisation: Organisation,
    user: User | None,
    title: str = "",
    kind: str = Assessment.Kind.SELF,
    reviewing_organisation: Organisation | None = None,
) -> Assessment:
    if (
        reviewing_organisation is not None
        and reviewing_organisation.kind != Organisation.Kind.BUYER
    ):
        raise ApplicationError("Only a buyer organisation can review an assessment.")
    if reviewing_organisation is not None and reviewing_organisation.pk == organisation.pk:
        raise ApplicationError("An organisation cannot review its own assessment.")
    assessment = Assessment(
        framework=framework,
        organisation=organisation,
        reviewing_organisation=reviewing_organisation,
        kind=kind,
        title=(title or f"{organisation.name}: {framework.name} {framework.version}")[:200],
        created_by=user,
    )
    assessment.full_clean()
    assessment.save()
    return assessment


def _require_draft(assessment: Assessment) -> None:
    if not assessment.is_draft:
        raise ApplicationError(
            "This assessment has been submitted and is read-only. Start a new draft to change it."
        )
    _require_proposal_open(assessment)


def _require_proposal_open(assessment: Assessment) -> None:
    """A proposal's questionnaire takes writes only until its RFx deadline, by the server clock,
    whichever page or endpoint the write comes through."""
    if assessment.kind == Assessment.Kind.PROPOSAL:
        from rfx.services import require_proposal_open  # rfx builds on assessments

        require_proposal_open(assessment)


@transaction.atomic
def assessment_update(*, assessment: Assessment, title: str) -> Assessment:
    """Rename a draft (the only field a respondent changes after creating it)."""
    _require_draft(assessment)
    title = (title or "").strip()
    if not title:
        raise ApplicationError("Give the assessment a title.")
    if len(title) > 200:
        raise ApplicationError("The title is longer than 200 characters.")
    assessment.title = title
    assessment.full_clean()
    assessment.save(update_fields=["title", "updated_at"])
    return assessment


def clean_answer_fields(question: Question, fields: dict[str, Any]) -> dict[str, Any]:
    """Check one question's answer fields; raises ApplicationError naming the problem."""
    cleaned: dict[str, Any] = {}
    if "status" in fields:
        status = fields["status"] or ""
        if status not in ("yes", "partial", "no", "na", ""):
            raise ApplicationError(
                f"Question {question.code}: choose yes, partially, no or not applicable."
            )
        cleaned["status"] = status
    if "text" in fields:
        text = fields["text"] or ""
        if len(text) > 20000:
            raise ApplicationError(
                f"Question {question.code}: the explanation is longer than 20,000 characters."
            )
        cleaned["text"] = text
    if "number" in fields:
        number = fields["number"]
        if number in (None, ""):
            cleaned["number"] = None
        else:
            try:
                cleaned["number"] = float(str(number).replace(",", ""))
            except ValueError:
                raise ApplicationError(
                    f"Question {question.code}: {number!r} is not a number."
                ) from None
            if cleaned["number"] != cleaned["number"] or abs(cleaned["number"]) == float("inf"):
                raise ApplicationError(f"Question {question.code}: {number!r} is not a number.")
    if "choices" in fields:
        choices = fields["choices"] or []
        if isinstance(choices, str):
            choices = [choices]
        unknown = [choice for choice in choices if choice not in question.choices]
        if unknown:
            raise ApplicationError(
                f"Question {question.code}: {', '.join(map(str, unknown))} "
                "is not one of the choices."
            )
        cleaned["choices"] = list(dict.fromkeys(choices))
    return cleaned


@transaction.atomic
def answer_save(
    *, assessment: Assessment, question: Question, user: User | None, **fields: Any
) -> Answer:
    """Save some fields of one answer (autosave sends one field at a time)."""
    _require_draft(assessment)
    if question.framework_id != assessment.framework_id:
        raise ApplicationError(
            f"Question {question.code} is not part of this assessment's framework."
        )
    cleaned = clean_answer_fields(question, fields)
    answer = (
        Answer.objects.select_for_update().filter(assessment=assessment, question=question).first()
    )
    if answer is None:
        answer = Answer(assessment=assessment, question=question)
    for name, value in cleaned.items():
        setattr(answer, name, value)
    answer.updated_by = user
    answer.save()  # one history row per save
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    return answer


@transaction.atomic
def answers_import(
    *, assessment: Assessment, user: User | None, rows: list[dict[str, Any]]
) -> tuple[int, int]:
    """Merge the rows of an uploaded workbook into the draft: all of them, or none.

    Each row is {"code": ..., "fields": {...}} with only the fields its
    non-blank cells gave (blank cells clear nothing). Returns (updated,
    unchanged): rows whose fields differ from the draft are saved through
    answer_save; the rest are left alone, so re-uploading a workbook adds no
    history.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_draft(assessment)
    questions = {question.code: question for question in assessment.framework.questions.all()}
    current = {answer.question_id: answer for answer in assessment.answers.all()}
    updated = 0
    for row in rows:
        question = questions.get(row["code"])
        if question is None:
            raise ApplicationError(
                f"Question {row['code']} is not part of this assessment's framework."
            )
        answer = current.get(question.pk)
        changed = {
            name: value
            for name, value in row["fields"].items()
            if not _same_answer(answer, name, value)
        }
        if changed:
            answer_save(assessment=assessment, question=question, user=user, **changed)
            updated += 1
    return updated, len(rows) - updated


def _same_answer(answer: Answer | None, name: str, value: Any) -> bool:
    if answer is None:
        return value in ("", None, [])
    if name == "choices":
        return set(answer.choices or []) == set(value or [])
    return getattr(answer, name) == value


def _check_evidence_file(upload: UploadedFile) -> str:
    return check_upload(upload, types=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES)


@transaction.atomic
def evidence_add(
    *,
    assessment: Assessment,
    question: Question,
    user: User | None,
    title: str = "",
    file: UploadedFile | None = None,
    url: str = "",
) -> Evidence:
    _require_draft(assessment)
    if question.framework_id != assessment.framework_id:
        raise ApplicationError(
            f"Question {question.code} is not part of this assessment's framework."
        )
    if not file and not url:
        raise ApplicationError("Attach a file or give a link.")
    evidence = Evidence(assessment=assessment, question=question, uploaded_by=user, url=url or "")
    if file:
        _check_evidence_file(file)
        evidence.file = file
        evidence.size = file.size
        evidence.content_type = (getattr(file, "content_type", "") or "")[:100]
    evidence.title = (title or (file.name if file else url))[:200]
    evidence.full_clean(exclude=["file"])
    evidence.save()
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence) -> None:
    _require_draft(evidence.assessment)
    if evidence_in_a_version(evidence.assessment, evidence.pk):
        # A submitted version still lists it: take it off the draft, keep the file.
        evidence.removed_at = timezone.now()
        evidence.save(update_fields=["removed_at", "updated_at"])
        return
    if evidence.file:
        evidence.file.delete(save=False)
    evidence.delete()


# --- submitting and scoring ---------------------------------------------------------------------


def missing_answers(assessment: Assessment) -> list[Question]:
    spec = framework_spec(assessment.framework)
    codes = scoring.missing_required(spec, draft_rule_inputs(assessment))
    questions = {q.code: q for q in assessment.framework.questions.filter(code__in=codes)}
    return [questions[code] for code in codes]


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user: User | None) -> AssessmentVersion:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_draft(assessment)
    missing = missing_answers(assessment)
    if missing:
        listed = ", ".join(question.code for question in missing)
        raise ApplicationError(
            f"{len(missing)} required question(s) are not answered: {listed}.",
            extra={"missing": [question.code for question in missing]},
        )
    snapshot = draft_rule_inputs(assessment)
    for code, evidence_list in _evidence_snapshot(assessment).items():
        snapshot.setdefault(code, normalise_answer(None))["evidence"] = evidence_list
    for code, answer in snapshot.items():
        snapshot[code] = {**normalise_answer(answer), "evidence": answer.get("evidence", [])}
    number = (
        assessment.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    now = timezone.now()
    version = AssessmentVersion.objects.create(
        assessment=assessment, number=number, submitted_by=user, answers=snapshot, queued_at=now
    )
    assessment.status = Assessment.Status.SUBMITTED
    assessment.save(update_fields=["status", "updated_at"])
    enqueue_scoring(version)
    return version


def _evidence_snapshot(assessment: Assessment) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for evidence in assessment.evidence.select_related("question"):
        grouped.setdefault(evidence.question.code, []).append(
            {
                "id": evidence.pk,
                "title": evidence.title,
                "file": evidence.file.name or "",
                "url": evidence.url,
                "size": evidence.size,
            }
        )
    return grouped


@transaction.atomic
def assessment_reopen(*, assessment: Assessment, user: User | None) -> Assessment:
    """Start a new draft from the last submitted version; the versions stay as they were."""
    if assessment.is_draft:
        raise ApplicationError("This assessment is already a draft.")
    _require_proposal_open(assessment)
    assessment.status = Assessment.Status.DRAFT
    assessment.save(update_fields=["status", "updated_at"])
    return assessment


def enqueue_scoring(version: AssessmentVersion) -> None:
    from assessments.tasks import score_version

    version_id = version.pk
    # robust: a broker outage must not undo or fail the submission; the sweep catches up.
    transaction.on_commit(lambda: score_version.delay(version_id), robust=True)


def rescore_latest(assessment: Assessment) -> AssessmentVersion | None:
    """Queue the latest version for scoring again (reviews or dismissals changed)."""
    version = assessment.versions.order_by("-number").first()
    if version is None:
        return None
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.QUEUED, queued_at=timezone.now(), error=""
    )
    enqueue_scoring(version)
    return version


def version_scorecard_data(version: AssessmentVersion) -> tuple[scoring.Scorecard, str]:
    assessment = version.assessment
    spec = framework_spec(assessment.framework)
    answers = {
        code: {k: v for k, v in answer.items() if k != "evidence"}
        for code, answer in version.answers.items()
    }
    reviews = reviews_input(assessment)
    dismissed = dismissed_rule_codes(assessment)
    digest = hashlib.sha256(
        json.dumps([answers, reviews, sorted(dismissed)], sort_keys=True, default=str).encode()
    ).hexdigest()
    return scoring.score(spec, answers, reviews, dismissed), digest


def version_score(*, version_id: int) -> Scorecard | None:
    """Compute and store the scorecard and red flags of a version; safe to run twice.

    The claim is a conditional update, so a second worker with the same job
    stops at once; everything is written in one transaction, so a worker
    killed midway leaves the previous result in place.
    """
    claimed = AssessmentVersion.objects.filter(
        pk=version_id, status__in=[AssessmentVersion.Status.QUEUED, AssessmentVersion.Status.FAILED]
    ).update(status=AssessmentVersion.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    version = AssessmentVersion.objects.select_related("assessment__framework").get(pk=version_id)
    try:
        with transaction.atomic():
            card, digest = version_scorecard_data(version)
            scorecard = _store_scorecard(version, card, digest)
            AssessmentVersion.objects.filter(pk=version_id).update(
                status=AssessmentVersion.Status.DONE,
                finished_at=timezone.now(),
                error="",
                attempts=version.attempts + 1,
            )
        return scorecard
    except Exception as error:
        AssessmentVersion.objects.filter(pk=version_id).update(
            status=AssessmentVersion.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=version.attempts + 1,
        )
        raise


def _store_scorecard(version: AssessmentVersion, card: scoring.Scorecard, digest: str) -> Scorecard:
    data = card.as_dict()
    data["dismissed_red_flags"] = card.dismissed_red_flags
    data["rule_errors"] = card.rule_errors
    data["raw_scores"] = {code: result.raw_score for code, result in card.questions.items()}
    scorecard, _ = Scorecard.objects.update_or_create(
        version=version,
        defaults={
            "score": card.score,
            "level": card.level["level"] if card.level else None,
            "level_name": card.level["name"] if card.level else "",
            "data": data,
            "inputs_hash": digest,
        },
    )
    _sync_red_flags(version.assessment, card)
    return scorecard


def _sync_red_flags(assessment: Assessment, card: scoring.Scorecard) -> None:
    raised = {flag["code"] for flag in card.red_flags} | {
        flag["code"] for flag in card.dismissed_red_flags
    }
    rules = {
        rule.code: rule
        for rule in RedFlagRule.objects.filter(
            question__framework=assessment.framework_id, code__in=raised
        )
    }
    existing = {flag.rule_id: flag for flag in RedFlag.objects.filter(assessment=assessment)}
    for code in raised:
        rule = rules[code]
        flag = existing.pop(rule.pk, None)
        if flag is None:
            RedFlag.objects.create(assessment=assessment, question_id=rule.question_id, rule=rule)
        elif flag.status == RedFlag.Status.CLEARED:
            flag.status = RedFlag.Status.ACTIVE
            flag.save(update_fields=["status", "updated_at"])
    # Flags no longer raised are kept for the record, marked cleared
    # (a dismissal stays a dismissal).
    for flag in existing.values():
        if flag.status == RedFlag.Status.ACTIVE:
            flag.status = RedFlag.Status.CLEARED
            flag.save(update_fields=["status", "updated_at"])


def sweep_unscored(
    *, queued_for: timedelta = timedelta(minutes=2), running_for: timedelta = timedelta(minutes=15)
) -> list[int]:
    """Re-enqueue versions whose scoring never started (broker down) or died with its worker."""
    from assessments.tasks import score_version

    now = timezone.now()
    AssessmentVersion.objects.filter(
        status=AssessmentVersion.Status.RUNNING, started_at__lt=now - running_for
    ).update(status=AssessmentVersion.Status.QUEUED, queued_at=now - queued_for)
    return _enqueue_stale(AssessmentVersion, score_version, now - queued_for)


def sweep_reports(*, queued_for: timedelta = timedelta(minutes=2)) -> list[int]:
    """Re-enqueue reports asked for while the broker was down (a stale running one is taken over
    by the renderer itself)."""
    from assessments.reports import RUNNING_STALE_AFTER
    from assessments.tasks import render_report

    now = timezone.now()
    stale_running = list(
        Report.objects.filter(
            status=Report.Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER
        ).values_list("pk", flat=True)
    )
    for report_id in stale_running:
        render_report.delay(report_id)
    return stale_running + _enqueue_stale(Report, render_report, now - queued_for)


def _enqueue_stale(model, task, queued_before) -> list[int]:
    stale = list(
        model.objects.filter(status=model.Status.QUEUED, queued_at__lte=queued_before).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        task.delay(pk)
    return stale


# --- reviewing ----------------------------------------------------------------------------------


@transaction.atomic
def reviewer_assign(
    *, assessment: Assessment, reviewer: User, is_lead: bool = False
) -> ReviewerAssignment:
    from accounts.models import Membership

    if assessment.reviewing_organisation_id is None:
        raise ApplicationError("This assessment is not shared with a buyer for review.")
    if not Membership.objects.filter(
        user=reviewer,
        organisation_id=assessment.reviewing_organisation_id,
        role__in=[Membership.Role.REVIEWER, Membership.Role.PROCUREMENT_MANAGER],
    ).exists():
        raise ApplicationError(
            f"{reviewer} is not on the evaluation team of {assessment.reviewing_organisation}."
        )
    if is_lead:
        ReviewerAssignment.objects.filter(assessment=assessment, is_lead=True).exclude(
            reviewer=reviewer
        ).update(is_lead=False)
    assignment, _ = ReviewerAssignment.objects.update_or_create(
        assessment=assessment, reviewer=reviewer, defaults={"is_lead": is_lead}
    )
    return assignment


@transaction.atomic
def conflict_declare(*, assignment: ReviewerAssignment) -> ReviewerAssignment:
    if assignment.no_conflict_declared_at is None:
        assignment.no_conflict_declared_at = timezone.now()
        assignment.save(update_fields=["no_conflict_declared_at", "updated_at"])
    return assignment


WITHDRAW_REASON_MAX = 100  # the history's change-reason column


@transaction.atomic
def assignment_withdraw(
    *, assignment: ReviewerAssignment, reason: str, user: User | None = None
) -> None:
    """Take a reviewer off an assessment: a declared conflict of interest, or the manager's call.

    Their own scores go with them (a conflicted reviewer's scores must not
    count); the history of the assignment and of each score keeps who, when
    and why. Refused on a proposal's questionnaire once its RFx has locked the technical
    scores: from then on no score may move.
    """
    if assignment.assessment.kind == Assessment.Kind.PROPOSAL:
        from rfx.services import REVIEW_TEAM_LOCKED, require_technical_scores_open

        require_technical_scores_open(assignment.assessment, message=REVIEW_TEAM_LOCKED)
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise ApplicationError(
            "Say briefly why (at least 5 characters): it is kept in the review's history."
        )
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ApplicationError(f"Keep the reason to {WITHDRAW_REASON_MAX} characters or fewer.")
    scores = list(
        ReviewerScore.objects.filter(
            assessment_id=assignment.assessment_id, reviewer_id=assignment.reviewer_id
        )
    )
    for item in [*scores, assignment]:
        item._change_reason = reason
        if user is not None:  # otherwise the history takes the signed-in person, if any
            item._history_user = user
        item.delete()
    if scores:
        rescore_latest(assignment.assessment)


def _active_assignment(assessment: Assessment, reviewer: User) -> ReviewerAssignment:
    assignment = ReviewerAssignment.objects.filter(assessment=assessment, reviewer=reviewer).first()
    if assignment is None or assignment.no_conflict_declared_at is None:
        raise ApplicationError(
            "Only an assigned reviewer who has declared no conflict of interest "
            "can score this assessment."
        )
    return assignment


def _require_reviewable(assessment: Assessment) -> None:
    if not assessment.versions.exists():
        raise ApplicationError("Nothing has been submitted yet, so there is nothing to score.")
    _require_scores_open(assessment)


def _require_scores_open(assessment: Assessment) -> None:
    """A proposal's questionnaire is scored only until its RFx locks the technical scores."""
    if assessment.kind == Assessment.Kind.PROPOSAL:
        from rfx.services import require_technical_scores_open  # rfx builds on assessments

        require_technical_scores_open(assessment)


@transaction.atomic
def reviewer_score_set(
    *, assessment: Assessment, question: Question, reviewer: User, score: int, comment: str = ""
) -> ReviewerScore:
    _require_reviewable(assessment)
    if question.framework_id != assessment.framework_id:
        raise ApplicationError(
            f"Question {question.code} is not part of this assessment's framework."
        )
    if score not in (0, 1, 2, 3):
        raise ApplicationError("A score is 0 (not met), 1 (partially met), 2 (met) or 3 (exceeds).")
    if assessment.kind == Assessment.Kind.PROPOSAL:
        from rfx.services import require_reviewer_criterion  # rfx builds on assessments

        require_reviewer_criterion(assessment, reviewer, question)
    # Scores stay independent: once submitted, the reviewer has seen the others' scores.
    if _active_assignment(assessment, reviewer).submitted_at is not None:
        raise ApplicationError(
            "You have submitted your review, so your scores are final. "
            "The lead reviewer records any change agreed at the consensus meeting."
        )
    value, _ = ReviewerScore.objects.update_or_create(
        assessment=assessment,
        question=question,
        reviewer=reviewer,
        defaults={"score": score, "comment": comment[:5000]},
    )
    rescore_latest(assessment)
    return value


@transaction.atomic
def review_submit(*, assignment: ReviewerAssignment) -> ReviewerAssignment:
    if assignment.no_conflict_declared_at is None:
        raise ApplicationError(
            "Declare that you have no conflict of interest before submitting a review."
        )
    if assignment.submitted_at is not None:
        return assignment
    if not ReviewerScore.objects.filter(
        assessment=assignment.assessment, reviewer=assignment.reviewer
    ).exists():
        raise ApplicationError("Score at least one question before submitting your review.")
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["submitted_at", "updated_at"])
    return assignment


@transaction.atomic
def consensus_set(
    *, assessment: Assessment, question: Question, user: User, score: int | None, comment: str = ""
) -> ConsensusScore | None:
    """Set (or with score None, clear) the consensus; individual scores stay on record."""
    _require_reviewable(assessment)
    if question.framework_id != assessment.framework_id:
        raise ApplicationError(
            f"Question {question.code} is not part of this assessment's framework."
        )
    lead = ReviewerAssignment.objects.filter(
        assessment=assessment, reviewer=user, is_lead=True
    ).first()
    if lead is None:
        raise ApplicationError("Only the lead reviewer sets consensus scores.")
    if lead.submitted_at is None:
        raise ApplicationError(
            "Submit your own review before setting consensus scores, "
            "so that your own scores stay independent."
        )
    if score is None:
        ConsensusScore.objects.filter(assessment=assessment, question=question).delete()
        rescore_latest(assessment)
        return None
    if score not in (0, 1, 2, 3):
        raise ApplicationError("A score is 0 (not met), 1 (partially met), 2 (met) or 3 (exceeds).")
    value, _ = ConsensusScore.objects.update_or_create(
        assessment=assessment,
        question=question,
        defaults={"score": score, "comment": comment[:5000], "set_by": user},
    )
    rescore_latest(assessment)
    return value


@transaction.atomic
def red_flag_dismiss(*, flag: RedFlag, user: User, reason: str) -> RedFlag:
    _require_scores_open(flag.assessment)
    if flag.status != RedFlag.Status.ACTIVE:
        raise ApplicationError("Only an active red flag can be dismissed.")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ApplicationError("Give a reason of at least 10 characters for dismissing a red flag.")
    flag.status = RedFlag.Status.DISMISSED
    flag.dismissed_reason = reason[:5000]
    flag.dismissed_by = user
    flag.dismissed_at = timezone.now()
    flag._history_user = user  # the audit trail names who, also outside a web request
    flag.save()
    rescore_latest(flag.assessment)
    return flag


@transaction.atomic
def red_flag_restore(*, flag: RedFlag, user: User) -> RedFlag:
    _require_scores_open(flag.assessment)
    if flag.status != RedFlag.Status.DISMISSED:
        raise ApplicationError("Only a dismissed red flag can be restored.")
    # The dismissal (who, when, why) stays in the flag's history.
    flag.status = RedFlag.Status.ACTIVE
    flag.dismissed_reason = ""
    flag.dismissed_by = None
    flag.dismissed_at = None
    flag._history_user = user
    flag.save()
    rescore_latest(flag.assessment)
    return flag


# --- reports ------------------------------------------------------------------------------------


@transaction.atomic
def report_request(*, assessment: Assessment, user: User | None) -> Report:
    version = assessment.versions.order_by("-number").first()
    if version is None:
        raise ApplicationError("Submit the assessment before asking for its report.")
    pending = Report.objects.filter(
        version=version, status__in=[Report.Status.QUEUED, Report.Status.RUNNING]
    ).first()
    if pending:
        return pending
    report = Report.objects.create(
        assessment=assessment, version=version, requested_by=user, queued_at=timezone.now()
    )
    enqueue_report(report)
    return report


def enqueue_report(report: Report) -> None:
    from assessments.tasks import render_report

    report_id = report.pk
    transaction.on_commit(lambda: render_report.delay(report_id), robust=True)


@transaction.atomic
def report_retry(*, report: Report) -> Report:
    if report.status != Report.Status.FAILED:
        raise ApplicationError("Only a failed report can be retried.")
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.QUEUED, queued_at=timezone.now(), error=""
    )
    report.refresh_from_db()
    enqueue_report(report)
    return report


@transaction.atomic
def scoring_retry(*, version: AssessmentVersion) -> AssessmentVersion:
    if version.status != AssessmentVersion.Status.FAILED:
        raise ApplicationError("Only failed scoring can be retried.")
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.QUEUED, queued_at=timezone.now(), error=""
    )
    version.refresh_from_db()
    enqueue_scoring(version)
    return version
