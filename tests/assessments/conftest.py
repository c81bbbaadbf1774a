"""Shared assessment fixtures: supplier A's self-assessment shared with the buyer for review."""

import pytest

from assessments import services
from assessments.models import Assessment
from principles.models import Framework


@pytest.fixture
def framework(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def assessment(framework, supplier_a, supplier_a_org, buyer_org) -> Assessment:
    """A draft of supplier A, to be reviewed by the buyer organisation."""
    return services.assessment_create(
        framework=framework,
        organisation=supplier_a_org,
        user=supplier_a,
        reviewing_organisation=buyer_org,
    )


def good_answer(question) -> dict:
    """A complete, convincing answer of the question's type."""
    if question.answer_type == "status":
        return {
            "status": "yes",
            "text": "We do this routinely under a documented, reviewed and audited process.",
        }
    if question.answer_type == "number":
        return {"number": 1}
    if question.answer_type == "choice":
        return {"choices": [question.choices[0]]}
    return {
        "text": "A full description of how we do this in practice, with owners and review dates."
    }


def answer_everything(assessment, user, answer=good_answer) -> None:
    for question in assessment.framework.questions.all():
        services.answer_save(
            assessment=assessment, question=question, user=user, **answer(question)
        )


@pytest.fixture
def submitted_assessment(assessment, supplier_a, django_capture_on_commit_callbacks) -> Assessment:
    """Every question answered, submitted and scored (eager tasks run on commit)."""
    answer_everything(assessment, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def reviewer2(buyer_org):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def review_team(submitted_assessment, reviewer, reviewer2):
    """bob leads, frank reviews; both declared no conflict."""
    lead = services.reviewer_assign(
        assessment=submitted_assessment, reviewer=reviewer, is_lead=True
    )
    second = services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer2)
    services.conflict_declare(assignment=lead)
    services.conflict_declare(assignment=second)
    return lead, second
