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
        .annotate(
            criterion_count=Count("criteria", distinct=True),
            question_count=Count("questions", distinct=True),
        )
        .order_by("slug", "-created_at")
    )


def get_framework_for_user(user, *, slug: str, version: str | None = None) -> Framework:
    """The framework, or 404 for a version the user may not see (its existence is not revealed)."""
    frameworks = framework_list_for_user(user).filter(slug=slug)
    framework = (
        frameworks.filter(version=version).first() if version else latest_version(frameworks)
    )
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


_SPEC_CACHE: dict[tuple[int, str], dict] = {}


def framework_spec(framework: Framework) -> dict:
    """The framework as plain data in the loader's form, for the scoring module.

    Framework content never changes once loaded, so the spec is cached per
    process by primary key and content hash.
    """
    key = (framework.pk, framework.content_hash)
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = {
            "slug": framework.slug,
            "version": framework.version,
            "levels": framework.levels,
            "criteria": [
                {
                    "code": criterion.code,
                    "title": criterion.title,
                    "weight": criterion.weight,
                    "questions": [
                        {
                            "code": question.code,
                            "answer": question.answer_type,
                            "choices": question.choices,
                            "required": question.required,
                            "weight": question.weight,
                            "show_if": question.show_if,
                            "red_flags": [
                                {
                                    "code": flag.code,
                                    "when": flag.when,
                                    "severity": flag.severity,
                                    "message": flag.message,
                                }
                                for flag in question.red_flags.all()
                            ],
                        }
                        for question in criterion.questions.all()
                    ],
                }
                for criterion in framework_tree(framework)
            ],
        }
        _SPEC_CACHE[key] = spec
    return spec


def parse_framework_reference(reference: str) -> tuple[str, str | None]:
    """`slug` or `slug@version`."""
    slug, _, version = reference.partition("@")
    return slug, version or None
