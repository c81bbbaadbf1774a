"""Every write to a tender competition (DESIGN §5): the buyer's set-up and its three files,
the suppliers' prediction files, their scoring by the worker, retries and the sweep.

The files are checked by `rfx.competition` (column-wise, with polars); this module decides
who may do what and when, stores the files and records the outcome.

Decisions:
- The competition belongs to a draft RFP and is fixed at publishing, like the framework:
  set-up, files and removal are refused once the RFx is published. Creating it turns the
  RFx's competition gate (`RFx.has_competition`) on; removing it turns the gate off.
  Publishing checks that the two agree and that the competition is ready
  (`competition_publishing_problem`, called by `rfx.services.validation_errors`).
- The hidden labels are written to the "hidden" storage only; nothing here hands out a
  link to them. Their classes, group columns and row count are kept on the competition.
- The evaluation inputs need an `id` column whose ids are exactly the labels' ids; the
  second of the two files to arrive is checked against the first. An inputs column that
  holds the hidden label on every row is refused: it would give the answers away.
- A replaced or removed file is deleted from its storage once the change is committed.
- A supplier's predictions file is stored before it is checked, whatever the checks find,
  with its size and SHA-256. A refused file (`valid` False, `problems` saying why) does not
  count against the submission limit and is never scored; its job status is "failed" with
  a sentence saying so. A valid file counts and is queued for the worker, enqueued on
  commit with `robust=True`: if the broker is down, the file is still saved and the sweep
  enqueues it within a minute or two.
- Refused before anything is stored: a file over the size limit, an upload once the
  supplier has used every valid submission, and an upload past `MAX_UPLOADS` files in all
  (a cap that protects the storage from endless refused files).
- The server's clock decides: uploads from `release_at` until the proposal deadline,
  whatever the RFx's status still says and whatever the client's clock says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import EllipsisType
from typing import Any

from django.core.files.base import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import Membership, User
from core.exceptions import ApplicationError
from rfx import competition as scorer
from rfx import services as rfx_services
from rfx.models import Competition, PredictionSubmission, Proposal, RFx

logger = logging.getLogger(__name__)

S = RFx.Status
Job = PredictionSubmission.Status

# The training set and the evaluation inputs carry the features, so they may be bigger than
# the labels and predictions files, which `rfx.competition` limits to MAX_BYTES.
DATA_MAX_BYTES = 500 * 1024 * 1024
MAX_UPLOADS = 50  # prediction files kept per proposal, refused ones included
MAX_BARS = 50
SUBMISSION_LIMIT_RANGE = (1, 100)
# Errors that may pass on their own: the task retries them instead of giving up.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class CompetitionFile:
    kind: str
    field: str  # the FileField; `<kind>_name` and `<kind>_size` go with it
    what: str  # as a person calls it
    max_bytes: int


FILES: dict[str, CompetitionFile] = {
    "training": CompetitionFile("training", "training_file", "training set", DATA_MAX_BYTES),
    "inputs": CompetitionFile("inputs", "inputs_file", "evaluation inputs", DATA_MAX_BYTES),
    "labels": CompetitionFile("labels", "labels_file", "hidden labels", scorer.MAX_BYTES),
}
FILE_KINDS = tuple(FILES)

REFUSED = "This file was refused, so it is not scored: fix the problems listed and upload it again."


# --- helpers ------------------------------------------------------------------------------------


def _errors(errors: dict[str, str], *, messages: list[str] | None = None) -> ApplicationError:
    extra: dict[str, Any] = {"errors": errors}
    if messages is not None:
        extra["messages"] = messages
    return ApplicationError(" ".join(errors.values()), extra=extra)


def _require_draft_rfp(rfx: RFx) -> None:
    if rfx.kind != RFx.Kind.RFP:
        raise ApplicationError("A request for information has no competition.")
    if rfx.status != S.DRAFT:
        raise ApplicationError(
            "The competition is fixed when the RFx is published: suppliers rely on it. "
            f"This RFx is {rfx.get_status_display().lower()}."
        )


def _locked_competition(rfx: RFx) -> Competition | None:
    return Competition.objects.select_for_update().filter(rfx=rfx).first()


@contextlib.contextmanager
def local_path(file: File) -> Iterator[str]:
    """A path on this machine to read `file` from, for polars to scan without a copy in memory.

    An upload big enough to have gone to a temporary file and a file in a storage with paths
    (the file system) are read where they are; anything else (a small upload, S3) is copied
    to a temporary file in chunks first, which is deleted afterwards.
    """
    path = None
    if hasattr(file, "temporary_file_path"):
        path = file.temporary_file_path()
    elif isinstance(file, FieldFile):
        with contextlib.suppress(NotImplementedError):
            path = file.path
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="competition-", suffix=".csv") as copy:
        try:
            for chunk in file.chunks():
                copy.write(chunk)
        finally:
            if isinstance(file, FieldFile):
                file.close()
        copy.flush()
        yield copy.name


def _delete_on_commit(file: FieldFile, name: str) -> None:
    storage = file.storage

    def delete() -> None:
        try:
            storage.delete(name)
        except Exception:  # a file left behind costs space, not correctness
            logger.exception("Could not delete the replaced competition file %s", name)

    transaction.on_commit(delete)


def _when(moment: datetime) -> str:
    return rfx_services._when(moment)


# --- set-up -------------------------------------------------------------------------------------


@transaction.atomic
def competition_configure(
    *,
    rfx: RFx,
    user: User,
    description: str | EllipsisType = ...,
    primary_metric: str | EllipsisType = ...,
    bars: list[dict[str, Any]] | str | EllipsisType = ...,
    submission_limit: int | str | EllipsisType = ...,
    release_at: datetime | None | EllipsisType = ...,
) -> Competition:
    """Create or change the competition of a draft RFP (a procurement manager of the buyer).

    An argument left out keeps its value; a new competition starts from the defaults (accuracy,
    no bars, 5 valid submissions, no release time yet). `bars` is a list of DESIGN §5 bars or
    its JSON text; once the hidden labels are uploaded, the classes and group columns a bar
    names must exist in them. `release_at`, when given, must be timezone-aware, in the future
    and before the proposal deadline. Creating the competition turns the RFx's gate on.
    Raises ApplicationError with `extra["errors"]` mapping each field to its message.
    """
    rfx_services._require_manager(rfx, user)
    rfx_services._lock(rfx)
    _require_draft_rfp(rfx)
    competition = _locked_competition(rfx) or Competition(rfx=rfx)
    errors: dict[str, str] = {}

    if description is not ...:
        text = (description or "").strip()
        if len(text) > 20000:
            errors["description"] = "The description is longer than 20,000 characters."
        competition.description = text
    if primary_metric is not ...:
        if primary_metric not in Competition.Metric.values:
            errors["primary_metric"] = (
                "Choose the measure that orders the results: accuracy, macro F1 or weighted F1."
            )
        else:
            competition.primary_metric = primary_metric
    if submission_limit is not ...:
        limit = _whole_number(submission_limit)
        low, high = SUBMISSION_LIMIT_RANGE
        if limit is None or not low <= limit <= high:
            errors["submission_limit"] = (
                f"Give the number of valid prediction files each supplier may upload as a whole "
                f"number from {low} to {high}."
            )
        else:
            competition.submission_limit = limit
    if release_at is not ...:
        changed = release_at != competition.release_at
        problem = _release_problem(rfx, release_at, timezone.now(), changed=changed)
        if problem:
            errors["release_at"] = problem
        else:
            competition.release_at = release_at
    if bars is not ...:
        checked, problem = _checked_bars(bars, competition)
        if problem:
            errors["bars"] = problem
        else:
            competition.bars = checked
    if errors:
        raise _errors(errors)

    competition.full_clean(exclude=["rfx", *(spec.field for spec in FILES.values())])
    competition.save()
    if not rfx.has_competition:
        rfx.has_competition = True
        rfx.save(update_fields=["has_competition", "updated_at"])
    return competition


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _release_problem(
    rfx: RFx, release_at: datetime | None, now: datetime, *, changed: bool
) -> str | None:
    if release_at is None:
        return None  # not decided yet; publishing needs it
    if not isinstance(release_at, datetime):
        return "Give the release time as a date and time."
    if timezone.is_naive(release_at):
        return "Give the release time with a time zone."
    # Saving the set-up again as it was must not fail because the time has come closer.
    if changed and release_at <= now:
        return "The release time of the evaluation inputs must be in the future."
    deadline = rfx.proposal_deadline
    if deadline is not None and release_at >= deadline:
        return (
            f"Release the evaluation inputs before the proposal deadline ({_when(deadline)}), "
            "so that suppliers have time to send their predictions."
        )
    return None


def _checked_bars(bars: Any, competition: Competition) -> tuple[list[dict], str | None]:
    if isinstance(bars, str):
        if not bars.strip():
            return [], None
        try:
            bars = json.loads(bars)
        except json.JSONDecodeError as error:
            return [], (
                f"The bars are not valid JSON ({error.msg}, line {error.lineno}, column "
                f'{error.colno}). Write them like [{{"metric": "accuracy", "min": 0.8}}].'
            )
    if isinstance(bars, list | tuple) and len(bars) > MAX_BARS:
        return [], f"Keep to {MAX_BARS} bars at most."
    labelled = bool(competition.labels_file)
    try:
        checked = scorer.check_bars(
            bars,
            classes=competition.classes if labelled else None,
            columns=competition.group_columns if labelled else None,
        )
    except scorer.BarsError as error:
        return [], " ".join(error.messages)
    return checked, None


@transaction.atomic
def competition_remove(*, rfx: RFx, user: User) -> None:
    """Remove the competition of a draft RFx, its files with it, and turn the gate off."""
    rfx_services._require_manager(rfx, user)
    rfx_services._lock(rfx)
    if rfx.status != S.DRAFT:
        raise ApplicationError(
            "The competition is fixed when the RFx is published and can no longer be removed."
        )
    competition = _locked_competition(rfx)
    if competition is not None:
        for spec in FILES.values():
            file = getattr(competition, spec.field)
            if file:
                _delete_on_commit(file, file.name)
        competition.delete()
    if rfx.has_competition:
        rfx.has_competition = False
        rfx.save(update_fields=["has_competition", "updated_at"])


@transaction.atomic
def competition_file_upload(*, rfx: RFx, user: User, kind: str, file: File | None) -> Competition:
    """Check and store one of the three files of a draft RFP's competition.

    `kind` is "training" (the training set, with labels, for suppliers), "inputs" (the
    evaluation inputs, released at `release_at`) or "labels" (the hidden labels
    `id,label[,group columns…]`, kept in the hidden storage). A file that fails a check is
    not stored; ApplicationError's `extra["errors"]` maps the field (e.g. "labels_file") to
    the problems and `extra["messages"]` lists them one by one. A replaced file is deleted.
    """
    rfx_services._require_manager(rfx, user)
    rfx_services._lock(rfx)
    _require_draft_rfp(rfx)
    spec = FILES.get(kind)
    if spec is None:
        raise ApplicationError(
            "Say which file this is: the training set, the evaluation inputs or the hidden labels."
        )
    competition = _locked_competition(rfx)
    if competition is None:
        raise ApplicationError("Set up the competition before uploading its files.")
    if file is None:
        raise _errors({spec.field: f"Choose the {spec.what} file to upload."})
    if file.size > spec.max_bytes:
        message = f"The {spec.what} file is {scorer._size(file.size)}; the limit is "
        raise _errors({spec.field: message + f"{scorer._size(spec.max_bytes)}."})

    with local_path(file) as path:
        try:
            learned = _check_competition_file(spec, path, competition)
        except scorer.CompetitionError as error:
            raise _errors({spec.field: " ".join(error.messages)}, messages=error.messages) from None

    stored = getattr(competition, spec.field)
    old_name = stored.name
    stored.save(f"{spec.kind}.csv", file, save=False)
    setattr(competition, f"{spec.kind}_name", os.path.basename(file.name or "")[:200])
    setattr(competition, f"{spec.kind}_size", file.size)
    for name, value in learned.items():
        setattr(competition, name, value)
    competition.save(
        update_fields=[
            spec.field,
            f"{spec.kind}_name",
            f"{spec.kind}_size",
            *learned,
            "updated_at",
        ]
    )
    if old_name and old_name != stored.name:
        _delete_on_commit(stored, old_name)
    return competition


def _check_competition_file(
    spec: CompetitionFile, path: str, competition: Competition
) -> dict[str, Any]:
    """Raise CompetitionError if the file cannot be used; return what it tells the competition."""
    if spec.kind == "training":
        scorer.read_table(path, which="training set", max_bytes=spec.max_bytes)
        return {}
    if spec.kind == "inputs":
        table = _read_inputs(path)
        if competition.labels_file:
            with local_path(competition.labels_file) as labels_path:
                labels = scorer.read_labels(labels_path, classes=competition.classes)
            _check_inputs_against_labels(path, table, labels, uploaded="inputs")
        return {}

    labels = scorer.read_labels(path)
    columns = list(labels.groups)
    try:
        scorer.check_bars(competition.bars, classes=labels.classes, columns=columns)
    except scorer.BarsError as error:
        raise scorer.CompetitionFileError(
            [
                "The competition's bars name what this labels file does not have. Change the "
                "bars first, or upload labels that have it.",
                *error.messages,
            ],
            which="labels",
        ) from None
    if competition.inputs_file:
        with local_path(competition.inputs_file) as inputs_path:
            table = _read_inputs(inputs_path)
            _check_inputs_against_labels(inputs_path, table, labels, uploaded="labels")
    return {"rows": labels.rows, "classes": labels.classes, "group_columns": columns}


def _read_inputs(path: str) -> scorer.Table:
    return scorer.read_table(
        path, which="evaluation inputs", id_column=True, max_bytes=DATA_MAX_BYTES
    )


def _check_inputs_against_labels(
    path: str, table: scorer.Table, labels: scorer.Labels, *, uploaded: str
) -> None:
    """The ids must be the same set in both files, and no inputs column may give the labels."""
    assert table.ids is not None  # noqa: S101 (read with id_column)
    if uploaded == "inputs":
        errors = scorer.id_mismatch_errors(
            labels.frame,
            table.ids,
            reference_name="the hidden labels",
            checked_name="the evaluation inputs",
        )
    else:
        errors = scorer.id_mismatch_errors(
            table.ids,
            labels.frame,
            reference_name="the evaluation inputs",
            checked_name="the hidden labels",
        )
    if errors:
        raise scorer.CompetitionFileError(
            [
                "The evaluation inputs and the hidden labels must have exactly the same ids.",
                *errors,
            ],
            which=uploaded,
        )
    leaked = scorer.columns_holding_the_labels(path, table, labels)
    if leaked:
        names = ", ".join(f"“{name}”" for name in leaked)
        raise scorer.CompetitionFileError(
            f"The evaluation inputs hold the hidden label of every row in {names}: suppliers "
            "would see the answers. Take that column out of the evaluation inputs.",
            which=uploaded,
        )


def competition_publishing_problem(rfx: RFx) -> str | None:
    """Why the RFx cannot be published yet because of its competition, or None.

    The gate and the competition must agree, and a competition needs its three files and a
    release time before the proposal deadline.
    """
    if rfx.kind != RFx.Kind.RFP:
        return None  # an RFI with the gate on is refused by validation_errors itself
    competition = Competition.objects.filter(rfx=rfx).first()
    if competition is None:
        if rfx.has_competition:
            return (
                "The competition gate is on but no competition is set up. Set up the "
                "competition, or turn the gate off."
            )
        return None
    if not rfx.has_competition:
        return (
            "A competition is set up but the competition gate is off. Turn the gate on, or "
            "remove the competition."
        )
    missing = [
        f"the {spec.what}" for spec in FILES.values() if not getattr(competition, spec.field)
    ]
    steps = []
    if missing:
        listed = " and ".join([", ".join(missing[:-1]), missing[-1]] if missing[:-1] else missing)
        steps.append(f"upload {listed}")
    if competition.release_at is None:
        steps.append("set the release time of the evaluation inputs")
    if steps:
        return f"Finish the competition before publishing: {'; '.join(steps)}."
    deadline = rfx.proposal_deadline
    if deadline is not None and competition.release_at >= deadline:
        return (
            f"The evaluation inputs are released on {_when(competition.release_at)}, which is not "
            f"before the proposal deadline ({_when(deadline)}). Release them earlier so that "
            "suppliers have time to send their predictions."
        )
    return None


# --- suppliers' predictions ---------------------------------------------------------------------


@transaction.atomic
def prediction_submit(*, proposal: Proposal, user: User, file: File | None) -> PredictionSubmission:
    """Keep a supplier's predictions file `id,prediction`, check it, and queue it for scoring.

    For a member of the proposal's supplier, from the release of the evaluation inputs until
    the proposal deadline (the server's clock). The file is stored whatever the checks find;
    a refused one comes back with `valid` False and `problems` (rows named, at most ten
    examples each) and does not count. Raises ApplicationError, storing nothing, when the
    upload is not allowed at all, is too big or goes past the limits.
    """
    proposal = Proposal.objects.select_for_update().select_related("rfx").get(pk=proposal.pk)
    rfx = proposal.rfx
    rfx_services._require_proposal_writer(proposal, user)
    competition = Competition.objects.filter(rfx=rfx).first() if rfx.has_competition else None
    if competition is None:
        raise ApplicationError("This RFx has no competition, so there is nothing to predict.")
    now = timezone.now()
    if competition.release_at is None or now < competition.release_at:
        when = f" on {_when(competition.release_at)}" if competition.release_at else ""
        raise ApplicationError(
            f"The evaluation inputs are released{when}; predictions are accepted from then."
        )
    counts = proposal.prediction_submissions.aggregate(
        total=Count("pk"), valid=Count("pk", filter=Q(valid=True)), last=Max("number")
    )
    limit = competition.submission_limit
    if counts["valid"] >= limit:
        raise ApplicationError(
            f"You have used all {limit} valid prediction "
            f"{'file' if limit == 1 else 'files'} this competition allows; the last one counts."
        )
    if counts["total"] >= MAX_UPLOADS:
        raise ApplicationError(
            f"You have uploaded {MAX_UPLOADS} prediction files, the most we keep for a proposal. "
            "Ask the buyer if you need to send another."
        )
    if file is None:
        raise _errors({"file": "Choose the predictions file to upload."})
    if file.size > scorer.MAX_BYTES:
        raise _errors(
            {
                "file": f"The predictions file is {scorer._size(file.size)}; the limit is "
                f"{scorer._size(scorer.MAX_BYTES)}."
            }
        )

    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    submission = PredictionSubmission(
        competition=competition,
        proposal=proposal,
        number=(counts["last"] or 0) + 1,
        original_name=os.path.basename(file.name or "")[:200] or "predictions.csv",
        size=file.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    # Kept first, whatever the checks say: the raw upload is the record of what was sent. The
    # stored copy is what is checked (saving may move a big upload's temporary file there).
    submission.file.save(submission.original_name, file, save=False)
    problems = _prediction_problems(competition, submission.file)
    submission.valid = not problems
    submission.problems = problems
    if problems:
        submission.status = Job.FAILED
        submission.error = REFUSED
        submission.finished_at = now
    else:
        submission.status = Job.QUEUED
        submission.queued_at = now
    submission.save()
    if submission.valid:
        enqueue_prediction_scoring(submission)
    return submission


def _prediction_problems(competition: Competition, file: FieldFile) -> list[str]:
    """The checker's messages for a predictions file; empty when it can be scored."""
    try:
        with local_path(competition.labels_file) as labels, local_path(file) as predictions:
            scorer.validate(labels, predictions, classes=competition.classes)
        return []
    except scorer.CompetitionFileError as error:
        if error.which == "predictions":
            return error.messages
        logger.error("Competition %s: the hidden labels fail: %s", competition.pk, error)
    except Exception:
        logger.exception("Competition %s: checking a predictions file failed", competition.pk)
    return [
        "This file could not be checked because of a problem on our side. It does not count "
        "against your limit; please upload it again later, and tell the buyer if it goes on."
    ]


def enqueue_prediction_scoring(submission: PredictionSubmission) -> None:
    from rfx.tasks import score_prediction_submission

    submission_id = submission.pk
    # robust: a broker outage must not undo the upload; the sweep enqueues it later.
    transaction.on_commit(lambda: score_prediction_submission.delay(submission_id), robust=True)


def prediction_score(*, submission_id: int) -> PredictionSubmission | None:
    """Score one valid predictions file against the hidden labels (the worker); safe to repeat.

    The job is claimed with a conditional update (queued or failed → running), so a second
    worker, or a second run of a finished job, does nothing and gets None. Metrics, the bars'
    verdict and the status are written in one transaction. A failure is recorded as "failed"
    with a sentence saying why; errors that may pass (the database or storage unreachable)
    are raised again for the task to retry, others are logged and the job returned.
    """
    now = timezone.now()
    claimed = PredictionSubmission.objects.filter(
        pk=submission_id, valid=True, status__in=[Job.QUEUED, Job.FAILED]
    ).update(status=Job.RUNNING, started_at=now)
    if not claimed:
        return None
    submission = PredictionSubmission.objects.select_related("competition").get(pk=submission_id)
    competition = submission.competition
    try:
        with (
            local_path(competition.labels_file) as labels,
            local_path(submission.file) as predictions,
        ):
            result = scorer.score(
                labels, predictions, competition.bars, classes=competition.classes
            )
        with transaction.atomic():
            PredictionSubmission.objects.filter(pk=submission_id).update(
                metrics=result,
                passed=result["passed"],
                status=Job.DONE,
                finished_at=timezone.now(),
                error="",
                attempts=F("attempts") + 1,
            )
    except Exception as error:
        with contextlib.suppress(Exception):  # the database may be what failed
            PredictionSubmission.objects.filter(pk=submission_id).update(
                status=Job.FAILED,
                finished_at=timezone.now(),
                error=_failure_reason(error),
                attempts=F("attempts") + 1,
            )
        if isinstance(error, TRANSIENT):
            raise
        logger.exception("Scoring predictions %s failed", submission_id)
    submission.refresh_from_db()
    return submission


def _failure_reason(error: Exception) -> str:
    """One or two sentences for the page: what went wrong and what to do."""
    if isinstance(error, scorer.CompetitionError):
        return "The predictions could not be scored: " + " ".join(error.messages)
    if isinstance(error, TRANSIENT):
        return "Scoring was interrupted by a connection problem; it is tried again shortly."
    if isinstance(error, OSError):
        return (
            "A file of the competition could not be read from storage. Retry; if it fails "
            "again, tell the buyer."
        )
    if isinstance(error, MemoryError):
        return "The files were too big to score just now. Retry later."
    return (
        f"Scoring stopped because of an unexpected problem on our side ({type(error).__name__}). "
        "Retry; if it fails again, tell the buyer."
    )


@transaction.atomic
def prediction_retry(*, submission: PredictionSubmission, user: User) -> PredictionSubmission:
    """Queue a failed scoring again: for the supplier that uploaded it or the buyer's managers."""
    proposal = submission.proposal
    if not (
        rfx_services._has_role(user, proposal.supplier_id, Membership.Role.SUPPLIER)
        or rfx_services._has_role(user, proposal.rfx.buyer_id, Membership.Role.PROCUREMENT_MANAGER)
    ):
        raise ApplicationError(
            "Only the supplier that sent the file or a procurement manager of the buyer can "
            "retry its scoring."
        )
    if not submission.valid:
        raise ApplicationError(
            "This file was refused, so there is nothing to score; upload a corrected file."
        )
    requeued = PredictionSubmission.objects.filter(pk=submission.pk, status=Job.FAILED).update(
        status=Job.QUEUED, queued_at=timezone.now(), error=""
    )
    if not requeued:
        raise ApplicationError("Only failed scoring can be retried.")
    submission.refresh_from_db()
    enqueue_prediction_scoring(submission)
    return submission


def prediction_sweep_unscored(
    *,
    queued_for: timedelta = timedelta(minutes=1),
    running_for: timedelta = timedelta(minutes=15),
) -> list[int]:
    """Enqueue valid files whose scoring never started (broker down) or died with its worker.

    The periodic sweep (beat, every minute). Returns the ids it enqueued.
    """
    from rfx.tasks import score_prediction_submission

    now = timezone.now()
    PredictionSubmission.objects.filter(
        valid=True, status=Job.RUNNING, started_at__lt=now - running_for
    ).update(status=Job.QUEUED, queued_at=now - queued_for)
    stale = list(
        PredictionSubmission.objects.filter(
            valid=True, status=Job.QUEUED, queued_at__lte=now - queued_for
        )
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)
    )
    for submission_id in stale:
        score_prediction_submission.delay(submission_id)
    return stale
