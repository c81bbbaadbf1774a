from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.models import Organisation
from core.exceptions import ApplicationError
from principles.loader import (
    BUNDLED_DIR,
    PRINCIPLES_FILE,
    FrameworkFileError,
    content_hash,
    parse_framework,
    parse_principles,
)
from principles.models import Criterion, Framework, Principle, Question, RedFlagRule


@dataclass(frozen=True)
class LoadResult:
    framework: Framework
    created: bool


@transaction.atomic
def principles_load(*, text: str, source: str = "<principles>") -> list[Principle]:
    """Create or update principles by slug; principles are reference data, not versioned."""
    loaded = []
    for item in parse_principles(text, source):
        principle, _ = Principle.objects.update_or_create(slug=item["slug"], defaults=item)
        loaded.append(principle)
    return loaded


@transaction.atomic
def framework_load(
    *, text: str, source: str = "<framework>", owner: Organisation | None = None
) -> LoadResult:
    """Store a framework file; idempotent by (slug, version), refusing changed content."""
    data = parse_framework(text, source)
    digest = content_hash(data)

    existing = (
        Framework.objects.select_for_update()
        .filter(slug=data["slug"], version=data["version"])
        .first()
    )
    if existing is not None:
        if existing.owner_id != (owner.pk if owner else None):
            raise ApplicationError(
                f"{source}: {data['slug']} version {data['version']} already belongs to another "
                f"organisation; choose another slug."
            )
        if existing.content_hash != digest:
            raise ApplicationError(
                f"{source}: {data['slug']} version {data['version']} is already loaded "
                "with different content. Frameworks are immutable once loaded: "
                "publish the change as a new version."
            )
        return LoadResult(existing, created=False)

    principle_slugs = {c["principle"] for c in data["criteria"] if c["principle"]}
    principles = {p.slug: p for p in Principle.objects.filter(slug__in=principle_slugs)}
    unknown = sorted(principle_slugs - set(principles))
    if unknown:
        known = ", ".join(Principle.objects.values_list("slug", flat=True)) or "none loaded"
        raise FrameworkFileError(
            source, [f"unknown principle(s) {', '.join(unknown)}; known: {known}"]
        )

    framework = Framework(
        slug=data["slug"],
        name=data["name"],
        version=data["version"],
        kind=data["kind"],
        description=data["description"],
        levels=data["levels"],
        owner=owner,
        content_hash=digest,
        source_name=Path(source).name[:255],
    )
    framework.full_clean()
    framework.save()

    criteria = Criterion.objects.bulk_create(
        [
            Criterion(
                framework=framework,
                code=c["code"],
                title=c["title"],
                principle=principles.get(c["principle"]),
                weight=c["weight"],
                explanation=c["explanation"],
                requirements=c["requirements"],
                recommendations=c["recommendations"],
                order=order,
            )
            for order, c in enumerate(data["criteria"])
        ]
    )
    questions = Question.objects.bulk_create(
        [
            Question(
                framework=framework,
                criterion=criterion,
                code=q["code"],
                text=q["text"],
                guidance=q["guidance"],
                answer_type=q["answer"],
                choices=q["choices"],
                required=q["required"],
                weight=q["weight"],
                show_if=q["show_if"],
                order=order,
            )
            for criterion, c in zip(criteria, data["criteria"], strict=True)
            for order, q in enumerate(c["questions"])
        ]
    )
    question_data = [q for c in data["criteria"] for q in c["questions"]]
    RedFlagRule.objects.bulk_create(
        [
            RedFlagRule(
                question=question,
                code=f["code"],
                when=f["when"],
                severity=f["severity"],
                message=f["message"],
                order=order,
            )
            for question, q in zip(questions, question_data, strict=True)
            for order, f in enumerate(q["red_flags"])
        ]
    )
    return LoadResult(framework, created=True)


def framework_load_path(*, path: Path, owner: Organisation | None = None) -> LoadResult:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ApplicationError(f"{path}: cannot be read: {error}") from error
    return framework_load(text=text, source=str(path), owner=owner)


def bundled_load() -> list[LoadResult]:
    """The principles and every framework shipped with the product."""
    principles_load(text=PRINCIPLES_FILE.read_text(encoding="utf-8"), source=str(PRINCIPLES_FILE))
    paths = sorted(path for path in BUNDLED_DIR.glob("*.yaml") if path != PRINCIPLES_FILE)
    return [framework_load_path(path=path) for path in paths]
