"""After the proposal deadline nothing a supplier sends is accepted (DESIGN §6).

Supplier A sends every write it has (its proposal, its answers, evidence, the workbook,
clarifications, its invitation) as crafted requests, with the server's clock moved past the
deadline by `frozen`: once before the close job has run (the RFx still says published; only
the clock refuses) and once after the RFx has closed. The requests say they were made before
the deadline (a `Date` header, client timestamps in the body); the server must not care.
Each one is refused and leaves the database exactly as it was and queues nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.http import http_date

from assessments.models import Answer, Evidence
from rfx.models import Clarification, Invitation, Proposal, ProposalVersion
from tests.security.matrix import criterion_form, workbook_upload
from tests.security.probe import ChangeWatch, request, undone
from tests.security.world import CLOSED, DUE, SEALED, SUPPLIER_A, Phase, World

pytestmark = pytest.mark.django_db

SAVE = {
    "licence_terms": "Late licence",
    "service_terms": "Late service",
    "price_amount": "1.00",
    "price_currency": "GBP",
}


def _claimed_time(phase: Phase) -> str:
    return (phase.rfx.proposal_deadline - timedelta(hours=1)).isoformat()


def _rfx(p: Phase) -> dict:
    return {"pk": p.rfx.pk}


def _rfx_api(p: Phase) -> dict:
    return {"rfx_id": p.rfx.pk}


def _assessment(p: Phase) -> dict:
    return {"pk": p.assessment.pk}


def _assessment_api(p: Phase) -> dict:
    return {"assessment_id": p.assessment.pk}


def _evidence_file(p: Phase) -> dict:
    return {
        "kind": "file",
        "title": "Late evidence",
        "file": SimpleUploadedFile("late.pdf", b"%PDF-1.4\n% late\n%%EOF\n", "application/pdf"),
    }


# label → (method, route, kwargs, body, is the API, extra headers)
WRITES = {
    "proposal page: save": (
        "POST",
        "rfx-proposal",
        _rfx,
        lambda p: {"action": "save", **SAVE},
        False,
    ),
    "proposal page: submit": (
        "POST",
        "rfx-proposal",
        _rfx,
        lambda p: {"action": "submit", **SAVE},
        False,
    ),
    "proposal page: start": ("POST", "rfx-proposal", _rfx, lambda p: {"action": "start"}, False),
    "proposal page: reopen": ("POST", "rfx-proposal", _rfx, lambda p: {"action": "reopen"}, False),
    "proposal API: save": (
        "PATCH",
        "api-rfx-proposal",
        _rfx_api,
        lambda p: {**SAVE, "submitted_at": _claimed_time(p)},
        True,
    ),
    "proposal API: start": ("POST", "api-rfx-proposal", _rfx_api, None, True),
    "proposal API: submit": (
        "POST",
        "api-rfx-proposal-submit",
        _rfx_api,
        lambda p: {"submitted_at": _claimed_time(p)},
        True,
    ),
    "answer page: autosave": (
        "POST",
        "assessment-answer",
        lambda p: {**_assessment(p), "question_code": "O2"},
        lambda p: {"O2-status": "no"},
        False,
    ),
    "answer page: autosave by htmx": (
        "POST",
        "assessment-answer",
        lambda p: {**_assessment(p), "question_code": "O2"},
        lambda p: {"O2-status": "no"},
        False,
        {"HX-Request": "true"},
    ),
    "answer page: whole criterion": (
        "POST",
        "assessment-criterion",
        lambda p: {**_assessment(p), "code": "S"},
        criterion_form,
        False,
    ),
    "answer page: workbook upload": (
        "POST",
        "assessment-workbook",
        _assessment,
        workbook_upload,
        False,
    ),
    "answer API": (
        "PATCH",
        "api-answer-detail",
        lambda p: {**_assessment_api(p), "code": "O2"},
        lambda p: {"status": "no", "updated_at": _claimed_time(p)},
        True,
    ),
    "questionnaire API: rename": (
        "PATCH",
        "api-assessment-detail",
        _assessment_api,
        lambda p: {"title": "Late title"},
        True,
    ),
    "questionnaire page: submit": ("POST", "assessment-submit", _assessment, None, False),
    "questionnaire page: reopen": ("POST", "assessment-reopen", _assessment, None, False),
    "questionnaire API: submit": ("POST", "api-assessment-submit", _assessment_api, None, True),
    "questionnaire API: reopen": ("POST", "api-assessment-reopen", _assessment_api, None, True),
    "evidence: link": (
        "POST",
        "assessment-evidence-add",
        lambda p: {**_assessment(p), "question_code": "O2"},
        lambda p: {"kind": "link", "url": "https://example.com/late", "title": "Late link"},
        False,
    ),
    "evidence: file": (
        "POST",
        "assessment-evidence-add",
        lambda p: {**_assessment(p), "question_code": "O2"},
        _evidence_file,
        False,
    ),
    "evidence: delete": (
        "POST",
        "assessment-evidence-delete",
        lambda p: {**_assessment(p), "evidence_pk": p.evidence.pk},
        None,
        False,
    ),
    "clarification page": (
        "POST",
        "rfx-supplier-detail",
        _rfx,
        lambda p: {"question": "Late question?"},
        False,
    ),
    "clarification API": (
        "POST",
        "api-rfx-clarification-list",
        _rfx_api,
        lambda p: {"question": "Late question?", "created_at": _claimed_time(p)},
        True,
    ),
    "invitation page: decline": (
        "POST",
        "rfx-invitation-respond",
        _rfx,
        lambda p: {"action": "decline", "reason": "Too late to care."},
        False,
    ),
}
TOKEN_WRITES = {
    "invitation link: accept": (
        "POST",
        "rfx-invitation",
        lambda p: {"token": p.token},
        lambda p: {"action": "accept", "accept_terms": "on"},
        False,
    ),
    "invitation API: accept": (
        "POST",
        "api-rfx-invitation-accept",
        lambda p: {},
        lambda p: {"token": p.token, "accept_terms": True},
        True,
    ),
    "invitation API: decline": (
        "POST",
        "api-rfx-invitation-decline",
        lambda p: {},
        lambda p: {"token": p.token, "reason": "Too late to care."},
        True,
    ),
}
CASES = [
    pytest.param(phase, label, id=f"{phase}: {label}")
    for phase in (DUE, CLOSED)
    for label in (*WRITES, *(TOKEN_WRITES if phase == DUE else ()))
]


def _supplier_a_state(phase: Phase) -> dict:
    """What A could change, read back from the database."""
    proposal = Proposal.objects.filter(pk=phase.proposal_a.pk)
    return {
        "proposal": list(
            proposal.values(
                "licence_terms", "service_terms", "price_amount", "submitted_at", "updated_at"
            )
        ),
        "versions": ProposalVersion.objects.filter(proposal=phase.proposal_a).count(),
        "answers": sorted(
            Answer.objects.filter(assessment=phase.assessment).values_list(
                "question__code", "status", "text", "updated_at"
            )
        ),
        "evidence": list(
            Evidence.all_objects.filter(assessment=phase.assessment).values("pk", "removed_at")
        ),
        "assessment": list(
            type(phase.assessment).objects.filter(pk=phase.assessment.pk).values("status", "title")
        ),
        "clarifications": Clarification.objects.filter(rfx=phase.rfx).count(),
        "invitation": list(
            Invitation.objects.filter(rfx=phase.rfx, supplier=phase.world.supplier_a).values(
                "status", "token_used_at", "decline_reason"
            )
        ),
    }


def _send(world: World, phase: Phase, spec: tuple, **overrides) -> tuple:
    method, route, kwargs, body, api, *rest = spec
    headers = {"Date": http_date((phase.rfx.proposal_deadline - timedelta(hours=1)).timestamp())}
    headers.update(rest[0] if rest else {})
    return request(
        world,
        SUPPLIER_A,
        method,
        reverse(route, kwargs=kwargs(phase)),
        body(phase) if body else None,
        api=api,
        clock=overrides.get("clock", phase.clock),
        headers=headers,
    )


@pytest.mark.parametrize(("phase_name", "label"), CASES)
def test_a_suppliers_crafted_write_after_the_deadline_is_refused_and_stores_nothing(
    world, phase_name, label
):
    phase = world.phase(phase_name)
    spec = {**WRITES, **TOKEN_WRITES}[label]
    clock = phase.clock or phase.rfx.proposal_deadline + timedelta(days=1)
    watch = ChangeWatch()
    with undone():
        state, started = _supplier_a_state(phase), watch.start()
        response = _send(world, phase, spec, clock=clock)
        after, queued_work = watch.after_request(started)
        assert _supplier_a_state(phase) == state
    changes = watch.changes(after, queued_work)
    assert not changes, f"the request {' and '.join(changes)}"
    if spec[4]:  # the API says no with a 4xx
        assert response.status_code in (400, 403, 404), response.content
    else:  # a page says no, or shows the form again with the reason
        assert response.status_code in (200, 302, 400, 403, 404), response.status_code


def test_the_same_write_a_second_before_the_deadline_is_taken(world):
    """The refusals above are the clock's doing: a second earlier, the same request saves."""
    phase = world.phase(SEALED)
    spec = WRITES["proposal API: save"]
    deadline = phase.rfx.proposal_deadline
    with undone():
        response = _send(world, phase, spec, clock=deadline - timedelta(seconds=1))
        assert response.status_code == 200, response.content
        assert Proposal.objects.get(pk=phase.proposal_a.pk).licence_terms == "Late licence"
    with undone():
        response = _send(world, phase, spec, clock=deadline)
        assert response.status_code == 400
        assert "deadline passed" in response.json()["detail"]
