from django.db import models
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

DEFAULT_LEVELS = [
    {"level": 1, "name": "Initial", "min_score": 0.0},
    {"level": 2, "name": "Developing", "min_score": 0.25},
    {"level": 3, "name": "Defined", "min_score": 0.5},
    {"level": 4, "name": "Managed", "min_score": 0.75},
    {"level": 5, "name": "Optimising", "min_score": 0.9},
]


class Principle(TimeStampedModel):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    optional = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Framework(TimeStampedModel):
    """One version of a questionnaire; content is immutable once loaded."""

    class Kind(models.TextChoices):
        MATURITY = "maturity", "Maturity model"
        QUESTIONNAIRE = "questionnaire", "Questionnaire"

    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MATURITY)
    description = models.TextField(blank=True)
    levels = models.JSONField(default=list)
    # None: bundled or public, visible to everyone; otherwise only that organisation's members.
    owner = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="frameworks",
    )
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the normalised file content."
    )
    source_name = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["slug", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug", "version"], name="one_framework_per_slug_and_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def label(self) -> str:
        return f"{self.slug}@{self.version}"


class Criterion(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    principle = models.ForeignKey(
        Principle, null=True, blank=True, on_delete=models.PROTECT, related_name="criteria"
    )
    weight = models.FloatField(default=1.0)
    explanation = models.TextField(blank=True)
    requirements = models.TextField(blank=True)
    # {"1": "what to improve at level 1", ...}; keys are level numbers as strings.
    recommendations = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="criterion_code_unique_in_framework"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def recommendation_for(self, level: int) -> str:
        return self.recommendations.get(str(level), "")


class Question(models.Model):
    class AnswerType(models.TextChoices):
        STATUS = "status", "Status (yes / partial / no / not applicable)"
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        CHOICE = "choice", "Choice"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="questions")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=32)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    answer_type = models.CharField(
        max_length=16, choices=AnswerType.choices, default=AnswerType.STATUS
    )
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)
    weight = models.FloatField(default=1.0)
    show_if = models.TextField(
        blank=True, help_text="CEL; when false the question is hidden and scored N/A."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["criterion__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="question_code_unique_in_framework"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"


class RedFlagRule(models.Model):
    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="red_flags")
    code = models.CharField(max_length=32)
    when = models.TextField(help_text="CEL condition; the flag is raised when it is true.")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    message = models.TextField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question__criterion__order", "question__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "code"], name="red_flag_code_unique_in_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"
