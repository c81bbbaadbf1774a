from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from rfx.models import (
    Addendum,
    Award,
    Clarification,
    Competition,
    Invitation,
    PredictionSubmission,
    Proposal,
    ProposalDocument,
    ProposalVersion,
    RFx,
    RFxReviewer,
    Section,
    SupplierFeedback,
    TermsScore,
)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "key", "title"]
    readonly_fields = ["key"]


@admin.register(RFx)
class RFxAdmin(SimpleHistoryAdmin):
    list_display = ["title", "buyer", "kind", "status", "proposal_deadline"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "buyer__name"]
    raw_id_fields = ["buyer", "framework", "extra_framework", "created_by"]
    inlines = [SectionInline]


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    list_display = ["rfx", "supplier", "email", "status", "responded_at"]
    list_filter = ["status"]
    # The hash is useless to a person and a copy of it would be as good as a link.
    exclude = ["token_hash"]
    raw_id_fields = ["rfx", "supplier", "responded_by", "invited_by"]


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ["rfx", "supplier", "submitted_at", "needs_reconfirmation"]
    raw_id_fields = ["rfx", "supplier", "maturity_assessment", "extra_assessment", "created_by"]


@admin.register(ProposalVersion)
class ProposalVersionAdmin(SimpleHistoryAdmin):
    list_display = ["proposal", "number", "created_at"]
    readonly_fields = ["proposal", "number", "submitted_by", "snapshot"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


for model in (Addendum, Clarification, RFxReviewer, TermsScore, SupplierFeedback):
    admin.site.register(model)
admin.site.register(Award, SimpleHistoryAdmin)


def _file_label(name: str, size: int, stored) -> str:
    """A stored file by its name and size only: no link, least of all to the hidden labels."""
    if not stored:
        return "—"
    return f"{name or stored.name} ({size:,} bytes)"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the services, which check every file and every change."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting here would leave the files behind in storage


@admin.register(Competition)
class CompetitionAdmin(ReadOnlyAdmin):
    list_display = ["rfx", "primary_metric", "submission_limit", "release_at", "rows"]
    search_fields = ["rfx__title"]
    fields = [
        "rfx",
        "description",
        "primary_metric",
        "bars",
        "submission_limit",
        "release_at",
        "training",
        "inputs",
        "hidden_labels",
        "rows",
        "classes",
        "group_columns",
    ]
    readonly_fields = fields

    @admin.display(description="Training set")
    def training(self, obj: Competition) -> str:
        return _file_label(obj.training_name, obj.training_size, obj.training_file)

    @admin.display(description="Evaluation inputs")
    def inputs(self, obj: Competition) -> str:
        return _file_label(obj.inputs_name, obj.inputs_size, obj.inputs_file)

    @admin.display(description="Hidden labels")
    def hidden_labels(self, obj: Competition) -> str:
        return _file_label(obj.labels_name, obj.labels_size, obj.labels_file)


@admin.register(PredictionSubmission)
class PredictionSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "number", "valid", "status", "passed", "created_at"]
    list_filter = ["valid", "status", "passed"]
    search_fields = ["proposal__supplier__name", "proposal__rfx__title"]
    fields = [
        "competition",
        "proposal",
        "number",
        "predictions",
        "sha256",
        "uploaded_by",
        "valid",
        "problems",
        "status",
        "error",
        "attempts",
        "queued_at",
        "started_at",
        "finished_at",
        "passed",
        "metrics",
    ]
    readonly_fields = fields

    @admin.display(description="Predictions file")
    def predictions(self, obj: PredictionSubmission) -> str:
        return _file_label(obj.original_name, obj.size, obj.file)


@admin.register(ProposalDocument)
class ProposalDocumentAdmin(ReadOnlyAdmin):
    """Every document, removed ones included: a submitted version may still list them."""

    list_display = ["title", "proposal", "kind", "size", "created_at", "removed_at"]
    list_filter = ["kind"]
    search_fields = ["title", "proposal__supplier__name", "proposal__rfx__title"]
    fields = ["proposal", "kind", "title", "document", "content_type", "uploaded_by", "removed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return ProposalDocument.all_objects.select_related("proposal__rfx", "proposal__supplier")

    @admin.display(description="File")
    def document(self, obj: ProposalDocument) -> str:
        return _file_label(obj.file.name.rsplit("/", 1)[-1], obj.size, obj.file)
