from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.selectors import organisation_ids_for_user
from principles.models import Criterion, Framework, Principle, Question, RedFlagRule


def principle_list() -> QuerySet[Principle]:
    return Principle.objects.all()


def framework_list_for_user(user) -> QuerySet[Framework]:
    """Public frameworks plus those owned by the user's organisations."""
    visible = Q(owner__isnull=True)
    if user.is_authenticated:
        visible |= Q(owner_id__in=organisation_ids_for_user(user))
    return (
        Framework.objects.filter(visible)
        .select_related("owner")
        .annotate(criterion_count=Count("criteria", distinct=True), question_count=Count("questions", distinct=True))
        .order_by("slug", "-created_at")
    )


def get_framework_for_user(user, *, slug: str, version: str | None = None) -> Framework:
    """The framework, or 404 for a version the user may not see (its existence is not revealed)."""
    frameworks = framework_list_for_user(user).filter(slug=slug)
    framework = frameworks.filter(version=version).first() if version else latest_version(frameworks)
    if framework is None:
        raise Http404("No such framework.")
    return framework


def latest_version(frameworks: QuerySet[Framework]) -> Framework | None:
    candidates = list(frameworks)
    if not candidates:
        return None
    return max(candidates, key=lambda framework: _version_key(framework.version))


def _version_key(version: str) -> tuple:
    parts = []
    for part in version.replace("-", ".").split("."):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(parts)


def framework_tree(framework: Framework) -> list[Criterion]:
    """Criteria with their principle, questions and red flags, in three queries."""
    return list(
        framework.criteria.select_related("principle").prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("order").prefetch_related(
                    Prefetch("red_flags", queryset=RedFlagRule.objects.order_by("order"))
                ),
            )
        )
    )
