"""Database constraints and the section templates of the RFx app."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from rfx import catalogue
from rfx.models import Award, Invitation, Proposal, RFx
from rfx.sanitise import sanitise_html
from tests.rfx.conftest import DAY


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("clarification_deadline", "proposal_deadline"),
        ("proposal_deadline", "shortlist_date"),
        ("shortlist_date", "contract_drafting_date"),
    ],
)
def test_the_database_keeps_the_timeline_in_order(draft_rfx, earlier, later):
    moment = getattr(draft_rfx, later)
    with pytest.raises(IntegrityError), transaction.atomic():
        RFx.objects.filter(pk=draft_rfx.pk).update(**{earlier: moment + DAY})
    RFx.objects.filter(pk=draft_rfx.pk).update(**{earlier: moment})  # equal is allowed


def test_the_database_refuses_a_negative_weight(draft_rfx):
    with pytest.raises(IntegrityError), transaction.atomic():
        RFx.objects.filter(pk=draft_rfx.pk).update(weight_terms=-0.5)


def test_a_published_rfx_has_a_deadline_and_a_cancelled_one_a_reason(draft_rfx):
    with pytest.raises(IntegrityError), transaction.atomic():
        RFx.objects.filter(pk=draft_rfx.pk).update(
            status="published", proposal_deadline=None, shortlist_date=None
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RFx.objects.filter(pk=draft_rfx.pk).update(status="cancelled", cancel_reason="")


def test_one_invitation_and_one_proposal_per_supplier(draft_rfx, supplier_a_org):
    Invitation.objects.create(rfx=draft_rfx, supplier=supplier_a_org, email="a@acme.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(rfx=draft_rfx, supplier=supplier_a_org, email="b@acme.test")
    Proposal.objects.create(rfx=draft_rfx, supplier=supplier_a_org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(rfx=draft_rfx, supplier=supplier_a_org)


def test_declining_needs_a_reason_and_accepting_records_the_terms(draft_rfx, supplier_a_org):
    invitation = Invitation.objects.create(
        rfx=draft_rfx, supplier=supplier_a_org, email="a@acme.test"
    )
    for fields in ({"status": "declined", "decline_reason": ""}, {"status": "accepted"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invitation.objects.filter(pk=invitation.pk).update(**fields)


def test_a_price_is_positive_and_an_award_is_justified(draft_rfx, supplier_a_org):
    proposal = Proposal.objects.create(rfx=draft_rfx, supplier=supplier_a_org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(price_amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(rfx=draft_rfx, proposal=proposal, justification="")


def test_the_rfp_template_follows_design_section_6():
    titles = [section["title"] for section in catalogue.template("rfp")["sections"]]
    assert titles == [
        "Company overview and values",
        "Responsibility commitment (principles)",
        "Process and challenge overview",
        "Datasets",
        "Stakeholders",
        "Workstreams",
        "Current and target metrics",
        "Assessment criteria and weights",
        "Evaluation team",
        "Short-list negotiations",
        "Timeline",
        "Competition",
        "Locations",
        "Implementation (data sources, infrastructure)",
        "IP ownership",
        "Contract terms",
        "Service levels (SLAs)",
        "Financial information",
        "Sub-contracting",
        "Legal conditions",
    ]
    for kind in catalogue.TEMPLATES:
        for section in catalogue.template(kind)["sections"]:
            assert section["guidance"] and section["example"], section["key"]
            assert sanitise_html(section["example"]) == section["example"], section["key"]


def test_the_rfi_template_is_a_market_survey_without_weights_or_competition():
    keys = [section["key"] for section in catalogue.template("rfi")["sections"]]
    assert "market-survey" in keys
    assert not {"assessment-criteria", "competition", "evaluation-team"} & set(keys)
    with pytest.raises(ValueError, match="Unknown RFx template"):
        catalogue.template("tender")


def test_sanitising_keeps_formatting_and_drops_scripts():
    kept = "<h2>Data</h2><ul><li><strong>Logs</strong></li></ul>"
    html = kept + "<img src=x onerror=alert(1)><style>p{}</style>"
    assert sanitise_html(html) == "<h2>Data</h2><ul><li><strong>Logs</strong></li></ul>"
    assert sanitise_html('<a href="https://example.test">x</a>') == (
        '<a href="https://example.test" rel="noopener noreferrer nofollow">x</a>'
    )
