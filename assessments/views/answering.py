"""Answering pages: the list, starting a self-assessment, the overview with its scorecard,
criterion pages with autosave, the summary and submission, and evidence.

Respondents (members of the assessment's organisation) edit the draft. Assigned reviewers
who declared no conflict and the reviewing organisation's procurement managers read the
latest submitted version, read-only. Everyone else gets a 404, as if it did not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import membership_list_for_user, organisation_ids_for_user
from assessments import scoring, services
from assessments.forms import (
    AssessmentCreateForm,
    EvidenceFileForm,
    EvidenceLinkForm,
    answer_fields,
)
from assessments.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Evidence,
    RedFlag,
    Scorecard,
)
from assessments.permissions import is_assigned_reviewer, is_respondent
from assessments.selectors import (
    answers_by_code,
    assessment_list_for_user,
    draft_rule_inputs,
    evidence_by_code,
    evidence_in_a_version,
    get_assessment_for_user,
    latest_version,
)
from core.exceptions import ApplicationError
from principles.models import Criterion, Question
from principles.rules import Evaluator, referenced_questions
from principles.selectors import framework_tree

SEVERITIES = ("critical", "major", "minor")
SEVERITY_LABELS = {"critical": "Critical", "major": "Major", "minor": "Minor"}
STATUS_OPTIONS = [
    ("yes", "Yes"),
    ("partial", "Partially"),
    ("no", "No"),
    ("na", "Not applicable"),
]

EVIDENCE_CONTEXT = {
    "evidence_accept": ",".join(sorted(services.EVIDENCE_TYPES)),
    "evidence_accept_label": ", ".join(
        extension.lstrip(".").upper() for extension in sorted(services.EVIDENCE_TYPES)
    ),
}


# --- fetching with a permission check -----------------------------------------------------------


class DeclarationNeeded(Exception):
    """An assigned reviewer who has not yet declared that they have no conflict of interest."""

    def __init__(self, assessment: Assessment) -> None:
        super().__init__("Declare that you have no conflict of interest first.")
        self.assessment = assessment


def _viewable(request: HttpRequest, pk: int, perm: str = "assessments.view_answers") -> Assessment:
    """The assessment if the person may see it; 404 otherwise, so its existence is not revealed."""
    assessment = get_assessment_for_user(request.user, pk)
    if request.user.has_perm(perm, assessment):
        return assessment
    if is_assigned_reviewer(request.user, assessment):
        # They know it exists (they were assigned), but see nothing before declaring.
        raise DeclarationNeeded(assessment)
    raise Http404("No such assessment.")


def _respondents_only(request: HttpRequest, pk: int) -> Assessment:
    """For writes: only the respondent organisation; other readers get 403, everyone else 404."""
    assessment = get_assessment_for_user(request.user, pk)
    if not is_respondent(request.user, assessment):
        raise PermissionDenied("Only the organisation answering this assessment can change it.")
    return assessment


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in people only; an undeclared reviewer is sent to the declaration first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DeclarationNeeded as needed:
            try:
                url = reverse("review-declaration", args=[needed.assessment.pk])
            except NoReverseMatch:
                raise PermissionDenied(str(needed)) from None
            messages.info(
                request,
                "Declare that you have no conflict of interest before you read the answers.",
            )
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": url})
            return redirect(url)

    return login_required(wrapper)


# --- progress and visibility --------------------------------------------------------------------


def _spec(tree: list[Criterion]) -> dict:
    """The framework as the scoring module reads it, built from a tree already fetched."""
    return {
        "criteria": [
            {
                "code": criterion.code,
                "questions": [
                    {
                        "code": question.code,
                        "answer": question.answer_type,
                        "required": question.required,
                        "show_if": question.show_if,
                    }
                    for question in criterion.questions.all()
                ],
            }
            for criterion in tree
        ]
    }


@dataclass
class Progress:
    shown: dict[str, bool]
    answered: dict[str, bool]
    # criterion code → (required questions answered, required questions shown)
    criteria: dict[str, tuple[int, int]]

    @property
    def answered_total(self) -> int:
        return sum(answered for answered, _ in self.criteria.values())

    @property
    def required_total(self) -> int:
        return sum(required for _, required in self.criteria.values())

    @property
    def missing_total(self) -> int:
        return self.required_total - self.answered_total

    @property
    def percent(self) -> int:
        return _percent_of(self.answered_total, self.required_total)


def _percent_of(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 100


def _progress(spec: dict, inputs: dict[str, dict]) -> Progress:
    evaluator = Evaluator(inputs, scoring.question_codes(spec))
    shown = scoring.visibility(spec, evaluator)
    answered: dict[str, bool] = {}
    criteria: dict[str, tuple[int, int]] = {}
    for criterion in spec["criteria"]:
        done = required = 0
        for question in criterion["questions"]:
            code = question["code"]
            answered[code] = scoring.is_answered(question["answer"], evaluator.answer(code))
            if question["required"] and shown[code]:
                required += 1
                done += answered[code]
        criteria[criterion["code"]] = (done, required)
    return Progress(shown=shown, answered=answered, criteria=criteria)


def _attach_progress(tree: list[Criterion], progress: Progress) -> None:
    for criterion in tree:
        criterion.progress_answered, criterion.progress_required = progress.criteria[criterion.code]


def _draft_inputs(answers: dict[str, Answer], evidence: dict[str, list]) -> dict[str, dict]:
    """What `draft_rule_inputs` returns, from answers and evidence already fetched."""
    inputs = {
        code: answer.as_rule_input(len(evidence.get(code, []))) for code, answer in answers.items()
    }
    for code, items in evidence.items():
        inputs.setdefault(code, {"evidence_count": len(items)})
    return inputs


def _hidden_reason(question: Question) -> str:
    codes = list(dict.fromkeys(referenced_questions(question.show_if)))
    if not codes:
        return "because of other answers"
    if len(codes) == 1:
        return f"because of the answer to question {codes[0]}"
    return f"because of the answers to questions {', '.join(codes[:-1])} and {codes[-1]}"


def _anchor(code: str) -> str:
    return "q-" + re.sub(r"[^A-Za-z0-9_-]+", "-", code)


def _format_number(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else str(number)


def _percent(score: float | None) -> int | None:
    return None if score is None else round(score * 100)


# --- the list and starting a self-assessment ----------------------------------------------------


def _with_latest_version(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    latest = AssessmentVersion.objects.filter(assessment=OuterRef("pk")).order_by("-number")
    return assessments.annotate(
        latest_number=Subquery(latest.values("number")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
        latest_score=Subquery(latest.values("scorecard__score")[:1]),
        latest_level=Subquery(latest.values("scorecard__level")[:1]),
        latest_level_name=Subquery(latest.values("scorecard__level_name")[:1]),
    )


@page
@require_GET
def assessment_index(request: HttpRequest) -> HttpResponse:
    own_organisations = organisation_ids_for_user(request.user)
    rows = list(_with_latest_version(assessment_list_for_user(request.user)))
    for row in rows:
        row.latest_percent = _percent(row.latest_score)
    # Evaluated once here and handed to the header too, instead of the context processor's query.
    memberships = list(membership_list_for_user(request.user))
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "own_assessments": [row for row in rows if row.organisation_id in own_organisations],
            "reviewed_assessments": [
                row for row in rows if row.organisation_id not in own_organisations
            ],
            "buyer_side": any(membership.is_buyer_side for membership in memberships),
            "memberships": memberships,
            "can_create": bool(own_organisations),
        },
    )


@page
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest) -> HttpResponse:
    form = AssessmentCreateForm(request.POST or None, user=request.user)
    if not form.organisations:
        raise PermissionDenied(
            "Only members of a supplier or buyer organisation can start an assessment."
        )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(
                framework=form.cleaned_data["framework"],
                organisation=form.cleaned_data["organisation"],
                user=request.user,
                title=form.cleaned_data["title"].strip(),
                reviewing_organisation=form.cleaned_data["reviewing_organisation"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, "Your self-assessment has been started. Answers save as you type."
            )
            first = (
                assessment.framework.criteria.order_by("order")
                .values_list("code", flat=True)
                .first()
            )
            if first is None:
                return redirect("assessment-detail", pk=assessment.pk)
            return redirect("assessment-criterion", pk=assessment.pk, code=first)
    return render(request, "assessments/assessment_form.html", {"form": form})


# --- the overview and its scorecard -------------------------------------------------------------


def _scorecard_context(
    request: HttpRequest, assessment: Assessment, tree: list[Criterion]
) -> dict[str, Any]:
    version = latest_version(assessment)
    context: dict[str, Any] = {"assessment": assessment, "version": version, "scorecard": None}
    if version is None:
        return context
    try:
        scorecard = version.scorecard
    except Scorecard.DoesNotExist:
        scorecard = None
    context["can_retry"] = request.user.has_perm("assessments.view_assessment", assessment)
    if scorecard is None:
        return context
    data = scorecard.data or {}
    scored_criteria = data.get("criteria") or {}
    criterion_rows = []
    for criterion in tree:
        result = scored_criteria.get(criterion.code)
        level = (result or {}).get("level") or {}
        criterion_rows.append(
            {
                "criterion": criterion,
                "percent": _percent(result["score"]) if result else None,
                "level": level.get("level"),
                "level_name": level.get("name", ""),
                "recommendation": criterion.recommendation_for(level["level"]) if level else "",
            }
        )
    flags = list(
        RedFlag.objects.filter(assessment=assessment)
        .exclude(status=RedFlag.Status.CLEARED)
        .select_related("rule", "question", "dismissed_by")
        .order_by("question__criterion__order", "question__order", "rule__order")
    )
    criterion_codes = {
        question.code: criterion.code
        for criterion in tree
        for question in criterion.questions.all()
    }
    for flag in flags:
        flag.criterion_code = criterion_codes.get(flag.question.code, tree[0].code if tree else "")
        flag.anchor = _anchor(flag.question.code)
    active = [flag for flag in flags if flag.status == RedFlag.Status.ACTIVE]
    context.update(
        {
            "scorecard": scorecard,
            "score_percent": _percent(scorecard.score),
            "criterion_rows": criterion_rows,
            "active_flags": [
                {
                    "severity": severity,
                    "label": SEVERITY_LABELS[severity],
                    "flags": [flag for flag in active if flag.rule.severity == severity],
                }
                for severity in SEVERITIES
                if any(flag.rule.severity == severity for flag in active)
            ],
            "active_flag_count": len(active),
            "dismissed_flags": [flag for flag in flags if flag.status == RedFlag.Status.DISMISSED],
            "divergences": data.get("divergences") or [],
            "rule_errors": data.get("rule_errors") or [],
        }
    )
    return context


@page
@require_GET
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _viewable(request, pk, "assessments.view_assessment")
    tree = framework_tree(assessment.framework)
    context = _scorecard_context(request, assessment, tree)
    respondent = is_respondent(request.user, assessment)
    if respondent:
        progress = _progress(_spec(tree), draft_rule_inputs(assessment))
        context["progress"] = progress
        context["progress_rows"] = [
            {
                "criterion": criterion,
                "answered": progress.criteria[criterion.code][0],
                "required": progress.criteria[criterion.code][1],
                "percent": _percent_of(*progress.criteria[criterion.code]),
            }
            for criterion in tree
        ]
        context["next_criterion"] = next(
            (
                criterion
                for criterion in tree
                if progress.criteria[criterion.code][0] < progress.criteria[criterion.code][1]
            ),
            tree[0] if tree else None,
        )
    context.update(
        {
            "respondent": respondent,
            "review_link": None if respondent else _review_link(request, assessment),
            "criteria": tree,
            "can_submit": request.user.has_perm("assessments.submit_assessment", assessment),
            "can_reopen": request.user.has_perm("assessments.reopen_assessment", assessment),
        }
    )
    return render(request, "assessments/assessment_detail.html", context)


def _review_link(request: HttpRequest, assessment: Assessment) -> tuple[str, str] | None:
    """Where a reviewer scores, or a procurement manager picks the team (the reviewing pages)."""
    if is_assigned_reviewer(request.user, assessment):
        name, label = "review-overview", "Go to your review"
    elif request.user.has_perm("assessments.assign_reviewers", assessment):
        name, label = "review-team", "Manage the review team"
    else:
        return None
    try:
        return reverse(name, args=[assessment.pk]), label
    except NoReverseMatch:
        return None


@page
@require_GET
def scoring_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The scorecard section alone; it polls itself while scoring is queued or running."""
    assessment = _viewable(request, pk, "assessments.view_assessment")
    context = _scorecard_context(request, assessment, framework_tree(assessment.framework))
    return render(request, "assessments/_scorecard.html", context)


@page
@require_POST
def scoring_retry(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _viewable(request, pk, "assessments.view_assessment")
    version = latest_version(assessment)
    if version is None:
        raise Http404("Nothing has been submitted yet.")
    try:
        services.scoring_retry(version=version)
    except ApplicationError as error:
        messages.error(request, error.message)
    if request.htmx:
        context = _scorecard_context(request, assessment, framework_tree(assessment.framework))
        return render(request, "assessments/_scorecard.html", context)
    return redirect("assessment-detail", pk=assessment.pk)


# --- criterion pages ----------------------------------------------------------------------------


@dataclass
class QuestionRow:
    question: Question
    anchor: str
    answer: dict[str, Any]
    evidence: list[dict[str, Any]]
    shown: bool
    answered: bool
    hidden_reason: str = ""
    error: str = ""
    evidence_error: str = ""
    evidence_typed: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.question.code


def _answer_values(answer: Answer | dict | None) -> dict[str, Any]:
    if answer is None:
        return {"status": "", "text": "", "number": "", "choices": []}
    if isinstance(answer, Answer):
        return {
            "status": answer.status,
            "text": answer.text,
            "number": _format_number(answer.number),
            "choices": list(answer.choices),
        }
    number = answer.get("number")
    return {
        "status": answer.get("status") or "",
        "text": answer.get("text") or "",
        "number": _format_number(float(number)) if number not in (None, "") else "",
        "choices": list(answer.get("choices") or []),
    }


def _typed_values(data: QueryDict, question: Question) -> dict[str, Any]:
    """What the person typed for one question, to show again after a validation error."""
    fields = answer_fields(data, question, whole_form=True)
    return {
        "status": fields.get("status", ""),
        "text": fields.get("text", ""),
        "number": fields.get("number", ""),
        "choices": fields.get("choices", []),
    }


def _evidence_items(assessment: Assessment, items: list) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        if isinstance(item, Evidence):
            item = {
                "id": item.pk,
                "title": item.title,
                "file": item.file.name or "",
                "url": item.url,
                "size": item.size,
            }
        rows.append(
            {
                **item,
                "filename": PurePath(item.get("file") or "").name,
                "host": urlsplit(item.get("url") or "").hostname or "",
                "download_url": reverse(
                    "assessment-evidence-download", args=[assessment.pk, item["id"]]
                )
                if item.get("file")
                else "",
            }
        )
    return rows


@dataclass
class Sources:
    """The answers a page shows: the draft for respondents, the latest version for readers."""

    answers: dict[str, Any]
    evidence: dict[str, list]
    inputs: dict[str, dict]
    version: AssessmentVersion | None
    editable: bool


def _sources(request: HttpRequest, assessment: Assessment) -> Sources:
    if is_respondent(request.user, assessment):
        answers = answers_by_code(assessment)
        evidence = evidence_by_code(assessment)
        version = None if assessment.is_draft else latest_version(assessment)
        return Sources(
            answers=answers,
            evidence=evidence,
            inputs=_draft_inputs(answers, evidence),
            version=version,
            editable=assessment.is_draft,
        )
    version = latest_version(assessment)
    if version is None:
        raise Http404("Nothing has been submitted yet.")
    snapshot = version.answers or {}
    return Sources(
        answers=snapshot,
        evidence={code: answer.get("evidence") or [] for code, answer in snapshot.items()},
        inputs={
            code: {key: value for key, value in answer.items() if key != "evidence"}
            for code, answer in snapshot.items()
        },
        version=version,
        editable=False,
    )


def _question_row(
    assessment: Assessment, question: Question, sources: Sources, progress: Progress
) -> QuestionRow:
    shown = progress.shown.get(question.code, True)
    return QuestionRow(
        question=question,
        anchor=_anchor(question.code),
        answer=_answer_values(sources.answers.get(question.code)),
        evidence=_evidence_items(assessment, sources.evidence.get(question.code, [])),
        shown=shown,
        answered=progress.answered.get(question.code, False),
        hidden_reason="" if shown else _hidden_reason(question),
    )


def _find_criterion(
    tree: list[Criterion], code: str
) -> tuple[Criterion, Criterion | None, Criterion | None]:
    for index, criterion in enumerate(tree):
        if criterion.code == code:
            previous = tree[index - 1] if index > 0 else None
            following = tree[index + 1] if index + 1 < len(tree) else None
            return criterion, previous, following
    raise Http404("No such criterion in this framework.")


def _criterion_context(
    request: HttpRequest, assessment: Assessment, code: str, sources: Sources | None = None
) -> dict[str, Any]:
    tree = framework_tree(assessment.framework)
    criterion, previous, following = _find_criterion(tree, code)
    sources = sources or _sources(request, assessment)
    progress = _progress(_spec(tree), sources.inputs)
    _attach_progress(tree, progress)
    rows = [
        _question_row(assessment, question, sources, progress)
        for question in criterion.questions.all()
    ]
    return {
        "assessment": assessment,
        "criterion": criterion,
        "criterion_index": tree.index(criterion) + 1,
        "criteria": tree,
        "previous_criterion": previous,
        "next_criterion": following,
        "rows": rows,
        "progress": progress,
        "criterion_progress": progress.criteria[criterion.code],
        "criterion_percent": _percent_of(*progress.criteria[criterion.code]),
        "editable": sources.editable,
        "version": sources.version,
        "respondent": is_respondent(request.user, assessment),
        "status_options": STATUS_OPTIONS,
        **EVIDENCE_CONTEXT,
    }


@page
@require_http_methods(["GET", "POST"])
def criterion_page(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    if request.method == "POST":
        return _criterion_save(request, pk, code)
    assessment = _viewable(request, pk)
    return render(
        request, "assessments/criterion.html", _criterion_context(request, assessment, code)
    )


def _criterion_save(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Without JavaScript: the whole criterion in one form; every changed field is saved."""
    assessment = _respondents_only(request, pk)
    if not assessment.is_draft:
        messages.error(
            request,
            "This assessment has been submitted and is read-only. Start a new draft to change it.",
        )
        return redirect("assessment-criterion", pk=assessment.pk, code=code)
    tree = framework_tree(assessment.framework)
    criterion, _, following = _find_criterion(tree, code)
    current = answers_by_code(assessment)
    errors: dict[str, str] = {}
    for question in criterion.questions.all():
        fields = answer_fields(request.POST, question, whole_form=True)
        if not fields:
            continue
        try:
            cleaned = services.clean_answer_fields(question, fields)
            answer = current.get(question.code)
            changed = {
                name: value
                for name, value in cleaned.items()
                if (getattr(answer, name) if answer else _empty_value(name)) != value
            }
            if changed:
                services.answer_save(
                    assessment=assessment, question=question, user=request.user, **changed
                )
        except ApplicationError as error:
            errors[question.code] = error.message
    if errors:
        context = _criterion_context(request, assessment, code)
        for row in context["rows"]:
            if row.shown and f"{row.code}-present" in request.POST:
                row.answer = _typed_values(request.POST, row.question)
            row.error = errors.get(row.code, "")
        context["form_errors"] = len(errors)
        return render(request, "assessments/criterion.html", context)
    messages.success(request, "Your answers have been saved.")
    if request.POST.get("go") == "next" and following is not None:
        return redirect("assessment-criterion", pk=assessment.pk, code=following.code)
    if request.POST.get("go") == "summary":
        return redirect("assessment-summary", pk=assessment.pk)
    return redirect("assessment-criterion", pk=assessment.pk, code=code)


def _empty_value(name: str) -> Any:
    return {"status": "", "text": "", "number": None, "choices": []}[name]


def _question_in(assessment: Assessment, question_code: str) -> Question:
    question = (
        Question.objects.filter(framework_id=assessment.framework_id, code=question_code)
        .select_related("criterion")
        .first()
    )
    if question is None:
        raise Http404("No such question in this framework.")
    return question


@page
@require_POST
def answer_autosave(request: HttpRequest, pk: int, question_code: str) -> HttpResponse:
    """Save the fields of one question that the request carries (autosave sends one at a time).

    The reply is a small fragment ("Saved 10:42" or the error), plus out-of-band swaps of
    the progress and of every question on the page whose visibility this answer changed.
    The fields themselves are never sent back, so nothing typed meanwhile is overwritten.
    """
    assessment = _respondents_only(request, pk)
    question = _question_in(assessment, question_code)
    fields = answer_fields(request.POST, question)
    tree = framework_tree(assessment.framework)
    spec = _spec(tree)
    before_inputs = draft_rule_inputs(assessment)
    before = _progress(spec, before_inputs)
    error = ""
    if not fields:
        error = "Nothing to save: the request carried no answer."
    else:
        try:
            answer = services.answer_save(
                assessment=assessment, question=question, user=request.user, **fields
            )
        except ApplicationError as problem:
            error = problem.message
        else:
            before_inputs[question.code] = answer.as_rule_input(
                (before_inputs.get(question.code) or {}).get("evidence_count", 0)
            )
    after = _progress(spec, before_inputs)
    _attach_progress(tree, after)
    if request.POST.get("beacon"):
        # Sent by the page as it was left (static/js/assessments.js): nobody reads the reply.
        return HttpResponse(status=204)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"Question {question.code} saved.")
        return redirect(
            reverse("assessment-criterion", args=[assessment.pk, question.criterion.code])
            + f"#{_anchor(question.code)}"
        )
    criterion, _, _ = _find_criterion(tree, question.criterion.code)
    changed = [
        other
        for other in criterion.questions.all()
        if other.code != question.code
        and before.shown.get(other.code) != after.shown.get(other.code)
    ]
    swapped_rows = []
    if changed:
        sources = _sources(request, assessment)
        swapped_rows = [_question_row(assessment, other, sources, after) for other in changed]
    row = QuestionRow(
        question=question,
        anchor=_anchor(question.code),
        answer={},
        evidence=[],
        shown=True,
        answered=after.answered.get(question.code, False),
    )
    return render(
        request,
        "assessments/_autosave.html",
        {
            "assessment": assessment,
            "criterion": criterion,
            "criteria": tree,
            "row": row,
            "error": error,
            "saved_at": timezone.localtime(),
            "progress": after,
            "criterion_progress": after.criteria[criterion.code],
            "criterion_percent": _percent_of(*after.criteria[criterion.code]),
            "swapped_rows": swapped_rows,
            "editable": True,
            "respondent": True,
            "status_options": STATUS_OPTIONS,
            **EVIDENCE_CONTEXT,
        },
    )


# --- evidence -----------------------------------------------------------------------------------


def _evidence_response(
    request: HttpRequest,
    assessment: Assessment,
    question: Question,
    *,
    error: str = "",
    typed: dict[str, str] | None = None,
) -> HttpResponse:
    """htmx: the question's evidence section; otherwise the page, with the error if any."""
    criterion_code = question.criterion.code
    if request.htmx:
        evidence = evidence_by_code(assessment)
        row = QuestionRow(
            question=question,
            anchor=_anchor(question.code),
            answer={},
            evidence=_evidence_items(assessment, evidence.get(question.code, [])),
            shown=True,
            answered=False,
            evidence_error=error,
            evidence_typed=typed or {},
        )
        return render(
            request,
            "assessments/_evidence.html",
            {
                "assessment": assessment,
                "row": row,
                "editable": assessment.is_draft,
                **EVIDENCE_CONTEXT,
            },
        )
    if error:
        context = _criterion_context(request, assessment, criterion_code)
        for row in context["rows"]:
            if row.code == question.code:
                row.evidence_error = error
                row.evidence_typed = typed or {}
        return render(request, "assessments/criterion.html", context)
    return redirect(
        reverse("assessment-criterion", args=[assessment.pk, criterion_code])
        + f"#{_anchor(question.code)}"
    )


@page
@require_POST
def evidence_add(request: HttpRequest, pk: int, question_code: str) -> HttpResponse:
    assessment = _respondents_only(request, pk)
    question = _question_in(assessment, question_code)
    is_link = request.POST.get("kind") == "link"
    form = (EvidenceLinkForm if is_link else EvidenceFileForm)(request.POST, request.FILES)
    typed = {
        "title": request.POST.get("title", "")[:200],
        "url": request.POST.get("url", "")[:500],
        "kind": "link" if is_link else "file",
    }
    if not form.is_valid():
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
        return _evidence_response(request, assessment, question, error=error, typed=typed)
    try:
        services.evidence_add(
            assessment=assessment,
            question=question,
            user=request.user,
            title=form.cleaned_data["title"].strip(),
            file=None if is_link else form.cleaned_data["file"],
            url=form.cleaned_data["url"] if is_link else "",
        )
    except ApplicationError as error:
        return _evidence_response(request, assessment, question, error=error.message, typed=typed)
    if not request.htmx:
        messages.success(request, f"Evidence added to question {question.code}.")
    return _evidence_response(request, assessment, question)


def _evidence_of(
    assessment: Assessment, evidence_pk: int, *, include_removed: bool = False
) -> Evidence:
    manager = Evidence.all_objects if include_removed else Evidence.objects
    evidence = (
        manager.filter(assessment=assessment, pk=evidence_pk)
        .select_related("question__criterion", "assessment")
        .first()
    )
    if evidence is None:
        raise Http404("No such evidence.")
    return evidence


@page
@require_POST
def evidence_delete(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    assessment = _respondents_only(request, pk)
    evidence = _evidence_of(assessment, evidence_pk)
    question = evidence.question
    try:
        services.evidence_delete(evidence=evidence)
    except ApplicationError as error:
        return _evidence_response(request, assessment, question, error=error.message)
    if not request.htmx:
        messages.success(request, f"Evidence removed from question {question.code}.")
    return _evidence_response(request, assessment, question)


@page
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """Evidence files are never public: each download checks who is asking."""
    assessment = _viewable(request, pk)
    evidence = _evidence_of(assessment, evidence_pk, include_removed=True)
    in_a_version = evidence_in_a_version(assessment, evidence.pk)
    # Readers who are not respondents see submitted versions only, never a new draft's files;
    # evidence removed from the draft is kept only for the versions that list it.
    if (evidence.removed_at or not is_respondent(request.user, assessment)) and not in_a_version:
        raise Http404("No such evidence.")
    if not evidence.file:
        raise Http404("This evidence is a link, not a file.")
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(handle, as_attachment=True, filename=PurePath(evidence.file.name).name)
    response["Cache-Control"] = "private, no-store"
    return response


# --- summary, submit, reopen --------------------------------------------------------------------


def _summary_context(assessment: Assessment, *, error: str = "") -> dict[str, Any]:
    tree = framework_tree(assessment.framework)
    progress = _progress(_spec(tree), draft_rule_inputs(assessment))
    criterion_of = {
        question.code: criterion for criterion in tree for question in criterion.questions.all()
    }
    missing = services.missing_answers(assessment) if assessment.is_draft else []
    missing_rows = [
        {
            "question": question,
            "criterion": criterion_of[question.code],
            "anchor": _anchor(question.code),
        }
        for question in missing
    ]
    return {
        "assessment": assessment,
        "criteria": tree,
        "progress": progress,
        "progress_rows": [
            {
                "criterion": criterion,
                "answered": progress.criteria[criterion.code][0],
                "required": progress.criteria[criterion.code][1],
                "missing": [row for row in missing_rows if row["criterion"].pk == criterion.pk],
            }
            for criterion in tree
        ],
        "missing_rows": missing_rows,
        "version": latest_version(assessment),
        "error": error,
    }


@page
@require_GET
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _respondents_only(request, pk)
    return render(request, "assessments/summary.html", _summary_context(assessment))


@page
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _respondents_only(request, pk)
    try:
        version = services.assessment_submit(assessment=assessment, user=request.user)
    except ApplicationError as error:
        if "missing" in error.extra:
            assessment.refresh_from_db()
            return render(
                request,
                "assessments/summary.html",
                _summary_context(assessment, error=error.message),
            )
        # Already submitted (a second click, another tab): nothing more to do.
        messages.info(request, error.message)
        return redirect("assessment-detail", pk=assessment.pk)
    messages.success(
        request,
        f"Submitted as version {version.number}. "
        "Scoring runs in the background; the scorecard below shows its progress.",
    )
    return redirect("assessment-detail", pk=assessment.pk)


@page
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _respondents_only(request, pk)
    try:
        services.assessment_reopen(assessment=assessment, user=request.user)
    except ApplicationError as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request,
            "A new draft has been started from your last submission. "
            "The submitted version stays as it was until you submit again.",
        )
    return redirect("assessment-detail", pk=assessment.pk)


urlpatterns = [
    path("", assessment_index, name="assessment-list"),
    path("new/", assessment_new, name="assessment-create"),
    path("<int:pk>/", assessment_detail, name="assessment-detail"),
    path("<int:pk>/scoring/", scoring_status, name="assessment-scoring-status"),
    path("<int:pk>/scoring/retry/", scoring_retry, name="assessment-scoring-retry"),
    path("<int:pk>/criteria/<str:code>/", criterion_page, name="assessment-criterion"),
    path("<int:pk>/answers/<str:question_code>/", answer_autosave, name="assessment-answer"),
    path(
        "<int:pk>/answers/<str:question_code>/evidence/",
        evidence_add,
        name="assessment-evidence-add",
    ),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/",
        evidence_download,
        name="assessment-evidence-download",
    ),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/delete/",
        evidence_delete,
        name="assessment-evidence-delete",
    ),
    path("<int:pk>/summary/", summary, name="assessment-summary"),
    path("<int:pk>/submit/", submit, name="assessment-submit"),
    path("<int:pk>/reopen/", reopen, name="assessment-reopen"),
]
