"""Input and output shapes of the assessments API (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.models import Answer, Assessment, AssessmentVersion, Report, ReviewerScore
from assessments.services import clean_answer_fields
from core.exceptions import ApplicationError

ANSWER_FIELDS = ("status", "text", "number", "choices")


# --- errors (for the schema) --------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MissingAnswersErrorSerializer(ErrorSerializer):
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of unanswered questions."
    )


# --- small shared pieces ------------------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class FrameworkRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    version = serializers.CharField()
    name = serializers.CharField()


class LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()


# --- assessments --------------------------------------------------------------------------------


class AssessmentCreateInputSerializer(serializers.Serializer):
    framework = serializers.SlugField(max_length=80, help_text="Slug of the framework to answer.")
    framework_version = serializers.CharField(
        max_length=32,
        required=False,
        help_text="The framework's version; the latest when left out.",
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    organisation = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="The answering organisation; needed only when you belong to several.",
    )
    reviewing_organisation = serializers.SlugField(
        max_length=80,
        required=False,
        allow_null=True,
        help_text=(
            "Slug of the buyer organisation whose reviewers score it; "
            "none for a private self-assessment."
        ),
    )


class AssessmentUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)


class AssessmentListSerializer(serializers.ModelSerializer):
    framework = FrameworkRefSerializer()
    organisation = OrganisationRefSerializer()
    reviewing_organisation = OrganisationRefSerializer(allow_null=True)
    version_count = serializers.IntegerField()
    scoring_status = serializers.ChoiceField(
        choices=AssessmentVersion.Status.choices,
        allow_null=True,
        help_text="Scoring of the latest submitted version; null before the first submission.",
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "framework",
            "organisation",
            "reviewing_organisation",
            "version_count",
            "scoring_status",
            "created_at",
            "updated_at",
        ]


class VersionSerializer(serializers.ModelSerializer):
    submitted_at = serializers.DateTimeField(source="created_at")
    score = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentVersion
        fields = [
            "number",
            "submitted_at",
            "status",
            "error",
            "queued_at",
            "started_at",
            "finished_at",
            "score",
            "level",
        ]

    def _scorecard(self, version: AssessmentVersion):
        # Only a finished scoring is shown; a rescoring in progress shows nothing stale.
        if version.status != AssessmentVersion.Status.DONE:
            return None
        return getattr(version, "scorecard", None)

    def get_score(self, version: AssessmentVersion) -> float | None:
        scorecard = self._scorecard(version)
        return scorecard.score if scorecard else None

    @extend_schema_field(LevelSerializer(allow_null=True))
    def get_level(self, version: AssessmentVersion) -> dict | None:
        scorecard = self._scorecard(version)
        if scorecard is None or scorecard.level is None:
            return None
        return {"level": scorecard.level, "name": scorecard.level_name}


class ProgressSerializer(serializers.Serializer):
    questions = serializers.IntegerField(
        help_text="Questions shown (a question whose show_if is false is not)."
    )
    answered = serializers.IntegerField()
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="Required questions still to answer before submitting.",
    )


class AssessmentDetailSerializer(AssessmentListSerializer):
    versions = VersionSerializer(many=True, source="version_list")
    progress = ProgressSerializer(
        allow_null=True, help_text="The draft's progress; shown to the answering organisation only."
    )

    class Meta(AssessmentListSerializer.Meta):
        fields = [*AssessmentListSerializer.Meta.fields, "versions", "progress"]


# --- answers ------------------------------------------------------------------------------------


class AnswerSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="yes, partial, no, na, or empty when not answered.")
    text = serializers.CharField()
    number = serializers.FloatField(allow_null=True)
    choices = serializers.ListField(child=serializers.CharField())
    evidence_count = serializers.IntegerField()


class AnswerSheetEntrySerializer(AnswerSerializer):
    hidden = serializers.BooleanField(
        help_text="True while the question's show_if is false: it counts as N/A."
    )


class AnswerSheetSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["draft", "version"],
        help_text=(
            "draft: the answering organisation's working copy; version: the latest submission."
        ),
    )
    version = serializers.IntegerField(
        allow_null=True, help_text="The submitted version shown, if any."
    )
    answers = serializers.DictField(
        child=AnswerSheetEntrySerializer(), help_text="Keyed by question code."
    )


class _QuestionCodeSerializer(serializers.Serializer):
    code = serializers.CharField()


class SavedAnswerSerializer(_QuestionCodeSerializer, AnswerSerializer):
    """One saved answer, its question code first."""


class AnswerInputSerializer(serializers.Serializer):
    """Any of the four fields; each is checked against the question (its type and choices)."""

    status = serializers.ChoiceField(
        choices=Answer.Status.choices,
        allow_blank=True,
        allow_null=True,
        required=False,
        error_messages={
            "invalid_choice": "Choose yes, partial, no or na (not applicable), or leave it empty."
        },
    )
    text = serializers.CharField(
        allow_blank=True, allow_null=True, max_length=20000, trim_whitespace=False, required=False
    )
    number = serializers.FloatField(allow_null=True, required=False)
    choices = serializers.ListField(
        child=serializers.CharField(), allow_empty=True, allow_null=True, required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = (
            sorted(set(self.initial_data) - set(self.fields))
            if isinstance(self.initial_data, dict)
            else []
        )
        if unknown:
            raise serializers.ValidationError(
                {
                    name: ["Unknown field: an answer has status, text, number and choices."]
                    for name in unknown
                }
            )
        if not attrs:
            raise serializers.ValidationError(
                "Send at least one of status, text, number or choices."
            )
        question = self.context["question"]
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, Any] = {}
        for name, value in attrs.items():
            try:
                cleaned.update(clean_answer_fields(question, {name: value}))
            except ApplicationError as error:
                errors[name] = [error.message]
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


# --- scorecard ----------------------------------------------------------------------------------


class CriterionResultSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="From 0 to 1.")
    level = LevelSerializer()


class QuestionResultSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="From 0 to 3 as used; null when N/A.")
    source = serializers.ChoiceField(choices=["consensus", "reviewers", "answer", "na", "unscored"])
    hidden = serializers.BooleanField()


class RedFlagResultSerializer(serializers.Serializer):
    question = serializers.CharField()
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["critical", "major", "minor"])
    message = serializers.CharField()


class ScorecardSerializer(serializers.Serializer):
    """The latest version's scoring status and, once done, the scorecard of DESIGN §4."""

    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AssessmentVersion.Status.choices)
    error = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    level = LevelSerializer(allow_null=True)
    criteria = serializers.DictField(
        child=CriterionResultSerializer(allow_null=True),
        allow_null=True,
        help_text=(
            "Criterion code → score and level; null for a criterion whose questions are all N/A."
        ),
    )
    questions = serializers.DictField(child=QuestionResultSerializer(), allow_null=True)
    red_flags = RedFlagResultSerializer(many=True, allow_null=True)
    divergences = serializers.ListField(child=serializers.CharField(), allow_null=True)


# --- reports ------------------------------------------------------------------------------------


class ReportSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "version",
            "status",
            "error",
            "size",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, report: Report) -> str | None:
        if report.status != Report.Status.DONE or not report.file:
            return None
        url = reverse("api-assessment-report-download", args=[report.assessment_id, report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


# --- reviews ------------------------------------------------------------------------------------


class ReviewInputSerializer(serializers.Serializer):
    score = serializers.ChoiceField(
        choices=ReviewerScore.Value.choices,
        help_text="0 not met, 1 partially met, 2 met, 3 exceeds.",
        error_messages={
            "invalid_choice": "A score is 0 (not met), 1 (partially met), 2 (met) or 3 (exceeds)."
        },
    )
    comment = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


class ReviewSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="question.code")
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = ReviewerScore
        fields = ["code", "reviewer", "score", "comment", "updated_at"]
