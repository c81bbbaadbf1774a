from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from core.models import BackgroundJob, TimeStampedModel


class Assessment(TimeStampedModel):
    """One respondent organisation's answers to one framework version."""

    class Kind(models.TextChoices):
        SELF = "self", "Self-assessment"
        PROPOSAL = "proposal", "RFx proposal"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    framework = models.ForeignKey(
        "principles.Framework", on_delete=models.PROTECT, related_name="assessments"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="assessments"
    )
    # The buyer whose reviewers score it; none for a private self-assessment.
    reviewing_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_assessments",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SELF)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class Answer(TimeStampedModel):
    """The draft's answer to one question; submitted versions keep their own copy."""

    class Status(models.TextChoices):
        UNANSWERED = "", "Not answered"
        YES = "yes", "Yes"
        PARTIAL = "partial", "Partially"
        NO = "no", "No"
        NA = "na", "Not applicable"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("principles.Question", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, blank=True, default="")
    text = models.TextField(blank=True, max_length=20000)
    number = models.FloatField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="one_answer_per_question"
            ),
        ]

    def as_rule_input(self, evidence_count: int = 0) -> dict:
        return {
            "status": self.status,
            "text": self.text,
            "number": self.number,
            "choices": self.choices,
            "evidence_count": evidence_count,
        }


def evidence_path(evidence: "Evidence", filename: str) -> str:
    return f"evidence/{evidence.assessment_id}/{evidence.question_id}/{filename}"


class CurrentEvidenceManager(models.Manager):
    """The draft's evidence; evidence removed from the draft stays for the versions that list it."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class Evidence(TimeStampedModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    question = models.ForeignKey("principles.Question", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    url = models.URLField(blank=True, max_length=500)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="Removed from the draft after a submission."
    )

    objects = CurrentEvidenceManager()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file="") | ~models.Q(url=""), name="evidence_has_file_or_link"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentVersion(BackgroundJob, TimeStampedModel):
    """An immutable submitted copy of the answers; its status is the scoring job's."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # question code → {"status", "text", "number", "choices", "evidence_count", "evidence": [...]}
    answers = models.JSONField()

    class Meta:
        ordering = ["assessment", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "number"], name="one_version_number_per_assessment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} v{self.number}"


class Scorecard(TimeStampedModel):
    """The scoring result of one version (DESIGN §4), rewritten whole on every rescoring."""

    version = models.OneToOneField(
        AssessmentVersion, on_delete=models.CASCADE, related_name="scorecard"
    )
    score = models.FloatField(null=True)
    level = models.PositiveSmallIntegerField(null=True)
    level_name = models.CharField(max_length=60, blank=True)
    data = models.JSONField()
    inputs_hash = models.CharField(
        max_length=64, help_text="Answers, reviews and dismissals it was computed from."
    )


class ReviewerAssignment(TimeStampedModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    is_lead = models.BooleanField(default=False)
    no_conflict_declared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reviewer submitted their scores."
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "reviewer"], name="one_assignment_per_reviewer"
            ),
            models.UniqueConstraint(
                fields=["assessment"],
                condition=models.Q(is_lead=True),
                name="one_lead_reviewer_per_assessment",
            ),
        ]


_SCORE_RANGE = [MinValueValidator(0), MaxValueValidator(3)]


class ReviewerScore(TimeStampedModel):
    class Value(models.IntegerChoices):
        NOT_MET = 0, "Not met"
        PARTIALLY_MET = 1, "Partially met"
        MET = 2, "Met"
        EXCEEDS = 3, "Exceeds"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="reviewer_scores"
    )
    question = models.ForeignKey("principles.Question", on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(choices=Value.choices, validators=_SCORE_RANGE)
    comment = models.TextField(blank=True, max_length=5000)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question", "reviewer"], name="one_score_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=3), name="reviewer_score_at_most_3"
            ),
        ]


class ConsensusScore(TimeStampedModel):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="consensus_scores"
    )
    question = models.ForeignKey("principles.Question", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        choices=ReviewerScore.Value.choices, validators=_SCORE_RANGE
    )
    comment = models.TextField(blank=True, max_length=5000)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="one_consensus_per_question"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=3), name="consensus_score_at_most_3"
            ),
        ]


class RedFlag(TimeStampedModel):
    """A red flag raised by the latest scoring; a dismissal survives rescoring."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISMISSED = "dismissed", "Dismissed"
        CLEARED = "cleared", "No longer raised"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="red_flags")
    question = models.ForeignKey("principles.Question", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey("principles.RedFlagRule", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    dismissed_reason = models.TextField(blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "rule"], name="one_red_flag_per_rule"),
            models.CheckConstraint(
                condition=~models.Q(status="dismissed") | ~models.Q(dismissed_reason=""),
                name="dismissal_needs_a_reason",
            ),
        ]


def report_path(report: "Report", filename: str) -> str:
    return f"reports/{report.assessment_id}/{filename}"


class Report(BackgroundJob, TimeStampedModel):
    """A rendered PDF maturity report of one version."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reports")
    version = models.ForeignKey(AssessmentVersion, on_delete=models.CASCADE, related_name="reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=report_path, blank=True, max_length=300)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
