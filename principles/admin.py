from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from principles.models import Criterion, Framework, Principle, Question, RedFlagRule


@admin.register(Principle)
class PrincipleAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "slug", "optional"]
    list_display_links = ["name"]
    search_fields = ["name", "slug"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["order", "code", "title", "principle", "weight"]
    extra = 0
    show_change_link = True


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "version", "kind", "owner", "created_at"]
    list_filter = ["kind", "owner"]
    search_fields = ["name", "slug"]
    readonly_fields = ["content_hash", "source_name", "created_at", "updated_at"]
    inlines = [CriterionInline]


class QuestionInline(admin.StackedInline):
    model = Question
    fields = [
        "order",
        "code",
        "text",
        "guidance",
        "answer_type",
        "choices",
        "required",
        "weight",
        "show_if",
    ]
    extra = 0
    show_change_link = True


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "framework", "principle", "weight"]
    list_filter = ["framework"]
    search_fields = ["title", "code"]
    inlines = [QuestionInline]


class RedFlagInline(admin.TabularInline):
    model = RedFlagRule
    fields = ["order", "code", "severity", "when", "message"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "framework", "answer_type", "required", "weight"]
    list_filter = ["framework", "answer_type", "required"]
    search_fields = ["code", "text"]
    inlines = [RedFlagInline]


@admin.register(RedFlagRule)
class RedFlagRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "question", "severity"]
    list_filter = ["severity", "question__framework"]
    search_fields = ["code", "message", "when"]
