"""Input and output shapes of the tender competition API (DESIGN §5).

The output serializers read plain dicts built by `rfx.api.competition`, which decides what
each person may see: the buyer's staff read the set-up with the three files' names, sizes and
what the hidden labels hold (rows, classes, group columns, never their content); a supplier
reads what its competition page shows; metrics only where `rfx.view_prediction_metrics`
allows.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rfx import competition as scorer
from rfx.api.serializers import ErrorSerializer, UploadField
from rfx.competition_display import VERDICT_CHOICES
from rfx.competition_services import DATA_MAX_BYTES, SUBMISSION_LIMIT_RANGE
from rfx.models import Competition, PredictionSubmission


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A JSON object as stored (a bar, the scorer's metrics)."""


# --- the set-up ---------------------------------------------------------------------------------


class BarSerializer(serializers.Serializer):
    bar = JSONObjectField(
        help_text="As DESIGN §5 writes it: a `metric`, a `class` or a `column` where the "
        "metric needs one, and a `min` or a `max`."
    )
    words = serializers.CharField(help_text="The bar in a sentence.")
    short = serializers.CharField(help_text="The bar as a column heading.")
    meaning = serializers.CharField(help_text="What its metric measures.")
    value = serializers.FloatField(
        allow_null=True, help_text="The scored file's value; null until scored."
    )
    passed = serializers.BooleanField(allow_null=True, help_text="Null until scored.")


class CompetitionFileSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["training", "inputs", "labels"])
    what = serializers.CharField()
    stored = serializers.BooleanField()
    name = serializers.CharField(allow_blank=True, help_text="The name it was uploaded with.")
    size = serializers.IntegerField(help_text="In bytes.")
    download_url = serializers.CharField(
        allow_null=True, help_text="Null when it is not stored or you may not download it."
    )


class CompetitionSerializer(serializers.Serializer):
    """The competition as the buyer's staff read it."""

    description = serializers.CharField(allow_blank=True)
    primary_metric = serializers.ChoiceField(choices=Competition.Metric.choices)
    primary_metric_name = serializers.CharField()
    bars = BarSerializer(many=True)
    submission_limit = serializers.IntegerField()
    release_at = serializers.DateTimeField(allow_null=True)
    released = serializers.BooleanField()
    ready = serializers.BooleanField(
        help_text="Every file is uploaded and the release time is set."
    )
    rows = serializers.IntegerField(help_text="Rows of the evaluation set (from the labels).")
    classes = serializers.ListField(child=serializers.CharField())
    group_columns = serializers.ListField(child=serializers.CharField())
    files = CompetitionFileSerializer(many=True)
    can_configure = serializers.BooleanField(
        help_text="You may change it now: a procurement manager, while the RFP is a draft."
    )
    publishing_problem = serializers.CharField(
        allow_null=True, help_text="What stops the draft from being published, if anything."
    )
    results_url = serializers.CharField(
        allow_null=True, help_text="The leaderboard, once you may read it."
    )


class SupplierCompetitionSerializer(serializers.Serializer):
    """The competition as an invited supplier reads it: its own page, no hidden labels."""

    description = serializers.CharField(allow_blank=True)
    primary_metric = serializers.ChoiceField(choices=Competition.Metric.choices)
    primary_metric_name = serializers.CharField()
    primary_metric_meaning = serializers.CharField()
    bars = BarSerializer(many=True)
    submission_limit = serializers.IntegerField()
    release_at = serializers.DateTimeField(allow_null=True)
    released = serializers.BooleanField()
    proposal_deadline = serializers.DateTimeField(allow_null=True)
    deadline_passed = serializers.BooleanField()
    accepted = serializers.BooleanField(help_text="Your organisation accepted the invitation.")
    files = CompetitionFileSerializer(
        many=True, help_text="The training set and the evaluation inputs you may download now."
    )
    valid_used = serializers.IntegerField(help_text="Valid prediction files you uploaded.")
    remaining = serializers.IntegerField(help_text="Valid prediction files you may still upload.")
    can_submit = serializers.BooleanField()
    why_not = serializers.CharField(
        allow_blank=True, help_text="Why you cannot upload predictions now; empty when you can."
    )


class CompetitionInputSerializer(serializers.Serializer):
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="The task, the data and how it is judged."
    )
    primary_metric = serializers.ChoiceField(
        choices=Competition.Metric.choices,
        required=False,
        help_text="The measure that orders the results.",
    )
    bars = serializers.ListField(
        child=JSONObjectField(),
        required=False,
        help_text="Every bar must hold to pass (DESIGN §5), e.g. "
        '`{"metric": "recall", "class": "MAINTENANCE", "min": 0.9}`.',
    )
    submission_limit = serializers.IntegerField(
        required=False,
        min_value=SUBMISSION_LIMIT_RANGE[0],
        max_value=SUBMISSION_LIMIT_RANGE[1],
        help_text="Valid prediction files each supplier may upload.",
    )
    release_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the evaluation inputs open to suppliers: in the future and before the "
        "proposal deadline.",
    )


class CompetitionFileInputSerializer(serializers.Serializer):
    file = UploadField(
        allow_empty_file=True,  # refused by the checks, with a message saying so
        help_text="A UTF-8 CSV file with a header row, up to "
        f"{DATA_MAX_BYTES // (1024 * 1024)} MB (the hidden labels up to "
        f"{scorer.MAX_BYTES // (1024 * 1024)} MB).",
    )


class FileProblemsSerializer(ErrorSerializer):
    file = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every problem the checks found, each naming the rows at fault.",
    )


# --- predictions --------------------------------------------------------------------------------


class PredictionFileSerializer(serializers.Serializer):
    """One of your predictions files."""

    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="1 for your first file, and so on.")
    name = serializers.CharField(help_text="The name it was uploaded with.")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    valid = serializers.BooleanField(help_text="A refused file does not count and is not scored.")
    problems = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=PredictionSubmission.Status.choices, help_text="Its scoring."
    )
    status_words = serializers.CharField()
    error = serializers.CharField(allow_blank=True, help_text="Why scoring failed.")
    counts = serializers.BooleanField(
        help_text="The last valid file: the one that counts at the deadline."
    )
    can_retry = serializers.BooleanField()
    passed = serializers.BooleanField(
        allow_null=True, help_text="Whether every bar held: only after the deadline."
    )
    metrics = JSONObjectField(
        allow_null=True,
        help_text="The scorer's metrics (DESIGN §5 keys): only after the deadline, once scored.",
    )
    download_url = serializers.URLField(help_text="The file exactly as it was uploaded.")


class PredictionInputSerializer(serializers.Serializer):
    file = UploadField(
        allow_empty_file=True,
        help_text="A UTF-8 CSV file `id,prediction` with one row for every id of the evaluation "
        f"inputs, up to {scorer.MAX_BYTES // (1024 * 1024)} MB.",
    )


class PredictionRefusedSerializer(ErrorSerializer):
    file = serializers.ListField(
        child=serializers.CharField(), help_text="The problems, each naming the rows at fault."
    )
    prediction = PredictionFileSerializer(
        required=False, help_text="The refused file, kept as it was sent."
    )


# --- results ------------------------------------------------------------------------------------


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        allow_null=True, help_text="1, 1, 3… among the scored; null when not ranked."
    )
    proposal = serializers.IntegerField()
    supplier = serializers.CharField(help_text="A pseudonym for reviewers grading blind.")
    number = serializers.IntegerField(allow_null=True, help_text="The counted file's number.")
    status = serializers.ChoiceField(
        choices=PredictionSubmission.Status.choices,
        allow_null=True,
        help_text="The counted file's scoring; null without a valid file.",
    )
    value = serializers.FloatField(allow_null=True, help_text="The primary metric.")
    passed = serializers.BooleanField(allow_null=True)
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    verdict_words = serializers.CharField()
    error = serializers.CharField(allow_blank=True, help_text="Why scoring failed.")
    bars = BarSerializer(many=True)
    detail_url = serializers.CharField(allow_null=True)


class LeaderboardSerializer(serializers.Serializer):
    primary_metric = serializers.ChoiceField(choices=Competition.Metric.choices)
    primary_metric_name = serializers.CharField()
    passed_count = serializers.IntegerField()
    rows = LeaderboardRowSerializer(many=True)


class ResultUploadSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    valid = serializers.BooleanField()
    problem_count = serializers.IntegerField()
    counts = serializers.BooleanField()


class ResultSerializer(LeaderboardRowSerializer):
    metrics = JSONObjectField(
        allow_null=True,
        help_text="The scorer's metrics: accuracy, per class, confusion matrix, groups and "
        "gaps (DESIGN §5 keys); null until scored.",
    )
    uploads = ResultUploadSerializer(many=True, help_text="Every file this supplier uploaded.")
