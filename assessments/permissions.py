"""Who may do what with assessments; predicates for the `rules` package, used by pages and API."""

import rules

from accounts.models import Membership
from accounts.selectors import organisation_ids_for_user
from assessments.models import ReviewerAssignment


@rules.predicate
def is_respondent(user, assessment) -> bool:
    return assessment is not None and assessment.organisation_id in organisation_ids_for_user(user)


@rules.predicate
def is_draft(user, assessment) -> bool:
    return assessment is not None and assessment.is_draft


@rules.predicate
def is_submitted_once(user, assessment) -> bool:
    return assessment is not None and assessment.versions.exists()


def _assignment(user, assessment):
    if not user.is_authenticated or assessment is None:
        return None
    cache = user.__dict__.setdefault("_assignments", {})
    if assessment.pk not in cache:
        cache[assessment.pk] = ReviewerAssignment.objects.filter(
            assessment=assessment, reviewer=user
        ).first()
    return cache[assessment.pk]


@rules.predicate
def is_assigned_reviewer(user, assessment) -> bool:
    return _assignment(user, assessment) is not None


@rules.predicate
def has_declared_no_conflict(user, assessment) -> bool:
    assignment = _assignment(user, assessment)
    return assignment is not None and assignment.no_conflict_declared_at is not None


@rules.predicate
def is_lead_reviewer(user, assessment) -> bool:
    assignment = _assignment(user, assessment)
    return assignment is not None and assignment.is_lead


@rules.predicate
def manages_reviewing_organisation(user, assessment) -> bool:
    if (
        not user.is_authenticated
        or assessment is None
        or assessment.reviewing_organisation_id is None
    ):
        return False
    return Membership.objects.filter(
        user=user,
        organisation_id=assessment.reviewing_organisation_id,
        role=Membership.Role.PROCUREMENT_MANAGER,
    ).exists()


reviewer_with_access = is_assigned_reviewer & has_declared_no_conflict & is_submitted_once

rules.add_perm(
    "assessments.view_assessment",
    is_respondent | reviewer_with_access | manages_reviewing_organisation,
)
rules.add_perm("assessments.change_assessment", is_respondent & is_draft)
rules.add_perm("assessments.submit_assessment", is_respondent & is_draft)
rules.add_perm("assessments.reopen_assessment", is_respondent & ~is_draft)
buyer_manager_after_submission = manages_reviewing_organisation & is_submitted_once

rules.add_perm(
    "assessments.view_answers",
    is_respondent | reviewer_with_access | buyer_manager_after_submission,
)
rules.add_perm("assessments.assign_reviewers", manages_reviewing_organisation)
rules.add_perm("assessments.declare_conflict", is_assigned_reviewer & is_submitted_once)
rules.add_perm("assessments.score_assessment", reviewer_with_access)
rules.add_perm("assessments.set_consensus", reviewer_with_access & is_lead_reviewer)
rules.add_perm("assessments.dismiss_red_flag", reviewer_with_access)
rules.add_perm(
    "assessments.view_report", is_respondent | reviewer_with_access | buyer_manager_after_submission
)
rules.add_perm(
    "assessments.request_report",
    is_respondent | reviewer_with_access | buyer_manager_after_submission,
)
