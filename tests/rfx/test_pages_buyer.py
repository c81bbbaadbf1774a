"""The procurement manager's RFx pages through the Django test client: the whole flow, the
permission matrix over every page and action, the sealed submission table and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Membership
from rfx import services
from rfx.models import Addendum, Clarification, Invitation, RFx, Section
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.frameworks import to_yaml, vendor_data
from tests.rfx.conftest import DAY, frozen, submit_proposal

LOCAL = "%Y-%m-%dT%H:%M"


def local(moment) -> str:
    return timezone.localtime(moment).strftime(LOCAL)


@pytest.fixture
def reviewer_unassigned(buyer_org):
    """A reviewer of the buyer who is not on this RFx's evaluation team."""
    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def rfx(draft_rfx, buyer, supplier_a, supplier_a_org, reviewer, django_capture_on_commit_callbacks):
    """Published; only supplier A invited (and accepted); bob on the evaluation team."""
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    services.invitation_accept(
        invitation=Invitation.objects.get(rfx=draft_rfx, supplier=supplier_a_org),
        user=supplier_a,
        accept_terms=True,
    )
    services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    draft_rfx.refresh_from_db()
    return draft_rfx


@pytest.fixture
def question(rfx, supplier_a, django_capture_on_commit_callbacks) -> Clarification:
    with django_capture_on_commit_callbacks(execute=True):
        return services.clarification_ask(
            rfx=rfx, user=supplier_a, question="May we host the models in our own cloud?"
        )


@pytest.fixture
def people(buyer, reviewer, reviewer_unassigned, supplier_a, supplier_b, outsider):
    return {
        "manager": buyer,
        "reviewer_assigned": reviewer,
        "reviewer_unassigned": reviewer_unassigned,
        "supplier_a": supplier_a,
        "supplier_b": supplier_b,
        "outsider": outsider,
        "anonymous": None,
    }


def supplier_page(pk: int) -> str:
    """The supplier's own page of an RFx, written by another team; its fallback path until then."""
    try:
        return reverse("rfx-supplier-detail", args=[pk])
    except NoReverseMatch:
        return f"/rfx/{pk}/supplier/"


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def settings_data(rfx: RFx, **overrides) -> dict:
    data = {
        "title": rfx.title,
        "framework": rfx.framework_id or "",
        "weight_maturity": rfx.weight_maturity,
        "weight_extra": rfx.weight_extra,
        "weight_terms": rfx.weight_terms,
        "weight_cost": rfx.weight_cost,
        **{
            name: local(getattr(rfx, name)) if getattr(rfx, name) else ""
            for name in services.TIMELINE_FIELDS
        },
    }
    for flag in ("has_competition", "disqualify_on_critical_red_flags", "blind_grading"):
        if getattr(rfx, flag):
            data[flag] = "on"
    data.update(overrides)
    return data


# --- the whole flow -----------------------------------------------------------------------------


def test_a_manager_creates_edits_publishes_invites_answers_and_issues_an_addendum(
    client, buyer, framework, supplier_a, supplier_a_org, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    response = client.get(reverse("rfx-create"))
    assert response.status_code == 200
    response = client.post(
        reverse("rfx-create"),
        {"kind": "rfp", "title": "Track inspection", "framework": framework.pk},
    )
    rfx = RFx.objects.get(title="Track inspection")
    assert response.status_code == 302
    assert response["Location"] == reverse("rfx-edit", args=[rfx.pk])
    assert rfx.sections.count() > 10
    assert (rfx.status, rfx.framework, rfx.created_by) == ("draft", framework, buyer)

    # A validation error keeps everything typed, with the message next to its field.
    now = timezone.now().replace(second=0, microsecond=0)
    typed = settings_data(
        rfx,
        title="Track inspection (rail)",
        weight_maturity="55",
        weight_cost="-5",
        clarification_deadline=local(now + 5 * DAY),
        proposal_deadline=local(now + 3 * DAY),
    )
    response = client.post(reverse("rfx-edit", args=[rfx.pk]), typed)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["weight_cost"] == ["A weight cannot be negative."]
    content = response.content.decode()
    assert 'value="Track inspection (rail)"' in content
    assert 'value="55"' in content
    assert f'value="{local(now + 3 * DAY)}"' in content
    typed["weight_cost"] = "30"
    response = client.post(reverse("rfx-edit", args=[rfx.pk]), typed)
    assert response.status_code == 400
    assert "cannot be before the deadline for clarification questions" in " ".join(
        response.context["form"].errors["proposal_deadline"]
    )
    assert 'value="Track inspection (rail)"' in response.content.decode()
    rfx.refresh_from_db()
    assert (rfx.title, rfx.weight_maturity, rfx.proposal_deadline) == ("Track inspection", 40, None)

    typed["proposal_deadline"] = local(now + 10 * DAY)
    response = client.post(reverse("rfx-edit", args=[rfx.pk]), typed)
    assert response.status_code == 302
    rfx.refresh_from_db()
    assert (rfx.title, rfx.weight_maturity, rfx.weight_cost) == ("Track inspection (rail)", 55, 30)
    assert rfx.proposal_deadline == now + 10 * DAY

    # A section saved through htmx is sanitised.
    section = rfx.sections.get(key="datasets")
    response = client.post(
        reverse("rfx-section-save", args=[rfx.pk, section.pk]),
        {"body": "<p>Sensor data</p><script>alert(1)</script>"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b'data-testid="section-saved"' in response.content
    section.refresh_from_db()
    assert section.body == "<p>Sensor data</p>"

    response = client.post(
        reverse("rfx-invitations", args=[rfx.pk]),
        {"supplier": supplier_a_org.pk, "email": "bids@acme.test"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(rfx=rfx)
    assert (invitation.supplier, invitation.email, invitation.token_hash) == (
        supplier_a_org,
        "bids@acme.test",
        "",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rfx-publish", args=[rfx.pk]))
    assert response.status_code == 302
    rfx.refresh_from_db()
    invitation.refresh_from_db()
    assert rfx.status == "published"
    assert invitation.token_hash != ""

    services.invitation_accept(invitation=invitation, user=supplier_a, accept_terms=True)
    with django_capture_on_commit_callbacks(execute=True):
        question = services.clarification_ask(rfx=rfx, user=supplier_a, question="Own cloud?")
    response = client.get(reverse("rfx-clarifications", args=[rfx.pk]))
    assert b"Acme Analytics" in response.content
    assert (supplier_a.get_full_name() or supplier_a.username).encode() in response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rfx-clarification-answer", args=[rfx.pk, question.pk]),
            {"answer": "Yes, inside the UK.", "publish": "on"},
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.visibility) == ("Yes, inside the UK.", "published")

    # After publishing, a change needs a summary and becomes an addendum.
    response = client.get(reverse("rfx-edit", args=[rfx.pk]))
    assert b'data-testid="addendum-note"' in response.content
    later = settings_data(rfx, weight_terms="15")
    response = client.post(reverse("rfx-edit", args=[rfx.pk]), later)
    assert response.status_code == 400
    assert response.context["form"].errors["summary"]
    assert not Addendum.objects.filter(rfx=rfx).exists()
    later["summary"] = "Terms now weigh 15."
    response = client.post(reverse("rfx-edit", args=[rfx.pk]), later, follow=True)
    assert response.status_code == 200
    addendum = Addendum.objects.get(rfx=rfx)
    assert (addendum.number, addendum.summary) == (1, "Terms now weigh 15.")
    rfx.refresh_from_db()
    assert rfx.weight_terms == 15
    response = client.get(reverse("rfx-detail", args=[rfx.pk]))
    assert b"Terms now weigh 15." in response.content


def test_an_addendum_close_to_the_deadline_says_the_deadline_moved(client, buyer, rfx):
    client.force_login(buyer)
    section = rfx.sections.get(key="datasets")
    with frozen(rfx.proposal_deadline - timedelta(days=1)):
        response = client.post(
            reverse("rfx-section-save", args=[rfx.pk, section.pk]),
            {"body": "<p>More data.</p>", "summary": "More data is available."},
            follow=True,
        )
    assert response.status_code == 200
    addendum = Addendum.objects.get(rfx=rfx)
    assert addendum.deadline_after > addendum.deadline_before
    assert b"the proposal deadline moved to" in response.content
    response = client.get(reverse("rfx-detail", args=[rfx.pk]))
    assert b"The proposal deadline moved from" in response.content


def test_a_section_change_after_publishing_needs_a_summary_and_keeps_the_text(client, buyer, rfx):
    client.force_login(buyer)
    section = rfx.sections.get(key="datasets")
    before = section.body
    response = client.post(
        reverse("rfx-section-save", args=[rfx.pk, section.pk]), {"body": "<p>New text</p>"}
    )
    assert response.status_code == 400
    assert "&lt;p&gt;New text&lt;/p&gt;" in response.content.decode()
    section.refresh_from_db()
    assert section.body == before
    assert not Addendum.objects.filter(rfx=rfx).exists()


def test_the_edit_page_shows_the_guidance_and_the_template_example(client, buyer, draft_rfx):
    client.force_login(buyer)
    response = client.get(reverse("rfx-edit", args=[draft_rfx.pk]))
    content = response.content.decode()
    section = draft_rfx.sections.get(key="datasets")
    assert section.guidance in content
    assert "The template&#x27;s example" in content or "The template's example" in content


def test_an_extra_questionnaire_upload_attaches_it_or_lists_the_loaders_errors(
    client, buyer, draft_rfx, principles_loaded
):
    client.force_login(buyer)
    url = reverse("rfx-extra-questionnaire", args=[draft_rfx.pk])
    broken = SimpleUploadedFile("extra.yaml", b"slug: x\nkind: questionnaire\n")
    response = client.post(url, {"file": broken})
    assert response.status_code == 400
    assert b'data-testid="upload-errors"' in response.content
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework is None

    data = vendor_data()
    data.update(slug="northwind-extra", name="Northwind extra questions", kind="questionnaire")
    upload = SimpleUploadedFile("extra.yaml", to_yaml(data).encode())
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework.name == "Northwind extra questions"


def test_a_publish_with_missing_settings_lists_what_to_fix(client, buyer, buyer_org):
    rfx = services.rfx_create(buyer=buyer_org, user=buyer, title="Bare")
    client.force_login(buyer)
    response = client.post(reverse("rfx-publish", args=[rfx.pk]), follow=True)
    assert b"Set the proposal deadline before publishing." in response.content
    rfx.refresh_from_db()
    assert rfx.status == "draft"


def test_cancelling_needs_a_reason_and_records_it(client, buyer, rfx):
    client.force_login(buyer)
    response = client.post(reverse("rfx-cancel", args=[rfx.pk]), {"reason": " "})
    assert response.status_code == 400
    rfx.refresh_from_db()
    assert rfx.status == "published"
    response = client.post(reverse("rfx-cancel", args=[rfx.pk]), {"reason": "Budget withdrawn."})
    assert response.status_code == 302
    rfx.refresh_from_db()
    assert (rfx.status, rfx.cancel_reason) == ("cancelled", "Budget withdrawn.")


def test_invitations_show_declines_with_the_reason_and_can_be_resent(
    client, buyer, rfx, supplier_b, supplier_b_org
):
    client.force_login(buyer)
    response = client.post(
        reverse("rfx-invitations", args=[rfx.pk]),
        {"supplier": supplier_b_org.pk, "email": "not-an-address"},
    )
    assert response.status_code == 400
    assert b'value="not-an-address"' in response.content
    response = client.post(
        reverse("rfx-invitations", args=[rfx.pk]),
        {"supplier": supplier_b_org.pk, "email": "bids@heron.test"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(rfx=rfx, supplier=supplier_b_org)
    first_hash = invitation.token_hash
    assert first_hash
    response = client.post(reverse("rfx-invitation-resend", args=[rfx.pk, invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.token_hash not in ("", first_hash)
    services.invitation_decline(invitation=invitation, user=supplier_b, reason="Too busy.")
    response = client.get(reverse("rfx-invitations", args=[rfx.pk]))
    assert b"Reason: Too busy." in response.content


def test_resending_an_invitation_after_the_deadline_sends_nothing_and_says_why(
    client, buyer, rfx, supplier_a_org, mailoutbox
):
    client.force_login(buyer)
    invitation = Invitation.objects.get(rfx=rfx, supplier=supplier_a_org)
    token_hash, sent = invitation.token_hash, len(mailoutbox)
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        response = client.post(
            reverse("rfx-invitation-resend", args=[rfx.pk, invitation.pk]), follow=True
        )
    assert response.status_code == 200
    assert b"so the invitation was not sent again." in response.content
    invitation.refresh_from_db()
    assert invitation.token_hash == token_hash
    assert len(mailoutbox) == sent


def test_a_clarification_answered_privately_stays_private(client, buyer, rfx, question):
    client.force_login(buyer)
    response = client.post(
        reverse("rfx-clarification-answer", args=[rfx.pk, question.pk]), {"answer": ""}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("rfx-clarification-answer", args=[rfx.pk, question.pk]), {"answer": "Yes."}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.visibility) == ("Yes.", "private")


# --- sealed -------------------------------------------------------------------------------------


def test_the_sealed_table_shows_who_and_when_but_no_proposal_content(
    client, buyer, reviewer, rfx, supplier_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = submit_proposal(rfx, supplier_a, "123456")
    for user in (buyer, reviewer):
        client.force_login(user)
        response = client.get(reverse("rfx-detail", args=[rfx.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        table = content.split('data-testid="submissions"')[1].split("</table>")[0]
        assert "Acme Analytics" in table
        assert "Perpetual licence" not in content
        assert "Support in working hours" not in content
        assert "123456" not in content and "123,456" not in content
        assert "GBP" not in content
        assert proposal.submitted_at is not None


# --- the permission matrix ----------------------------------------------------------------------

PAGES = ["rfx-detail", "rfx-edit", "rfx-invitations", "rfx-clarifications"]
# role → expected status for each page, in PAGES order
PAGE_MATRIX = {
    "manager": [200, 200, 200, 200],
    "reviewer_assigned": [200, 403, 403, 403],
    "reviewer_unassigned": [404, 404, 404, 404],  # on no team: the RFx is not theirs to see
    "supplier_a": ["supplier", 403, 403, 403],
    "supplier_b": [404, 404, 404, 404],
    "outsider": [404, 404, 404, 404],
    "anonymous": ["login", "login", "login", "login"],
}


@pytest.mark.parametrize("role", list(PAGE_MATRIX))
def test_who_may_open_the_buyer_pages(client, people, rfx, role):
    client = client_for(client, people[role])
    for name, expected in zip(PAGES, PAGE_MATRIX[role], strict=True):
        url = reverse(name, args=[rfx.pk])
        response = client.get(url)
        if expected == "login":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("login")), name
        elif expected == "supplier":
            assert response.status_code == 302, name
            assert response["Location"] == supplier_page(rfx.pk)
        else:
            assert response.status_code == expected, (name, role)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("reviewer_assigned", 403),
        ("reviewer_unassigned", 404),
        ("supplier_a", 403),
        ("supplier_b", 404),
        ("outsider", 404),
        ("anonymous", "login"),
    ],
)
def test_only_the_manager_may_act(client, people, rfx, question, supplier_b_org, role, expected):
    client = client_for(client, people[role])
    section = rfx.sections.get(key="datasets")
    invitation = rfx.invitations.get()
    before = (rfx.status, rfx.title, section.body, invitation.token_hash)
    actions = [
        ("rfx-publish", [rfx.pk], {}),
        ("rfx-cancel", [rfx.pk], {"reason": "No."}),
        ("rfx-edit", [rfx.pk], settings_data(rfx, title="Hijacked", summary="x")),
        ("rfx-section-save", [rfx.pk, section.pk], {"body": "<p>x</p>", "summary": "x"}),
        ("rfx-extra-questionnaire", [rfx.pk], {"file": SimpleUploadedFile("x.yaml", b"a: 1")}),
        ("rfx-invitations", [rfx.pk], {"supplier": supplier_b_org.pk, "email": "b@heron.test"}),
        ("rfx-invitation-resend", [rfx.pk, invitation.pk], {}),
        ("rfx-clarification-answer", [rfx.pk, question.pk], {"answer": "Leak", "publish": "on"}),
    ]
    for name, args, data in actions:
        response = client.post(reverse(name, args=args), data)
        if expected == "login":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("login")), name
        else:
            assert response.status_code == expected, (name, role)
    rfx.refresh_from_db()
    section.refresh_from_db()
    invitation.refresh_from_db()
    question.refresh_from_db()
    assert (rfx.status, rfx.title, section.body, invitation.token_hash) == before
    assert rfx.invitations.count() == 1
    assert not Addendum.objects.filter(rfx=rfx).exists()
    assert question.answer == ""


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", 200),
        ("reviewer_assigned", 403),
        ("supplier_a", 403),
        ("outsider", 403),
        ("anonymous", "login"),
    ],
)
def test_only_procurement_managers_may_create_an_rfx(client, people, framework, role, expected):
    client = client_for(client, people[role])
    response = client.get(reverse("rfx-create"))
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected
    response = client.post(reverse("rfx-create"), {"kind": "rfp", "title": "Sneaky"})
    assert RFx.objects.filter(title="Sneaky").exists() == (role == "manager")


def test_a_manager_of_another_buyer_cannot_see_or_touch_the_rfx(client, rfx):
    other = OrganisationFactory(name="Southern Trams", slug="southern-trams", kind="buyer")
    manager = MembershipFactory(
        user=UserFactory(username="grace"), organisation=other, role="procurement_manager"
    ).user
    client.force_login(manager)
    assert client.get(reverse("rfx-detail", args=[rfx.pk])).status_code == 404
    assert client.post(reverse("rfx-publish", args=[rfx.pk])).status_code == 404
    assert rfx.title.encode() not in client.get(reverse("rfx-list")).content


def test_the_list_shows_each_person_what_they_may_see(
    client, buyer, reviewer, supplier_a, supplier_b, outsider, rfx, draft_rfx
):
    client.force_login(buyer)
    response = client.get(reverse("rfx-list"))
    assert response.status_code == 200
    assert [row.pk for row in response.context["buyer_rows"]] == [rfx.pk]
    assert response.context["buyer_rows"][0].invited_count == 1
    assert b'data-testid="new-rfx"' in response.content

    client.force_login(reviewer)
    response = client.get(reverse("rfx-list"))
    assert [row.pk for row in response.context["buyer_rows"]] == [rfx.pk]
    assert b'data-testid="new-rfx"' not in response.content

    client.force_login(supplier_a)
    response = client.get(reverse("rfx-list"))
    rows = response.context["supplier_rows"]
    assert [row.pk for row in rows] == [rfx.pk]
    assert rows[0].own_invitation_label == "Accepted"
    assert f'href="{supplier_page(rfx.pk)}"'.encode() in response.content
    assert b"Not started" in response.content

    for user in (supplier_b, outsider):
        client.force_login(user)
        response = client.get(reverse("rfx-list"))
        assert response.status_code == 200
        assert rfx.title.encode() not in response.content

    client.logout()
    response = client.get(reverse("rfx-list"))
    assert response.status_code == 302


def test_reviewers_see_the_overview_without_actions(client, reviewer, rfx):
    client.force_login(reviewer)
    response = client.get(reverse("rfx-detail", args=[rfx.pk]))
    assert response.status_code == 200
    assert b'data-testid="actions"' not in response.content
    assert b'data-testid="read-only"' in response.content


def test_the_nav_links_to_the_rfx_list_for_signed_in_people(client, buyer):
    assert reverse("rfx-list").encode() not in client.get(reverse("home")).content
    client.force_login(buyer)
    assert f'href="{reverse("rfx-list")}"'.encode() in client.get(reverse("home")).content


# --- query counts -------------------------------------------------------------------------------


def _more_rfx(buyer, buyer_org, framework, supplier_a_org, count: int) -> None:
    for index in range(count):
        rfx = services.rfx_create(
            buyer=buyer_org, user=buyer, title=f"Extra {index}", framework=framework
        )
        services.invitation_create(
            rfx=rfx, supplier=supplier_a_org, email="b@acme.test", user=buyer
        )


LIST_QUERIES = 6
DETAIL_QUERIES = 10


@pytest.mark.parametrize("extra", [0, 4])
def test_the_list_costs_the_same_queries_for_any_number_of_rfx(
    client, buyer, buyer_org, framework, supplier_a_org, rfx, extra, django_assert_num_queries
):
    _more_rfx(buyer, buyer_org, framework, supplier_a_org, extra)
    client.force_login(buyer)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("rfx-list"))
    assert len(response.context["buyer_rows"]) == 1 + extra


@pytest.mark.parametrize("suppliers", [0, 3])
def test_the_overview_costs_the_same_queries_for_any_number_of_suppliers(
    client, buyer, rfx, suppliers, question, django_assert_num_queries
):
    for index in range(suppliers):
        org = OrganisationFactory(name=f"Supplier {index}", slug=f"s-{index}", kind="supplier")
        services.invitation_create(rfx=rfx, supplier=org, email=f"s{index}@x.test", user=buyer)
    client.force_login(buyer)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("rfx-detail", args=[rfx.pk]))
    assert len(response.context["invitations"]) == 1 + suppliers
    assert response.context["clarifications"] == {"total": 1, "unanswered": 1}


def test_sections_not_of_this_rfx_are_not_found(client, buyer, rfx, buyer_org):
    other = services.rfx_create(buyer=buyer_org, user=buyer, title="Other")
    section = Section.objects.filter(rfx=other).first()
    client.force_login(buyer)
    response = client.post(
        reverse("rfx-section-save", args=[rfx.pk, section.pk]), {"body": "x", "summary": "x"}
    )
    assert response.status_code == 404
