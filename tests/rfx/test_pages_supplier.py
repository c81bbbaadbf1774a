"""The supplier's RFx pages: the invitation link, the RFx, the proposal and the feedback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from rfx import services
from rfx.models import Clarification, Invitation, Proposal, ProposalVersion, RFx
from rfx.views.supplier import moment_in_words
from tests.assessments.conftest import answer_everything
from tests.factories import MembershipFactory, UserFactory
from tests.rfx.conftest import DAY, frozen

PAGES = ["rfx-supplier-detail", "rfx-proposal", "rfx-feedback"]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def assigned_reviewer(published_rfx, reviewer, buyer):
    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer)
    return reviewer


@pytest.fixture
def unassigned_reviewer(buyer_org):
    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def pending(draft_rfx, buyer, supplier_a_org, django_capture_on_commit_callbacks):
    """Published, supplier A invited and not yet answered; returns (invitation, token)."""
    invitation = services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
        token = services.invitation_send(invitation=invitation, user=buyer)
    invitation.refresh_from_db()
    return invitation, token


@pytest.fixture
def rfx_for_a_only(
    buyer,
    buyer_org,
    framework,
    timeline,
    supplier_a,
    supplier_a_org,
    django_capture_on_commit_callbacks,
) -> RFx:
    rfx = services.rfx_create(
        buyer=buyer_org, user=buyer, title="Track inspection", framework=framework
    )
    services.rfx_update(rfx=rfx, user=buyer, **timeline)
    services.invitation_create(rfx=rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=rfx, user=buyer)
    services.invitation_accept(invitation=rfx.invitations.get(), user=supplier_a, accept_terms=True)
    return rfx


@pytest.fixture
def awarded_rfx(closed_rfx, proposal_a, proposal_b, reviewer, buyer):
    """Acme (supplier A, 120000) wins; Blue Heron (supplier B, 90000) gets feedback."""
    for proposal, score in ((proposal_a, 3), (proposal_b, 1)):
        services.terms_score_set(proposal=proposal, reviewer=reviewer, score=score)
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    services.rfx_mark_evaluated(rfx=closed_rfx, user=buyer)
    services.rfx_award(
        rfx=closed_rfx, proposal=proposal_a, justification="Acme is best value.", user=buyer
    )
    closed_rfx.refresh_from_db()
    return closed_rfx


def url(name: str, rfx: RFx) -> str:
    return reverse(name, args=[rfx.pk])


# --- words --------------------------------------------------------------------------------------


def test_a_deadline_reads_in_words():
    now = timezone.now()
    moment = timezone.localtime(now + timedelta(days=3, minutes=5)).replace(hour=17, minute=0)
    words = moment_in_words(moment, now)
    assert words.startswith("closes in ")
    assert f"on {moment:%-d %B} at 17:00" in words
    assert moment_in_words(now + timedelta(hours=5), now).startswith("closes in 5 hours, on ")
    assert moment_in_words(now - timedelta(hours=1), now).startswith("closed on ")


# --- the invitation link ------------------------------------------------------------------------


def test_the_invitation_link_shows_nothing_about_the_rfx_before_signing_in(client, pending):
    invitation, token = pending
    response = client.get(reverse("rfx-invitation", args=[token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert invitation.rfx.title not in html and "Northwind" not in html
    assert f"{reverse('login')}?next=/rfx/invitations/{token}/" in html
    assert 'value="bids@acme.test"' in html


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43])
def test_an_unknown_invitation_link_gives_a_clear_page_and_no_details(client, pending, token):
    response = client.get(reverse("rfx-invitation", args=[token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This invitation link does not work" in html
    assert pending[0].rfx.title not in html and "bids@acme.test" not in html


def test_signing_in_brings_the_supplier_back_to_the_invitation(
    client, pending, supplier_a, password
):
    _, token = pending
    link = reverse("rfx-invitation", args=[token])
    response = client.post(
        f"{reverse('login')}?next={link}",
        {"username": "charlie", "password": password, "next": link},
    )
    assert response.status_code == 302 and response.url == link
    page = client.get(link)
    assert page.status_code == 200
    assert "Predictive maintenance" in page.content.decode()
    assert "Terms of taking part" in page.content.decode()


def test_a_new_person_registers_from_the_invitation_and_joins_the_invited_supplier(
    client, pending, supplier_a_org
):
    invitation, token = pending
    link = reverse("rfx-invitation", args=[token])
    response = client.post(
        link,
        {
            "username": "grace",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "attacker@evil.test",
            "password1": "a-long-and-unusual-pass-2026",
            "password2": "a-long-and-unusual-pass-2026",
        },
    )
    assert response.status_code == 302 and response.url == link
    user = User.objects.get(username="grace")
    assert (user.email, user.first_name, user.last_name) == ("bids@acme.test", "Grace", "Hopper")
    assert user.memberships.get().organisation == supplier_a_org
    assert user.memberships.get().role == Membership.Role.SUPPLIER
    invitation.refresh_from_db()
    assert invitation.token_used_at is None  # the link still works for the answer
    page = client.get(link)
    assert "Predictive maintenance" in page.content.decode()


def test_registration_keeps_what_was_typed_when_the_passwords_differ(client, pending):
    _, token = pending
    response = client.post(
        reverse("rfx-invitation", args=[token]),
        {
            "username": "grace",
            "first_name": "Grace",
            "last_name": "Hopper",
            "password1": "a-long-and-unusual-pass-2026",
            "password2": "something-else-2026",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The two passwords are not the same." in html
    assert 'value="grace"' in html and 'value="Hopper"' in html
    assert not User.objects.filter(username="grace").exists()


def test_registration_refuses_a_taken_username(client, pending, supplier_b):
    _, token = pending
    response = client.post(
        reverse("rfx-invitation", args=[token]),
        {
            "username": "dana",
            "first_name": "D",
            "last_name": "B",
            "password1": "a-long-and-unusual-pass-2026",
            "password2": "a-long-and-unusual-pass-2026",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not supplier_b.memberships.filter(organisation__slug="acme-analytics").exists()


def test_the_register_service_refuses_a_used_link(pending, supplier_a):
    from core.exceptions import ApplicationError

    invitation, token = pending
    services.invitation_redeem(token=token, user=supplier_a)
    with pytest.raises(ApplicationError, match="not valid"):
        services.invitation_register(
            token=token,
            username="grace",
            password="a-long-and-unusual-pass-2026",
            first_name="G",
            last_name="H",
        )
    assert not User.objects.filter(username="grace").exists()


def test_accepting_needs_the_box_ticked_and_leaves_the_link_unused_until_then(
    client, pending, supplier_a
):
    invitation, token = pending
    client.force_login(supplier_a)
    link = reverse("rfx-invitation", args=[token])
    response = client.post(link, {"action": "accept"})
    assert response.status_code == 200
    assert "Tick the box to accept the terms" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING and invitation.token_used_at is None

    response = client.post(link, {"action": "accept", "accept_terms": "on"})
    assert response.status_code == 302
    assert response.url == url("rfx-supplier-detail", invitation.rfx)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.token_used_at is not None and invitation.responded_by == supplier_a


def test_declining_records_the_reason(client, pending, supplier_a):
    invitation, token = pending
    client.force_login(supplier_a)
    link = reverse("rfx-invitation", args=[token])
    response = client.post(link, {"action": "decline", "reason": ""})
    assert "Say briefly why you decline" in response.content.decode()
    response = client.post(link, {"action": "decline", "reason": "No capacity this quarter."})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert invitation.decline_reason == "No capacity this quarter."


def test_a_used_link_gives_the_clear_page(client, pending, supplier_a):
    invitation, token = pending
    client.force_login(supplier_a)
    link = reverse("rfx-invitation", args=[token])
    client.post(link, {"action": "accept", "accept_terms": "on"})
    client.logout()
    response = client.get(link)
    assert response.status_code == 404
    assert invitation.rfx.title not in response.content.decode()
    client.force_login(supplier_a)
    assert client.get(link).status_code == 404


def test_the_link_does_not_work_for_another_organisations_account(client, pending, supplier_b):
    invitation, token = pending
    client.force_login(supplier_b)
    response = client.get(reverse("rfx-invitation", args=[token]))
    assert response.status_code == 403
    assert invitation.rfx.title not in response.content.decode()
    response = client.post(
        reverse("rfx-invitation", args=[token]), {"action": "accept", "accept_terms": "on"}
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING and invitation.token_used_at is None


def test_the_link_stops_working_after_the_deadline(client, pending, supplier_a):
    invitation, token = pending
    client.force_login(supplier_a)
    with frozen(invitation.rfx.proposal_deadline + timedelta(seconds=1)):
        response = client.post(
            reverse("rfx-invitation", args=[token]), {"action": "accept", "accept_terms": "on"}
        )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_supplier_can_answer_the_invitation_from_the_rfx_page(client, pending, supplier_a):
    invitation, _ = pending
    client.force_login(supplier_a)
    page = client.get(url("rfx-supplier-detail", invitation.rfx))
    assert "You have not answered this invitation yet." in page.content.decode()
    response = client.post(
        url("rfx-invitation-respond", invitation.rfx), {"action": "accept", "accept_terms": "on"}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED


# --- the RFx page and clarifications ------------------------------------------------------------


def test_the_rfx_page_shows_sections_safely_and_the_deadline_in_words(
    client, published_rfx, supplier_a, buyer
):
    section = published_rfx.sections.order_by("order").first()
    services.section_update(
        section=section, user=buyer, body="<p><strong>Rail</strong> data</p><script>x()</script>"
    )
    client.force_login(supplier_a)
    html = client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    assert "<strong>Rail</strong>" in html and "<script>x()" not in html
    assert "Closes in 9 days, on " in html or "Closes in 10 days, on " in html


def test_a_clarification_is_asked_and_shown_to_the_asker_only(
    client, published_rfx, supplier_a, supplier_b, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("rfx-supplier-detail", published_rfx), {"question": "Is the data labelled?"}
        )
    assert response.status_code == 302
    clarification = Clarification.objects.get()
    assert (clarification.supplier.name, clarification.asked_by) == ("Acme Analytics", supplier_a)
    assert (
        "Is the data labelled?"
        in client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    )
    client.force_login(supplier_b)
    assert (
        "Is the data labelled?"
        not in client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    )


def test_an_empty_question_is_refused(client, published_rfx, supplier_a):
    client.force_login(supplier_a)
    response = client.post(url("rfx-supplier-detail", published_rfx), {"question": " "})
    assert response.status_code == 400
    assert "Write your question." in response.content.decode()
    assert not Clarification.objects.exists()


def test_a_published_answer_reaches_supplier_b_without_the_askers_identity(
    client, published_rfx, supplier_a, supplier_b, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        clarification = services.clarification_ask(
            rfx=published_rfx, user=supplier_a, question="Is the data labelled?"
        )
        services.clarification_answer(
            clarification=clarification, user=buyer, answer="Yes, by our engineers.", publish=True
        )
        private = services.clarification_ask(
            rfx=published_rfx, user=supplier_a, question="Can we see a sample?"
        )
        services.clarification_answer(clarification=private, user=buyer, answer="Only to you.")
    client.force_login(supplier_b)
    html = client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    assert "Is the data labelled?" in html and "Yes, by our engineers." in html
    assert "Acme" not in html and "charlie" not in html and supplier_a.get_full_name() not in html
    assert "Can we see a sample?" not in html and "Only to you." not in html
    client.force_login(supplier_a)
    html = client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    assert "Only to you." in html and "(to you only)" in html


def test_questions_close_at_the_clarification_deadline(client, published_rfx, supplier_a):
    client.force_login(supplier_a)
    with frozen(published_rfx.clarification_deadline + timedelta(seconds=1)):
        page = client.get(url("rfx-supplier-detail", published_rfx))
        response = client.post(url("rfx-supplier-detail", published_rfx), {"question": "Late?"})
    assert 'data-testid="clarifications-closed"' in page.content.decode()
    assert 'data-testid="ask"' not in page.content.decode()
    assert response.status_code == 400
    assert "The deadline for clarification questions passed" in response.content.decode()
    assert not Clarification.objects.exists()


def test_the_rfx_page_costs_the_same_queries_with_more_clarifications(
    client, published_rfx, supplier_a, buyer
):
    client.force_login(supplier_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("rfx-supplier-detail", published_rfx)).status_code == 200
        return len(queries)

    services.clarification_ask(rfx=published_rfx, user=supplier_a, question="One?")
    one = count()
    for number in range(5):
        services.clarification_ask(rfx=published_rfx, user=supplier_a, question=f"More {number}?")
    assert count() == one


# --- the proposal -------------------------------------------------------------------------------


def test_a_supplier_starts_edits_submits_and_resubmits_its_proposal(
    client, published_rfx, supplier_a, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    page = url("rfx-proposal", published_rfx)
    assert 'data-testid="start"' in client.get(page).content.decode()
    assert client.post(page, {"action": "start"}).status_code == 302
    proposal = Proposal.objects.get(rfx=published_rfx)
    html = client.get(page).content.decode()
    assert 'data-testid="missing-count"' in html
    assert reverse("assessment-detail", args=[proposal.maturity_assessment_id]) in html

    fields = {
        "licence_terms": "Perpetual licence.",
        "service_terms": "Support 9 to 5.",
        "price_amount": "1,2x",
        "price_currency": "GBP",
    }
    response = client.post(page, {**fields, "action": "save"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not an amount of money" in html
    assert "Perpetual licence." in html and 'value="1,2x"' in html
    proposal.refresh_from_db()
    assert proposal.licence_terms == "" and proposal.price_amount is None

    response = client.post(page, {**fields, "price_amount": "100000", "price_currency": "gbpx"})
    assert response.status_code == 400
    assert 'value="gbpx"' in response.content.decode()

    response = client.post(page, {**fields, "price_amount": "100000", "action": "submit"})
    assert response.status_code == 400
    assert "required question(s) are not answered" in response.content.decode()
    assert not ProposalVersion.objects.exists()
    proposal.refresh_from_db()
    assert proposal.price_amount == Decimal("100000")  # saved, not submitted

    with django_capture_on_commit_callbacks(execute=True):
        answer_everything(proposal.maturity_assessment, supplier_a)
        assert (
            client.post(page, {**fields, "price_amount": "100000", "action": "submit"}).status_code
            == 302
        )
        assert (
            client.post(
                page, {**fields, "price_amount": "95000.50", "action": "submit"}
            ).status_code
            == 302
        )
    proposal.refresh_from_db()
    versions = list(proposal.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert [v.snapshot["price_amount"] for v in versions] == ["100000.00", "95000.50"]
    html = client.get(page).content.decode()
    assert "Version 2:" in html and "Version 1:" in html and "95000.50 GBP" in html


def test_a_crafted_post_after_the_deadline_is_refused_and_nothing_is_stored(
    client, proposal_a, supplier_a
):
    rfx = proposal_a.rfx
    client.force_login(supplier_a)
    with frozen(rfx.proposal_deadline + timedelta(seconds=1)):
        page = client.get(url("rfx-proposal", rfx)).content.decode()
        response = client.post(
            url("rfx-proposal", rfx),
            {
                "action": "submit",
                "licence_terms": "Changed",
                "service_terms": "",
                "price_amount": "1",
                "price_currency": "GBP",
            },
        )
        reopen = client.post(url("rfx-proposal", rfx), {"action": "reopen"})
    assert 'data-testid="read-only"' in page and 'data-testid="proposal-form"' not in page
    assert response.status_code == 403 and reopen.status_code == 403
    assert "The proposal deadline has passed" in response.content.decode()
    proposal_a.refresh_from_db()
    assert proposal_a.licence_terms == "Perpetual licence to the models."
    assert proposal_a.price_amount == Decimal("120000")
    assert proposal_a.versions.count() == 1
    assert not proposal_a.maturity_assessment.is_draft


def test_an_addendum_asks_for_the_proposal_to_be_confirmed_again(
    client, proposal_a, supplier_a, buyer, django_capture_on_commit_callbacks
):
    rfx = proposal_a.rfx
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_update(rfx=rfx, user=buyer, summary="New title", title="Predictive upkeep")
    client.force_login(supplier_a)
    assert 'data-testid="reconfirm"' in client.get(url("rfx-supplier-detail", rfx)).content.decode()
    page = client.get(url("rfx-proposal", rfx)).content.decode()
    assert 'data-testid="reconfirm"' in page and "Save and submit again" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("rfx-proposal", rfx),
            {
                "action": "submit",
                "licence_terms": proposal_a.licence_terms,
                "service_terms": proposal_a.service_terms,
                "price_amount": "120000",
                "price_currency": "GBP",
            },
        )
    proposal_a.refresh_from_db()
    assert not proposal_a.needs_reconfirmation and proposal_a.versions.count() == 2


def test_supplier_b_never_sees_supplier_as_proposal(client, proposal_a, supplier_b):
    client.force_login(supplier_b)
    html = client.get(url("rfx-proposal", proposal_a.rfx)).content.decode()
    assert "Perpetual licence to the models." not in html and "120000" not in html
    assert 'data-testid="start"' in html


def test_a_supplier_that_has_not_accepted_cannot_start(client, pending, supplier_a):
    invitation, _ = pending
    client.force_login(supplier_a)
    response = client.post(url("rfx-proposal", invitation.rfx), {"action": "start"})
    assert response.status_code == 400
    assert not Proposal.objects.exists()


# --- feedback -----------------------------------------------------------------------------------


def test_the_unsuccessful_supplier_reads_its_own_feedback_and_nothing_about_others(
    client, awarded_rfx, supplier_b
):
    client.force_login(supplier_b)
    response = client.get(url("rfx-feedback", awarded_rfx))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="not-chosen"' in html and 'data-testid="breakdown"' in html
    assert "90000.00 GBP" in html
    for other in ("Acme", "charlie", "120000", "120,000", "best value"):
        assert other not in html


def test_the_winner_sees_the_award_notice(client, awarded_rfx, supplier_a):
    client.force_login(supplier_a)
    html = client.get(url("rfx-feedback", awarded_rfx)).content.decode()
    assert 'data-testid="won"' in html and "Blue Heron" not in html and "90000" not in html


def test_before_the_award_the_feedback_page_says_so(client, published_rfx, supplier_a):
    client.force_login(supplier_a)
    html = client.get(url("rfx-feedback", published_rfx)).content.decode()
    assert 'data-testid="no-decision"' in html


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_invited_suppliers_see_the_supplier_pages(
    client, published_rfx, supplier_a, supplier_b, name
):
    for user in (supplier_a, supplier_b):
        client.force_login(user)
        assert client.get(url(name, published_rfx)).status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "rfx-invitation-respond"])
@pytest.mark.parametrize("role", ["buyer", "assigned_reviewer", "unassigned_reviewer", "outsider"])
def test_people_who_are_not_invited_suppliers_get_a_404(client, published_rfx, request, name, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url(name, published_rfx)).status_code in (404, 405)
    response = client.post(
        url(name, published_rfx), {"action": "start", "question": "Hello?", "accept_terms": "on"}
    )
    assert response.status_code in (404, 405)
    assert not Clarification.objects.exists() and not Proposal.objects.exists()


@pytest.mark.parametrize("name", [*PAGES, "rfx-invitation-respond"])
def test_a_supplier_not_invited_gets_a_404(client, rfx_for_a_only, supplier_a, supplier_b, name):
    client.force_login(supplier_b)
    assert client.get(url(name, rfx_for_a_only)).status_code in (404, 405)
    assert client.post(
        url(name, rfx_for_a_only), {"action": "start", "question": "Hi?"}
    ).status_code in (404, 405)
    assert not Proposal.objects.exists() and not Clarification.objects.exists()
    client.force_login(supplier_a)
    if name != "rfx-invitation-respond":
        assert client.get(url(name, rfx_for_a_only)).status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "rfx-invitation-respond"])
def test_anonymous_visitors_are_sent_to_sign_in(client, published_rfx, name):
    response = client.get(url(name, published_rfx))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_draft_rfx_is_invisible_to_invited_suppliers(
    client, draft_rfx, buyer, supplier_a, supplier_a_org
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="a@acme.test", user=buyer
    )
    client.force_login(supplier_a)
    for name in PAGES:
        assert client.get(url(name, draft_rfx)).status_code == 404


def test_timeline_fixture_deadline_is_in_the_future(published_rfx):
    # Guards the "closes in N days" assertion above against a changed fixture.
    assert published_rfx.proposal_deadline - timezone.now() > 9 * DAY
