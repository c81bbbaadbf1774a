from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


class AssignmentInline(admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    autocomplete_fields = ["reviewer"]
    readonly_fields = ["no_conflict_declared_at", "submitted_at"]


class VersionInline(admin.TabularInline):
    model = AssessmentVersion
    extra = 0
    fields = ["number", "status", "submitted_by", "created_at", "error"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "organisation",
        "framework",
        "kind",
        "status",
        "reviewing_organisation",
        "updated_at",
    ]
    list_filter = ["kind", "status", "framework"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["organisation", "framework", "reviewing_organisation"]
    inlines = [AssignmentInline, VersionInline]


@admin.register(Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "question", "status", "number", "updated_at"]
    list_filter = ["status"]
    search_fields = ["assessment__title", "question__code", "text"]
    list_select_related = ["assessment", "question"]
    raw_id_fields = ["assessment", "question", "updated_by"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["title", "assessment", "question", "size", "created_at"]
    raw_id_fields = ["assessment", "question", "uploaded_by"]


@admin.register(AssessmentVersion)
class AssessmentVersionAdmin(admin.ModelAdmin):
    list_display = ["assessment", "number", "status", "attempts", "queued_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["assessment", "number", "submitted_by", "answers"]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["version", "score", "level", "level_name", "updated_at"]
    readonly_fields = ["version", "score", "level", "level_name", "data", "inputs_hash"]


@admin.register(ReviewerScore)
class ReviewerScoreAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "question", "reviewer", "score", "updated_at"]
    raw_id_fields = ["assessment", "question", "reviewer"]


@admin.register(ConsensusScore)
class ConsensusScoreAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "question", "score", "set_by", "updated_at"]
    raw_id_fields = ["assessment", "question", "set_by"]


@admin.register(RedFlag)
class RedFlagAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "rule", "status", "dismissed_by", "dismissed_at"]
    list_filter = ["status", "rule__severity"]
    raw_id_fields = ["assessment", "question", "rule", "dismissed_by"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["assessment", "version", "status", "size", "created_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["assessment", "version", "requested_by"]
