"""Requests for proposals or information (DESIGN §6).

Sections, invitations, clarifications, sealed proposals, evaluation team, award.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.models import BackgroundJob, TimeStampedModel

_TIMELINE = [
    "issue_date",
    "clarification_deadline",
    "proposal_deadline",
    "shortlist_date",
    "contract_drafting_date",
]


def _in_order(earlier: str, later: str) -> Q:
    return (
        Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__lte": F(later)})
    )


class RFx(TimeStampedModel):
    class Kind(models.TextChoices):
        RFP = "rfp", "Request for proposal"
        RFI = "rfi", "Request for information"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"
        EVALUATED = "evaluated", "Evaluated"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    buyer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="rfxs"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.RFP)
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    cancel_reason = models.TextField(blank=True, max_length=2000)

    framework = models.ForeignKey(
        "principles.Framework",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The maturity framework version suppliers answer.",
    )
    extra_framework = models.ForeignKey(
        "principles.Framework",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The buyer's own extra questionnaire, if any.",
    )

    weight_maturity = models.FloatField(default=40, validators=[MinValueValidator(0)])
    weight_extra = models.FloatField(default=20, validators=[MinValueValidator(0)])
    weight_terms = models.FloatField(default=10, validators=[MinValueValidator(0)])
    weight_cost = models.FloatField(default=30, validators=[MinValueValidator(0)])
    has_competition = models.BooleanField(default=False)
    disqualify_on_critical_red_flags = models.BooleanField(default=False)
    blind_grading = models.BooleanField(default=False)

    issue_date = models.DateTimeField(null=True, blank=True)
    clarification_deadline = models.DateTimeField(null=True, blank=True)
    proposal_deadline = models.DateTimeField(null=True, blank=True)
    shortlist_date = models.DateTimeField(null=True, blank=True)
    contract_drafting_date = models.DateTimeField(null=True, blank=True)

    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    technical_scores_locked_at = models.DateTimeField(null=True, blank=True)
    # Deadline reminders go once each (rfx.reminders); set when sent.
    reminded_72h_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_24h_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "RFx"
        verbose_name_plural = "RFxs"
        constraints = [
            *[
                models.CheckConstraint(condition=_in_order(a, b), name=f"rfx_{a}_before_{b}")
                for a, b in zip(_TIMELINE, _TIMELINE[1:], strict=False)
            ],
            models.CheckConstraint(
                condition=Q(
                    weight_maturity__gte=0,
                    weight_extra__gte=0,
                    weight_terms__gte=0,
                    weight_cost__gte=0,
                ),
                name="rfx_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(status="cancelled")
                | Q(proposal_deadline__isnull=False),
                name="rfx_published_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="rfx_cancellation_needs_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weights(self) -> dict[str, float]:
        return {
            "maturity": self.weight_maturity,
            "extra": self.weight_extra,
            "terms": self.weight_terms,
            "cost": self.weight_cost,
        }

    @property
    def is_sealed(self) -> bool:
        """Proposals stay sealed until the RFx is closed (the close service opens them)."""
        return self.status in (self.Status.DRAFT, self.Status.PUBLISHED)


class Section(TimeStampedModel):
    """One section of the RFx document, made from the template and edited by the buyer."""

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    body = models.TextField(blank=True, max_length=100_000, help_text="Sanitised HTML.")
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rfx", "order"]
        constraints = [models.UniqueConstraint(fields=["rfx", "key"], name="one_section_per_key")]

    def __str__(self) -> str:
        return self.title


class Addendum(TimeStampedModel):
    """A change made after publication; invited suppliers are told and must re-confirm."""

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="addenda")
    number = models.PositiveIntegerField()
    summary = models.TextField(max_length=2000)
    changes = models.JSONField(
        default=dict, help_text="Field or section key → {'before', 'after'}."
    )
    deadline_before = models.DateTimeField()
    deadline_after = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rfx", "number"]
        verbose_name_plural = "addenda"
        constraints = [
            models.UniqueConstraint(fields=["rfx", "number"], name="one_addendum_number_per_rfx"),
            models.CheckConstraint(
                condition=Q(deadline_after__gte=F("deadline_before")),
                name="addendum_never_brings_the_deadline_forward",
            ),
        ]


class Invitation(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="invitations")
    supplier = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="rfx_invitations"
    )
    email = models.EmailField()
    # SHA-256 of the one-time link token; the token itself is only ever in the e-mail.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_sent_at = models.DateTimeField(null=True, blank=True)
    token_used_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.TextField(blank=True, max_length=2000)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["rfx", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rfx", "supplier"], name="one_invitation_per_supplier_per_rfx"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="declining_needs_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(terms_accepted_at__isnull=False),
                name="accepting_records_the_terms",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.rfx}"


class Clarification(TimeStampedModel):
    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only the supplier who asked"
        PUBLISHED = "published", "Every invited supplier, without who asked"

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="clarifications")
    supplier = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField(max_length=5000)
    answer = models.TextField(blank=True, max_length=10000)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rfx", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="published") | ~Q(answer=""),
                name="published_clarification_has_an_answer",
            ),
        ]


class Proposal(TimeStampedModel):
    """One invited supplier's proposal; its submissions are ProposalVersions."""

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="proposals")
    supplier = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="rfx_proposals"
    )
    maturity_assessment = models.OneToOneField(
        "assessments.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="maturity_proposal",
    )
    extra_assessment = models.OneToOneField(
        "assessments.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extra_proposal",
    )
    licence_terms = models.TextField(blank=True, max_length=20000)
    service_terms = models.TextField(blank=True, max_length=20000)
    price_amount = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    price_currency = models.CharField(max_length=3, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="The latest submission.")
    needs_reconfirmation = models.BooleanField(
        default=False, help_text="An addendum came after the submission."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["rfx", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rfx", "supplier"], name="one_proposal_per_supplier_per_rfx"
            ),
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True) | Q(price_amount__gt=0),
                name="proposal_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier}: {self.rfx}"


class ProposalVersion(TimeStampedModel):
    """An immutable submission: terms, price and the assessment versions it submitted."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["proposal", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "number"], name="one_number_per_proposal_version"
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("A submitted proposal version cannot be changed.")
        super().save(*args, **kwargs)


class RFxReviewer(TimeStampedModel):
    """A member of the evaluation team of one RFx."""

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="reviewers")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rfx_reviews"
    )
    is_lead = models.BooleanField(default=False)
    # Empty: every criterion; otherwise only these criterion codes.
    criterion_codes = models.JSONField(default=list, blank=True)
    no_conflict_declared_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rfx", "reviewer"], name="one_rfx_reviewer_per_person"),
            models.UniqueConstraint(
                fields=["rfx"], condition=Q(is_lead=True), name="one_lead_reviewer_per_rfx"
            ),
        ]


class TermsScore(TimeStampedModel):
    """A reviewer's 0..3 score of a proposal's licence and service terms."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="terms_scores")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(3)]
    )
    comment = models.TextField(blank=True, max_length=5000)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "reviewer"], name="one_terms_score_per_reviewer"
            ),
            models.CheckConstraint(condition=Q(score__lte=3), name="terms_score_at_most_3"),
        ]


class Award(TimeStampedModel):
    rfx = models.OneToOneField(RFx, on_delete=models.PROTECT, related_name="award")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(max_length=10000)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""), name="award_needs_a_justification"
            ),
        ]


class SupplierFeedback(TimeStampedModel):
    """What an unsuccessful supplier is told: its own scores against the weights, nothing else."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="feedback")
    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="feedback")
    data = models.JSONField()


def comparison_report_path(report: "ComparisonReport", filename: str) -> str:
    return f"rfx/{report.rfx_id}/scorecards/{filename}"


class ComparisonReport(BackgroundJob, TimeStampedModel):
    """A rendered PDF comparison scorecard of an RFx (DESIGN §7).

    What it shows depends on who asked: prices only for someone who may see them,
    supplier names only for someone who is not grading blind. The flags record it,
    so the file is only ever handed to people allowed to see as much.
    """

    rfx = models.ForeignKey(RFx, on_delete=models.CASCADE, related_name="comparison_reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    with_prices = models.BooleanField(default=False)
    with_names = models.BooleanField(default=True)
    file = models.FileField(upload_to=comparison_report_path, blank=True, max_length=300)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Comparison scorecard {self.pk} of {self.rfx_id}"


# --- proposal documents -------------------------------------------------------------------------


def proposal_document_path(document: "ProposalDocument", filename: str) -> str:
    return f"rfx/{document.proposal.rfx_id}/proposals/{document.proposal_id}/documents/{filename}"


class CurrentDocumentManager(models.Manager):
    """Documents still on the proposal; ones removed after a submission stay for its versions."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class ProposalDocument(TimeStampedModel):
    """A file of the supplier's licence or service terms (a contract draft, an SLA, a price list).

    Like evidence, a document that a submitted version lists is never deleted: taking it
    off the draft only marks it removed, so every version keeps exactly what it sent.
    """

    class Kind(models.TextChoices):
        LICENCE = "licence", "Licence terms"
        SERVICE = "service", "Service terms"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=proposal_document_path, max_length=300)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="Removed from the draft after a submission."
    )

    objects = CurrentDocumentManager()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title


# --- tender competition -------------------------------------------------------------------------


class HiddenStorage:
    """The "hidden" storage of `settings.STORAGES`, looked up on every use.

    Nothing is built when models load (S3 needs boto3 only when a file is touched), and a
    changed setting (tests, a new bucket) applies at once.
    """

    def __getattr__(self, name: str):
        from django.core.files.storage import storages

        return getattr(storages["hidden"], name)

    def deconstruct(self) -> tuple[str, tuple, dict]:
        return ("rfx.models.HiddenStorage", (), {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HiddenStorage)

    def __hash__(self) -> int:
        return hash(HiddenStorage)


def competition_file_path(competition: "Competition", filename: str) -> str:
    return f"rfx/{competition.rfx_id}/competition/{filename}"


def prediction_file_path(submission: "PredictionSubmission", filename: str) -> str:
    return (
        f"rfx/{submission.proposal.rfx_id}/competition/predictions/"
        f"{submission.proposal_id}/{submission.number}-{filename}"
    )


class Competition(TimeStampedModel):
    """The hidden-label competition of an RFx (DESIGN §5).

    Three files: the training set (with labels) and the evaluation inputs, which invited
    suppliers download (the inputs only from `release_at`), and the hidden evaluation labels
    `id,label[,group columns…]`, kept in the "hidden" storage that no page serves; only the
    scoring worker and the buyer's procurement managers read them.
    """

    class Metric(models.TextChoices):
        ACCURACY = "accuracy", "Accuracy"
        MACRO_F1 = "macro_f1", "Macro F1"
        WEIGHTED_F1 = "weighted_f1", "Weighted F1"

    rfx = models.OneToOneField(RFx, on_delete=models.CASCADE, related_name="competition")
    description = models.TextField(
        blank=True, max_length=20000, help_text="The task, the data and how it is judged."
    )
    primary_metric = models.CharField(
        max_length=16, choices=Metric.choices, default=Metric.ACCURACY
    )
    bars = models.JSONField(default=list, blank=True, help_text="DESIGN §5 bars, all must hold.")
    submission_limit = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Valid prediction files each supplier may upload.",
    )
    release_at = models.DateTimeField(
        null=True, blank=True, help_text="When the evaluation inputs open to suppliers."
    )

    training_file = models.FileField(upload_to=competition_file_path, blank=True, max_length=300)
    training_name = models.CharField(max_length=200, blank=True)
    training_size = models.PositiveBigIntegerField(default=0)
    inputs_file = models.FileField(upload_to=competition_file_path, blank=True, max_length=300)
    inputs_name = models.CharField(max_length=200, blank=True)
    inputs_size = models.PositiveBigIntegerField(default=0)
    labels_file = models.FileField(
        upload_to=competition_file_path, storage=HiddenStorage(), blank=True, max_length=300
    )
    labels_name = models.CharField(max_length=200, blank=True)
    labels_size = models.PositiveBigIntegerField(default=0)
    # Read from the labels file when it is uploaded.
    rows = models.PositiveIntegerField(default=0, help_text="Rows of the evaluation set.")
    classes = models.JSONField(default=list, blank=True)
    group_columns = models.JSONField(default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(submission_limit__gte=1, submission_limit__lte=100),
                name="competition_limit_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Competition of {self.rfx}"

    @property
    def is_ready(self) -> bool:
        """Every file is there and the release time is set: the RFx can be published."""
        return bool(
            self.training_file and self.inputs_file and self.labels_file and self.release_at
        )


class PredictionSubmission(BackgroundJob, TimeStampedModel):
    """One predictions file a supplier uploaded; the job status is its scoring.

    The raw upload is always kept. A refused file (`valid` False, `problems` says why)
    does not count against the limit and is never scored. Metrics are written whole by the
    worker in one transaction; they stay hidden from the supplier until the deadline.
    """

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="submissions"
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="prediction_submissions"
    )
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=prediction_file_path, max_length=300)
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    valid = models.BooleanField(default=False)
    problems = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["proposal", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "number"], name="one_number_per_prediction_submission"
            ),
            models.CheckConstraint(
                condition=Q(valid=True) | ~Q(problems=[]), name="refused_predictions_say_why"
            ),
        ]

    def __str__(self) -> str:
        return f"Predictions {self.number} of {self.proposal}"
