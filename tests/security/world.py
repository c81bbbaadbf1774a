"""The world the permission matrix runs in: one buyer, two invited suppliers, every phase.

Built once for the whole `tests/security` package (see conftest.py), through the services
only, as the RFx tests build theirs (tests/rfx/conftest.py): its users, organisations,
timeline, `frozen` clock and `submit_proposal` steps, spelled out here so each supplier's
proposal carries text and prices no one else has, for the content checks to look for.

Each phase of the RFx lifecycle is its own RFx, so every phase exists at once and a test
of one phase never waits for another to be built:

- draft: alice's draft; A and B invited (no link sent yet); bob on the team.
- sealed: published, before the proposal deadline. A and B accepted and submitted, each
  with a licence annex (a document on its licence terms, its title a secret); A then
  reopened its questionnaire (a draft again, so a late write is refused by the clock, not
  because it is read-only). A asked one question that alice answered and published, and
  one that is still private. A has a fresh one-time link (for the token routes).
- due: the sealed RFx with the server clock one minute after its deadline and the close job
  not run yet: the status still says published; only the clock says no.
- closed: after the deadline, closed (proposals opened), before the technical lock. bob
  declared no conflict and scored the terms; he dismissed one red flag on A's questionnaire.
- locked: closed and the technical scores locked (the price envelope is open).
- evaluated: locked and marked evaluated (ready to award).
- awarded: awarded to A; B has its feedback.

Every RFx has a tender competition, set up in its draft as tests/rfx/competition_data.py sets
it up (the evaluation inputs released five days before the deadline). Once published, A and B
each uploaded one valid predictions file an hour after the release, which passed every bar,
so the gate ranks as it would without a competition.

Plus A's self-assessment shared with the buyer for review ("self"): submitted once, reviewed
by bob (lead, declared, one score, one red flag dismissed), reports rendered, then reopened
as a draft. frank is a reviewer of the buyer on no team and no review, so he sees none of
its RFx; eve belongs to no organisation. Supplier C (Cedar Labs) has no members: the buyer
invites it in the write checks.

The maturity framework is a small copy of the fixture questionnaire (6 questions, 8 red
flags) published as kind `maturity`: the rules under test do not depend on the size of the
framework, and the 66-question bundled model would make the world several times slower to
build and every page slower to render. PDFs are not rendered by WeasyPrint: `render_pdf` is
replaced by one that wraps the report's HTML, so a download shows exactly what the PDF would
say and the content checks can read it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Organisation, User
from assessments import services as assessment_services
from assessments.models import Assessment, Evidence, RedFlag, Report, ReviewerAssignment
from config.celery import app as celery_app
from principles.loader import PRINCIPLES_FILE
from principles.models import Framework
from principles.services import framework_load, principles_load
from rfx import competition_services, services
from rfx import reports as rfx_reports
from rfx.models import (
    Clarification,
    ComparisonReport,
    Competition,
    Invitation,
    PredictionSubmission,
    Proposal,
    ProposalDocument,
    RFx,
    Section,
)
from tests.factories import UserFactory
from tests.frameworks import to_yaml, vendor_data
from tests.rfx.competition_data import predictions_csv, release_time, set_up
from tests.rfx.conftest import DAY, frozen

# --- roles ----------------------------------------------------------------------------------------

MANAGER = "manager"  # alice, procurement manager of the buyer
REVIEWER = "reviewer"  # bob, reviewer of the buyer, on every team, declared no conflict
UNASSIGNED = "unassigned"  # frank, reviewer of the buyer, on no team: sees none of its RFx
SUPPLIER_A = "supplier_a"  # charlie, Acme Analytics
SUPPLIER_B = "supplier_b"  # dana, Blue Heron AI
OUTSIDER = "outsider"  # eve, no organisation
ANONYMOUS = "anonymous"
ROLES = (MANAGER, REVIEWER, UNASSIGNED, SUPPLIER_A, SUPPLIER_B, OUTSIDER, ANONYMOUS)

# --- phases ---------------------------------------------------------------------------------------

WORLD = "world"  # routes about no object: lists, forms to create, public pages
SELF = "self"  # A's self-assessment, reviewed by the buyer
DRAFT, SEALED, DUE, CLOSED, LOCKED, EVALUATED, AWARDED = (
    "draft",
    "sealed",
    "due",
    "closed",
    "locked",
    "evaluated",
    "awarded",
)
RFX_PHASES = (DRAFT, SEALED, DUE, CLOSED, LOCKED, EVALUATED, AWARDED)
PHASES = (WORLD, SELF, *RFX_PHASES)
OPENED = (CLOSED, LOCKED, EVALUATED, AWARDED)  # proposals opened to the evaluation team
PRICED = (LOCKED, EVALUATED, AWARDED)  # the price envelope open

BUYER_NAME = "Northwind Rail"
A_NAME = "Acme Analytics"
B_NAME = "Blue Heron AI"
C_NAME = "Cedar Labs"
PRIVATE_FRAMEWORK_NAME = "Acme internal review"
SELF_TITLE = "Acme self-assessment"
SELF_ANSWER = "Acme self-assessment answer"

# Prices as digits; `price_pattern` also finds them grouped as 7,314,592 or 7 314 592.
PRICES = {
    SEALED: ("7314592", "6829473"),
    CLOSED: ("5173948", "4918273"),
    LOCKED: ("3819264", "3572819"),
    EVALUATED: ("2748391", "2591837"),
    AWARDED: ("1937462", "1829374"),
}


def licence_text(supplier: str, phase: str) -> str:
    return f"{supplier} licence terms of the {phase} RFx with source escrow"


def service_text(supplier: str, phase: str) -> str:
    return f"{supplier} service terms of the {phase} RFx with a named engineer"


def answer_text(supplier: str, phase: str) -> str:
    return f"{supplier} questionnaire answer of the {phase} RFx"


def document_title(supplier: str, phase: str) -> str:
    return f"{supplier} licence annex of the {phase} RFx"


def document_name(supplier: str, phase: str) -> str:
    return f"{supplier.lower()}-{phase}-licence-annex"


def predictions_name(supplier: str, phase: str) -> str:
    return f"{supplier.lower()}-{phase}-predictions.csv"


def private_question(phase: str) -> str:
    return f"Acme private question on the {phase} RFx about hosting in our own data centre"


def published_question(phase: str) -> str:
    return f"Published question on the {phase} RFx about the size of the training data"


def published_answer(phase: str) -> str:
    return f"Published answer on the {phase} RFx: five years of sensor data"


def deadline_timeline() -> dict[str, datetime]:
    """As tests/rfx/conftest.py's `timeline`: every RFx shares it."""
    start = timezone.now().replace(microsecond=0)
    return {
        "clarification_deadline": start + 5 * DAY,
        "proposal_deadline": start + 10 * DAY,
        "shortlist_date": start + 20 * DAY,
        "contract_drafting_date": start + 30 * DAY,
    }


@dataclass
class Phase:
    """What the routes of one phase point at; fields a phase does not have stay None."""

    name: str
    world: World | None = field(default=None, repr=False)
    clock: datetime | None = None  # the server's clock during the requests, if not now
    rfx: RFx | None = None
    section: Section | None = None
    proposal_a: Proposal | None = None
    proposal_b: Proposal | None = None
    document_a: ProposalDocument | None = None  # on A's licence terms, in its submission
    invitation_b: Invitation | None = None
    clarification_private: Clarification | None = None
    clarification_published: Clarification | None = None
    token: str = ""  # a valid one-time link of A's invitation
    scorecard_done: ComparisonReport | None = None
    scorecard_failed: ComparisonReport | None = None
    # The questionnaire the assessments routes point at: A's self-assessment, or A's
    # maturity questionnaire of this phase's proposal.
    assessment: Assessment | None = None
    evidence: Evidence | None = None
    flag_active: RedFlag | None = None
    flag_dismissed: RedFlag | None = None
    assignment: ReviewerAssignment | None = None
    report_done: Report | None = None
    report_failed: Report | None = None
    competition: Competition | None = None
    prediction_a: PredictionSubmission | None = None  # A's valid, scored predictions file


@dataclass
class World:
    users: dict[str, User]
    buyer: Organisation
    supplier_a: Organisation
    supplier_b: Organisation
    supplier_c: Organisation
    framework: Framework
    private_framework: Framework
    phases: dict[str, Phase] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # role → session key

    def phase(self, name: str) -> Phase:
        return self.phases[name]

    def __repr__(self) -> str:  # pytest prints the fixture when a test fails
        return f"<World: phases {', '.join(self.phases)}>"


# --- helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def on_commit_run() -> Iterator[None]:
    """Run what the services leave for after the commit (scoring, rendering, e-mail) at once.

    The world lives in one transaction that is never committed, as a test does.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def fake_render_pdf(html: str) -> bytes:
    """A stand-in for WeasyPrint: the report's HTML in a file that starts like a PDF."""
    return b"%PDF-1.7\n%" + html.encode("utf-8")


def failing_render_pdf(html: str) -> bytes:
    raise RuntimeError("The renderer ran out of memory (a failure the matrix needs).")


@contextlib.contextmanager
def renderer(render) -> Iterator[None]:
    quiet = render is failing_render_pdf  # the worker logs the failure it records
    with (
        mock.patch("assessments.reports.render_pdf", render),
        mock.patch("rfx.reports.render_pdf", render),
    ):
        if quiet:
            logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            if quiet:
                logging.disable(logging.NOTSET)


def _user(username: str, first: str, last: str) -> User:
    return UserFactory(username=username, first_name=first, last_name=last)


def _answers(assessment: Assessment, user: User, marker: str, *, proposal: Proposal | None = None):
    """Every question answered; S1 "yes" with no evidence and O1 too short raise two minor
    red flags (S1b, O1a), so the red-flag routes have something to act on."""
    values = {
        "S1": {"status": "yes", "text": f"{marker} on encryption at rest"},
        "S2": {"choices": ["Cloud KMS"]},
        "S3": {"number": 1},
        "O1": {"text": "Paged at once."},
        "O2": {"status": "yes", "text": f"{marker} on penetration tests"},
        "O3": {"choices": ["ISO 27001"]},
    }
    for question in assessment.framework.questions.all():
        fields = values[question.code]
        if proposal is None:
            assessment_services.answer_save(
                assessment=assessment, question=question, user=user, **fields
            )
        else:
            services.proposal_answer_save(
                proposal=proposal, assessment=assessment, question=question, user=user, **fields
            )


def _evidence_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n%%EOF\n", "application/pdf")


def _reports(assessment: Assessment, user: User) -> tuple[Report, Report]:
    """One report that failed and, after it, one that rendered."""
    with renderer(failing_render_pdf), on_commit_run():
        failed = assessment_services.report_request(assessment=assessment, user=user)
    with renderer(fake_render_pdf), on_commit_run():
        done = assessment_services.report_request(assessment=assessment, user=user)
    failed.refresh_from_db()
    done.refresh_from_db()
    assert failed.status == Report.Status.FAILED and done.status == Report.Status.DONE
    return done, failed


def _scorecards(rfx: RFx, user: User) -> tuple[ComparisonReport, ComparisonReport]:
    with renderer(failing_render_pdf), on_commit_run():
        failed = rfx_reports.scorecard_request(rfx=rfx, user=user)
    with renderer(fake_render_pdf), on_commit_run():
        done = rfx_reports.scorecard_request(rfx=rfx, user=user)
    failed.refresh_from_db()
    done.refresh_from_db()
    assert failed.status == ComparisonReport.Status.FAILED
    assert done.status == ComparisonReport.Status.DONE
    return done, failed


def _flags(assessment: Assessment) -> tuple[RedFlag, RedFlag]:
    flags = {flag.rule.code: flag for flag in RedFlag.objects.filter(assessment=assessment)}
    return flags["S1b"], flags["O1a"]


# --- building -----------------------------------------------------------------------------------


def build_world() -> World:
    celery_app.conf.task_always_eager = True
    principles_load(text=PRINCIPLES_FILE.read_text(encoding="utf-8"), source=str(PRINCIPLES_FILE))
    data = vendor_data()
    data.update(slug="secure-ml-maturity", name="Secure ML Maturity", kind="maturity")
    framework = framework_load(text=to_yaml(data), source="secure-ml-maturity.yaml").framework

    make = account_services.organisation_create
    buyer = make(name=BUYER_NAME, slug="northwind-rail", kind=Organisation.Kind.BUYER)
    supplier_a = make(name=A_NAME, slug="acme-analytics", kind=Organisation.Kind.SUPPLIER)
    supplier_b = make(name=B_NAME, slug="blue-heron-ai", kind=Organisation.Kind.SUPPLIER)
    supplier_c = make(name=C_NAME, slug="cedar-labs", kind=Organisation.Kind.SUPPLIER)

    private = vendor_data()
    private.update(slug="acme-internal-review", name=PRIVATE_FRAMEWORK_NAME)
    private_framework = framework_load(
        text=to_yaml(private), source="acme-internal-review.yaml", owner=supplier_a
    ).framework

    users = {
        MANAGER: _user("alice", "Alice", "Ashdown"),
        REVIEWER: _user("bob", "Bob", "Brightwell"),
        UNASSIGNED: _user("frank", "Frank", "Fennimore"),
        SUPPLIER_A: _user("charlie", "Charlie", "Quenby"),
        SUPPLIER_B: _user("dana", "Dana", "Dorrington"),
        OUTSIDER: _user("eve", "Eve", "Evesham"),
    }
    member = account_services.membership_create
    member(user=users[MANAGER], organisation=buyer, role=Membership.Role.PROCUREMENT_MANAGER)
    member(user=users[REVIEWER], organisation=buyer, role=Membership.Role.REVIEWER)
    member(user=users[UNASSIGNED], organisation=buyer, role=Membership.Role.REVIEWER)
    member(user=users[SUPPLIER_A], organisation=supplier_a, role=Membership.Role.SUPPLIER)
    member(user=users[SUPPLIER_B], organisation=supplier_b, role=Membership.Role.SUPPLIER)

    world = World(
        users=users,
        buyer=buyer,
        supplier_a=supplier_a,
        supplier_b=supplier_b,
        supplier_c=supplier_c,
        framework=framework,
        private_framework=private_framework,
    )
    world.phases[WORLD] = Phase(WORLD)
    world.phases[SELF] = _self_assessment(world)
    for name in (DRAFT, SEALED, CLOSED, LOCKED, EVALUATED, AWARDED):
        world.phases[name] = _rfx_phase(world, name)
    sealed = world.phases[SEALED]
    world.phases[DUE] = Phase(
        **{
            **sealed.__dict__,
            "name": DUE,
            "clock": sealed.rfx.proposal_deadline + timedelta(minutes=1),
        }
    )
    for phase in world.phases.values():
        phase.world = world
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        world.clients[role] = client
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    world.clients[ANONYMOUS] = Client()
    return world


def _self_assessment(world: World) -> Phase:
    charlie, bob = world.users[SUPPLIER_A], world.users[REVIEWER]
    assessment = assessment_services.assessment_create(
        framework=world.framework,
        organisation=world.supplier_a,
        user=charlie,
        title=SELF_TITLE,
        reviewing_organisation=world.buyer,
    )
    _answers(assessment, charlie, SELF_ANSWER)
    question = assessment.framework.questions.get(code="O2")
    evidence = assessment_services.evidence_add(
        assessment=assessment,
        question=question,
        user=charlie,
        title="Acme self-assessment penetration test",
        file=_evidence_file("acme-self-pentest.pdf"),
    )
    with on_commit_run():
        assessment_services.assessment_submit(assessment=assessment, user=charlie)
    assessment.refresh_from_db()
    assignment = assessment_services.reviewer_assign(
        assessment=assessment, reviewer=bob, is_lead=True
    )
    assessment_services.conflict_declare(assignment=assignment)
    assessment_services.reviewer_score_set(
        assessment=assessment,
        question=assessment.framework.questions.get(code="O1"),
        reviewer=bob,
        score=1,
    )
    active, dismissed = _flags(assessment)
    assessment_services.red_flag_dismiss(
        flag=dismissed, user=bob, reason="The answer is short but the process is documented."
    )
    done, failed = _reports(assessment, charlie)
    assessment_services.assessment_reopen(assessment=assessment, user=charlie)
    assessment.refresh_from_db()
    active.refresh_from_db()
    dismissed.refresh_from_db()
    return Phase(
        SELF,
        assessment=assessment,
        evidence=evidence,
        flag_active=active,
        flag_dismissed=dismissed,
        assignment=assignment,
        report_done=done,
        report_failed=failed,
    )


def _proposal(rfx: RFx, user: User, supplier: str, phase: str, price: str) -> Proposal:
    """tests/rfx/conftest.py's `submit_proposal`, with this supplier's own words and price."""
    proposal = services.proposal_start(rfx=rfx, user=user)
    _answers(proposal.maturity_assessment, user, answer_text(supplier, phase), proposal=proposal)
    services.proposal_evidence_add(
        proposal=proposal,
        assessment=proposal.maturity_assessment,
        question=proposal.maturity_assessment.framework.questions.get(code="O2"),
        user=user,
        title=f"{supplier} penetration test of the {phase} RFx",
        file=_evidence_file(f"{supplier.lower()}-{phase}-pentest.pdf"),
    )
    services.proposal_document_add(
        proposal=proposal,
        user=user,
        kind=ProposalDocument.Kind.LICENCE,
        title=document_title(supplier, phase),
        file=_evidence_file(f"{document_name(supplier, phase)}.pdf"),
    )
    services.proposal_update(
        proposal=proposal,
        user=user,
        licence_terms=licence_text(supplier, phase),
        service_terms=service_text(supplier, phase),
        price_amount=Decimal(price),
        price_currency="GBP",
    )
    with on_commit_run():
        services.proposal_submit(proposal=proposal, user=user)
    proposal.refresh_from_db()
    return proposal


def _predictions(
    rfx: RFx, proposal: Proposal, user: User, supplier: str, phase: str
) -> PredictionSubmission:
    """A valid predictions file an hour after the release, scored at once; it passes."""
    upload = SimpleUploadedFile(predictions_name(supplier, phase), predictions_csv().encode())
    with frozen(release_time(rfx) + timedelta(hours=1)), on_commit_run():
        submission = competition_services.prediction_submit(
            proposal=proposal, user=user, file=upload
        )
    submission.refresh_from_db()
    assert submission.status == PredictionSubmission.Status.DONE and submission.passed
    return submission


def _rfx_phase(world: World, name: str) -> Phase:
    users = world.users
    alice, bob = users[MANAGER], users[REVIEWER]
    charlie, dana = users[SUPPLIER_A], users[SUPPLIER_B]
    rfx = services.rfx_create(
        buyer=world.buyer, user=alice, title=f"Track inspection ({name})", framework=world.framework
    )
    rfx = services.rfx_update(rfx=rfx, user=alice, **deadline_timeline())
    team = services.rfx_reviewer_assign(rfx=rfx, reviewer=bob, user=alice, is_lead=True)
    services.rfx_reviewer_declare_no_conflict(member=team, user=bob)
    invitations = {
        org.pk: services.invitation_create(rfx=rfx, supplier=org, email=email, user=alice)
        for org, email in (
            (world.supplier_a, "bids@acme.test"),
            (world.supplier_b, "bids@heron.test"),
        )
    }
    phase = Phase(
        name,
        rfx=rfx,
        section=rfx.sections.get(key="datasets"),
        invitation_b=invitations[world.supplier_b.pk],
        competition=set_up(rfx, alice),
    )
    if name == DRAFT:
        return phase
    with on_commit_run():
        services.rfx_publish(rfx=rfx, user=alice)
    for user, org in ((charlie, world.supplier_a), (dana, world.supplier_b)):
        services.invitation_accept(
            invitation=Invitation.objects.get(rfx=rfx, supplier=org), user=user, accept_terms=True
        )
    price_a, price_b = PRICES[name]
    phase.proposal_a = _proposal(rfx, charlie, "Acme", name, price_a)
    phase.proposal_b = _proposal(rfx, dana, "Heron", name, price_b)
    phase.document_a = ProposalDocument.objects.get(proposal=phase.proposal_a)
    phase.prediction_a = _predictions(rfx, phase.proposal_a, charlie, "Acme", name)
    _predictions(rfx, phase.proposal_b, dana, "Heron", name)
    with on_commit_run():
        published = services.clarification_ask(
            rfx=rfx, user=charlie, question=published_question(name)
        )
        services.clarification_answer(
            clarification=published, user=alice, answer=published_answer(name), publish=True
        )
        phase.clarification_published = published
        phase.clarification_private = services.clarification_ask(
            rfx=rfx, user=charlie, question=private_question(name)
        )
    assessment = phase.proposal_a.maturity_assessment
    phase.assessment = assessment
    phase.evidence = Evidence.objects.get(assessment=assessment)
    phase.flag_active, phase.flag_dismissed = _flags(assessment)
    phase.report_done, phase.report_failed = _reports(assessment, charlie)
    if name == SEALED:
        services.proposal_reopen(proposal=phase.proposal_a, user=charlie)
        with on_commit_run():
            phase.token = services.invitation_send(
                invitation=Invitation.objects.get(rfx=rfx, supplier=world.supplier_a), user=alice
            )
        _refresh(phase)
        return phase
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)), on_commit_run():
        services.rfx_close(rfx=rfx)
    rfx.refresh_from_db()
    for proposal, score in ((phase.proposal_a, 3), (phase.proposal_b, 1)):
        services.terms_score_set(proposal=proposal, reviewer=bob, score=score)
    phase.assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=bob)
    assessment_services.red_flag_dismiss(
        flag=phase.flag_dismissed,
        user=bob,
        reason="The answer is short but the process is documented.",
    )
    if name != CLOSED:
        services.rfx_lock_technical_scores(rfx=rfx, user=alice)
    phase.scorecard_done, phase.scorecard_failed = _scorecards(rfx, alice)
    if name in (EVALUATED, AWARDED):
        services.rfx_mark_evaluated(rfx=rfx, user=alice)
    if name == AWARDED:
        with on_commit_run():
            services.rfx_award(
                rfx=rfx, proposal=phase.proposal_a, justification="Best value.", user=alice
            )
    _refresh(phase)
    return phase


def _refresh(phase: Phase) -> None:
    for name in ("rfx", "proposal_a", "proposal_b", "assessment", "flag_active", "flag_dismissed"):
        value = getattr(phase, name)
        if value is not None:
            value.refresh_from_db()


# --- what each role must never read ---------------------------------------------------------------

PROPOSAL_PHASES = (SEALED, CLOSED, LOCKED, EVALUATED, AWARDED)


@dataclass(frozen=True)
class Secret:
    label: str
    pattern: re.Pattern[str] | None = None
    text: str = ""  # a literal is found with `in`, several times faster than a pattern

    def found_in(self, body: str) -> bool:
        if self.pattern is None:
            return self.text in body
        return self.pattern.search(body) is not None


def _text(label: str, text: str) -> Secret:
    return Secret(label, text=text)


def price_pattern(digits: str) -> re.Pattern[str]:
    """7314592 as written anywhere: 7314592.00, 7,314,592, 7 314 592 or 7.314.592."""
    head = len(digits) % 3 or 3
    groups = [digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))]
    return re.compile(r"(?<!\d)" + r"[,.\s\u00a0\u202f]?".join(groups) + r"(?!\d)")


def _proposal_content(supplier: str, phases: tuple[str, ...]) -> list[Secret]:
    found = []
    for phase in phases:
        found += [
            _text(f"{supplier}'s licence terms ({phase})", licence_text(supplier, phase)),
            _text(f"{supplier}'s service terms ({phase})", service_text(supplier, phase)),
            _text(f"{supplier}'s answers ({phase})", answer_text(supplier, phase)),
            _text(
                f"{supplier}'s evidence ({phase})", f"{supplier} penetration test of the {phase}"
            ),
            _text(f"{supplier}'s evidence file ({phase})", f"{supplier.lower()}-{phase}-pentest"),
            _text(f"{supplier}'s document ({phase})", document_title(supplier, phase)),
            _text(f"{supplier}'s document file ({phase})", document_name(supplier, phase)),
            _text(f"{supplier}'s predictions file ({phase})", predictions_name(supplier, phase)),
        ]
    return found


def _prices(supplier: str, phases: tuple[str, ...]) -> list[Secret]:
    index = 0 if supplier == "Acme" else 1
    return [
        Secret(f"{supplier}'s price ({phase})", price_pattern(PRICES[phase][index]))
        for phase in phases
    ]


def _everything(supplier: str) -> list[Secret]:
    return _proposal_content(supplier, PROPOSAL_PHASES) + _prices(supplier, PROPOSAL_PHASES)


A_IDENTITY = [
    _text("A's name", A_NAME),
    _text("A's user's name", "Quenby"),
    Secret("A's username", re.compile(r"\bcharlie\b")),
]
B_IDENTITY = [
    _text("B's name", B_NAME),
    _text("B's user's name", "Dorrington"),
    Secret("B's username", re.compile(r"\bdana\b")),
]
A_PRIVATE = [
    *(
        _text(f"A's private question ({phase})", private_question(phase))
        for phase in PROPOSAL_PHASES
    ),
    _text("A's self-assessment", SELF_TITLE),
    _text("A's self-assessment answers", SELF_ANSWER),
    _text("A's self-assessment evidence", "acme-self-pentest"),
    _text("A's private framework", PRIVATE_FRAMEWORK_NAME),
]
RFX_CONTENT = [
    Secret("an RFx title", re.compile(r"Track inspection \(")),
    *(
        _text(f"a published question ({phase})", published_question(phase))
        for phase in PROPOSAL_PHASES
    ),
    *(_text(f"a published answer ({phase})", published_answer(phase)) for phase in PROPOSAL_PHASES),
]
# Sealed until the RFx closes; priced once the technical scores are locked.
BEFORE_CLOSING = (SEALED,)  # the sealed RFx is also the one past its deadline (due)
BEFORE_LOCK = (SEALED, CLOSED)
EVALUATOR_SECRETS = (
    _proposal_content("Acme", BEFORE_CLOSING)
    + _proposal_content("Heron", BEFORE_CLOSING)
    + _prices("Acme", BEFORE_LOCK)
    + _prices("Heron", BEFORE_LOCK)
)

FORBIDDEN: dict[str, list[Secret]] = {
    MANAGER: EVALUATOR_SECRETS,
    REVIEWER: EVALUATOR_SECRETS,
    # On no team: no proposal, ever; and the self-assessment is not shared with them.
    UNASSIGNED: _everything("Acme") + _everything("Heron") + A_PRIVATE[:-1],
    SUPPLIER_A: B_IDENTITY + _everything("Heron"),
    SUPPLIER_B: A_IDENTITY + _everything("Acme") + A_PRIVATE,
    OUTSIDER: A_IDENTITY
    + B_IDENTITY
    + _everything("Acme")
    + _everything("Heron")
    + A_PRIVATE
    + RFX_CONTENT,
}
FORBIDDEN[ANONYMOUS] = FORBIDDEN[OUTSIDER]
