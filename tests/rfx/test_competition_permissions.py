"""Who may do what with a tender competition, for pages and API alike (rfx/permissions.py).

alice is the buyer's procurement manager, bob a reviewer on the evaluation team (no conflict
declared), frank a reviewer of the buyer who is not on it; charlie (supplier A) and dana
(supplier B) accepted the invitation, gina's supplier was invited and has not answered;
eve belongs to no organisation. The server's clock decides, not the status.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Membership, Organisation
from rfx import competition_services, services
from rfx.models import PredictionSubmission, Proposal, RFx
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.competition_data import (
    csv_file,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")

RFX_PERMS = [
    "rfx.view_competition",
    "rfx.configure_competition",
    "rfx.download_competition_training",
    "rfx.download_competition_inputs",
    "rfx.download_competition_labels",
    "rfx.view_competition_results",
]
PROPOSAL_PERMS = ["rfx.submit_predictions"]
SUBMISSION_PERMS = [
    "rfx.view_prediction_submission",
    "rfx.view_prediction_metrics",
    "rfx.retry_prediction_scoring",
]
STAFF = {"alice", "bob"}  # frank, on no evaluation team, does not see the RFx at all
INVITED = {"charlie", "dana", "gina"}
ACCEPTED = {"charlie", "dana"}


@pytest.fixture
def draft_rfx(draft_rfx, buyer, reviewer):
    set_up(draft_rfx, buyer)
    member = services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    return draft_rfx


@pytest.fixture
def people(buyer, reviewer, supplier_a, supplier_b, outsider, buyer_org) -> dict:
    frank = MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    gina_org = OrganisationFactory(name="Godwit Vision", kind=Organisation.Kind.SUPPLIER)
    gina = MembershipFactory(
        user=UserFactory(username="gina"), organisation=gina_org, role=Membership.Role.SUPPLIER
    ).user
    users = [buyer, reviewer, frank, supplier_a, supplier_b, gina, outsider]
    return {"users": {user.username: user for user in users}, "gina_org": gina_org}


def allowed(people: dict, perm: str, obj) -> set[str]:
    return {name for name, user in people["users"].items() if user.has_perm(perm, obj)}


def table(people: dict, perms: list[str], obj) -> dict[str, set[str]]:
    # Fresh users each time: the predicates cache roles on the user object.
    fresh = {
        **people,
        "users": {name: type(u).objects.get(pk=u.pk) for name, u in people["users"].items()},
    }
    return {perm: allowed(fresh, perm, obj) for perm in perms}


@pytest.fixture
def published(published_rfx, people, buyer) -> RFx:
    services.invitation_create(
        rfx=published_rfx, supplier=people["gina_org"], email="bids@godwit.test", user=buyer
    )
    return published_rfx


@pytest.fixture
def proposal(published, supplier_a) -> Proposal:
    return services.proposal_start(rfx=published, user=supplier_a)


@pytest.fixture
def submission(published, proposal, supplier_a) -> PredictionSubmission:
    with frozen(release_time(published) + timedelta(minutes=1)):
        return competition_services.prediction_submit(
            proposal=proposal, user=supplier_a, file=csv_file("p.csv", predictions_csv())
        )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_in_draft_only_the_buyer_sees_and_only_its_manager_configures(draft_rfx, people):
    assert table(people, RFX_PERMS, fresh(draft_rfx)) == {
        "rfx.view_competition": STAFF,
        "rfx.configure_competition": {"alice"},
        "rfx.download_competition_training": STAFF,
        "rfx.download_competition_inputs": STAFF,
        "rfx.download_competition_labels": {"alice"},
        "rfx.view_competition_results": set(),
    }


def test_an_rfi_cannot_be_configured(draft_rfx, people, buyer, buyer_org):
    rfi = services.rfx_create(buyer=buyer_org, user=buyer, title="Survey", kind=RFx.Kind.RFI)
    assert table(people, ["rfx.configure_competition"], rfi) == {"rfx.configure_competition": set()}


def test_before_the_release_suppliers_get_the_training_set_but_not_the_inputs(
    published, proposal, people
):
    assert table(people, RFX_PERMS, fresh(published)) == {
        "rfx.view_competition": STAFF | INVITED,
        "rfx.configure_competition": set(),
        "rfx.download_competition_training": STAFF | ACCEPTED,
        "rfx.download_competition_inputs": STAFF,
        "rfx.download_competition_labels": {"alice"},
        "rfx.view_competition_results": set(),
    }
    assert table(people, PROPOSAL_PERMS, fresh(proposal)) == {"rfx.submit_predictions": set()}


def test_after_the_release_accepted_suppliers_get_the_inputs_and_the_supplier_submits(
    published, proposal, submission, people
):
    with frozen(release_time(published)):
        assert table(people, RFX_PERMS, fresh(published)) == {
            "rfx.view_competition": STAFF | INVITED,
            "rfx.configure_competition": set(),
            "rfx.download_competition_training": STAFF | ACCEPTED,
            "rfx.download_competition_inputs": STAFF | ACCEPTED,
            "rfx.download_competition_labels": {"alice"},
            "rfx.view_competition_results": set(),
        }
        assert table(people, PROPOSAL_PERMS, fresh(proposal)) == {
            "rfx.submit_predictions": {"charlie"}
        }
        # Before the deadline the supplier sees its file and status, not its metrics.
        assert table(people, SUBMISSION_PERMS, fresh(submission)) == {
            "rfx.view_prediction_submission": {"charlie"},
            "rfx.view_prediction_metrics": set(),
            "rfx.retry_prediction_scoring": {"charlie", "alice"},
        }


def test_after_the_deadline_the_supplier_reads_its_metrics_even_before_the_rfx_closes(
    published, proposal, submission, people
):
    with frozen(published.proposal_deadline):
        rfx = fresh(published)
        assert rfx.status == RFx.Status.PUBLISHED
        rfx_table = table(people, RFX_PERMS, rfx)
        assert rfx_table["rfx.download_competition_inputs"] == STAFF | ACCEPTED
        assert rfx_table["rfx.view_competition_results"] == set()
        assert table(people, PROPOSAL_PERMS, fresh(proposal)) == {"rfx.submit_predictions": set()}
        assert table(people, SUBMISSION_PERMS, fresh(submission)) == {
            "rfx.view_prediction_submission": {"charlie"},
            "rfx.view_prediction_metrics": {"charlie"},
            "rfx.retry_prediction_scoring": {"charlie", "alice"},
        }


def test_once_closed_the_managers_and_cleared_reviewers_see_results_and_metrics(
    published, proposal, submission, people
):
    with frozen(published.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
        rfx = fresh(published)
        assert rfx.status == RFx.Status.CLOSED
        assert table(people, RFX_PERMS, rfx) == {
            "rfx.view_competition": STAFF | INVITED,
            "rfx.configure_competition": set(),
            "rfx.download_competition_training": STAFF | ACCEPTED,
            "rfx.download_competition_inputs": STAFF | ACCEPTED,
            "rfx.download_competition_labels": {"alice"},
            "rfx.view_competition_results": {"alice", "bob"},
        }
        assert table(people, PROPOSAL_PERMS, fresh(proposal)) == {"rfx.submit_predictions": set()}
        assert table(people, SUBMISSION_PERMS, fresh(submission)) == {
            "rfx.view_prediction_submission": {"charlie", "alice", "bob"},
            "rfx.view_prediction_metrics": {"charlie", "alice", "bob"},
            "rfx.retry_prediction_scoring": {"charlie", "alice"},
        }


def test_without_a_competition_no_supplier_sees_or_downloads_anything(published, people):
    RFx.objects.filter(pk=published.pk).update(has_competition=False)
    with frozen(release_time(published)):
        result = table(people, RFX_PERMS, fresh(published))
    assert result == {
        "rfx.view_competition": STAFF,
        "rfx.configure_competition": set(),
        "rfx.download_competition_training": set(),
        "rfx.download_competition_inputs": set(),
        "rfx.download_competition_labels": set(),
        "rfx.view_competition_results": set(),
    }


def test_the_hidden_labels_never_reach_a_supplier_or_a_reviewer_in_any_state(published, people):
    moments = [published.proposal_deadline - timedelta(days=9), release_time(published)]
    moments.append(published.proposal_deadline + timedelta(days=30))
    for moment in moments:
        with frozen(moment):
            assert allowed(people, "rfx.download_competition_labels", fresh(published)) == {"alice"}
