"""RFx services, selectors and permissions (DESIGN §6), called directly."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.http import Http404

from assessments import services as assessment_services
from assessments.models import (
    Assessment,
    ConsensusScore,
    RedFlag,
    ReviewerAssignment,
    ReviewerScore,
)
from core.exceptions import ApplicationError
from rfx import selectors, services
from rfx.models import (
    Addendum,
    Award,
    Clarification,
    Invitation,
    Proposal,
    ProposalVersion,
    RFx,
    Section,
    SupplierFeedback,
    TermsScore,
)
from tests.rfx.conftest import DAY, frozen, submit_proposal

S = RFx.Status
ALL = list(S.values)
ALLOWED = {
    (S.DRAFT, S.PUBLISHED),
    (S.DRAFT, S.CANCELLED),
    (S.PUBLISHED, S.CLOSED),
    (S.PUBLISHED, S.CANCELLED),
    (S.CLOSED, S.EVALUATED),
    (S.CLOSED, S.CANCELLED),
    (S.EVALUATED, S.AWARDED),
    (S.EVALUATED, S.CANCELLED),
}


# --- lifecycle table --------------------------------------------------------------------------


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_the_transition_table_allows_exactly_the_lifecycle(current, target):
    assert services.can_transition(current, target) == ((current, target) in ALLOWED)


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_transition_refuses_every_step_outside_the_table(draft_rfx, current, target):
    RFx.objects.filter(pk=draft_rfx.pk).update(status=current, cancel_reason="x")
    draft_rfx.refresh_from_db()
    if (current, target) in ALLOWED:
        services._transition(draft_rfx, target, cancel_reason="Budget withdrawn")
        draft_rfx.refresh_from_db()
        assert draft_rfx.status == target
    else:
        with pytest.raises(ApplicationError, match="cannot become"):
            services._transition(draft_rfx, target)
        draft_rfx.refresh_from_db()
        assert draft_rfx.status == current


def test_it_creates_an_rfp_with_every_template_section_and_example(draft_rfx):
    keys = list(draft_rfx.sections.values_list("key", flat=True))
    assert keys[0] == "company-overview"
    assert {
        "assessment-criteria",
        "competition",
        "ip-ownership",
        "slas",
        "legal-conditions",
    } <= set(keys)
    assert all(section.body.startswith("<") for section in draft_rfx.sections.all())
    assert draft_rfx.weights == {"maturity": 40, "extra": 20, "terms": 10, "cost": 30}


def test_an_rfi_has_a_market_survey_and_no_weights(buyer, buyer_org):
    rfi = services.rfx_create(buyer=buyer_org, user=buyer, title="Market survey", kind=RFx.Kind.RFI)
    keys = set(rfi.sections.values_list("key", flat=True))
    assert (
        "market-survey" in keys and "assessment-criteria" not in keys and "competition" not in keys
    )
    assert rfi.weights == {"maturity": 0, "extra": 0, "terms": 0, "cost": 0}
    with pytest.raises(ApplicationError, match="no weights and no competition"):
        services.rfx_update(rfx=rfi, user=buyer, weight_cost=10)


def test_only_the_buyers_procurement_manager_creates_or_edits(
    buyer_org, reviewer, supplier_a, draft_rfx
):
    with pytest.raises(ApplicationError, match="procurement manager"):
        services.rfx_create(buyer=buyer_org, user=reviewer, title="x")
    with pytest.raises(ApplicationError, match="procurement manager"):
        services.rfx_update(rfx=draft_rfx, user=supplier_a, title="Mine now")
    draft_rfx.refresh_from_db()
    assert draft_rfx.title == "Predictive maintenance"


def test_publishing_needs_the_deadlines_and_a_framework(buyer, buyer_org):
    rfx = services.rfx_create(buyer=buyer_org, user=buyer, title="Bare")
    with pytest.raises(ApplicationError) as error:
        services.rfx_publish(rfx=rfx, user=buyer)
    assert error.value.extra["errors"] == {
        "clarification_deadline": "Set the deadline for clarification questions before publishing.",
        "proposal_deadline": "Set the proposal deadline before publishing.",
        "framework": "Choose the maturity framework version suppliers answer before publishing.",
    }
    rfx.refresh_from_db()
    assert rfx.status == S.DRAFT


def test_it_refuses_deadlines_out_of_order(draft_rfx, buyer, timeline):
    with pytest.raises(ApplicationError) as error:
        services.rfx_update(
            rfx=draft_rfx, user=buyer, proposal_deadline=timeline["clarification_deadline"] - DAY
        )
    assert error.value.extra["errors"] == {
        "proposal_deadline": "The proposal deadline cannot be before the deadline for "
        f"clarification questions ({services._when(timeline['clarification_deadline'])})."
    }
    draft_rfx.refresh_from_db()
    assert draft_rfx.proposal_deadline == timeline["proposal_deadline"]


def test_it_refuses_deadlines_in_the_past(draft_rfx, buyer, timeline):
    moment = timeline["clarification_deadline"] + timedelta(hours=1)
    with frozen(moment), pytest.raises(ApplicationError) as error:
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    assert error.value.extra["errors"] == {
        "clarification_deadline": "The deadline for clarification questions must be in the future."
    }


def test_it_refuses_negative_or_all_zero_weights(draft_rfx, buyer):
    with pytest.raises(ApplicationError, match="The cost weight cannot be negative."):
        services.rfx_update(rfx=draft_rfx, user=buyer, weight_cost=-1)
    with pytest.raises(ApplicationError, match="Give at least one weight above zero"):
        services.rfx_update(
            rfx=draft_rfx,
            user=buyer,
            weight_maturity=0,
            weight_extra=0,
            weight_terms=0,
            weight_cost=0,
        )
    draft_rfx.refresh_from_db()
    assert draft_rfx.weights == {"maturity": 40, "extra": 20, "terms": 10, "cost": 30}
    services.rfx_update(
        rfx=draft_rfx,
        user=buyer,
        weight_maturity=50,
        weight_extra=0,
        disqualify_on_critical_red_flags=True,
        has_competition=True,
    )
    draft_rfx.refresh_from_db()
    assert (
        draft_rfx.weight_maturity,
        draft_rfx.weight_extra,
        draft_rfx.disqualify_on_critical_red_flags,
    ) == (50, 0, True)


def test_section_text_is_sanitised_on_save(draft_rfx, buyer):
    section = draft_rfx.sections.get(key="datasets")
    services.section_update(
        section=section,
        user=buyer,
        body='<p onclick="steal()">Logs<script>alert(1)</script> '
        '<a href="javascript:x()">here</a></p>',
    )
    section.refresh_from_db()
    assert section.body == '<p>Logs <a rel="noopener noreferrer nofollow">here</a></p>'
    assert not Addendum.objects.exists()  # a draft has no addenda


def test_the_extra_questionnaire_is_a_framework_owned_by_the_buyer(
    draft_rfx, buyer, principles_loaded
):
    from tests.frameworks import to_yaml, vendor_data

    data = vendor_data()
    data.update(slug="northwind-extra", name="Northwind extra questions", kind="questionnaire")
    framework = services.extra_questionnaire_load(rfx=draft_rfx, user=buyer, text=to_yaml(data))
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework == framework
    assert framework.owner == draft_rfx.buyer


def test_cancelling_needs_a_reason(draft_rfx, buyer):
    with pytest.raises(ApplicationError, match="Say why"):
        services.rfx_cancel(rfx=draft_rfx, user=buyer, reason="  ")
    services.rfx_cancel(rfx=draft_rfx, user=buyer, reason="The budget was withdrawn.")
    draft_rfx.refresh_from_db()
    assert (draft_rfx.status, draft_rfx.cancel_reason) == (S.CANCELLED, "The budget was withdrawn.")


# --- addenda --------------------------------------------------------------------------------


def test_an_addendum_before_the_last_days_keeps_the_deadline(
    published_rfx, buyer, proposal_a, django_capture_on_commit_callbacks
):
    deadline = published_rfx.proposal_deadline
    mail.outbox.clear()
    with (
        frozen(deadline - 3 * DAY - timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.section_update(
            section=published_rfx.sections.get(key="slas"),
            user=buyer,
            body="<p>99.9%</p>",
            summary="Availability raised.",
        )
    published_rfx.refresh_from_db()
    proposal_a.refresh_from_db()
    addendum = Addendum.objects.get(rfx=published_rfx)
    assert published_rfx.proposal_deadline == deadline
    assert (addendum.number, addendum.summary, addendum.changes) == (
        1,
        "Availability raised.",
        {"sections": ["slas"]},
    )
    assert proposal_a.needs_reconfirmation is True
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert "bids@acme.test" in recipients and "bids@heron.test" in recipients
    assert all(message.subject == f"Addendum 1 to {published_rfx.title}" for message in mail.outbox)


def test_an_addendum_in_the_last_three_days_moves_the_deadline(published_rfx, buyer, timeline):
    deadline = published_rfx.proposal_deadline
    moment = deadline - 2 * DAY
    with frozen(moment):
        services.rfx_update(rfx=published_rfx, user=buyer, title="Predictive maintenance (revised)")
    published_rfx.refresh_from_db()
    assert published_rfx.proposal_deadline == moment + 3 * DAY
    assert (
        published_rfx.shortlist_date == timeline["shortlist_date"]
    )  # still after the new deadline
    addendum = published_rfx.addenda.get()
    assert (addendum.deadline_before, addendum.deadline_after) == (deadline, moment + 3 * DAY)


def test_the_extension_is_configurable(published_rfx, buyer, settings):
    settings.RFX_ADDENDUM_EXTENSION_DAYS = 5
    moment = published_rfx.proposal_deadline - 4 * DAY
    with frozen(moment):
        services.rfx_update(rfx=published_rfx, user=buyer, title="Revised")
    published_rfx.refresh_from_db()
    assert published_rfx.proposal_deadline == moment + 5 * DAY


def test_the_deadline_cannot_come_forward_and_the_framework_cannot_change_after_publishing(
    published_rfx, buyer, framework
):
    with pytest.raises(ApplicationError, match="only move later"):
        services.rfx_update(
            rfx=published_rfx, user=buyer, proposal_deadline=published_rfx.proposal_deadline - DAY
        )
    with pytest.raises(ApplicationError, match="cannot change after publishing"):
        services.rfx_update(rfx=published_rfx, user=buyer, framework=None)


# --- invitations ----------------------------------------------------------------------------


def _token_from(message) -> str:
    return re.search(r"/rfx/invitations/([\w-]+)/", message.body).group(1)


def test_publishing_mails_a_one_time_link_and_stores_only_its_hash(
    draft_rfx, buyer, supplier_a, supplier_a_org, django_capture_on_commit_callbacks
):
    invitation = services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    assert invitation.token_hash == ""  # nothing is sent for a draft
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    assert [message.to for message in mail.outbox] == [["bids@acme.test"]]
    token = _token_from(mail.outbox[0])
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())

    assert services.invitation_redeem(token=token, user=supplier_a) == invitation
    with pytest.raises(ApplicationError, match="already been used"):
        services.invitation_redeem(token=token, user=supplier_a)
    with pytest.raises(ApplicationError, match="not valid"):
        services.invitation_redeem(token="made-up", user=supplier_a)


def test_a_link_works_only_for_the_invited_supplier(
    draft_rfx, buyer, supplier_a_org, supplier_b, outsider
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    services.rfx_publish(rfx=draft_rfx, user=buyer)
    invitation = draft_rfx.invitations.get()
    token = services.invitation_send(invitation=invitation)
    for intruder in (supplier_b, outsider):
        with pytest.raises(ApplicationError, match="member of the invited supplier"):
            services.invitation_redeem(token=token, user=intruder)
    invitation.refresh_from_db()
    assert invitation.token_used_at is None


def test_it_refuses_to_send_an_invitation_again_once_the_deadline_has_passed(
    published_rfx, buyer, supplier_a_org, mailoutbox
):
    invitation = published_rfx.invitations.get(supplier=supplier_a_org)
    token_hash, sent = invitation.token_hash, len(mailoutbox)
    # The close job has not run: the status still says published, only the clock says no.
    with (
        frozen(published_rfx.proposal_deadline + timedelta(minutes=1)),
        pytest.raises(ApplicationError, match="proposal deadline passed on .*not sent again"),
    ):
        services.invitation_send(invitation=invitation, user=buyer)
    invitation.refresh_from_db()
    assert invitation.token_hash == token_hash
    assert len(mailoutbox) == sent


def test_it_refuses_to_send_an_invitation_of_an_rfx_that_is_no_longer_published(
    published_rfx, buyer, supplier_a_org, mailoutbox
):
    services.rfx_cancel(rfx=published_rfx, user=buyer, reason="Budget cut.")
    invitation = published_rfx.invitations.get(supplier=supplier_a_org)
    token_hash, sent = invitation.token_hash, len(mailoutbox)
    with pytest.raises(ApplicationError, match="This RFx is cancelled, so invitations are no"):
        services.invitation_send(invitation=invitation, user=buyer)
    invitation.refresh_from_db()
    assert invitation.token_hash == token_hash
    assert len(mailoutbox) == sent


def test_a_supplier_is_invited_once(draft_rfx, buyer, supplier_a_org, buyer_org):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="a@acme.test", user=buyer
    )
    with pytest.raises(ApplicationError, match="already invited"):
        services.invitation_create(
            rfx=draft_rfx, supplier=supplier_a_org, email="b@acme.test", user=buyer
        )
    with pytest.raises(ApplicationError, match="not a supplier"):
        services.invitation_create(rfx=draft_rfx, supplier=buyer_org, email="x@x.test", user=buyer)
    assert draft_rfx.invitations.count() == 1


def test_accepting_needs_the_terms_and_declining_needs_a_reason(
    published_rfx, supplier_a, supplier_a_org
):
    invitation = published_rfx.invitations.get(supplier=supplier_a_org)
    with pytest.raises(ApplicationError, match="Accept the terms"):
        services.invitation_accept(invitation=invitation, user=supplier_a, accept_terms=False)
    with pytest.raises(ApplicationError, match="Say briefly why"):
        services.invitation_decline(invitation=invitation, user=supplier_a, reason="")
    services.invitation_decline(
        invitation=invitation, user=supplier_a, reason="No capacity this quarter."
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == (
        "declined",
        "No capacity this quarter.",
    )
    with pytest.raises(ApplicationError, match="Only an invited supplier that has accepted"):
        services.proposal_start(rfx=published_rfx, user=supplier_a)


def test_supplier_b_cannot_answer_supplier_as_invitation(published_rfx, supplier_b, supplier_a_org):
    invitation = published_rfx.invitations.get(supplier=supplier_a_org)
    with pytest.raises(ApplicationError):
        services.invitation_decline(invitation=invitation, user=supplier_b, reason="Sabotage")
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


# --- visibility -----------------------------------------------------------------------------


def test_a_supplier_sees_only_published_rfx_it_is_invited_to(
    draft_rfx, buyer, buyer_org, supplier_a, supplier_a_org, supplier_b, outsider, reviewer
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="a@acme.test", user=buyer
    )
    assert list(selectors.rfx_list_for_user(supplier_a)) == []  # still a draft
    services.rfx_publish(rfx=draft_rfx, user=buyer)
    other = services.rfx_create(buyer=buyer_org, user=buyer, title="Another")
    assert list(selectors.rfx_list_for_user(supplier_a)) == [draft_rfx]
    assert list(selectors.rfx_list_for_user(supplier_b)) == []
    assert list(selectors.rfx_list_for_user(outsider)) == []
    assert set(selectors.rfx_list_for_user(buyer)) == {draft_rfx, other}
    # A reviewer of the buyer sees only the RFx whose evaluation team they are on.
    assert list(selectors.rfx_list_for_user(reviewer)) == []
    assert not reviewer.has_perm("rfx.view_rfx", draft_rfx)
    services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    assert list(selectors.rfx_list_for_user(reviewer)) == [draft_rfx]
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # roles are cached on the user
    assert reviewer.has_perm("rfx.view_rfx", draft_rfx)
    assert not reviewer.has_perm("rfx.view_rfx", other)
    assert supplier_a.has_perm("rfx.view_rfx", draft_rfx)
    assert not supplier_b.has_perm("rfx.view_rfx", draft_rfx)
    assert not outsider.has_perm("rfx.view_rfx", draft_rfx)
    for user in (supplier_b, outsider):
        with pytest.raises(Http404):
            selectors.get_rfx_for_user(user, draft_rfx.pk)


# --- clarifications -------------------------------------------------------------------------


def test_clarifications_close_at_their_deadline(published_rfx, supplier_a):
    with frozen(published_rfx.clarification_deadline - timedelta(seconds=1)):
        services.clarification_ask(
            rfx=published_rfx, user=supplier_a, question="Is the data labelled?"
        )
    with (
        frozen(published_rfx.clarification_deadline),
        pytest.raises(ApplicationError, match="deadline for clarification questions passed"),
    ):
        services.clarification_ask(rfx=published_rfx, user=supplier_a, question="Too late?")
    assert list(published_rfx.clarifications.values_list("question", flat=True)) == [
        "Is the data labelled?"
    ]


def test_an_outsider_cannot_ask(published_rfx, outsider):
    with pytest.raises(ApplicationError, match="Only an invited supplier"):
        services.clarification_ask(rfx=published_rfx, user=outsider, question="Hello?")
    assert not Clarification.objects.exists()


def test_a_published_answer_reaches_everyone_without_the_asker(
    published_rfx, buyer, supplier_a, supplier_b, django_capture_on_commit_callbacks
):
    asked = services.clarification_ask(
        rfx=published_rfx, user=supplier_a, question="Is the data labelled?"
    )
    private = services.clarification_ask(
        rfx=published_rfx, user=supplier_a, question="Our own pricing?"
    )
    services.clarification_answer(clarification=private, user=buyer, answer="See section 18.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.clarification_answer(
            clarification=asked, user=buyer, answer="Yes, all of it.", publish=True
        )
    rows = selectors.clarification_list_for_supplier(published_rfx, supplier_b)
    assert rows == [
        {
            "id": asked.pk,
            "question": "Is the data labelled?",
            "answer": "Yes, all of it.",
            "answered_at": rows[0]["answered_at"],
            "visibility": "published",
            "created_at": rows[0]["created_at"],
            "mine": False,
        }
    ]
    assert [
        row["question"]
        for row in selectors.clarification_list_for_supplier(published_rfx, supplier_a)
    ] == ["Is the data labelled?", "Our own pricing?"]
    assert all(
        "charlie" not in message.body and "Acme" not in message.body for message in mail.outbox
    )
    assert "bids@heron.test" in {address for message in mail.outbox for address in message.to}


# --- proposals ------------------------------------------------------------------------------


def test_a_submission_is_an_immutable_version_with_its_assessment_versions(proposal_a, supplier_a):
    version = proposal_a.versions.get()
    assert version.number == 1
    assert version.snapshot["price_amount"] == "120000.00"
    assert version.snapshot["price_currency"] == "GBP"
    assert version.snapshot["maturity_assessment_version"] == 1
    assert version.snapshot["licence_terms"] == "Perpetual licence to the models."
    assessment = proposal_a.maturity_assessment
    assert (assessment.status, assessment.kind, assessment.reviewing_organisation) == (
        "submitted",
        "proposal",
        None,
    )
    with pytest.raises(ValueError, match="cannot be changed"):
        version.save()


def test_a_resubmission_keeps_the_earlier_version(proposal_a, supplier_a):
    services.proposal_update(
        proposal=proposal_a, user=supplier_a, price_amount="110000", price_currency="gbp"
    )
    services.proposal_reopen(proposal=proposal_a, user=supplier_a)
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    versions = list(proposal_a.versions.order_by("number").values_list("number", "snapshot"))
    assert [(n, s["price_amount"], s["maturity_assessment_version"]) for n, s in versions] == [
        (1, "120000.00", 1),
        (2, "110000.00", 2),
    ]
    assert ProposalVersion.history.count() == 2


def test_it_refuses_a_bad_price(published_rfx, supplier_a):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    for amount, currency, message in (
        ("-5", "GBP", "more than zero"),
        ("ten", "GBP", "not an amount"),
        ("10", "pounds", "three-letter"),
        ("10.001", "GBP", "two decimal places"),
    ):
        with pytest.raises(ApplicationError, match=message):
            services.proposal_update(
                proposal=proposal, user=supplier_a, price_amount=amount, price_currency=currency
            )
    with pytest.raises(ApplicationError, match="Give a price"):
        services.proposal_submit(proposal=proposal, user=supplier_a)
    proposal.refresh_from_db()
    assert proposal.price_amount is None and not proposal.versions.exists()


def test_every_supplier_write_is_refused_after_the_deadline_even_before_closing(
    published_rfx, supplier_a
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    question = published_rfx.framework.questions.first()
    invitation = published_rfx.invitations.get(supplier=proposal.supplier)
    with frozen(published_rfx.proposal_deadline):
        calls = [
            lambda: services.proposal_update(
                proposal=proposal, user=supplier_a, licence_terms="Late"
            ),
            lambda: services.proposal_update(
                proposal=proposal, user=supplier_a, price_amount="1", price_currency="GBP"
            ),
            lambda: services.proposal_submit(proposal=proposal, user=supplier_a),
            lambda: services.proposal_reopen(proposal=proposal, user=supplier_a),
            lambda: services.proposal_answer_save(
                proposal=proposal,
                assessment=proposal.maturity_assessment,
                question=question,
                user=supplier_a,
                text="Late",
            ),
            lambda: services.proposal_start(rfx=published_rfx, user=supplier_a),
            lambda: services.invitation_decline(
                invitation=invitation, user=supplier_a, reason="Late"
            ),
        ]
        for call in calls:
            with pytest.raises(ApplicationError, match="proposal deadline passed"):
                call()
        assert not supplier_a.has_perm("rfx.change_proposal", proposal)
    published_rfx.refresh_from_db()
    proposal.refresh_from_db()
    assert published_rfx.status == S.PUBLISHED
    assert (proposal.licence_terms, proposal.price_amount, proposal.versions.count()) == (
        "",
        None,
        0,
    )
    assert not proposal.maturity_assessment.answers.exists()
    assert supplier_a.has_perm("rfx.change_proposal", proposal)


def test_before_the_deadline_the_buyer_sees_only_who_submitted_and_when(
    published_rfx, proposal_a, buyer, reviewer, supplier_b
):
    services.proposal_start(rfx=published_rfx, user=supplier_b)  # started, not submitted
    assert selectors.submission_status(published_rfx) == [
        {
            "supplier_id": proposal_a.supplier_id,
            "supplier__name": "Acme Analytics",
            "submitted_at": proposal_a.submitted_at,
        },
    ]
    assert buyer.has_perm("rfx.view_submission_status", published_rfx)
    assert not supplier_b.has_perm("rfx.view_submission_status", published_rfx)
    for user in (buyer, reviewer):
        assert not user.has_perm("rfx.view_proposal", proposal_a)
        assert not user.has_perm("rfx.view_price", proposal_a)
        assert list(selectors.proposal_list_for_user(user)) == []
        assert not user.has_perm("assessments.view_answers", proposal_a.maturity_assessment)


def test_supplier_b_never_sees_supplier_as_proposal(
    closed_rfx, proposal_a, proposal_b, supplier_b, outsider
):
    proposal_a.refresh_from_db()
    for user, own in ((supplier_b, [proposal_b]), (outsider, [])):
        assert list(selectors.proposal_list_for_user(user)) == own
        with pytest.raises(Http404):
            selectors.get_proposal_for_user(user, proposal_a.pk)
        for perm in (
            "rfx.view_proposal",
            "rfx.change_proposal",
            "rfx.view_price",
            "rfx.score_terms",
        ):
            assert not user.has_perm(perm, proposal_a)
        assert not user.has_perm("assessments.view_answers", proposal_a.maturity_assessment)
        assert not user.has_perm("rfx.view_submission_status", closed_rfx)
    assert selectors.proposal_for_supplier(closed_rfx, supplier_b) == proposal_b
    assert [
        row["mine"] for row in selectors.clarification_list_for_supplier(closed_rfx, outsider)
    ] == []


# --- closing, evaluation team, price envelope -----------------------------------------------


def test_closing_before_the_deadline_is_refused(published_rfx, proposal_a):
    assert services.rfx_close_due() == []
    with pytest.raises(ApplicationError, match="closes then"):
        services.rfx_close(rfx=published_rfx)
    published_rfx.refresh_from_db()
    assert published_rfx.status == S.PUBLISHED


def test_close_due_hands_the_assessments_to_the_buyer_and_its_team(
    closed_rfx, proposal_a, proposal_b, reviewer, buyer
):
    assert closed_rfx.status == S.CLOSED and closed_rfx.closed_at is not None
    for proposal in (proposal_a, proposal_b):
        assessment = Assessment.objects.get(pk=proposal.maturity_assessment_id)
        assert assessment.reviewing_organisation == closed_rfx.buyer
        assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
        assert assignment.is_lead and assignment.no_conflict_declared_at is not None
        assert reviewer.has_perm("assessments.view_answers", assessment)
        assert reviewer.has_perm("rfx.view_proposal", proposal)
        assert buyer.has_perm("rfx.view_proposal", proposal)
    assert services.rfx_close_due() == []  # already closed: nothing to do twice


def test_a_reviewer_sees_nothing_before_declaring_no_conflict(
    closed_rfx, proposal_a, buyer, buyer_org
):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    frank = MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    member = services.rfx_reviewer_assign(
        rfx=closed_rfx, reviewer=frank, user=buyer, criterion_codes=["data"] if False else []
    )
    assert not frank.has_perm("rfx.view_proposal", proposal_a)
    assert list(selectors.proposal_list_for_user(frank)) == []
    assert not frank.has_perm("assessments.view_answers", proposal_a.maturity_assessment)
    services.rfx_reviewer_declare_no_conflict(member=member, user=frank)
    frank.__dict__.pop("_assignments", None)  # the assessment rules cache per request
    assert frank.has_perm("rfx.view_proposal", proposal_a)
    assert frank.has_perm("assessments.view_answers", proposal_a.maturity_assessment)


def test_reviewers_can_be_restricted_to_known_criteria(draft_rfx, buyer, reviewer):
    code = draft_rfx.framework.criteria.first().code
    member = services.rfx_reviewer_assign(
        rfx=draft_rfx, reviewer=reviewer, user=buyer, criterion_codes=[code]
    )
    assert member.criterion_codes == [code]
    with pytest.raises(ApplicationError, match="Unknown criterion code"):
        services.rfx_reviewer_assign(
            rfx=draft_rfx, reviewer=reviewer, user=buyer, criterion_codes=["NOPE"]
        )


def test_the_price_is_hidden_from_the_team_until_technical_scores_are_locked(
    closed_rfx, proposal_a, buyer, reviewer, supplier_a
):
    assert supplier_a.has_perm("rfx.view_price", proposal_a)
    assert not reviewer.has_perm("rfx.view_price", proposal_a)
    assert not buyer.has_perm("rfx.view_price", proposal_a)
    assert reviewer.has_perm("rfx.score_terms", proposal_a)
    services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=2, comment="Fair")
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    closed_rfx.refresh_from_db()
    proposal_a.rfx.refresh_from_db()
    assert reviewer.has_perm("rfx.view_price", proposal_a)
    assert buyer.has_perm("rfx.view_price", proposal_a)
    assert not reviewer.has_perm("rfx.score_terms", proposal_a)
    with pytest.raises(ApplicationError, match="locked"):
        services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=3)
    assert TermsScore.objects.get(proposal=proposal_a).score == 2


def test_no_technical_score_of_a_proposal_moves_after_the_lock(
    closed_rfx, proposal_a, buyer, reviewer
):
    """Maturity scores, consensus and red-flag dismissals are technical scores too: once the
    price envelope is open, none of them may change (found by tests/security)."""
    assessment = proposal_a.maturity_assessment
    questions = list(assessment.framework.questions.order_by("pk")[:2])
    assessment_services.reviewer_score_set(
        assessment=assessment, question=questions[0], reviewer=reviewer, score=2
    )
    flag = assessment_services.red_flag_dismiss(
        flag=RedFlag.objects.filter(assessment=assessment).first(),
        user=reviewer,
        reason="The evidence is in the appendix.",
    )
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    locked = pytest.raises(ApplicationError, match="technical scores are locked")
    with locked:
        assessment_services.reviewer_score_set(
            assessment=assessment, question=questions[1], reviewer=reviewer, score=0
        )
    with locked:
        assessment_services.red_flag_restore(flag=flag, user=reviewer)
    # The lead submits their review (no score changes), then tries a consensus score.
    assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    assessment_services.review_submit(assignment=assignment)
    with locked:
        assessment_services.consensus_set(
            assessment=assessment, question=questions[0], user=reviewer, score=3
        )
    assert list(ReviewerScore.objects.filter(assessment=assessment).values_list("score")) == [(2,)]
    assert not ConsensusScore.objects.filter(assessment=assessment).exists()
    flag.refresh_from_db()
    assert flag.status == RedFlag.Status.DISMISSED


def test_terms_scores_need_a_cleared_reviewer_and_a_score_from_0_to_3(
    closed_rfx, proposal_a, reviewer, buyer
):
    with pytest.raises(ApplicationError, match="0 \\(not met\\)"):
        services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=4)
    with pytest.raises(ApplicationError, match="declared no conflict"):
        services.terms_score_set(proposal=proposal_a, reviewer=buyer, score=2)
    assert not TermsScore.objects.exists()


def test_blind_grading_gives_reviewers_stable_pseudonyms(
    closed_rfx, proposal_a, proposal_b, reviewer, buyer
):
    RFx.objects.filter(pk=closed_rfx.pk).update(blind_grading=True)
    proposal_a.refresh_from_db()
    proposal_b.refresh_from_db()
    assert selectors.supplier_pseudonyms(closed_rfx) == {
        proposal_a.supplier_id: "Supplier A",
        proposal_b.supplier_id: "Supplier B",
    }
    assert selectors.supplier_name_for(reviewer, proposal_a) == "Supplier A"
    assert selectors.supplier_name_for(reviewer, proposal_b) == "Supplier B"
    assert selectors.supplier_name_for(buyer, proposal_b) == "Blue Heron AI"
    assert selectors._letters(26) == "AA"


# --- award ----------------------------------------------------------------------------------


@pytest.fixture
def evaluated_rfx(closed_rfx, proposal_a, proposal_b, reviewer, buyer):
    for proposal, score in ((proposal_a, 3), (proposal_b, 1)):
        services.terms_score_set(proposal=proposal, reviewer=reviewer, score=score)
    with pytest.raises(ApplicationError, match="Lock the technical scores"):
        services.rfx_mark_evaluated(rfx=closed_rfx, user=buyer)
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    services.rfx_mark_evaluated(rfx=closed_rfx, user=buyer)
    closed_rfx.refresh_from_db()
    return closed_rfx


def test_an_award_needs_a_justification(evaluated_rfx, proposal_a, buyer):
    with pytest.raises(ApplicationError, match="Give the reasons"):
        services.rfx_award(rfx=evaluated_rfx, proposal=proposal_a, justification=" ", user=buyer)
    evaluated_rfx.refresh_from_db()
    assert evaluated_rfx.status == S.EVALUATED and not Award.objects.exists()


def test_the_award_records_feedback_for_each_unsuccessful_supplier_only(
    evaluated_rfx, proposal_a, proposal_b, buyer
):
    award = services.rfx_award(
        rfx=evaluated_rfx, proposal=proposal_a, justification="Best value.", user=buyer
    )
    evaluated_rfx.refresh_from_db()
    assert evaluated_rfx.status == S.AWARDED
    assert (award.proposal, award.justification, award.awarded_by) == (
        proposal_a,
        "Best value.",
        buyer,
    )
    feedback = SupplierFeedback.objects.get()
    assert feedback.proposal == proposal_b
    assert feedback.data["supplier_id"] == proposal_b.supplier_id
    assert feedback.data["price"] == "90000.00"
    assert feedback.data["terms_score"] == 1
    assert "Acme" not in str(feedback.data) and "120000" not in str(feedback.data)
    assert Award.history.count() == 1
    with pytest.raises(ApplicationError, match="cannot become"):
        services.rfx_award(
            rfx=evaluated_rfx, proposal=proposal_b, justification="Again", user=buyer
        )


def test_history_is_kept_on_rfx_and_proposals(published_rfx, proposal_a):
    assert published_rfx.history.count() >= 3
    assert Proposal.history.filter(id=proposal_a.pk).count() >= 2
    assert Section.history.exists()


def test_a_second_supplier_submission_uses_its_own_assessment(
    published_rfx, supplier_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = submit_proposal(published_rfx, supplier_b, "1000.50")
    assert proposal.maturity_assessment.organisation == proposal.supplier
    assert proposal.price_amount == Decimal("1000.50")


def test_the_close_task_closes_what_is_due(published_rfx, proposal_a):
    from rfx.tasks import close_due_rfx

    with frozen(published_rfx.proposal_deadline):
        assert close_due_rfx.delay().get() == [published_rfx.pk]
    published_rfx.refresh_from_db()
    assert published_rfx.status == S.CLOSED


def test_the_assessment_pages_and_api_cannot_change_a_proposal_after_the_deadline(
    published_rfx, supplier_a
):
    """The generic assessment services are the path of the answering pages and the API."""
    from assessments import services as assessment_services

    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    assessment = proposal.maturity_assessment
    question = published_rfx.framework.questions.first()
    assessment_services.answer_save(
        assessment=assessment, question=question, user=supplier_a, status="yes"
    )
    with frozen(published_rfx.proposal_deadline):
        for call in (
            lambda: assessment_services.answer_save(
                assessment=assessment, question=question, user=supplier_a, status="no"
            ),
            lambda: assessment_services.evidence_add(
                assessment=assessment,
                question=question,
                user=supplier_a,
                url="https://example.org/late",
            ),
            lambda: assessment_services.assessment_submit(assessment=assessment, user=supplier_a),
        ):
            with pytest.raises(ApplicationError, match="proposal deadline passed"):
                call()
    assert assessment.answers.get().status == "yes"
    assert not assessment.evidence.exists()


def test_the_award_tells_the_winner_and_points_the_others_to_their_feedback(
    evaluated_rfx,
    proposal_a,
    proposal_b,
    buyer,
    supplier_a,
    supplier_b,
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_award(
            rfx=evaluated_rfx, proposal=proposal_a, justification="Best value.", user=buyer
        )
    by_recipient = {address: message for message in mail.outbox for address in message.to}
    won, lost = by_recipient[supplier_a.email], by_recipient[supplier_b.email]
    assert won.subject.startswith("Awarded:")
    assert lost.subject.startswith("Decision on")
    assert f"/rfx/{evaluated_rfx.pk}/feedback/" in lost.body
    assert "Best value." not in won.body + lost.body  # the justification stays with the buyer


def test_an_addendum_that_moves_the_deadline_rearms_the_reminders(published_rfx, buyer, timeline):
    from django.utils import timezone

    published_rfx.reminded_72h_at = timezone.now()
    published_rfx.reminded_24h_at = timezone.now()
    published_rfx.save(update_fields=["reminded_72h_at", "reminded_24h_at"])
    services.rfx_update(
        rfx=published_rfx,
        user=buyer,
        summary="More time to answer.",
        proposal_deadline=published_rfx.proposal_deadline + DAY * 10,
    )
    published_rfx.refresh_from_db()
    assert (published_rfx.reminded_72h_at, published_rfx.reminded_24h_at) == (None, None)


def test_a_reviewer_assigned_to_some_criteria_scores_only_those(closed_rfx, proposal_a, buyer):
    from accounts.models import Membership
    from assessments import services as assessment_services
    from tests.factories import MembershipFactory, UserFactory

    frank = MembershipFactory(
        user=UserFactory(username="frank"),
        organisation=closed_rfx.buyer,
        role=Membership.Role.REVIEWER,
    ).user
    member = services.rfx_reviewer_assign(
        rfx=closed_rfx, reviewer=frank, user=buyer, criterion_codes=["1"]
    )
    services.rfx_reviewer_declare_no_conflict(member=member, user=frank)
    assessment = proposal_a.maturity_assessment
    assessment.refresh_from_db()
    questions = closed_rfx.framework.questions
    assessment_services.reviewer_score_set(
        assessment=assessment, question=questions.get(code="1.1"), reviewer=frank, score=2
    )
    with pytest.raises(ApplicationError, match="assigned to criteria 1 of this RFx"):
        assessment_services.reviewer_score_set(
            assessment=assessment, question=questions.get(code="2.1"), reviewer=frank, score=2
        )
    assert list(
        assessment.reviewer_scores.filter(reviewer=frank).values_list("question__code", flat=True)
    ) == ["1.1"]
