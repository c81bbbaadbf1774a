"""The permission matrix: every page and API endpoint × role × lifecycle phase.

Each `Check` names a route (its URL name), one HTTP method, how to build its URL kwargs and
(for writes) a minimal crafted body, and, per phase of the world (tests/security/world.py),
what each of the seven roles gets:

- `ok`: let through: a read shows the page (2xx); a write answers 2xx, or 3xx to a page
  other than the login page.
- `redirect`: sent elsewhere before seeing anything: 3xx to a page other than the login page.
- `refuse`: let through the permission check, but the crafted request is refused on the
  domain's grounds (a form or service error, the deadline, a state that does not allow it):
  any status below 500, the database unchanged and nothing queued (e-mail, task).
- deny, for every role not named: 403 or 404 for people signed in; for the anonymous, the
  login page, 401 or 403 (404 where a page says nothing exists). The database unchanged and
  nothing queued.

Every response any role gets is also searched for what that role must never read (the other
supplier's name, terms, prices, answers and private questions; proposal content for the
buyer before the RFx closes; prices before the technical lock): see `world.FORBIDDEN`.

Adding a route: add one `Check` per method it answers to, in its app's section below, with
the phases where access differs. For an RFx route, at least a sealed phase and an opened one;
for a supplier's write, `due` (the deadline passed, the RFx not closed yet); for a
questionnaire route, `self`, `sealed` and `closed`. For example:

    Check(
        "rfx-documents",
        GET,
        {SEALED: roles(ok=SUPPLIERS), (CLOSED, LOCKED): roles(ok=(*SUPPLIERS, *EVALUATORS))},
        rfx,
    ),

A phase's objects (its RFx, proposals, questionnaire, reports...) are on `world.Phase`; add
what a new route needs there, built through the services. The route inventory test
(test_routes.py) fails for a route with no entry, for a method of an API view with no entry,
and for an entry whose route is gone. Routes left out on purpose are in `EXCLUDED`, each
with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.selectors import draft_rule_inputs
from assessments.views.xlsx import workbook_spec
from assessments.xlsx import build_workbook
from rfx.services import TIMELINE_FIELDS, WEIGHT_FIELDS
from tests.factories import PASSWORD
from tests.frameworks import to_yaml, vendor_data
from tests.rfx.competition_data import predictions_csv, training_csv
from tests.security.world import (
    ANONYMOUS,
    AWARDED,
    CLOSED,
    DRAFT,
    DUE,
    EVALUATED,
    LOCKED,
    MANAGER,
    OUTSIDER,
    PHASES,
    REVIEWER,
    ROLES,
    SEALED,
    SELF,
    SUPPLIER_A,
    SUPPLIER_B,
    UNASSIGNED,
    WORLD,
    Phase,
)

GET, POST, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"
OK, REDIRECT, REFUSE, DENY = "ok", "redirect", "refuse", "deny"

BUYER = (MANAGER, REVIEWER, UNASSIGNED)  # every member of the buyer
# Who at the buyer sees one of its RFx: its procurement managers, and the reviewers on the
# RFx's evaluation team (bob is on every team; frank, a reviewer on none, sees none).
BUYER_TEAM = (MANAGER, REVIEWER)
EVALUATORS = (MANAGER, REVIEWER)  # the manager and the reviewer on the team who declared
SUPPLIERS = (SUPPLIER_A, SUPPLIER_B)
MEMBERS = (*BUYER, *SUPPLIERS)  # a member of some organisation
INVITED = (*BUYER_TEAM, *SUPPLIERS)  # who sees a published RFx
SIGNED_IN = tuple(role for role in ROLES if role != ANONYMOUS)
EVERYONE = ROLES

# Routes deliberately outside the matrix.
EXCLUDED: dict[str, str] = {
    "admin:*": "Django admin: staff only, guarded by Django's admin site itself.",
    "api-schema": "The OpenAPI schema: public documentation of the endpoints, no data.",
    "api-docs": "Swagger UI over the schema: public documentation, no data.",
    "api-redoc": "ReDoc over the schema: public documentation, no data.",
    # Static files are served by WhiteNoise middleware, not by a URL pattern.
}


def roles(
    ok: tuple[str, ...] = (), refuse: tuple[str, ...] = (), redirect: tuple[str, ...] = ()
) -> dict[str, str]:
    """Each role's outcome; the roles not named are denied."""
    named = [*ok, *refuse, *redirect]
    if len(named) != len(set(named)) or set(named) - set(ROLES):
        raise ValueError(f"Roles named twice or unknown: {named}")
    outcome = dict.fromkeys(ROLES, DENY)
    outcome.update(dict.fromkeys(ok, OK))
    outcome.update(dict.fromkeys(refuse, REFUSE))
    outcome.update(dict.fromkeys(redirect, REDIRECT))
    return outcome


NOBODY = roles()


@dataclass(frozen=True)
class Check:
    route: str
    method: str
    # phase, or a tuple of phases → `roles(...)`
    phases: Mapping[str | tuple[str, ...], Mapping[str, str]]
    kwargs: Callable[[Phase], dict[str, Any]] = lambda phase: {}
    body: Callable[[Phase], dict[str, Any]] | None = None
    label: str = ""
    why: str = ""
    expected: dict[str, dict[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        expected: dict[str, dict[str, str]] = {}
        for key, outcome in self.phases.items():
            for phase in (key,) if isinstance(key, str) else key:
                if phase not in PHASES or phase in expected:
                    raise ValueError(f"{self.route}: unknown or repeated phase {phase!r}")
                if set(outcome) != set(ROLES):
                    raise ValueError(f"{self.route}: build outcomes with roles(...)")
                expected[phase] = dict(outcome)
        object.__setattr__(self, "expected", expected)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api-")

    @property
    def is_write(self) -> bool:
        return self.method != GET

    def __repr__(self) -> str:
        return f"<Check {self.method} {self.route}{' ' + self.label if self.label else ''}>"

    def id(self, phase: str) -> str:
        return "-".join(part for part in (self.route, self.method, self.label, phase) if part)


# --- URL kwargs -----------------------------------------------------------------------------------


def rfx(p: Phase) -> dict:
    return {"pk": p.rfx.pk}


def rfx_api(p: Phase) -> dict:
    return {"rfx_id": p.rfx.pk}


def questionnaire(p: Phase) -> dict:
    return {"pk": p.assessment.pk}


def questionnaire_api(p: Phase) -> dict:
    return {"assessment_id": p.assessment.pk}


def question(code: str, name: str = "code", api: bool = False) -> Callable[[Phase], dict]:
    base = questionnaire_api if api else questionnaire
    return lambda p: {**base(p), name: code}


def public_framework(p: Phase) -> dict:
    return {"slug": p.world.framework.slug}


def public_framework_version(p: Phase) -> dict:
    return {"slug": p.world.framework.slug, "version": p.world.framework.version}


def private_framework(p: Phase) -> dict:
    return {"slug": p.world.private_framework.slug}


def private_framework_version(p: Phase) -> dict:
    framework = p.world.private_framework
    return {"slug": framework.slug, "version": framework.version}


# --- crafted bodies -------------------------------------------------------------------------------


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def rfx_settings(p: Phase) -> dict:
    """The settings form as the page sends it, with the title changed."""
    data: dict[str, Any] = {"title": "Crafted title", "summary": "Crafted change."}
    data.update({name: getattr(p.rfx, name) for name in WEIGHT_FIELDS})
    data.update({name: _local(getattr(p.rfx, name)) for name in TIMELINE_FIELDS})
    data["framework"] = p.rfx.framework_id or ""
    for name in ("has_competition", "disqualify_on_critical_red_flags", "blind_grading"):
        if getattr(p.rfx, name):
            data[name] = "on"
    return data


def extra_questions(p: Phase) -> dict:
    data = vendor_data()
    data["slug"] = "northwind-extra-questions"
    text = to_yaml(data).encode()
    return {"file": SimpleUploadedFile("extra-questions.yaml", text, "application/x-yaml")}


def criterion_form(p: Phase) -> dict:
    return {
        "S1-present": "1",
        "S1-status": "partial",
        "S1-text": "Crafted answer",
        "S2-present": "1",
        "S2-choices": "Hardware security module",
        "S3-present": "1",
        "S3-number": "2",
    }


def workbook_upload(p: Phase) -> dict:
    answers = draft_rule_inputs(p.assessment)
    answers["O2"] = {**answers.get("O2", {}), "status": "partial", "text": "Crafted in Excel"}
    content = build_workbook(
        workbook_spec(p.assessment),
        answers,
        assessment_id=p.assessment.pk,
        title=p.assessment.title,
        editable=True,
    )
    return {"workbook": SimpleUploadedFile("answers.xlsx", content)}


def terms_score_form(p: Phase) -> dict:
    prefix = f"p{p.proposal_a.pk}"
    return {f"{prefix}-proposal": p.proposal_a.pk, f"{prefix}-score": "2", f"{prefix}-comment": ""}


def score_form(p: Phase) -> dict:
    pk = p.assessment.framework.questions.get(code="S1").pk
    return {f"q{pk}-score": "2", f"q{pk}-comment": "Crafted score."}


def consensus_form(p: Phase) -> dict:
    pk = p.assessment.framework.questions.get(code="S1").pk
    return {f"c{pk}-score": "2", f"c{pk}-comment": "Crafted consensus."}


def dismiss_form(p: Phase) -> dict:
    return {f"flag{p.flag_active.pk}-reason": "Crafted: this flag does not apply here."}


def competition_settings(p: Phase) -> dict:
    competition = p.competition
    return {
        "description": "Crafted task description.",
        "primary_metric": "accuracy",
        "submission_limit": "4",
        "release_at": _local(competition.release_at),
    }


def competition_file(kind: str) -> Callable[[Phase], dict]:
    return lambda p: {"pk": p.rfx.pk, "kind": kind}


def competition_upload(p: Phase) -> dict:
    return {"training-file": SimpleUploadedFile("crafted-training.csv", training_csv().encode())}


def competition_api_settings(p: Phase) -> dict:
    competition = p.competition
    return {
        "description": "Crafted task description.",
        "primary_metric": "accuracy",
        "bars": competition.bars,
        "submission_limit": 4,
        "release_at": competition.release_at.isoformat() if competition.release_at else None,
    }


def competition_file_api(kind: str) -> Callable[[Phase], dict]:
    return lambda p: {"rfx_id": p.rfx.pk, "kind": kind}


def prediction_a_api(p: Phase) -> dict:
    return {"rfx_id": p.rfx.pk, "submission_id": p.prediction_a.pk}


def predictions_upload(p: Phase) -> dict:
    return {"file": SimpleUploadedFile("crafted-predictions.csv", predictions_csv().encode())}


def document_upload(prefix: str = "") -> Callable[[Phase], dict]:
    """A PDF for the licence terms: the page's form fields carry the kind as a prefix."""

    def body(p: Phase) -> dict:
        file = SimpleUploadedFile(
            "crafted-annex.pdf", b"%PDF-1.4\n% crafted\n%%EOF\n", "application/pdf"
        )
        if prefix:
            return {f"{prefix}-file": file, f"{prefix}-title": "Crafted annex"}
        return {"kind": "licence", "file": file, "title": "Crafted annex"}

    return body


def fixed(**data: Any) -> Callable[[Phase], dict]:
    return lambda p: dict(data)


# --- expectations shared by many routes -----------------------------------------------------------

# A's questionnaire: its self-assessment, reviewed by the buyer (self); the maturity questionnaire
# of its proposal, sealed before the deadline and after it until the RFx closes (sealed, due),
# then opened to the manager and the reviewer who declared (closed).
READERS = {
    SELF: roles(ok=(SUPPLIER_A, MANAGER, REVIEWER)),
    SEALED: roles(ok=(SUPPLIER_A,)),
    CLOSED: roles(ok=(SUPPLIER_A, MANAGER, REVIEWER)),
}
# Reading a questionnaire does not depend on the clock; these routes check it all the same.
READERS_PAST_DEADLINE = {**READERS, DUE: roles(ok=(SUPPLIER_A,))}
# Writes to A's answers: its own drafts until the deadline; refused after it, by the clock (due)
# or because the submitted questionnaire is read-only once the RFx has closed (closed).
ANSWERING = {
    (SELF, SEALED): roles(ok=(SUPPLIER_A,)),
    (DUE, CLOSED): roles(refuse=(SUPPLIER_A,)),
}
RESPONDENT_READS = {(SELF, SEALED, CLOSED): roles(ok=(SUPPLIER_A,))}
REVIEWING = {(SELF, CLOSED): roles(ok=(REVIEWER,)), SEALED: NOBODY}
TEAM = {(SELF, CLOSED): roles(ok=(MANAGER,)), SEALED: NOBODY}
# After the technical lock the maturity scores must not move either (price envelope open).
REVIEW_WRITES = {**REVIEWING, LOCKED: roles(refuse=(REVIEWER,))}

SUPPLIER_PAGES = {DRAFT: NOBODY, (SEALED, CLOSED, AWARDED): roles(ok=SUPPLIERS)}
SUPPLIER_WRITES = {SEALED: roles(ok=SUPPLIERS), (DUE, CLOSED): roles(refuse=SUPPLIERS)}
EVALUATION_READS = {(SEALED, DUE, CLOSED, LOCKED): roles(ok=EVALUATORS)}
OPENED_READS = {(SEALED, DUE): NOBODY, (CLOSED, LOCKED): roles(ok=EVALUATORS)}
# The API's evaluation reads share the pages' rule (`_evaluation_rfx`); the pages check `due`.
OPENED_API = {SEALED: NOBODY, (CLOSED, LOCKED): roles(ok=EVALUATORS)}

# --- the matrix -----------------------------------------------------------------------------------

MATRIX: list[Check] = [
    # core and accounts
    Check("home", GET, {WORLD: roles(ok=EVERYONE)}),
    Check("healthz", GET, {WORLD: roles(ok=EVERYONE)}),
    Check(
        "login",
        GET,
        {WORLD: roles(ok=(ANONYMOUS,), redirect=SIGNED_IN)},
        why="People signed in are sent to the home page.",
    ),
    Check(
        "login",
        POST,
        {WORLD: roles(ok=EVERYONE)},
        body=fixed(username="charlie", password=PASSWORD),
        why="Anyone may sign in; people signed in already are sent to the home page.",
    ),
    Check(
        "login",
        PUT,
        {WORLD: roles(ok=EVERYONE)},
        why="Django's form view answers PUT as it answers POST: the empty form again.",
    ),
    Check("logout", POST, {WORLD: roles(ok=EVERYONE)}),
    Check("profile", GET, {WORLD: roles(ok=SIGNED_IN)}),
    # principles and frameworks: public ones for everyone, a private one for its owner only
    Check("principle-list", GET, {WORLD: roles(ok=EVERYONE)}),
    Check("framework-list", GET, {WORLD: roles(ok=EVERYONE)}),
    Check("framework-detail", GET, {WORLD: roles(ok=EVERYONE)}, public_framework, label="public"),
    Check(
        "framework-detail",
        GET,
        {WORLD: roles(ok=(SUPPLIER_A,))},
        private_framework,
        label="private",
    ),
    Check(
        "framework-version-detail",
        GET,
        {WORLD: roles(ok=EVERYONE)},
        public_framework_version,
        label="public",
    ),
    Check(
        "framework-version-detail",
        GET,
        {WORLD: roles(ok=(SUPPLIER_A,))},
        private_framework_version,
        label="private",
    ),
    Check("api-principle-list", GET, {WORLD: roles(ok=EVERYONE)}),
    Check("api-framework-list", GET, {WORLD: roles(ok=EVERYONE)}),
    Check(
        "api-framework-detail",
        GET,
        {WORLD: roles(ok=EVERYONE)},
        public_framework,
        label="public",
    ),
    Check(
        "api-framework-detail",
        GET,
        {WORLD: roles(ok=(SUPPLIER_A,))},
        private_framework,
        label="private",
    ),
    Check(
        "api-framework-version-detail",
        GET,
        {WORLD: roles(ok=EVERYONE)},
        public_framework_version,
        label="public",
    ),
    Check(
        "api-framework-version-detail",
        GET,
        {WORLD: roles(ok=(SUPPLIER_A,))},
        private_framework_version,
        label="private",
    ),
    # assessments: answering pages
    Check("assessment-list", GET, {WORLD: roles(ok=SIGNED_IN)}),
    Check(
        "assessment-create",
        GET,
        {WORLD: roles(ok=MEMBERS)},
        why="eve belongs to no organisation, so there is no one for her to answer for.",
    ),
    Check(
        "assessment-create",
        POST,
        {WORLD: roles(ok=(SUPPLIER_A,), refuse=(*BUYER, SUPPLIER_B))},
        body=lambda p: {
            "framework": p.world.framework.pk,
            "organisation": p.world.supplier_a.pk,
            "title": "Crafted in Acme's name",
        },
        why="A crafted form naming Acme as the respondent creates nothing for anyone else.",
    ),
    Check("assessment-detail", GET, READERS_PAST_DEADLINE, questionnaire),
    Check("assessment-scoring-status", GET, READERS, questionnaire),
    Check(
        "assessment-scoring-retry",
        POST,
        READERS,
        questionnaire,
        why="Scoring has not failed: readers are let through and the page says so.",
    ),
    Check("assessment-criterion", GET, READERS, question("S")),
    Check("assessment-criterion", POST, ANSWERING, question("S"), body=criterion_form),
    Check(
        "assessment-answer",
        POST,
        ANSWERING,
        question("O2", "question_code"),
        body=fixed(**{"O2-status": "partial"}),
    ),
    Check(
        "assessment-evidence-add",
        POST,
        ANSWERING,
        question("O2", "question_code"),
        body=fixed(kind="link", url="https://example.com/crafted", title="Crafted link"),
    ),
    Check(
        "assessment-evidence-download",
        GET,
        READERS,
        lambda p: {"pk": p.assessment.pk, "evidence_pk": p.evidence.pk},
    ),
    Check(
        "assessment-evidence-delete",
        POST,
        ANSWERING,
        lambda p: {"pk": p.assessment.pk, "evidence_pk": p.evidence.pk},
    ),
    Check("assessment-summary", GET, RESPONDENT_READS, questionnaire),
    Check("assessment-submit", POST, ANSWERING, questionnaire),
    Check(
        "assessment-reopen",
        POST,
        ANSWERING,
        questionnaire,
        why="A's questionnaires are drafts already (self, sealed): the page says so.",
    ),
    # assessments: reviewing pages
    Check(
        "review-overview",
        GET,
        {(SELF, CLOSED): roles(ok=(REVIEWER,), redirect=(MANAGER,)), SEALED: NOBODY},
        questionnaire,
        why="A manager who is not on the team is sent to the team page.",
    ),
    Check("review-submit", POST, REVIEWING, questionnaire),
    Check("review-declaration", GET, REVIEWING, questionnaire),
    Check("review-declaration", POST, REVIEWING, questionnaire, body=fixed(confirm="on")),
    Check(
        "review-withdraw",
        POST,
        REVIEW_WRITES,
        questionnaire,
        body=fixed(reason="I used to work there."),
        why="Leaving takes one's scores along: refused once the technical scores are locked.",
    ),
    Check("review-team", GET, TEAM, questionnaire),
    Check(
        "review-team-assign",
        POST,
        TEAM,
        questionnaire,
        body=lambda p: {"reviewer": p.world.users[UNASSIGNED].pk},
    ),
    Check(
        "review-team-lead",
        POST,
        {(SELF, CLOSED): roles(ok=(MANAGER,))},
        lambda p: {"pk": p.assessment.pk, "assignment_pk": p.assignment.pk},
    ),
    Check(
        "review-team-remove",
        POST,
        {(SELF, CLOSED): roles(ok=(MANAGER,)), LOCKED: roles(refuse=(MANAGER,))},
        lambda p: {"pk": p.assessment.pk, "assignment_pk": p.assignment.pk},
    ),
    Check("review-criterion", GET, REVIEWING, question("S")),
    Check(
        "review-score",
        POST,
        REVIEW_WRITES,
        question("S1"),
        body=score_form,
    ),
    Check("review-consensus", GET, REVIEWING, questionnaire),
    Check(
        "review-consensus-set",
        POST,
        REVIEWING,
        question("S1"),
        body=consensus_form,
        why="bob has not submitted his review: let through, the page says why not yet.",
    ),
    Check(
        "review-red-flag-dismiss",
        POST,
        REVIEW_WRITES,
        lambda p: {"pk": p.assessment.pk, "flag_pk": p.flag_active.pk},
        body=dismiss_form,
    ),
    Check(
        "review-red-flag-restore",
        POST,
        REVIEW_WRITES,
        lambda p: {"pk": p.assessment.pk, "flag_pk": p.flag_dismissed.pk},
    ),
    # assessments: reports and workbooks
    Check("assessment-report-request", POST, READERS, questionnaire),
    Check(
        "assessment-report-status",
        GET,
        READERS,
        lambda p: {"pk": p.assessment.pk, "report_id": p.report_done.pk},
    ),
    Check(
        "assessment-report-download",
        GET,
        READERS,
        lambda p: {"pk": p.assessment.pk, "report_id": p.report_done.pk},
    ),
    Check(
        "assessment-report-retry",
        POST,
        READERS,
        lambda p: {"pk": p.assessment.pk, "report_id": p.report_failed.pk},
    ),
    Check("assessment-workbook", GET, READERS, questionnaire),
    Check("assessment-workbook", POST, ANSWERING, questionnaire, body=workbook_upload),
    Check("assessment-workbook-download", GET, READERS, questionnaire),
    # assessments: API
    Check("api-assessment-list", GET, {WORLD: roles(ok=SIGNED_IN)}),
    Check(
        "api-assessment-list",
        POST,
        {WORLD: roles(ok=(SUPPLIER_A,), refuse=(*BUYER, SUPPLIER_B))},
        body=lambda p: {
            "framework": p.world.framework.slug,
            "organisation": p.world.supplier_a.slug,
            "title": "Crafted in Acme's name",
        },
        why="eve is a member of nothing: 403; the others are told they are not in Acme: 400.",
    ),
    Check("api-assessment-detail", GET, READERS_PAST_DEADLINE, questionnaire_api),
    Check(
        "api-assessment-detail",
        PATCH,
        ANSWERING,
        questionnaire_api,
        body=fixed(title="Crafted title"),
    ),
    Check("api-assessment-submit", POST, ANSWERING, questionnaire_api),
    Check(
        "api-assessment-reopen",
        POST,
        {(SELF, SEALED, DUE, CLOSED): roles(refuse=(SUPPLIER_A,))},
        questionnaire_api,
        why="A's questionnaires here are drafts already or closed: a 400 says which.",
    ),
    Check("api-answer-list", GET, READERS_PAST_DEADLINE, questionnaire_api),
    Check(
        "api-answer-detail",
        PATCH,
        ANSWERING,
        question("O2", api=True),
        body=fixed(status="partial"),
    ),
    Check("api-scorecard", GET, READERS, questionnaire_api),
    Check(
        "api-scorecard-retry",
        POST,
        {
            SELF: roles(refuse=(SUPPLIER_A, MANAGER, REVIEWER)),
            SEALED: roles(refuse=(SUPPLIER_A,)),
            CLOSED: roles(refuse=(SUPPLIER_A, MANAGER, REVIEWER)),
        },
        questionnaire_api,
        why="Scoring has not failed: readers are let through and told so in a 400.",
    ),
    Check("api-assessment-report-list", POST, READERS, questionnaire_api),
    Check(
        "api-assessment-report-detail",
        GET,
        READERS,
        lambda p: {"assessment_id": p.assessment.pk, "report_id": p.report_done.pk},
    ),
    Check(
        "api-assessment-report-retry",
        POST,
        READERS,
        lambda p: {"assessment_id": p.assessment.pk, "report_id": p.report_failed.pk},
    ),
    Check(
        "api-assessment-report-download",
        GET,
        READERS,
        lambda p: {"assessment_id": p.assessment.pk, "report_id": p.report_done.pk},
    ),
    Check(
        "api-review",
        PUT,
        REVIEW_WRITES,
        question("S1", api=True),
        body=fixed(score=2, comment="Crafted score."),
    ),
    # RFx: the buyer's pages
    Check("rfx-list", GET, {WORLD: roles(ok=SIGNED_IN)}),
    Check("rfx-create", GET, {WORLD: roles(ok=(MANAGER,))}),
    Check(
        "rfx-create",
        POST,
        {WORLD: roles(ok=(MANAGER,))},
        body=lambda p: {
            "kind": "rfp",
            "title": "Crafted RFx",
            "framework": p.world.framework.pk,
            "buyer": p.world.buyer.pk,
        },
    ),
    Check(
        "rfx-detail",
        GET,
        {
            DRAFT: roles(ok=BUYER_TEAM),
            (SEALED, DUE, CLOSED): roles(ok=BUYER_TEAM, redirect=SUPPLIERS),
        },
        rfx,
        why="An invited supplier is sent to its own page of the RFx.",
    ),
    Check(
        "rfx-publish",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: roles(refuse=(MANAGER,))},
        rfx,
    ),
    Check(
        "rfx-cancel",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,))},
        rfx,
        body=fixed(reason="Crafted: budget cut."),
    ),
    Check("rfx-edit", GET, {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: NOBODY}, rfx),
    Check(
        "rfx-edit",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: NOBODY},
        rfx,
        body=rfx_settings,
    ),
    Check(
        "rfx-section-save",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: NOBODY},
        lambda p: {"pk": p.rfx.pk, "section_pk": p.section.pk},
        body=fixed(body="<p>Crafted section.</p>", summary="Crafted change."),
    ),
    Check(
        "rfx-extra-questionnaire",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: roles(refuse=(MANAGER,)), CLOSED: NOBODY},
        rfx,
        body=extra_questions,
    ),
    Check("rfx-invitations", GET, {(DRAFT, SEALED, CLOSED): roles(ok=(MANAGER,))}, rfx),
    Check(
        "rfx-invitations",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: roles(refuse=(MANAGER,))},
        rfx,
        body=lambda p: {"supplier": p.world.supplier_c.pk, "email": "bids@cedar.test"},
    ),
    Check(
        "rfx-invitation-resend",
        POST,
        {(DRAFT, DUE): roles(refuse=(MANAGER,)), SEALED: roles(ok=(MANAGER,))},
        lambda p: {"pk": p.rfx.pk, "invitation_pk": p.invitation_b.pk},
        why="A link is sent only while proposals are taken: not before publishing, not once "
        "the deadline has passed by the server's clock.",
    ),
    Check("rfx-clarifications", GET, {(SEALED, CLOSED): roles(ok=(MANAGER,))}, rfx),
    Check(
        "rfx-clarification-answer",
        POST,
        {SEALED: roles(ok=(MANAGER,)), CLOSED: roles(refuse=(MANAGER,))},
        lambda p: {"pk": p.rfx.pk, "clarification_pk": p.clarification_private.pk},
        body=fixed(answer="Crafted answer."),
    ),
    # RFx: the supplier's pages
    Check(
        "rfx-invitation",
        GET,
        {SEALED: roles(ok=(ANONYMOUS,), redirect=(SUPPLIER_A,)), DUE: NOBODY},
        lambda p: {"token": p.token},
        why="A's one-time link: A follows it to the RFx; a visitor is offered to register; "
        "anyone else signed in is told it is not theirs. After the deadline it opens nothing.",
    ),
    Check(
        "rfx-invitation",
        POST,
        {SEALED: roles(ok=(SUPPLIER_A, ANONYMOUS)), DUE: NOBODY},
        lambda p: {"token": p.token},
        body=fixed(
            username="newcomer",
            first_name="New",
            last_name="Comer",
            password1="a-long-and-unusual-passphrase",
            password2="a-long-and-unusual-passphrase",
            action="accept",
            accept_terms="on",
        ),
        why="A visitor registers into the invited supplier with the link; A's invitation is "
        "already accepted, so A is sent to the RFx.",
    ),
    Check("rfx-supplier-detail", GET, SUPPLIER_PAGES, rfx),
    Check(
        "rfx-supplier-detail",
        POST,
        SUPPLIER_WRITES,
        rfx,
        body=fixed(question="Crafted question?"),
    ),
    Check(
        "rfx-invitation-respond",
        POST,
        SUPPLIER_WRITES,
        rfx,
        body=fixed(action="accept", accept_terms="on"),
    ),
    Check("rfx-proposal", GET, SUPPLIER_PAGES, rfx),
    Check(
        "rfx-proposal",
        POST,
        {SEALED: roles(ok=SUPPLIERS), (DUE, CLOSED): NOBODY},
        rfx,
        body=fixed(
            action="save",
            licence_terms="Crafted licence",
            service_terms="Crafted service",
            price_amount="1.00",
            price_currency="GBP",
        ),
        label="save",
        why="After the deadline the page answers 403 and keeps nothing.",
    ),
    Check(
        "rfx-proposal",
        POST,
        {SEALED: roles(ok=SUPPLIERS), (DUE, CLOSED): NOBODY},
        rfx,
        body=fixed(
            action="submit",
            licence_terms="Crafted licence",
            service_terms="Crafted service",
            price_amount="1.00",
            price_currency="GBP",
        ),
        label="submit",
    ),
    Check(
        "rfx-proposal-autosave",
        POST,
        SUPPLIER_WRITES,
        rfx,
        body=fixed(licence_terms="Crafted licence"),
        why="Each supplier saves its own proposal; after the deadline nothing is stored.",
    ),
    Check(
        "rfx-proposal-document-add",
        POST,
        SUPPLIER_WRITES,
        lambda p: {"pk": p.rfx.pk, "kind": "licence"},
        body=document_upload("licence"),
    ),
    Check(
        "rfx-proposal-document-remove",
        POST,
        {SEALED: roles(ok=(SUPPLIER_A,)), (DUE, CLOSED): roles(refuse=(SUPPLIER_A,))},
        lambda p: {"pk": p.rfx.pk, "document_pk": p.document_a.pk},
        why="A's document: B looks for it on its own proposal and finds nothing.",
    ),
    Check(
        "rfx-proposal-document",
        GET,
        {SEALED: roles(ok=(SUPPLIER_A,)), CLOSED: roles(ok=(SUPPLIER_A, *EVALUATORS))},
        lambda p: {"pk": p.rfx.pk, "proposal_pk": p.proposal_a.pk, "document_pk": p.document_a.pk},
        why="Sealed from the buyer until the RFx closes; never to another supplier.",
    ),
    Check("rfx-feedback", GET, {(SEALED, AWARDED): roles(ok=SUPPLIERS)}, rfx),
    # RFx: the tender competition (every RFx of the world has one; see world.py)
    Check(
        "rfx-competition",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=BUYER_TEAM, redirect=SUPPLIERS)},
        rfx,
        why="An invited supplier is sent to its own competition page.",
    ),
    Check(
        "rfx-competition-settings",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        rfx,
        body=competition_settings,
        why="Fixed at publishing: nobody changes it afterwards.",
    ),
    Check(
        "rfx-competition-bar-add",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        rfx,
        body=fixed(**{"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "0.5"}),
    ),
    Check(
        "rfx-competition-bar-remove",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        lambda p: {"pk": p.rfx.pk, "index": 0},
    ),
    Check(
        "rfx-competition-upload",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        competition_file("training"),
        body=competition_upload,
    ),
    Check("rfx-competition-remove", POST, {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY}, rfx),
    Check(
        "rfx-competition-download",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=INVITED)},
        competition_file("training"),
        label="training",
    ),
    Check(
        "rfx-competition-download",
        GET,
        {(DRAFT, SEALED, CLOSED): roles(ok=BUYER_TEAM), DUE: roles(ok=INVITED)},
        competition_file("inputs"),
        label="inputs",
        why="Suppliers get the evaluation inputs from their release by the server's clock: "
        "only the due phase's clock is past it.",
    ),
    Check(
        "rfx-competition-download",
        GET,
        {(DRAFT, SEALED, DUE, CLOSED): roles(ok=(MANAGER,))},
        competition_file("labels"),
        label="labels",
        why="The hidden labels: the buyer's procurement managers only, never a supplier.",
    ),
    Check(
        "rfx-supplier-competition",
        GET,
        {DRAFT: NOBODY, (SEALED, DUE, CLOSED): roles(ok=SUPPLIERS)},
        rfx,
    ),
    Check(
        "rfx-supplier-competition",
        POST,
        {(SEALED, DUE, CLOSED): roles(refuse=SUPPLIERS)},
        rfx,
        body=predictions_upload,
        why="Predictions are taken from the release until the deadline, by the server's clock: "
        "before it (sealed, closed) and after it (due) nothing is stored.",
    ),
    Check(
        "rfx-prediction-retry",
        POST,
        {SEALED: roles(refuse=(SUPPLIER_A,)), CLOSED: roles(refuse=(SUPPLIER_A, MANAGER))},
        lambda p: {"pk": p.rfx.pk, "submission_pk": p.prediction_a.pk},
        why="A's file is scored: its supplier, and a manager once the RFx is opened, are let "
        "through and told only failed scoring is retried.",
    ),
    Check(
        "rfx-prediction-download",
        GET,
        {(SEALED, CLOSED): roles(ok=(SUPPLIER_A,))},
        lambda p: {"pk": p.rfx.pk, "submission_pk": p.prediction_a.pk},
        why="A's file as uploaded: its supplier only; the team reads the results instead.",
    ),
    Check("rfx-competition-results", GET, EVALUATION_READS, rfx),
    Check(
        "rfx-competition-result",
        GET,
        EVALUATION_READS,
        lambda p: {"pk": p.rfx.pk, "proposal_pk": p.proposal_b.pk},
    ),
    # RFx: evaluation pages
    Check("rfx-team", GET, {(DRAFT, SEALED, CLOSED): roles(ok=(MANAGER,))}, rfx),
    Check(
        "rfx-team",
        POST,
        {(DRAFT, SEALED, CLOSED): roles(ok=(MANAGER,))},
        rfx,
        body=lambda p: {"reviewer": p.world.users[UNASSIGNED].pk},
    ),
    Check(
        "rfx-declaration",
        GET,
        {(SEALED, CLOSED): roles(ok=(REVIEWER,))},
        rfx,
        why="Only members of the team declare; the manager is not on this team.",
    ),
    Check(
        "rfx-declaration",
        POST,
        {(SEALED, CLOSED): roles(ok=(REVIEWER,))},
        rfx,
        body=fixed(confirm="yes"),
    ),
    Check("rfx-evaluation", GET, EVALUATION_READS, rfx),
    Check(
        "rfx-terms-score",
        POST,
        {SEALED: NOBODY, CLOSED: roles(ok=(REVIEWER,)), LOCKED: NOBODY},
        lambda p: {"pk": p.rfx.pk, "proposal_pk": p.proposal_a.pk},
        body=terms_score_form,
    ),
    Check(
        "rfx-lock-technical",
        POST,
        {SEALED: roles(refuse=(MANAGER,)), CLOSED: roles(ok=(MANAGER,))},
        rfx,
    ),
    Check(
        "rfx-mark-evaluated",
        POST,
        {CLOSED: roles(refuse=(MANAGER,)), LOCKED: roles(ok=(MANAGER,))},
        rfx,
    ),
    Check("rfx-comparison", GET, EVALUATION_READS, rfx),
    Check("rfx-award", GET, {(EVALUATED, AWARDED): roles(ok=(MANAGER,))}, rfx),
    Check(
        "rfx-award",
        POST,
        {LOCKED: roles(refuse=(MANAGER,)), EVALUATED: roles(ok=(MANAGER,))},
        rfx,
        body=lambda p: {"proposal": p.proposal_a.pk, "justification": "Crafted justification."},
    ),
    # RFx: scorecard and exports
    Check("rfx-scorecard", GET, OPENED_READS, rfx),
    Check("rfx-scorecard", POST, OPENED_READS, rfx),
    Check(
        "rfx-scorecard-status",
        GET,
        OPENED_READS,
        # Before closing there is no scorecard: any id, the RFx itself is refused first.
        lambda p: {"pk": p.rfx.pk, "report_id": p.scorecard_done.pk if p.scorecard_done else 1},
    ),
    Check(
        "rfx-scorecard-retry",
        POST,
        {(CLOSED, LOCKED): roles(ok=EVALUATORS)},
        lambda p: {"pk": p.rfx.pk, "report_id": p.scorecard_failed.pk},
    ),
    Check(
        "rfx-scorecard-download",
        GET,
        {(CLOSED, LOCKED): roles(ok=EVALUATORS)},
        lambda p: {"pk": p.rfx.pk, "report_id": p.scorecard_done.pk},
    ),
    Check("rfx-export-csv", GET, OPENED_READS, rfx),
    Check("rfx-export-xlsx", GET, OPENED_READS, rfx),
    # RFx: API
    Check("api-rfx-list", GET, {WORLD: roles(ok=SIGNED_IN)}),
    Check(
        "api-rfx-list",
        POST,
        {WORLD: roles(ok=(MANAGER,))},
        body=lambda p: {"title": "Crafted RFx", "framework": p.world.framework.slug},
    ),
    Check(
        "api-rfx-detail",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, DUE, CLOSED, AWARDED): roles(ok=INVITED)},
        rfx_api,
    ),
    Check(
        "api-rfx-detail",
        PATCH,
        {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: NOBODY},
        rfx_api,
        body=fixed(title="Crafted title", summary="Crafted change."),
    ),
    Check(
        "api-rfx-publish",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: roles(refuse=(MANAGER,))},
        rfx_api,
    ),
    Check(
        "api-rfx-cancel",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,))},
        rfx_api,
        body=fixed(reason="Crafted: budget cut."),
    ),
    Check(
        "api-rfx-extra-questionnaire",
        POST,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: roles(refuse=(MANAGER,))},
        rfx_api,
        body=extra_questions,
        why="The extra questions change only while the RFx is a draft: a 400 says so after.",
    ),
    Check(
        "api-rfx-section",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=INVITED)},
        lambda p: {"rfx_id": p.rfx.pk, "key": p.section.key},
    ),
    Check(
        "api-rfx-section",
        PUT,
        {(DRAFT, SEALED): roles(ok=(MANAGER,)), CLOSED: NOBODY},
        lambda p: {"rfx_id": p.rfx.pk, "key": p.section.key},
        body=fixed(body="<p>Crafted section.</p>", summary="Crafted change."),
    ),
    Check("api-rfx-invitation-list", GET, {(DRAFT, SEALED): roles(ok=(MANAGER,))}, rfx_api),
    Check(
        "api-rfx-invitation-list",
        POST,
        {(DRAFT, SEALED): roles(ok=(MANAGER,))},
        rfx_api,
        body=fixed(supplier="cedar-labs", email="bids@cedar.test"),
    ),
    Check(
        "api-rfx-invitation-resend",
        POST,
        {(DRAFT, DUE): roles(refuse=(MANAGER,)), SEALED: roles(ok=(MANAGER,))},
        lambda p: {"rfx_id": p.rfx.pk, "invitation_id": p.invitation_b.pk},
        why="As the page: only while proposals are taken, by the server's clock.",
    ),
    Check(
        "api-rfx-invitation-accept",
        POST,
        {
            SEALED: roles(ok=(SUPPLIER_A,), refuse=(*BUYER, SUPPLIER_B, OUTSIDER)),
            DUE: roles(refuse=(*BUYER, *SUPPLIERS, OUTSIDER)),
        },
        body=lambda p: {"token": p.token, "accept_terms": True},
        why="The token names the invitation: anyone else signed in is told it is not theirs.",
    ),
    Check(
        "api-rfx-invitation-decline",
        POST,
        {SEALED: roles(refuse=(*BUYER, *SUPPLIERS, OUTSIDER))},
        body=lambda p: {"token": p.token, "reason": "Crafted: too busy."},
        why="A has submitted a proposal, so it can no longer decline: a 400 says so.",
    ),
    Check(
        "api-rfx-clarification-list",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=INVITED)},
        rfx_api,
    ),
    Check(
        "api-rfx-clarification-list",
        POST,
        SUPPLIER_WRITES,
        rfx_api,
        body=fixed(question="Crafted question?"),
    ),
    Check(
        "api-rfx-clarification-answer",
        POST,
        {SEALED: roles(ok=(MANAGER,)), CLOSED: roles(refuse=(MANAGER,))},
        lambda p: {"rfx_id": p.rfx.pk, "clarification_id": p.clarification_private.pk},
        body=fixed(answer="Crafted answer.", publish=False),
    ),
    Check("api-rfx-submission-list", GET, {(SEALED, DUE, CLOSED): roles(ok=BUYER_TEAM)}, rfx_api),
    Check("api-rfx-proposal", GET, {(SEALED, CLOSED, AWARDED): roles(ok=SUPPLIERS)}, rfx_api),
    Check("api-rfx-proposal", POST, SUPPLIER_WRITES, rfx_api),
    Check(
        "api-rfx-proposal",
        PATCH,
        SUPPLIER_WRITES,
        rfx_api,
        body=fixed(licence_terms="Crafted licence", price_amount="1.00", price_currency="GBP"),
    ),
    Check("api-rfx-proposal-submit", POST, SUPPLIER_WRITES, rfx_api),
    Check("api-rfx-proposal-reopen", POST, SUPPLIER_WRITES, rfx_api),
    Check(
        "api-rfx-proposal-documents",
        GET,
        {(SEALED, CLOSED): roles(ok=SUPPLIERS)},
        rfx_api,
        why="Each supplier lists its own proposal's documents; the buyer has no proposal here.",
    ),
    Check("api-rfx-proposal-documents", POST, SUPPLIER_WRITES, rfx_api, body=document_upload()),
    Check(
        "api-rfx-proposal-document",
        DELETE,
        {SEALED: roles(ok=(SUPPLIER_A,)), (DUE, CLOSED): roles(refuse=(SUPPLIER_A,))},
        lambda p: {"rfx_id": p.rfx.pk, "document_id": p.document_a.pk},
        why="A's document: B looks for it on its own proposal and finds nothing.",
    ),
    Check(
        "api-rfx-proposal-document-download",
        GET,
        {SEALED: roles(ok=(SUPPLIER_A,)), CLOSED: roles(ok=(SUPPLIER_A, *EVALUATORS))},
        lambda p: {
            "rfx_id": p.rfx.pk,
            "proposal_id": p.proposal_a.pk,
            "document_id": p.document_a.pk,
        },
        why="Sealed from the buyer until the RFx closes; never to another supplier.",
    ),
    Check("api-rfx-proposal-list", GET, OPENED_READS, rfx_api),
    Check(
        "api-rfx-terms-score",
        POST,
        {SEALED: NOBODY, CLOSED: roles(ok=(REVIEWER,)), LOCKED: NOBODY},
        lambda p: {"rfx_id": p.rfx.pk, "proposal_id": p.proposal_a.pk},
        body=fixed(score=2),
    ),
    Check("api-rfx-declaration", POST, {(SEALED, CLOSED): roles(ok=(REVIEWER,))}, rfx_api),
    Check("api-rfx-team", GET, {(SEALED, CLOSED): roles(ok=EVALUATORS)}, rfx_api),
    Check(
        "api-rfx-team",
        POST,
        {(SEALED, CLOSED): roles(ok=(MANAGER,)), AWARDED: roles(refuse=(MANAGER,))},
        rfx_api,
        body=lambda p: {"reviewer": p.world.users[UNASSIGNED].pk},
        why="Once awarded the team is part of the record: a 400 says so.",
    ),
    Check(
        "api-rfx-team-member",
        PATCH,
        {(SEALED, CLOSED): roles(ok=(MANAGER,))},
        lambda p: {"rfx_id": p.rfx.pk, "reviewer_id": p.world.users[REVIEWER].pk},
        body=fixed(is_lead=False),
    ),
    Check(
        "api-rfx-team-member",
        DELETE,
        {SEALED: roles(ok=(MANAGER,)), (CLOSED, LOCKED): roles(refuse=(MANAGER,))},
        lambda p: {"rfx_id": p.rfx.pk, "reviewer_id": p.world.users[REVIEWER].pk},
        why="bob has scored the terms once the RFx has closed: he stays on the team.",
    ),
    Check(
        "api-rfx-lock",
        POST,
        {SEALED: roles(refuse=(MANAGER,)), CLOSED: roles(ok=(MANAGER,))},
        rfx_api,
    ),
    Check(
        "api-rfx-evaluated",
        POST,
        {CLOSED: roles(refuse=(MANAGER,)), LOCKED: roles(ok=(MANAGER,))},
        rfx_api,
    ),
    Check("api-rfx-ranking", GET, OPENED_READS, rfx_api),
    Check(
        "api-rfx-award",
        GET,
        {EVALUATED: NOBODY, AWARDED: roles(ok=(MANAGER,))},
        rfx_api,
        why="The managers read the decision; a 404 until there is one.",
    ),
    Check(
        "api-rfx-award",
        POST,
        {LOCKED: roles(refuse=(MANAGER,)), EVALUATED: roles(ok=(MANAGER,))},
        rfx_api,
        body=lambda p: {"proposal": p.proposal_a.pk, "justification": "Crafted justification."},
    ),
    # RFx: the tender competition API (the same rules as its pages above)
    Check(
        "api-rfx-competition",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=INVITED)},
        rfx_api,
        why="An invited supplier reads what its own competition page shows.",
    ),
    Check(
        "api-rfx-competition",
        PUT,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        rfx_api,
        body=competition_api_settings,
        why="Fixed at publishing: nobody changes it afterwards.",
    ),
    Check(
        "api-rfx-competition",
        PATCH,
        {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY},
        rfx_api,
        body=fixed(description="Crafted task description."),
    ),
    Check("api-rfx-competition", DELETE, {DRAFT: roles(ok=(MANAGER,)), SEALED: NOBODY}, rfx_api),
    Check(
        "api-rfx-competition-upload",
        POST,
        {DRAFT: roles(refuse=(MANAGER,)), SEALED: NOBODY},
        competition_file_api("training"),
        why="The probe sends JSON and the upload takes multipart/form-data: the manager is let "
        "through and the body refused (415); tests/rfx/test_api_competition.py uploads files.",
    ),
    Check(
        "api-rfx-competition-download",
        GET,
        {DRAFT: roles(ok=BUYER_TEAM), (SEALED, CLOSED): roles(ok=(*BUYER_TEAM, *SUPPLIERS))},
        competition_file_api("training"),
        label="training",
    ),
    Check(
        "api-rfx-competition-download",
        GET,
        {(DRAFT, SEALED, CLOSED): roles(ok=BUYER_TEAM), DUE: roles(ok=(*BUYER_TEAM, *SUPPLIERS))},
        competition_file_api("inputs"),
        label="inputs",
        why="Suppliers get the evaluation inputs from their release by the server's clock.",
    ),
    Check(
        "api-rfx-competition-download",
        GET,
        {(DRAFT, SEALED, DUE, CLOSED): roles(ok=(MANAGER,))},
        competition_file_api("labels"),
        label="labels",
        why="The hidden labels: the buyer's procurement managers only, never a supplier.",
    ),
    Check(
        "api-rfx-prediction-list",
        GET,
        {DRAFT: NOBODY, (SEALED, DUE, CLOSED): roles(ok=SUPPLIERS)},
        rfx_api,
        why="Each supplier lists its own files only.",
    ),
    Check(
        "api-rfx-prediction-list",
        POST,
        {(SEALED, DUE, CLOSED): roles(refuse=SUPPLIERS)},
        rfx_api,
        why="Predictions are taken from the release until the deadline, by the server's clock: "
        "before it (sealed, closed) and after it (due) a 400 says so and nothing is stored.",
    ),
    Check(
        "api-rfx-prediction-detail",
        GET,
        {(SEALED, CLOSED): roles(ok=(SUPPLIER_A,))},
        prediction_a_api,
        why="A's own file: B and the buyer read results on the leaderboard, not the file.",
    ),
    Check(
        "api-rfx-prediction-download",
        GET,
        {(SEALED, CLOSED): roles(ok=(SUPPLIER_A,))},
        prediction_a_api,
        why="A's file as uploaded: its supplier only; the team reads the results instead.",
    ),
    Check(
        "api-rfx-prediction-retry",
        POST,
        {SEALED: roles(refuse=(SUPPLIER_A,)), CLOSED: roles(refuse=(SUPPLIER_A, MANAGER))},
        prediction_a_api,
        why="A's file is scored: its supplier, and a manager once the RFx is opened, are let "
        "through and told only failed scoring is retried.",
    ),
    Check("api-rfx-competition-results", GET, OPENED_READS, rfx_api),
    Check(
        "api-rfx-competition-result",
        GET,
        OPENED_READS,
        lambda p: {"rfx_id": p.rfx.pk, "proposal_id": p.proposal_b.pk},
    ),
    Check(
        "api-rfx-feedback",
        GET,
        {EVALUATED: NOBODY, AWARDED: roles(ok=SUPPLIERS)},
        rfx_api,
        why="Each supplier reads its own outcome, nothing of the other's; a 404 before it.",
    ),
    Check("api-rfx-scorecard-list", GET, OPENED_API, rfx_api),
    Check("api-rfx-scorecard-list", POST, OPENED_API, rfx_api),
    Check(
        "api-rfx-scorecard-detail",
        GET,
        {(CLOSED, LOCKED): roles(ok=EVALUATORS)},
        lambda p: {"rfx_id": p.rfx.pk, "report_id": p.scorecard_done.pk},
    ),
    Check(
        "api-rfx-scorecard-retry",
        POST,
        {(CLOSED, LOCKED): roles(ok=EVALUATORS)},
        lambda p: {"rfx_id": p.rfx.pk, "report_id": p.scorecard_failed.pk},
    ),
    Check(
        "api-rfx-scorecard-download",
        GET,
        {(CLOSED, LOCKED): roles(ok=EVALUATORS)},
        lambda p: {"rfx_id": p.rfx.pk, "report_id": p.scorecard_done.pk},
    ),
    Check("api-rfx-matrix-csv", GET, OPENED_API, rfx_api),
    Check("api-rfx-matrix-xlsx", GET, OPENED_API, rfx_api),
]


def cases() -> list[tuple[Check, str]]:
    """Every (check, phase) the matrix test runs, in table order."""
    return [(check, phase) for check in MATRIX for phase in check.expected]
