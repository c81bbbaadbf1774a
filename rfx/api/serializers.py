"""Input and output shapes of the RFx API (DESIGN §6, §8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from assessments.api.serializers import (
    ErrorSerializer,  # the error shape of the RFx API too
    FrameworkRefSerializer,
    OrganisationRefSerializer,
)
from core.uploads import accepted_label
from rfx.competition_display import VERDICT_CHOICES
from rfx.models import (
    Addendum,
    Clarification,
    ComparisonReport,
    Invitation,
    Proposal,
    ProposalDocument,
    ProposalVersion,
    RFx,
    Section,
    TermsScore,
)
from rfx.services import PROPOSAL_DOCUMENT_MAX_BYTES, PROPOSAL_DOCUMENT_TYPES

TIMELINE_FIELDS = (
    "issue_date",
    "clarification_deadline",
    "proposal_deadline",
    "shortlist_date",
    "contract_drafting_date",
)
WEIGHT_FIELDS = ("weight_maturity", "weight_extra", "weight_terms", "weight_cost")
SETTING_FIELDS = ("has_competition", "disqualify_on_critical_red_flags", "blind_grading")


class _Omittable:
    """Left out of the output when the data has no such key (a null is sent as null)."""

    def get_attribute(self, instance: Any) -> Any:
        if isinstance(instance, Mapping) and self.source not in instance:
            raise SkipField()
        return super().get_attribute(instance)


class OmittableCharField(_Omittable, serializers.CharField):
    pass


class OmittableFloatField(_Omittable, serializers.FloatField):
    pass


# --- RFx ----------------------------------------------------------------------------------------


class RFxListSerializer(serializers.ModelSerializer):
    buyer = OrganisationRefSerializer()
    kind = serializers.ChoiceField(choices=RFx.Kind.choices)
    status = serializers.ChoiceField(choices=RFx.Status.choices)

    class Meta:
        model = RFx
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "buyer",
            "clarification_deadline",
            "proposal_deadline",
            "updated_at",
        ]


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["key", "title", "guidance", "body", "order", "updated_at"]


class AddendumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Addendum
        fields = ["number", "summary", "deadline_before", "deadline_after", "created_at"]


class RFxDetailSerializer(RFxListSerializer):
    framework = FrameworkRefSerializer(allow_null=True)
    extra_framework = FrameworkRefSerializer(allow_null=True)
    sections = SectionSerializer(many=True, source="section_rows")
    addenda = AddendumSerializer(many=True, source="addendum_rows")

    class Meta(RFxListSerializer.Meta):
        fields = [
            *RFxListSerializer.Meta.fields,
            "cancel_reason",
            "framework",
            "extra_framework",
            *WEIGHT_FIELDS,
            *SETTING_FIELDS,
            *TIMELINE_FIELDS,
            "published_at",
            "closed_at",
            "technical_scores_locked_at",
            "created_at",
            "sections",
            "addenda",
        ]


class RFxCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=RFx.Kind.choices, default=RFx.Kind.RFP)
    framework = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="Slug of the maturity framework suppliers answer; it can be chosen later.",
    )
    framework_version = serializers.CharField(
        max_length=32,
        required=False,
        help_text="The framework's version; the latest when left out.",
    )
    buyer = serializers.SlugField(
        max_length=80,
        required=False,
        help_text="The buyer organisation; needed only when you manage procurement for several.",
    )


class RFxUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    framework = serializers.SlugField(max_length=80, required=False)
    framework_version = serializers.CharField(max_length=32, required=False)
    weight_maturity = serializers.FloatField(required=False)
    weight_extra = serializers.FloatField(required=False)
    weight_terms = serializers.FloatField(required=False)
    weight_cost = serializers.FloatField(required=False)
    has_competition = serializers.BooleanField(required=False)
    disqualify_on_critical_red_flags = serializers.BooleanField(required=False)
    blind_grading = serializers.BooleanField(required=False)
    issue_date = serializers.DateTimeField(required=False, allow_null=True)
    clarification_deadline = serializers.DateTimeField(required=False, allow_null=True)
    proposal_deadline = serializers.DateTimeField(required=False, allow_null=True)
    shortlist_date = serializers.DateTimeField(required=False, allow_null=True)
    contract_drafting_date = serializers.DateTimeField(required=False, allow_null=True)
    summary = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="After publishing: what changed, for the addendum sent to suppliers.",
    )


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


MAX_QUESTIONNAIRE_BYTES = 1024 * 1024


class ExtraQuestionnaireInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The buyer's own questionnaire: a framework file (YAML, UTF-8, at most 1 MB) "
        "with `kind: questionnaire`.",
    )

    def validate_file(self, upload: Any) -> dict[str, str]:
        """The file's name and its text."""
        if upload.size > MAX_QUESTIONNAIRE_BYTES:
            raise serializers.ValidationError("The file is larger than 1 MB.")
        if not upload.name.lower().endswith((".yaml", ".yml")):
            raise serializers.ValidationError("Upload a YAML file (.yaml or .yml).")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise serializers.ValidationError("The file is not UTF-8 text.") from None
        return {"name": upload.name, "text": text}


class LoadProblemsSerializer(ErrorSerializer):
    problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every problem the loader found, each naming the criterion, question or "
        "red flag at fault.",
    )


class SectionInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=200_000, allow_blank=True, help_text="Rich text; it is sanitised on save."
    )
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(max_length=2000, required=False, allow_blank=True)


# --- invitations --------------------------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    rfx = serializers.IntegerField(source="rfx_id")
    supplier = OrganisationRefSerializer()
    status = serializers.ChoiceField(choices=Invitation.Status.choices)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "rfx",
            "supplier",
            "email",
            "status",
            "decline_reason",
            "token_sent_at",
            "terms_accepted_at",
            "responded_at",
            "created_at",
        ]


class InvitationCreateInputSerializer(serializers.Serializer):
    supplier = serializers.SlugField(max_length=80, help_text="Slug of the supplier organisation.")
    email = serializers.EmailField(help_text="Where the one-time invitation link goes.")


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the one-time link.")
    accept_terms = serializers.BooleanField(help_text="You accept the terms of taking part.")


class InvitationDeclineInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the one-time link.")
    reason = serializers.CharField(max_length=2000, allow_blank=True)


# --- clarifications -----------------------------------------------------------------------------


class ClarificationSerializer(serializers.Serializer):
    """Suppliers get `supplier` and `asked_by` as null, always: they never learn who asked."""

    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField(allow_blank=True)
    visibility = serializers.ChoiceField(choices=Clarification.Visibility.choices)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    mine = serializers.BooleanField(help_text="Your organisation asked it.")
    supplier = OrganisationRefSerializer(allow_null=True, help_text="Shown to the buyer only.")
    asked_by = serializers.CharField(allow_null=True, help_text="Shown to the buyer only.")


class ClarificationAskInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=5000, allow_blank=True)


class ClarificationAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=10000, allow_blank=True)
    publish = serializers.BooleanField(
        default=False,
        help_text="Publish the question and answer to every invited supplier, without the asker.",
    )


# --- submissions and proposals ------------------------------------------------------------------


class SubmissionSerializer(serializers.Serializer):
    supplier = serializers.CharField(help_text="Its name, or its pseudonym under blind grading.")
    submitted_at = serializers.DateTimeField()


class ProposalVersionSerializer(serializers.ModelSerializer):
    submitted_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ProposalVersion
        fields = ["number", "submitted_at"]


class OwnProposalSerializer(serializers.ModelSerializer):
    rfx = serializers.IntegerField(source="rfx_id")
    supplier = OrganisationRefSerializer()
    maturity_assessment = serializers.IntegerField(
        source="maturity_assessment_id",
        allow_null=True,
        help_text="Answer it through /api/v1/assessments/<id>/.",
    )
    extra_assessment = serializers.IntegerField(source="extra_assessment_id", allow_null=True)
    price_amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    versions = ProposalVersionSerializer(many=True, source="version_rows")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "rfx",
            "supplier",
            "maturity_assessment",
            "extra_assessment",
            "licence_terms",
            "service_terms",
            "price_amount",
            "price_currency",
            "submitted_at",
            "needs_reconfirmation",
            "versions",
        ]


class ProposalUpdateInputSerializer(serializers.Serializer):
    licence_terms = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    service_terms = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    price_amount = serializers.CharField(
        max_length=40,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="An amount such as 125000.00; null or empty clears the price.",
    )
    price_currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="ISO code such as GBP."
    )


def _absolute(context: Mapping[str, Any], path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


def document_download_url(
    context: Mapping[str, Any], rfx_id: int, proposal_id: int, pk: int
) -> str:
    return _absolute(
        context, reverse("api-rfx-proposal-document-download", args=[rfx_id, proposal_id, pk])
    )


class ProposalDocumentSerializer(serializers.ModelSerializer):
    """A document on your proposal's draft."""

    kind = serializers.ChoiceField(choices=ProposalDocument.Kind.choices)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    uploaded_at = serializers.DateTimeField(source="created_at")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ProposalDocument
        fields = [
            "id",
            "kind",
            "title",
            "size",
            "content_type",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, document: ProposalDocument) -> str:
        return document_download_url(
            self.context, document.proposal.rfx_id, document.proposal_id, document.pk
        )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a part of multipart/form-data (the schema says binary, not a URL)."""


class ProposalDocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ProposalDocument.Kind.choices,
        help_text="Which terms the document belongs to.",
    )
    file = UploadField(
        allow_empty_file=True,  # refused by the service, with a message naming the file
        help_text=f"{accepted_label(PROPOSAL_DOCUMENT_TYPES)}, up to "
        f"{PROPOSAL_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB; the content must match the extension.",
    )
    title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="What the buyer reads in the list; the file's name when left out.",
    )


class SubmittedDocumentSerializer(serializers.Serializer):
    """A document as the latest submission listed it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ProposalDocument.Kind.choices)
    title = serializers.CharField()
    size = serializers.IntegerField(help_text="In bytes.")
    download_url = serializers.CharField()


class SubmittedProposalSerializer(serializers.Serializer):
    """A submitted proposal as the evaluation team reads it, from its latest submission.

    `price_amount` and `price_currency` are left out until the technical scores are locked.
    """

    id = serializers.IntegerField()
    supplier = serializers.CharField(help_text="Its name, or its pseudonym under blind grading.")
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    maturity_assessment = serializers.IntegerField(allow_null=True)
    extra_assessment = serializers.IntegerField(allow_null=True)
    licence_terms = serializers.CharField(allow_blank=True)
    service_terms = serializers.CharField(allow_blank=True)
    documents = SubmittedDocumentSerializer(
        many=True, help_text="The licence and service documents the latest submission sent."
    )
    price_amount = OmittableCharField(required=False, allow_null=True)
    price_currency = OmittableCharField(required=False, allow_blank=True)


# --- evaluation ---------------------------------------------------------------------------------


class DeclarationSerializer(serializers.Serializer):
    rfx = serializers.IntegerField(source="rfx_id")
    reviewer = serializers.CharField(source="reviewer.username")
    is_lead = serializers.BooleanField()
    criterion_codes = serializers.ListField(child=serializers.CharField())
    no_conflict_declared_at = serializers.DateTimeField()


# --- evaluation team ----------------------------------------------------------------------------


class ReviewerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(
        source="get_full_name", allow_blank=True, help_text="Blank when no name is recorded."
    )


class TeamMemberSerializer(serializers.Serializer):
    rfx = serializers.IntegerField(source="rfx_id")
    reviewer = ReviewerRefSerializer()
    is_lead = serializers.BooleanField(help_text="The lead records the consensus scores.")
    criterion_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="The maturity criteria this reviewer scores; empty means every criterion.",
    )
    no_conflict_declared_at = serializers.DateTimeField(
        allow_null=True, help_text="When they declared no conflict of interest; null until then."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _criterion_codes(required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=20),
        max_length=50,
        required=required,
        help_text="Codes of the maturity criteria this reviewer scores; empty means every "
        "criterion.",
    )


class TeamAssignInputSerializer(serializers.Serializer):
    reviewer = serializers.IntegerField(
        required=False,
        help_text="User id of a reviewer or procurement manager of the buyer. Give this or "
        "`username`.",
    )
    username = serializers.CharField(
        max_length=150, required=False, help_text="Their username, instead of `reviewer`."
    )
    is_lead = serializers.BooleanField(
        default=False,
        help_text="Make them the lead, who records the consensus scores; the RFx has one lead, "
        "so any other lead stops being it.",
    )
    criterion_codes = _criterion_codes(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "reviewer" in data and "username" in data:
            raise serializers.ValidationError(
                {"reviewer": ["Give the reviewer's user id or their username, not both."]}
            )
        if "reviewer" not in data and "username" not in data:
            raise serializers.ValidationError(
                {"reviewer": ["Name the reviewer: their user id, or their username."]}
            )
        data.setdefault("criterion_codes", [])
        return data


class TeamUpdateInputSerializer(serializers.Serializer):
    is_lead = serializers.BooleanField(required=False)
    criterion_codes = _criterion_codes(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError("Send `is_lead`, `criterion_codes` or both.")
        return data


class TermsScoreInputSerializer(serializers.Serializer):
    score = serializers.ChoiceField(
        choices=[(0, "Not met"), (1, "Partially met"), (2, "Met"), (3, "Exceeds")]
    )
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class TermsScoreSerializer(serializers.ModelSerializer):
    proposal = serializers.IntegerField(source="proposal_id")

    class Meta:
        model = TermsScore
        fields = ["proposal", "score", "comment", "updated_at"]


class BreakdownSerializer(serializers.Serializer):
    component = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    weight = serializers.FloatField()
    share = serializers.FloatField()
    contribution = serializers.FloatField()


class ComponentsSerializer(serializers.Serializer):
    maturity = serializers.FloatField(allow_null=True)
    extra = serializers.FloatField(allow_null=True)
    terms = serializers.FloatField(allow_null=True)
    cost = OmittableFloatField(
        allow_null=True, required=False, help_text="Left out until the price envelope opens."
    )


class RankingEntrySerializer(serializers.Serializer):
    proposal_id = serializers.IntegerField()
    supplier_name = serializers.CharField(help_text="Its pseudonym under blind grading.")
    rank = serializers.IntegerField(allow_null=True)
    total = serializers.FloatField(allow_null=True)
    price = OmittableCharField(
        allow_null=True, required=False, help_text="Left out until the price envelope opens."
    )
    currency = OmittableCharField(
        allow_null=True, required=False, help_text="Left out until the price envelope opens."
    )
    components = ComponentsSerializer()
    terms_score = serializers.FloatField(allow_null=True)
    breakdown = BreakdownSerializer(many=True)
    competition_passed = serializers.BooleanField(allow_null=True)
    open_critical_red_flags = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class WeightSerializer(serializers.Serializer):
    label = serializers.CharField()
    weight = serializers.FloatField()
    share = serializers.FloatField()
    left_out = serializers.BooleanField()


class WeightsSerializer(serializers.Serializer):
    maturity = WeightSerializer()
    extra = WeightSerializer()
    terms = WeightSerializer()
    cost = WeightSerializer(required=False, help_text="Left out until the price envelope opens.")


class SensitivitySerializer(serializers.Serializer):
    weight = serializers.CharField()
    current = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class RankingSerializer(serializers.Serializer):
    price_visible = serializers.BooleanField(
        help_text="False until the technical scores are locked: cost is then left out of the "
        "totals and every price and cost field is omitted."
    )
    ranking = RankingEntrySerializer(many=True)
    excluded = RankingEntrySerializer(many=True)
    weights = WeightsSerializer()
    sensitivity = SensitivitySerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class AwardInputSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(help_text="Id of the preferred proposal.")
    justification = serializers.CharField(max_length=10000, allow_blank=True)


class AwardSerializer(serializers.Serializer):
    rfx = serializers.IntegerField(source="rfx_id")
    proposal = serializers.IntegerField(source="proposal_id")
    supplier = serializers.CharField(source="proposal.supplier.name")
    justification = serializers.CharField()
    awarded_at = serializers.DateTimeField(source="created_at")


# --- after the award ----------------------------------------------------------------------------


class FeedbackSummarySerializer(serializers.Serializer):
    """The supplier's own figures from the ranking at the award; nothing about anyone else."""

    ranked = serializers.BooleanField()
    rank = serializers.IntegerField(allow_null=True)
    total = serializers.FloatField(allow_null=True, help_text="Out of 100.")
    price = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    components = ComponentsSerializer()
    terms_score = serializers.FloatField(
        allow_null=True, help_text="The mean of the reviewers' 0..3 licence and terms scores."
    )
    breakdown = BreakdownSerializer(many=True)
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why the proposal was not ranked, if it was not."
    )
    weights = WeightsSerializer()


class OwnCompetitionMetricsSerializer(serializers.Serializer):
    """The supplier's own scored predictions file, as `score_predictions` prints it."""

    accuracy = serializers.FloatField()
    macro_f1 = serializers.FloatField()
    weighted_f1 = serializers.FloatField()
    per_class = serializers.JSONField(
        help_text="Class → precision, recall, f1 and support (number of rows)."
    )
    confusion_matrix = serializers.JSONField(
        help_text="`labels` and `matrix`: rows are the true classes, columns the predictions."
    )
    groups = serializers.JSONField(help_text="Group column → group value → the same metrics.")
    gaps = serializers.JSONField(
        help_text="Group column → the largest difference between two groups in accuracy and "
        "in each class's recall."
    )
    bars = serializers.JSONField(
        help_text="Each bar as the buyer set it, with the `value` reached and whether it `passed`."
    )
    passed = serializers.BooleanField(help_text="Whether every bar held.")


class OwnCompetitionSerializer(serializers.Serializer):
    """The supplier's own tender competition results; nothing about any other supplier."""

    file_number = serializers.IntegerField(
        allow_null=True, help_text="The counted file: the last valid one before the deadline."
    )
    verdict = serializers.ChoiceField(choices=VERDICT_CHOICES)
    verdict_words = serializers.CharField()
    passed_gate = serializers.BooleanField(
        help_text="Whether the competition let the proposal into the ranking."
    )
    gate_words = serializers.CharField()
    primary_metric = serializers.CharField(help_text="The metric the buyer orders results by.")
    metrics = OwnCompetitionMetricsSerializer(allow_null=True, help_text="Null until scored.")


class FeedbackSerializer(serializers.Serializer):
    rfx = serializers.IntegerField()
    outcome = serializers.ChoiceField(
        choices=[("won", "Your proposal was chosen"), ("not_chosen", "Another was chosen")]
    )
    awarded_at = serializers.DateTimeField()
    feedback = FeedbackSummarySerializer(
        allow_null=True,
        help_text="Your scores against the weights; null for the winner, and when no summary "
        "could be made at the award.",
    )
    competition = OwnCompetitionSerializer(
        allow_null=True,
        help_text="Your own tender competition results; null for the winner and when the "
        "RFx has no competition.",
    )


# --- comparison scorecard and evaluation matrix -------------------------------------------------


class ComparisonScorecardSerializer(serializers.ModelSerializer):
    rfx = serializers.IntegerField(source="rfx_id")
    status = serializers.ChoiceField(choices=ComparisonReport.Status.choices)
    error = serializers.CharField(
        allow_blank=True, help_text="Why the rendering failed; blank otherwise."
    )
    with_prices = serializers.BooleanField(
        help_text="It shows prices and the cost score (only once the technical scores are "
        "locked, for who may see them)."
    )
    with_names = serializers.BooleanField(
        help_text="It names the suppliers; false when made for a reviewer grading blind."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ComparisonReport
        fields = [
            "id",
            "rfx",
            "status",
            "error",
            "with_prices",
            "with_names",
            "size",
            "queued_at",
            "started_at",
            "finished_at",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, report: ComparisonReport) -> str | None:
        if report.status != ComparisonReport.Status.DONE or not report.file:
            return None
        url = reverse("api-rfx-scorecard-download", args=[report.rfx_id, report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
