from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from rfx.models import (
    Addendum,
    Award,
    Clarification,
    Invitation,
    Proposal,
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
