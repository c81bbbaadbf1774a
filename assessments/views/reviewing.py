"""Reviewing pages: the evaluation team, conflict of interest, scoring, consensus and red flags.

Every page goes through `_reviewer_access` (or `_team_access` for the team
page): the assessment is fetched with the person's visibility (404 for anyone
who may not know it exists), then a reviewer must be assigned (403 otherwise)
and must have declared no conflict of interest before any answer or score is
shown (redirect to the declaration). A reviewer sees only their own scores
until they submit their review; then everyone's, with divergence markers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership, User
from assessments import services
from assessments.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ConsensusScore,
    RedFlag,
    ReviewerAssignment,
    ReviewerScore,
)
from assessments.scoring import STATUS_SUGGESTION
from assessments.selectors import assignment_for, get_assessment_for_user, latest_version
from core.exceptions import ApplicationError
from principles.models import Criterion, Question
from principles.selectors import framework_tree

SCORE_CHOICES = [(value, f"{value} · {label}") for value, label in ReviewerScore.Value.choices]
SCORE_LABELS = dict(ReviewerScore.Value.choices)
ANSWER_LABELS = dict(Answer.Status.choices)
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}
SOURCE_LABELS = {
    "consensus": "consensus of the review team",
    "reviewers": "mean of the reviewers' scores",
    "answer": "automatic suggestion from the answer",
    "na": "not applicable",
    "unscored": "not scored yet",
}
# Validation errors answer 422; htmx is told to swap them in (see review/_htmx_config.html).
INVALID = 422


# --- forms ----------------------------------------------------------------------------------------


class ScoreForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=ReviewerScore.Value.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a score from 0 (not met) to 3 (exceeds).",
            "invalid_choice": "Choose a score from 0 (not met) to 3 (exceeds).",
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment for the review team",
    )


class ConsensusForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[("", "No consensus score"), *SCORE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        label="Consensus score",
        error_messages={
            "invalid_choice": "Choose a score from 0 (not met) to 3 (exceeds), or none."
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why the team agreed",
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why this red flag does not apply",
        error_messages={
            "required": "Give a reason for dismissing this red flag: it goes in the audit trail.",
            "min_length": "Give a reason of at least 10 characters for dismissing a red flag.",
        },
    )


class DeclarationForm(forms.Form):
    confirm = forms.BooleanField(
        label="I confirm that I have no conflict of interest in reviewing this assessment.",
        error_messages={
            "required": "Tick the box to confirm the declaration, or tell us about your conflict."
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=services.WITHDRAW_REASON_MAX,
        label="What is the conflict?",
        help_text="A short description, kept in the review's history (at most 100 characters).",
        error_messages={
            "required": "Describe the conflict briefly: it is kept in the review's history."
        },
    )


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Team member",
        empty_label="Choose a person…",
        error_messages={
            "required": "Choose a person from your evaluation team.",
            "invalid_choice": "Choose a person from your evaluation team.",
        },
        help_text="Reviewers and procurement managers of the buyer who are not on the team yet.",
    )
    is_lead = forms.BooleanField(required=False, label="Lead reviewer (runs the consensus meeting)")

    def __init__(self, *args: Any, eligible: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = eligible  # type: ignore[attr-defined]
        self.fields["reviewer"].label_from_instance = _person  # type: ignore[attr-defined]


# --- access ---------------------------------------------------------------------------------------


def _hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def reviewer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Assigned reviewers who have declared no conflict; the others never see an answer or a score.

    A procurement manager who is not on the team is sent from the overview to the team page.
    """

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        # 404 for supplier B, outsiders and reviewers not on the team: they may not know of it.
        assessment = get_assessment_for_user(request.user, pk)
        assignment = assignment_for(assessment, request.user)
        if assignment is None:
            if view.__name__ == "overview" and request.user.has_perm(
                "assessments.assign_reviewers", assessment
            ):
                return redirect("review-team", pk=assessment.pk)
            raise PermissionDenied("You are not on the evaluation team of this assessment.")
        if assignment.no_conflict_declared_at is None:
            return _hx_redirect(request, reverse("review-declaration", args=[assessment.pk]))
        if not request.user.has_perm("assessments.score_assessment", assessment):
            raise PermissionDenied("This assessment has not been submitted for review.")
        return view(request, assessment, assignment, **kwargs)

    return wrapped


def _team_access(request: HttpRequest, pk: int) -> Assessment:
    assessment = get_assessment_for_user(request.user, pk)
    if not request.user.has_perm("assessments.assign_reviewers", assessment):
        raise PermissionDenied(
            "Only a procurement manager of the reviewing organisation manages the team."
        )
    if not assessment.version_count:
        # Managers see only submitted assessments, unless they also belong to the respondent.
        raise Http404("This assessment has not been submitted yet.")
    return assessment


# --- small read helpers (plain data for the templates) --------------------------------------------


def _person(user: User | None) -> str:
    if user is None:
        return "someone no longer registered"
    return user.get_full_name() or user.username


def _optional_url(name: str, **kwargs: Any) -> str | None:
    """A link to a page another part of the product provides, when it exists."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _evidence_links(assessment: Assessment, evidence: list[dict]) -> list[dict]:
    links = []
    for item in evidence:
        href = None
        external = False
        if item.get("url"):
            href, external = item["url"], True
        elif item.get("file"):
            href = _optional_url(
                "assessment-evidence-download", pk=assessment.pk, evidence_pk=item.get("id")
            )
        links.append(
            {
                "title": item.get("title") or "Untitled evidence",
                "href": href,
                "external": external,
                "size": item.get("size") or 0,
            }
        )
    return links


def _answer_view(assessment: Assessment, question: Question, answer: dict | None) -> dict:
    answer = answer or {}
    status = answer.get("status") or ""
    number = answer.get("number")
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    return {
        "status": status,
        "status_label": ANSWER_LABELS.get(status, status),
        "text": answer.get("text") or "",
        "number": number,
        "choices": answer.get("choices") or [],
        "evidence": _evidence_links(assessment, answer.get("evidence") or []),
        "type": question.answer_type,
    }


def _suggestion(question: Question, answer: dict | None) -> str:
    if question.answer_type != Question.AnswerType.STATUS:
        return "None: a reviewer scores this question."
    status = (answer or {}).get("status") or ""
    if status == "na":
        return "Not applicable (the supplier answered “not applicable”)."
    value = int(STATUS_SUGGESTION[status])
    return f"{value} · {SCORE_LABELS[value]} (from the answer “{ANSWER_LABELS[status]}”)."


def _effective_text(result: dict, raw: float | None) -> str:
    """The score the scorecard uses for a question, and where it comes from."""
    text = f"{_score_text(result.get('score'))} · {SOURCE_LABELS.get(result.get('source'), '')}"
    if raw is not None and raw != result.get("score"):
        text += f" (would be {_score_text(raw)} without an active critical red flag)"
    return text


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _score_text(value: float | None) -> str:
    if value is None:
        return "N/A"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _scorecard_data(version: AssessmentVersion | None) -> dict:
    scorecard = getattr(version, "scorecard", None) if version is not None else None
    return scorecard.data if scorecard is not None else {}


def _hidden_codes(data: dict) -> set[str]:
    return {code for code, result in (data.get("questions") or {}).items() if result.get("hidden")}


@dataclass
class FlagEvent:
    when: datetime
    text: str
    reason: str = ""


@dataclass
class FlagRow:
    flag: RedFlag
    form: DismissForm | None = None
    events: list[FlagEvent] = field(default_factory=list)
    message: str = ""


def _flag_events(records: list[Any]) -> list[FlagEvent]:
    """Turn a red flag's history rows (oldest first) into what happened, by whom and why."""
    events: list[FlagEvent] = []
    previous = None
    for record in records:
        who = _person(record.history_user) if record.history_user_id else None
        if record.history_type == "+":
            events.append(FlagEvent(record.history_date, "Raised by the automatic checks"))
        elif previous is not None and record.status != previous.status:
            if record.status == RedFlag.Status.DISMISSED:
                by = who or _person(record.dismissed_by)
                events.append(
                    FlagEvent(record.history_date, f"Dismissed by {by}", record.dismissed_reason)
                )
            elif (
                record.status == RedFlag.Status.ACTIVE
                and previous.status == RedFlag.Status.DISMISSED
            ):
                events.append(FlagEvent(record.history_date, f"Restored by {who or 'a reviewer'}"))
            elif record.status == RedFlag.Status.ACTIVE:
                events.append(
                    FlagEvent(record.history_date, "Raised again by the automatic checks")
                )
            elif record.status == RedFlag.Status.CLEARED:
                events.append(
                    FlagEvent(record.history_date, "No longer raised by the submitted answers")
                )
        previous = record
    return events


def _flag_rows(
    assessment: Assessment,
    question_ids: list[int],
    forms_by_flag: dict[int, DismissForm] | None = None,
) -> dict[int, list[FlagRow]]:
    """question id → its active and dismissed red flags with their history, in two queries."""
    forms_by_flag = forms_by_flag or {}
    flags = list(
        RedFlag.objects.filter(assessment=assessment, question_id__in=question_ids)
        .exclude(status=RedFlag.Status.CLEARED)
        .select_related("rule", "dismissed_by")
    )
    history: dict[int, list[Any]] = defaultdict(list)
    for record in (
        RedFlag.history.filter(assessment_id=assessment.pk, question_id__in=question_ids)
        .select_related("history_user", "dismissed_by")
        .order_by("history_date", "history_id")
    ):
        history[record.id].append(record)
    rows: dict[int, list[FlagRow]] = defaultdict(list)
    for flag in sorted(
        flags,
        key=lambda item: (
            item.status != RedFlag.Status.ACTIVE,
            SEVERITY_ORDER.get(item.rule.severity, 9),
            item.rule.order,
        ),
    ):
        rows[flag.question_id].append(
            FlagRow(
                flag=flag,
                form=forms_by_flag.get(flag.pk) or DismissForm(prefix=f"flag{flag.pk}"),
                events=_flag_events(history[flag.pk]),
            )
        )
    return rows


@dataclass
class QuestionRow:
    question: Question
    answer: dict
    hidden: bool
    suggestion: str
    own: ReviewerScore | None
    form: ScoreForm
    locked: bool
    flags: list[FlagRow]
    team_scores: list[ReviewerScore] = field(default_factory=list)
    consensus: ConsensusScore | None = None
    effective: str = ""
    divergent: bool = False
    saved: bool = False


def _score_form(question: Question, own: ReviewerScore | None, data: Any = None) -> ScoreForm:
    initial = {"score": own.score, "comment": own.comment} if own else None
    return ScoreForm(data, prefix=f"q{question.pk}", initial=initial)


def _question_rows(
    assessment: Assessment,
    assignment: ReviewerAssignment,
    version: AssessmentVersion,
    questions: list[Question],
    *,
    score_forms: dict[int, ScoreForm] | None = None,
    flag_forms: dict[int, DismissForm] | None = None,
) -> list[QuestionRow]:
    """Everything the scoring page shows about some questions, in a fixed number of queries."""
    score_forms = score_forms or {}
    submitted = assignment.submitted_at is not None
    question_ids = [question.pk for question in questions]
    data = _scorecard_data(version)
    hidden = _hidden_codes(data)
    divergences = set(data.get("divergences") or [])
    results = data.get("questions") or {}
    raw_scores = data.get("raw_scores") or {}

    scores = ReviewerScore.objects.filter(assessment=assessment, question_id__in=question_ids)
    if not submitted:
        # Independence: until their own review is in, a reviewer sees only their own scores.
        scores = scores.filter(reviewer=assignment.reviewer)
    own_scores: dict[int, ReviewerScore] = {}
    team_scores: dict[int, list[ReviewerScore]] = defaultdict(list)
    for value in scores.select_related("reviewer").order_by(
        "reviewer__first_name", "reviewer__username"
    ):
        team_scores[value.question_id].append(value)
        if value.reviewer_id == assignment.reviewer_id:
            own_scores[value.question_id] = value
    consensus: dict[int, ConsensusScore] = {}
    if submitted:
        consensus = {
            value.question_id: value
            for value in ConsensusScore.objects.filter(
                assessment=assessment, question_id__in=question_ids
            ).select_related("set_by")
        }
    flags = _flag_rows(assessment, question_ids, flag_forms)

    rows = []
    for question in questions:
        answer = version.answers.get(question.code)
        own = own_scores.get(question.pk)
        result = results.get(question.code) or {}
        effective = ""
        if submitted and result:
            effective = _effective_text(result, raw_scores.get(question.code))
        rows.append(
            QuestionRow(
                question=question,
                answer=_answer_view(assessment, question, answer),
                hidden=question.code in hidden,
                suggestion=_suggestion(question, answer),
                own=own,
                form=score_forms.get(question.pk) or _score_form(question, own),
                locked=submitted,
                flags=flags.get(question.pk, []),
                team_scores=team_scores.get(question.pk, []) if submitted else [],
                consensus=consensus.get(question.pk),
                effective=effective,
                divergent=submitted and question.code in divergences,
            )
        )
    return rows


def _own_scored_codes(assessment: Assessment, reviewer: User) -> set[str]:
    return set(
        ReviewerScore.objects.filter(assessment=assessment, reviewer=reviewer).values_list(
            "question__code", flat=True
        )
    )


def _criteria_summary(
    criteria: list[Criterion],
    codes_by_criterion: dict[int, list[str]],
    data: dict,
    scored_codes: set[str],
) -> list[dict]:
    """Per criterion: score, level, and how many of its shown questions the reviewer scored."""
    hidden = _hidden_codes(data)
    results = data.get("criteria") or {}
    summary = []
    for criterion in criteria:
        result = results.get(criterion.code)
        shown = [code for code in codes_by_criterion.get(criterion.pk, []) if code not in hidden]
        summary.append(
            {
                "criterion": criterion,
                "score": _percent(result["score"]) if result else "—",
                "level": result["level"] if result else None,
                "questions": len(shown),
                "scored": len(scored_codes.intersection(shown)),
            }
        )
    return summary


def _progress_summary(assessment: Assessment, version: AssessmentVersion, user: User) -> list[dict]:
    """`_criteria_summary` without the question tree: the side list after a score is saved."""
    criteria = list(assessment.framework.criteria.all())
    codes_by_criterion: dict[int, list[str]] = {}
    for criterion_id, code in assessment.framework.questions.values_list("criterion_id", "code"):
        codes_by_criterion.setdefault(criterion_id, []).append(code)
    return _criteria_summary(
        criteria, codes_by_criterion, _scorecard_data(version), _own_scored_codes(assessment, user)
    )


def _version_or_404(assessment: Assessment) -> AssessmentVersion:
    version = latest_version(assessment)
    if version is None:
        raise Http404("Nothing has been submitted yet.")
    return version


def _nav(
    assessment: Assessment, assignment: ReviewerAssignment | None, can_manage: bool, active: str
) -> dict:
    return {
        "assessment": assessment,
        "assignment": assignment,
        "can_manage": can_manage,
        "active_tab": active,
        "assessment_url": _optional_url("assessment-detail", pk=assessment.pk),
        "first_criterion_code": assessment.framework.criteria.values_list(
            "code", flat=True
        ).first(),
    }


# --- overview and submitting ----------------------------------------------------------------------


@require_GET
@reviewer_view
def overview(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment
) -> HttpResponse:
    version = _version_or_404(assessment)
    data = _scorecard_data(version)
    criteria = list(assessment.framework.criteria.all())
    codes_by_criterion: dict[int, list[str]] = defaultdict(list)
    for criterion_id, code in assessment.framework.questions.values_list("criterion_id", "code"):
        codes_by_criterion[criterion_id].append(code)
    summary = _criteria_summary(
        criteria, codes_by_criterion, data, _own_scored_codes(assessment, request.user)
    )
    team = list(
        assessment.assignments.select_related("reviewer").order_by(
            "-is_lead", "reviewer__first_name"
        )
    )
    flag_counts = Counter(
        RedFlag.objects.filter(assessment=assessment, status=RedFlag.Status.ACTIVE).values_list(
            "rule__severity", flat=True
        )
    )
    context = {
        **_nav(
            assessment,
            assignment,
            request.user.has_perm("assessments.assign_reviewers", assessment),
            "overview",
        ),
        "version": version,
        "scorecard": getattr(version, "scorecard", None),
        "overall": _percent(data.get("score")) if data else "—",
        "level": data.get("level"),
        "criteria_summary": summary,
        "scored": sum(row["scored"] for row in summary),
        "question_total": sum(row["questions"] for row in summary),
        "unscored": max(0, sum(row["questions"] - row["scored"] for row in summary)),
        "team": team,
        "flag_counts": [(severity, flag_counts.get(severity, 0)) for severity in SEVERITY_ORDER],
        "divergence_count": len(data.get("divergences") or []),
        "first_criterion": criteria[0] if criteria else None,
    }
    if request.htmx and request.htmx.target == "scorecard":
        return render(request, "assessments/review/_scorecard.html", context)
    return render(request, "assessments/review/overview.html", context)


@require_POST
@reviewer_view
def submit(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment
) -> HttpResponse:
    try:
        services.review_submit(assignment=assignment)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Your review is submitted. You can now see the other reviewers' scores."
        )
    return redirect("review-overview", pk=assessment.pk)


# --- conflict of interest -------------------------------------------------------------------------


def _declaration_access(request: HttpRequest, pk: int) -> tuple[Assessment, ReviewerAssignment]:
    assessment = get_assessment_for_user(request.user, pk)
    assignment = assignment_for(assessment, request.user)
    if assignment is None or not request.user.has_perm("assessments.declare_conflict", assessment):
        raise PermissionDenied("You are not on the evaluation team of this assessment.")
    return assessment, assignment


def _render_declaration(
    request: HttpRequest,
    assessment: Assessment,
    assignment: ReviewerAssignment,
    *,
    form: DeclarationForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_nav(
            assessment,
            assignment,
            request.user.has_perm("assessments.assign_reviewers", assessment),
            "declaration",
        ),
        "form": form or DeclarationForm(),
        "withdraw_form": withdraw_form or WithdrawForm(),
    }
    return render(request, "assessments/review/declaration.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, assignment = _declaration_access(request, pk)
    if request.method == "GET":
        return _render_declaration(request, assessment, assignment)
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        return _render_declaration(request, assessment, assignment, form=form, status=INVALID)
    services.conflict_declare(assignment=assignment)
    messages.success(request, "Thank you. Your declaration is recorded and you can start scoring.")
    return redirect("review-overview", pk=assessment.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assessment, assignment = _declaration_access(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_withdraw(
                assignment=assignment, reason=form.cleaned_data["reason"], user=request.user
            )
        except ApplicationError as error:
            form.add_error("reason", error.message)
    if not form.is_valid():
        return _render_declaration(
            request, assessment, assignment, withdraw_form=form, status=INVALID
        )
    messages.success(
        request,
        f"You are no longer on the review of “{assessment.title}”. "
        "The procurement manager sees your reason "
        "on the team page.",
    )
    return redirect("home")


# --- the evaluation team --------------------------------------------------------------------------


def _eligible_reviewers(assessment: Assessment):
    return (
        User.objects.filter(
            memberships__organisation_id=assessment.reviewing_organisation_id,
            memberships__role__in=[Membership.Role.REVIEWER, Membership.Role.PROCUREMENT_MANAGER],
        )
        .exclude(review_assignments__assessment=assessment)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def _render_team(
    request: HttpRequest,
    assessment: Assessment,
    *,
    form: AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    version = _version_or_404(assessment)
    data = _scorecard_data(version)
    question_total = len(
        [code for code, result in (data.get("questions") or {}).items() if not result["hidden"]]
    )
    if not data:
        question_total = assessment.framework.questions.count()
    hidden = _hidden_codes(data)
    score_counts: Counter[int] = Counter(
        reviewer_id
        for reviewer_id, code in ReviewerScore.objects.filter(assessment=assessment).values_list(
            "reviewer_id", "question__code"
        )
        if code not in hidden
    )
    team = [
        {"assignment": assignment, "scored": score_counts.get(assignment.reviewer_id, 0)}
        for assignment in assessment.assignments.select_related("reviewer").order_by(
            "-is_lead", "reviewer__first_name"
        )
    ]
    withdrawals = list(
        ReviewerAssignment.history.filter(assessment_id=assessment.pk, history_type="-")
        .select_related("reviewer", "history_user")
        .order_by("-history_date")
    )
    eligible = _eligible_reviewers(assessment)
    context = {
        "has_eligible": eligible.exists(),
        **_nav(assessment, assignment_for(assessment, request.user), True, "team"),
        "version": version,
        "team": team,
        "has_lead": any(row["assignment"].is_lead for row in team),
        "question_total": question_total,
        "withdrawals": [
            {
                "reviewer": _person(record.reviewer),
                "when": record.history_date,
                "reason": record.history_change_reason or "",
                "by": _person(record.history_user) if record.history_user_id else "",
            }
            for record in withdrawals
        ],
        "form": form
        or AssignForm(
            eligible=eligible, initial={"is_lead": not any(r["assignment"].is_lead for r in team)}
        ),
    }
    return render(request, "assessments/review/team.html", context, status=status)


@login_required
@require_GET
def team(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_team(request, _team_access(request, pk))


@login_required
@require_POST
def team_assign(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _team_access(request, pk)
    form = AssignForm(request.POST, eligible=_eligible_reviewers(assessment))
    if form.is_valid():
        try:
            assignment = services.reviewer_assign(
                assessment=assessment,
                reviewer=form.cleaned_data["reviewer"],
                is_lead=form.cleaned_data["is_lead"],
            )
        except ApplicationError as error:
            form.add_error("reviewer", error.message)
        else:
            role = "lead reviewer" if assignment.is_lead else "reviewer"
            messages.success(
                request,
                f"{_person(assignment.reviewer)} is now a {role} on this assessment. "
                "They declare any conflict of interest before seeing the answers.",
            )
            return redirect("review-team", pk=assessment.pk)
    return _render_team(request, assessment, form=form, status=INVALID)


def _team_assignment(assessment: Assessment, assignment_pk: int) -> ReviewerAssignment:
    assignment = assessment.assignments.select_related("reviewer").filter(pk=assignment_pk).first()
    if assignment is None:
        raise Http404("This person is not on the team.")
    return assignment


@login_required
@require_POST
def team_lead(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    assessment = _team_access(request, pk)
    assignment = _team_assignment(assessment, assignment_pk)
    services.reviewer_assign(assessment=assessment, reviewer=assignment.reviewer, is_lead=True)
    messages.success(request, f"{_person(assignment.reviewer)} now leads the review.")
    return redirect("review-team", pk=assessment.pk)


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    assessment = _team_access(request, pk)
    assignment = _team_assignment(assessment, assignment_pk)
    name = _person(assignment.reviewer)
    try:
        services.assignment_withdraw(
            assignment=assignment,
            reason=f"Removed from the team by {_person(request.user)}"[:100],
            user=request.user,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("review-team", pk=assessment.pk)
    messages.success(
        request, f"{name} is no longer on the team. Any scores they gave no longer count."
    )
    return redirect("review-team", pk=assessment.pk)


# --- scoring --------------------------------------------------------------------------------------


def _render_criterion(
    request: HttpRequest,
    assessment: Assessment,
    assignment: ReviewerAssignment,
    code: str,
    *,
    score_forms: dict[int, ScoreForm] | None = None,
    flag_forms: dict[int, DismissForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    version = _version_or_404(assessment)
    criteria = framework_tree(assessment.framework)
    index = next((i for i, criterion in enumerate(criteria) if criterion.code == code), None)
    if index is None:
        raise Http404("No such criterion in this framework.")
    criterion = criteria[index]
    questions = list(criterion.questions.all())
    rows = _question_rows(
        assessment, assignment, version, questions, score_forms=score_forms, flag_forms=flag_forms
    )
    codes_by_criterion = {
        item.pk: [question.code for question in item.questions.all()] for item in criteria
    }
    data = _scorecard_data(version)
    context = {
        **_nav(
            assessment,
            assignment,
            request.user.has_perm("assessments.assign_reviewers", assessment),
            "criteria",
        ),
        "version": version,
        "criterion": criterion,
        "criteria_summary": _criteria_summary(
            criteria, codes_by_criterion, data, _own_scored_codes(assessment, request.user)
        ),
        "previous_criterion": criteria[index - 1] if index > 0 else None,
        "next_criterion": criteria[index + 1] if index + 1 < len(criteria) else None,
        "rows": rows,
        "submitted": assignment.submitted_at is not None,
        "criterion_result": (data.get("criteria") or {}).get(criterion.code),
        "criterion_score": _percent(
            ((data.get("criteria") or {}).get(criterion.code) or {}).get("score")
        ),
    }
    return render(request, "assessments/review/criterion.html", context, status=status)


@require_GET
@reviewer_view
def criterion_page(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment, code: str
) -> HttpResponse:
    return _render_criterion(request, assessment, assignment, code)


def _question_or_404(assessment: Assessment, code: str) -> Question:
    question = assessment.framework.questions.select_related("criterion").filter(code=code).first()
    if question is None:
        raise Http404("No such question in this framework.")
    return question


@require_POST
@reviewer_view
def score_save(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment, code: str
) -> HttpResponse:
    question = _question_or_404(assessment, code)
    own = ReviewerScore.objects.filter(
        assessment=assessment, question=question, reviewer=request.user
    ).first()
    form = _score_form(question, own, request.POST)
    saved = None
    if form.is_valid():
        try:
            saved = services.reviewer_score_set(
                assessment=assessment,
                question=question,
                reviewer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
    if not request.htmx:
        if saved is None:
            return _render_criterion(
                request,
                assessment,
                assignment,
                question.criterion.code,
                score_forms={question.pk: form},
                status=INVALID,
            )
        messages.success(request, f"Your score for question {question.code} is saved.")
        return redirect(
            f"{reverse('review-criterion', args=[assessment.pk, question.criterion.code])}"
            f"#q-{question.code}"
        )
    row = {
        "question": question,
        "form": _score_form(question, saved) if saved else form,
        "own": saved or own,
        "locked": assignment.submitted_at is not None,
        "saved": saved is not None,
    }
    context = {"assessment": assessment, "row": row}
    if saved is not None:
        # The side list of criteria counts the questions scored: send it along, out of band.
        version = _version_or_404(assessment)
        context["progress_oob"] = _progress_summary(assessment, version, request.user)
        context["criterion"] = question.criterion
    return render(
        request,
        "assessments/review/_score_form.html",
        context,
        status=200 if saved else INVALID,
    )


# --- red flags ------------------------------------------------------------------------------------


def _flag_or_404(assessment: Assessment, flag_pk: int) -> RedFlag:
    flag = (
        RedFlag.objects.filter(assessment=assessment, pk=flag_pk)
        .select_related("rule", "dismissed_by", "question__criterion", "assessment")
        .first()
    )
    if flag is None:
        raise Http404("No such red flag.")
    return flag


def _flag_response(
    request: HttpRequest,
    assessment: Assessment,
    assignment: ReviewerAssignment,
    flag: RedFlag,
    *,
    form: DismissForm | None,
    ok: bool,
    done: str,
) -> HttpResponse:
    if not request.htmx:
        if not ok:
            return _render_criterion(
                request,
                assessment,
                assignment,
                flag.question.criterion.code,
                flag_forms={flag.pk: form} if form else None,
                status=INVALID,
            )
        messages.success(request, done)
        return redirect(
            f"{reverse('review-criterion', args=[assessment.pk, flag.question.criterion.code])}"
            f"#flag-{flag.pk}"
        )
    row = _flag_rows(assessment, [flag.question_id], {flag.pk: form} if form and not ok else None)
    flag_row = next((item for item in row[flag.question_id] if item.flag.pk == flag.pk), None)
    if flag_row is None:  # cleared meanwhile by a rescoring
        return HttpResponse("")
    flag_row.message = done if ok else ""
    return render(
        request,
        "assessments/review/_red_flag.html",
        {"assessment": assessment, "item": flag_row},
        status=200 if ok else INVALID,
    )


@require_POST
@reviewer_view
def red_flag_dismiss(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment, flag_pk: int
) -> HttpResponse:
    if not request.user.has_perm("assessments.dismiss_red_flag", assessment):
        raise PermissionDenied
    flag = _flag_or_404(assessment, flag_pk)
    form = DismissForm(request.POST, prefix=f"flag{flag.pk}")
    ok = False
    if form.is_valid():
        try:
            services.red_flag_dismiss(
                flag=flag, user=request.user, reason=form.cleaned_data["reason"]
            )
            ok = True
        except ApplicationError as error:
            form.add_error("reason", error.message)
    return _flag_response(
        request,
        assessment,
        assignment,
        flag,
        form=form,
        ok=ok,
        done=f"Red flag {flag.rule.code} dismissed. The scorecard is being recalculated.",
    )


@require_POST
@reviewer_view
def red_flag_restore(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment, flag_pk: int
) -> HttpResponse:
    if not request.user.has_perm("assessments.dismiss_red_flag", assessment):
        raise PermissionDenied
    flag = _flag_or_404(assessment, flag_pk)
    try:
        services.red_flag_restore(flag=flag, user=request.user)
    except ApplicationError as error:
        done = (
            error.message
        )  # e.g. restored meanwhile by another reviewer: show the flag as it now is
    else:
        done = f"Red flag {flag.rule.code} restored. The scorecard is being recalculated."
    return _flag_response(request, assessment, assignment, flag, form=None, ok=True, done=done)


# --- consensus ------------------------------------------------------------------------------------


def _consensus_form(
    question: Question, consensus: ConsensusScore | None, data: Any = None
) -> ConsensusForm:
    initial = {"score": consensus.score, "comment": consensus.comment} if consensus else None
    return ConsensusForm(data, prefix=f"c{question.pk}", initial=initial)


@require_GET
@reviewer_view
def consensus_meeting(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment
) -> HttpResponse:
    version = _version_or_404(assessment)
    submitted = assignment.submitted_at is not None
    team = list(
        assessment.assignments.select_related("reviewer").order_by(
            "-is_lead", "reviewer__first_name"
        )
    )
    context: dict[str, Any] = {
        **_nav(
            assessment,
            assignment,
            request.user.has_perm("assessments.assign_reviewers", assessment),
            "consensus",
        ),
        "version": version,
        "submitted": submitted,
        "team": team,
        "can_set": submitted and request.user.has_perm("assessments.set_consensus", assessment),
    }
    if submitted:
        data = _scorecard_data(version)
        divergences = data.get("divergences") or []
        results = data.get("questions") or {}
        raw_scores = data.get("raw_scores") or {}
        questions = [
            question
            for criterion in framework_tree(assessment.framework)
            for question in criterion.questions.all()
        ]
        scores: dict[int, list[ReviewerScore]] = defaultdict(list)
        for value in (
            ReviewerScore.objects.filter(assessment=assessment)
            .select_related("reviewer")
            .order_by("reviewer__first_name", "reviewer__username")
        ):
            scores[value.question_id].append(value)
        consensus = {
            value.question_id: value
            for value in ConsensusScore.objects.filter(assessment=assessment).select_related(
                "set_by"
            )
        }
        items = []
        for question in questions:
            result = results.get(question.code) or {}
            if result.get("hidden"):
                continue
            values = scores.get(question.pk, [])
            items.append(
                {
                    "question": question,
                    "answer": _answer_view(
                        assessment, question, version.answers.get(question.code)
                    ),
                    "scores": values,
                    "mean": _score_text(sum(v.score for v in values) / len(values))
                    if values
                    else None,
                    "consensus": consensus.get(question.pk),
                    "form": _consensus_form(question, consensus.get(question.pk)),
                    "divergent": question.code in divergences,
                    "effective": (
                        _effective_text(result, raw_scores.get(question.code)) if result else ""
                    ),
                }
            )
        context["divergent_items"] = [item for item in items if item["divergent"]]
        context["other_items"] = [
            item
            for item in items
            if not item["divergent"] and (item["scores"] or item["consensus"])
        ]
        context["unscored_items"] = [
            item
            for item in items
            if not item["divergent"] and not (item["scores"] or item["consensus"])
        ]
        context["consensus_count"] = len(consensus)
    return render(request, "assessments/review/consensus.html", context)


@require_POST
@reviewer_view
def consensus_save(
    request: HttpRequest, assessment: Assessment, assignment: ReviewerAssignment, code: str
) -> HttpResponse:
    if not request.user.has_perm("assessments.set_consensus", assessment):
        raise PermissionDenied("Only the lead reviewer sets consensus scores.")
    question = _question_or_404(assessment, code)
    current = (
        ConsensusScore.objects.filter(assessment=assessment, question=question)
        .select_related("set_by")
        .first()
    )
    form = _consensus_form(question, current, request.POST)
    saved = False
    if form.is_valid():
        try:
            current = services.consensus_set(
                assessment=assessment,
                question=question,
                user=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
            saved = True
        except ApplicationError as error:
            form.add_error(None, error.message)
    if not request.htmx:
        if saved:
            messages.success(request, f"Consensus for question {question.code} saved.")
        else:
            messages.error(
                request, " ".join(str(e) for errors in form.errors.values() for e in errors)
            )
        return redirect(f"{reverse('review-consensus', args=[assessment.pk])}#c-{question.code}")
    item = {
        "question": question,
        "consensus": current,
        "form": _consensus_form(question, current) if saved else form,
        "saved": saved,
        "cleared": saved and current is None,
    }
    return render(
        request,
        "assessments/review/_consensus_form.html",
        {"assessment": assessment, "item": item, "can_set": True},
        status=200 if saved else INVALID,
    )


urlpatterns = [
    path("<int:pk>/review/", overview, name="review-overview"),
    path("<int:pk>/review/submit/", submit, name="review-submit"),
    path("<int:pk>/review/declaration/", declaration, name="review-declaration"),
    path("<int:pk>/review/withdraw/", withdraw, name="review-withdraw"),
    path("<int:pk>/review/team/", team, name="review-team"),
    path("<int:pk>/review/team/assign/", team_assign, name="review-team-assign"),
    path("<int:pk>/review/team/<int:assignment_pk>/lead/", team_lead, name="review-team-lead"),
    path(
        "<int:pk>/review/team/<int:assignment_pk>/remove/", team_remove, name="review-team-remove"
    ),
    path("<int:pk>/review/criteria/<str:code>/", criterion_page, name="review-criterion"),
    path("<int:pk>/review/questions/<str:code>/score/", score_save, name="review-score"),
    path("<int:pk>/review/consensus/", consensus_meeting, name="review-consensus"),
    path(
        "<int:pk>/review/questions/<str:code>/consensus/",
        consensus_save,
        name="review-consensus-set",
    ),
    path(
        "<int:pk>/review/red-flags/<int:flag_pk>/dismiss/",
        red_flag_dismiss,
        name="review-red-flag-dismiss",
    ),
    path(
        "<int:pk>/review/red-flags/<int:flag_pk>/restore/",
        red_flag_restore,
        name="review-red-flag-restore",
    ),
]
