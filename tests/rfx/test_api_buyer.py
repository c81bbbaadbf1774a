"""The buyer's extra questionnaire, invitation resending and the award decision through the API.

Who may call each endpoint is in tests/rfx/test_api_access.py.
"""

# The role and state fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from principles.models import Framework
from rfx import services
from rfx.models import Award, Invitation, RFx
from tests.frameworks import to_yaml, vendor_data
from tests.rfx.conftest import frozen
from tests.rfx.test_api import (  # noqa: F401  (fixtures)
    API,
    _expected_detail,
    bob,
    client_for,
    evaluated_state,
    frank,
    locked_state,
    tasks_in_process,
    ts,
)

pytestmark = pytest.mark.django_db


def questionnaire(**changes) -> bytes:
    data = vendor_data()
    data.update(slug="northwind-extra", name="Northwind extra questions", kind="questionnaire")
    data.update(changes)
    return to_yaml(data).encode()


def upload(rfx: RFx, user, content: bytes, name: str = "extra.yaml", **extra):
    return client_for(user).post(
        f"{API}{rfx.pk}/extra-questionnaire/",
        {"file": SimpleUploadedFile(name, content), **extra},
        format="multipart",
    )


# --- the extra questionnaire --------------------------------------------------------------------


def test_the_buyer_uploads_its_own_questionnaire_to_a_draft(
    draft_rfx, buyer, buyer_org, principles_loaded
):
    response = upload(draft_rfx, buyer, questionnaire())
    assert response.status_code == 200
    draft_rfx.refresh_from_db()
    framework = draft_rfx.extra_framework
    assert (framework.slug, framework.kind, framework.owner) == (
        "northwind-extra",
        "questionnaire",
        buyer_org,
    )
    assert response.json() == {
        **_expected_detail(draft_rfx),
        "extra_framework": {
            "slug": "northwind-extra",
            "version": framework.version,
            "name": "Northwind extra questions",
        },
    }


def test_a_second_upload_replaces_the_first(draft_rfx, buyer, principles_loaded):
    assert upload(draft_rfx, buyer, questionnaire()).status_code == 200
    response = upload(draft_rfx, buyer, questionnaire(slug="northwind-extra-2", name="Second"))
    assert response.status_code == 200
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework.slug == "northwind-extra-2"
    assert response.json()["extra_framework"]["name"] == "Second"


def test_the_loaders_problems_come_back_one_by_one_and_nothing_is_stored(
    draft_rfx, buyer, principles_loaded
):
    before = Framework.objects.count()
    response = upload(draft_rfx, buyer, b"slug: x\nkind: questionnaire\n", name="ours.yml")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "ours.yml: the questionnaire was not loaded; fix each problem listed.",
        "problems": [
            "'name' is required",
            "'version' is required",
            "'criteria' must be a non-empty list",
        ],
    }
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework is None
    assert Framework.objects.count() == before


def test_a_maturity_framework_is_refused_as_extra_questions(draft_rfx, buyer, principles_loaded):
    before = Framework.objects.count()
    response = upload(draft_rfx, buyer, questionnaire(kind="maturity"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "extra.yaml: give kind: questionnaire for extra questions."
    }
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework is None
    assert Framework.objects.count() == before


@pytest.mark.parametrize(
    ("name", "content", "errors"),
    [
        ("extra.txt", b"slug: x\n", {"file": ["Upload a YAML file (.yaml or .yml)."]}),
        ("extra.yaml", b"slug: \xff\xfe\n", {"file": ["The file is not UTF-8 text."]}),
        ("extra.yaml", b"#" * (1024 * 1024 + 1), {"file": ["The file is larger than 1 MB."]}),
        ("extra.yaml", b"", {"file": ["The submitted file is empty."]}),
    ],
)
def test_a_bad_upload_is_a_400_naming_the_file(draft_rfx, buyer, name, content, errors):
    response = upload(draft_rfx, buyer, content, name=name)
    assert response.status_code == 400
    assert response.json() == errors
    draft_rfx.refresh_from_db()
    assert draft_rfx.extra_framework is None


def test_no_file_or_json_is_refused_with_a_message(draft_rfx, buyer):
    client = client_for(buyer)
    url = f"{API}{draft_rfx.pk}/extra-questionnaire/"
    response = client.post(url, {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
    response = client.post(url, {"file": "slug: x"}, format="json")
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "application/json" in request.'}


def test_the_extra_questions_are_settled_at_publishing(published_rfx, buyer, principles_loaded):
    response = upload(published_rfx, buyer, questionnaire())
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The extra questions can only change while the RFx is a draft."
    }
    published_rfx.refresh_from_db()
    assert published_rfx.extra_framework is None
    assert not Framework.objects.filter(slug="northwind-extra").exists()


# --- resending an invitation --------------------------------------------------------------------


def test_resending_an_invitation_sends_a_new_link_and_the_old_one_stops_working(
    published_rfx, buyer, supplier_a_org, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = Invitation.objects.get(rfx=published_rfx, supplier=supplier_a_org)
    old_hash, sent = invitation.token_hash, len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post(
            f"{API}{published_rfx.pk}/invitations/{invitation.pk}/resend/"
        )
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.token_hash not in ("", old_hash)
    assert response.json() == {
        "id": invitation.pk,
        "rfx": published_rfx.pk,
        "supplier": {"slug": "acme-analytics", "name": "Acme Analytics"},
        "email": "bids@acme.test",
        "status": "accepted",
        "decline_reason": "",
        "token_sent_at": ts(invitation.token_sent_at),
        "terms_accepted_at": ts(invitation.terms_accepted_at),
        "responded_at": ts(invitation.responded_at),
        "created_at": ts(invitation.created_at),
    }
    assert len(mailoutbox) == sent + 1
    assert mailoutbox[-1].to == ["bids@acme.test"]


def test_a_draft_sends_no_invitation_yet(draft_rfx, buyer, supplier_a_org):
    invitation = services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    response = client_for(buyer).post(f"{API}{draft_rfx.pk}/invitations/{invitation.pk}/resend/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invitations are sent when the RFx is published."}
    invitation.refresh_from_db()
    assert invitation.token_hash == ""


def test_an_invitation_is_not_sent_again_after_the_deadline(
    published_rfx, buyer, supplier_a_org, mailoutbox
):
    invitation = Invitation.objects.get(rfx=published_rfx, supplier=supplier_a_org)
    token_hash, sent = invitation.token_hash, len(mailoutbox)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        response = client_for(buyer).post(
            f"{API}{published_rfx.pk}/invitations/{invitation.pk}/resend/"
        )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The proposal deadline passed on ")
    assert response.json()["detail"].endswith(", so the invitation was not sent again.")
    invitation.refresh_from_db()
    assert invitation.token_hash == token_hash
    assert len(mailoutbox) == sent


def test_an_invitation_of_another_rfx_is_404(published_rfx, buyer, supplier_a_org):
    other = services.rfx_create(buyer=published_rfx.buyer, user=buyer, title="Other")
    invitation = Invitation.objects.get(rfx=published_rfx, supplier=supplier_a_org)
    response = client_for(buyer).post(f"{API}{other.pk}/invitations/{invitation.pk}/resend/")
    assert response.status_code == 404
    assert response.json() == {"detail": "This RFx has no such invitation."}


# --- the award decision -------------------------------------------------------------------------


def test_the_manager_reads_the_award_decision(
    evaluated_state, proposal_b, buyer, django_capture_on_commit_callbacks
):
    rfx = evaluated_state["rfx"]
    client = client_for(buyer)
    response = client.get(f"{API}{rfx.pk}/award/")
    assert response.status_code == 404
    assert response.json() == {"detail": "This RFx has not been awarded."}
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_award(
            rfx=rfx, proposal=proposal_b, justification="Best value for money.", user=buyer
        )
    award = Award.objects.get(rfx=rfx)
    response = client.get(f"{API}{rfx.pk}/award/")
    assert response.status_code == 200
    assert response.json() == {
        "rfx": rfx.pk,
        "proposal": proposal_b.pk,
        "supplier": "Blue Heron AI",
        "justification": "Best value for money.",
        "awarded_at": ts(award.created_at),
    }
