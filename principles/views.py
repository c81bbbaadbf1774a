from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from principles.models import Criterion, Framework
from principles.selectors import (
    framework_list_for_user,
    framework_tree,
    get_framework_for_user,
    principle_list,
)

SEVERITY_FILTERS = ("critical", "major", "minor")


@require_GET
def principle_index(request):
    criteria = (
        Criterion.objects.filter(framework__in=framework_list_for_user(request.user))
        .select_related("framework")
        .order_by("framework__name", "framework__version", "order")
    )
    principles = principle_list().prefetch_related(
        Prefetch("criteria", queryset=criteria, to_attr="visible_criteria")
    )
    return render(request, "principles/principle_list.html", {"principle_list": principles})


@require_GET
def framework_index(request):
    return render(
        request,
        "principles/framework_list.html",
        {"framework_list": framework_list_for_user(request.user)},
    )


# The same URL answers with the whole page or, for htmx, only the list: caches must keep them apart.
@vary_on_headers("HX-Request", "HX-Target")
@require_GET
def framework_detail(request, slug: str, version: str | None = None):
    framework = get_framework_for_user(request.user, slug=slug, version=version)
    query = request.GET.get("q", "").strip()[:100]
    severity = request.GET.get("severity", "")
    severity = severity if severity in SEVERITY_FILTERS else ""
    criteria = _filtered(framework_tree(framework), query, severity)
    for criterion in criteria:
        criterion.recommendation_rows = _recommendation_rows(framework, criterion)
    context = {
        "framework": framework,
        "criterion_list": criteria,
        "versions": list(framework_list_for_user(request.user).filter(slug=framework.slug)),
        "q": query,
        "severity": severity,
        "severities": SEVERITY_FILTERS,
        "filtering": bool(query or severity),
        "shown_questions": sum(len(c.shown_questions) for c in criteria),
        "total_questions": sum(len(c.questions.all()) for c in criteria),
    }
    # htmx asks for the list only when the filter changes.
    if request.htmx and request.htmx.target == "framework-content":
        return render(request, "principles/_framework_content.html", context)
    return render(request, "principles/framework_detail.html", context)


def _filtered(criteria: list[Criterion], query: str, severity: str) -> list[Criterion]:
    needle = query.lower()
    for criterion in criteria:
        shown = []
        for question in criterion.questions.all():
            flags = list(question.red_flags.all())
            if severity and not any(flag.severity == severity for flag in flags):
                continue
            haystack = " ".join(
                [
                    criterion.title,
                    question.code,
                    question.text,
                    question.guidance,
                    *(f"{flag.code} {flag.message}" for flag in flags),
                ]
            )
            if needle and needle not in haystack.lower():
                continue
            shown.append(question)
        criterion.shown_questions = shown
    return criteria


def _recommendation_rows(framework: Framework, criterion: Criterion) -> list[dict]:
    """The criterion's advice per level, in level order, named as the framework names its levels."""
    return [
        {
            "level": level["level"],
            "name": level["name"],
            "text": criterion.recommendation_for(level["level"]),
        }
        for level in framework.levels
        if criterion.recommendation_for(level["level"])
    ]
