"""Offline answering: download the questionnaire as a workbook, upload it filled in (DESIGN §3)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from assessments import services
from assessments.models import Assessment
from assessments.permissions import is_respondent
from assessments.selectors import draft_rule_inputs, get_assessment_for_user, latest_version
from assessments.xlsx import (
    MAX_REPORTED_ERRORS,
    WORKBOOK_MAX_BYTES,
    build_workbook,
    parse_workbook,
    summarise_errors,
)
from core.exceptions import ApplicationError
from principles.models import Question

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_MEGABYTES = WORKBOOK_MAX_BYTES // (1024 * 1024)


class WorkbookUploadForm(forms.Form):
    workbook = forms.FileField(
        label="Filled-in workbook",
        help_text=f"The .xlsx file you downloaded here, at most {MAX_MEGABYTES} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )

    def clean_workbook(self):
        upload = self.cleaned_data["workbook"]
        if upload.size > WORKBOOK_MAX_BYTES:
            size = upload.size / (1024 * 1024)
            raise forms.ValidationError(
                f"This file is {size:.1f} MB; the limit is {MAX_MEGABYTES} MB. Upload the workbook "
                "you downloaded here, without added pictures or sheets."
            )
        return upload


def workbook_spec(assessment: Assessment) -> dict:
    """The framework as plain data for the workbook, in one query however many questions it has."""
    framework = assessment.framework
    criteria: dict[int, dict] = {}
    questions = (
        Question.objects.filter(framework=framework)
        .select_related("criterion")
        .order_by("criterion__order", "criterion_id", "order")
    )
    for question in questions:
        criterion = criteria.setdefault(
            question.criterion_id,
            {"code": question.criterion.code, "title": question.criterion.title, "questions": []},
        )
        criterion["questions"].append(
            {
                "code": question.code,
                "text": question.text,
                "guidance": question.guidance,
                "answer": question.answer_type,
                "choices": question.choices,
                "required": question.required,
                "conditional": bool(question.show_if),
            }
        )
    return {
        "slug": framework.slug,
        "name": framework.name,
        "version": framework.version,
        "criteria": list(criteria.values()),
    }


def workbook_answers(assessment: Assessment, user) -> dict[str, dict]:
    """What the workbook is pre-filled with.

    The respondent gets the draft; a reviewer or the buyer gets the latest
    submitted version, never a draft the supplier has reopened and not sent.
    """
    if is_respondent.test(user, assessment):
        return draft_rule_inputs(assessment)
    version = latest_version(assessment)
    return version.answers if version is not None else {}


@login_required
@require_GET
def workbook_download(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    if not request.user.has_perm("assessments.view_answers", assessment):
        raise PermissionDenied("You cannot see this assessment's answers yet.")
    content = build_workbook(
        workbook_spec(assessment),
        workbook_answers(assessment, request.user),
        assessment_id=assessment.pk,
        title=assessment.title,
        editable=request.user.has_perm("assessments.change_assessment", assessment),
        exported_at=timezone.localtime(),
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = slugify(assessment.title)[:60] or "assessment"
    response["Content-Disposition"] = f'attachment; filename="{name}-{assessment.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def workbook_page(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    if not request.user.has_perm("assessments.view_answers", assessment):
        raise PermissionDenied("You cannot see this assessment's answers yet.")
    respondent = is_respondent.test(request.user, assessment)
    form = WorkbookUploadForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not respondent:
            raise PermissionDenied(
                "Only the organisation answering this assessment can upload answers."
            )
        form = WorkbookUploadForm(request.POST, request.FILES)
        status = 400
        if not assessment.is_draft:
            form.add_error(
                None,
                "This assessment has been submitted and is read-only, so nothing was changed. "
                "Reopen it to start a new draft, then upload the workbook again.",
            )
        elif form.is_valid():
            try:
                rows, errors = parse_workbook(
                    form.cleaned_data["workbook"].read(),
                    workbook_spec(assessment),
                    assessment_id=assessment.pk,
                )
                if errors:
                    form.add_error(
                        "workbook", "Fix the rows listed above, then upload the file again."
                    )
                else:
                    updated, unchanged = services.answers_import(
                        assessment=assessment,
                        user=request.user,
                        rows=[{"code": row.code, "fields": row.fields} for row in rows],
                    )
                    messages.success(request, _merged_message(updated, unchanged))
                    return redirect("assessment-workbook", pk=assessment.pk)
            except ApplicationError as error:
                form.add_error("workbook", error.message)
    shown_errors, more_errors = summarise_errors(errors)
    context = {
        "assessment": assessment,
        "form": form,
        "can_upload": respondent and assessment.is_draft,
        "is_respondent": respondent,
        "row_errors": shown_errors,
        "error_count": len(errors),
        "more_errors": more_errors,
        "max_errors": MAX_REPORTED_ERRORS,
        "max_megabytes": MAX_MEGABYTES,
    }
    return render(request, "assessments/xlsx/workbook.html", context, status=status)


def _merged_message(updated: int, unchanged: int) -> str:
    answers = "answer" if updated == 1 else "answers"
    return f"Workbook uploaded: {updated} {answers} updated, {unchanged} unchanged."


urlpatterns = [
    path("<int:pk>/workbook/", workbook_page, name="assessment-workbook"),
    path("<int:pk>/workbook.xlsx", workbook_download, name="assessment-workbook-download"),
]
