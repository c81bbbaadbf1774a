"""The principles and frameworks API (/api/v1/), its schema and its docs."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from principles.models import Framework, Principle
from tests.frameworks import VENDOR_FILE

pytestmark = pytest.mark.django_db


def timestamp(value) -> str:
    """A datetime as DRF writes it."""
    return value.isoformat().replace("+00:00", "Z")


def expected_detail(framework: Framework) -> dict:
    """The API body for the fixture questionnaire, written out from the YAML file by hand."""
    flag = lambda code, severity, when, message: {  # noqa: E731
        "code": code,
        "severity": severity,
        "when": when,
        "message": message,
    }

    def question(
        code,
        text,
        answer,
        red_flags,
        *,
        guidance="",
        choices=(),
        required=True,
        weight=1.0,
        show_if="",
    ):
        return {
            "code": code,
            "text": text,
            "guidance": guidance,
            "answer": answer,
            "choices": list(choices),
            "required": required,
            "weight": weight,
            "show_if": show_if,
            "red_flags": red_flags,
        }

    return {
        "slug": "vendor-security-questionnaire",
        "name": "Vendor Security Questionnaire",
        "version": "1.0",
        "kind": "questionnaire",
        "description": "A short security questionnaire a buyer sends to every vendor.",
        "owner": None,
        "criterion_count": 2,
        "question_count": 6,
        "created_at": timestamp(framework.created_at),
        "levels": [
            {"level": 1, "name": "Weak", "min_score": 0.0},
            {"level": 2, "name": "Adequate", "min_score": 0.5},
            {"level": 3, "name": "Strong", "min_score": 0.8},
        ],
        "content_hash": framework.content_hash,
        "criteria": [
            {
                "code": "S",
                "title": "Data protection",
                "principle": "security-and-data-risk",
                "weight": 2.0,
                "explanation": "How the vendor protects the data it stores for its customers.",
                "requirements": (
                    "Customer data is encrypted at rest with keys held apart from the data."
                ),
                "recommendations": {
                    "1": "Encrypt stored customer data.",
                    "2": "Move the keys into a key management service.",
                    "3": "Review key access every quarter.",
                },
                "questions": [
                    question(
                        "S1",
                        "Is customer data encrypted at rest?",
                        "status",
                        [
                            flag(
                                "S1a",
                                "critical",
                                'answer.status == "no"',
                                "Customer data is stored unencrypted.",
                            ),
                            flag(
                                "S1b",
                                "minor",
                                'answer.status == "yes" && answer.evidence_count == 0',
                                "Encryption at rest is claimed without evidence.",
                            ),
                        ],
                        guidance="Name the algorithm and say where the keys are held.",
                    ),
                    question(
                        "S2",
                        "Where are the encryption keys held?",
                        "choice",
                        [
                            flag(
                                "S2a",
                                "major",
                                '"Application configuration" in answer.choices',
                                "Keys are kept beside the data they protect.",
                            ),
                        ],
                        guidance="Pick every place that holds a key.",
                        choices=[
                            "Cloud KMS",
                            "Hardware security module",
                            "Application configuration",
                        ],
                        show_if='answers["S1"].status in ["yes", "partial"]',
                    ),
                    question(
                        "S3",
                        "How many security incidents did you report to customers in the last "
                        "twelve months?",
                        "number",
                        [
                            flag(
                                "S3a",
                                "major",
                                "answer.number != null && answer.number > 3.0",
                                "More than three incidents reported in a year.",
                            ),
                        ],
                        required=False,
                        weight=0.5,
                    ),
                ],
            },
            {
                "code": "O",
                "title": "Operations",
                "principle": None,
                "weight": 1.0,
                "explanation": "How the vendor detects and answers security incidents.",
                "requirements": (
                    "A written, rehearsed incident response and a yearly penetration test."
                ),
                "recommendations": {},
                "questions": [
                    question(
                        "O1",
                        "Describe your incident response process.",
                        "text",
                        [
                            flag(
                                "O1a",
                                "minor",
                                'answer.text != "" && size(answer.text) < 40',
                                "The description is too short to assess.",
                            ),
                        ],
                        guidance="Who is called, how fast, and how customers are told.",
                    ),
                    question(
                        "O2",
                        "Do you commission a penetration test at least once a year?",
                        "status",
                        [
                            flag(
                                "O2a",
                                "critical",
                                'answer.status == "no" && answers["S1"].status == "no"',
                                "Neither encryption at rest nor a yearly penetration test.",
                            ),
                        ],
                    ),
                    question(
                        "O3",
                        "Which certifications do you hold?",
                        "choice",
                        [
                            flag(
                                "O3a",
                                "major",
                                '"None" in answer.choices && answers["O2"].status != "yes"',
                                "No certification and no yearly penetration test.",
                            ),
                        ],
                        choices=["ISO 27001", "SOC 2", "None"],
                        required=False,
                    ),
                ],
            },
        ],
    }


def summary(framework: Framework, *, owner=None, criteria=2, questions=6) -> dict:
    return {
        "slug": framework.slug,
        "name": framework.name,
        "version": framework.version,
        "kind": framework.kind,
        "description": framework.description,
        "owner": owner,
        "criterion_count": criteria,
        "question_count": questions,
        "created_at": timestamp(framework.created_at),
    }


def test_the_principle_list_returns_every_principle_in_order(api_client, principles_loaded):
    response = api_client.get("/api/v1/principles/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": p.slug,
            "name": p.name,
            "order": p.order,
            "summary": p.summary,
            "description": p.description,
            "optional": p.optional,
        }
        for p in Principle.objects.order_by("order")
    ]
    assert [item["slug"] for item in response.json()][-1] == "alignment-with-intent"
    assert len(response.json()) == 9


def test_the_framework_detail_returns_the_whole_framework(api_client, vendor_framework):
    response = api_client.get("/api/v1/frameworks/vendor-security-questionnaire/")

    assert response.status_code == 200
    assert response.json() == expected_detail(vendor_framework)


def test_the_framework_detail_of_a_named_version_returns_that_version(api_client, vendor_framework):
    response = api_client.get("/api/v1/frameworks/vendor-security-questionnaire/1.0/")

    assert response.status_code == 200
    assert response.json() == expected_detail(vendor_framework)


def test_an_unknown_framework_or_version_is_404(api_client, vendor_framework):
    assert api_client.get("/api/v1/frameworks/vendor-security-questionnaire/9.9/").json() == {
        "detail": "Not found."
    }
    assert api_client.get("/api/v1/frameworks/no-such-framework/").status_code == 404


def test_the_framework_list_is_paginated_and_counts_criteria_and_questions(
    api_client, bundled, vendor_framework
):
    model = Framework.objects.get(slug="ml-maturity-model")

    response = api_client.get("/api/v1/frameworks/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            summary(model, criteria=8, questions=model.questions.count()),
            summary(vendor_framework),
        ],
    }


def test_the_framework_list_shows_a_private_framework_only_to_its_organisation(
    api_client, vendor_framework, private_framework, supplier_a, supplier_b
):
    api_client.force_authenticate(supplier_a)
    assert [item["slug"] for item in api_client.get("/api/v1/frameworks/").json()["results"]] == [
        "acme-internal-review",
        "vendor-security-questionnaire",
    ]
    assert api_client.get("/api/v1/frameworks/").json()["results"][0] == summary(
        private_framework, owner="acme-analytics"
    )

    api_client.force_authenticate(supplier_b)
    assert [item["slug"] for item in api_client.get("/api/v1/frameworks/").json()["results"]] == [
        "vendor-security-questionnaire",
    ]


def test_the_api_is_read_only(api_client, vendor_framework, buyer):
    api_client.force_authenticate(buyer)

    assert api_client.post("/api/v1/frameworks/", {"slug": "x"}, format="json").status_code == 405
    assert api_client.delete("/api/v1/frameworks/vendor-security-questionnaire/").status_code == 405
    assert Framework.objects.count() == 1


# Anonymous: one query for the framework, three for the tree
# (criteria with their principles, questions, red flags).
DETAIL_QUERIES_ANONYMOUS = 4


def test_the_framework_detail_query_count_does_not_grow_with_questions(
    api_client, bundled, vendor_framework, django_assert_num_queries
):
    model = Framework.objects.get(slug="ml-maturity-model")
    assert model.questions.count() > 9 * vendor_framework.questions.count()

    with django_assert_num_queries(DETAIL_QUERIES_ANONYMOUS):
        small = api_client.get("/api/v1/frameworks/vendor-security-questionnaire/")
    with django_assert_num_queries(DETAIL_QUERIES_ANONYMOUS):
        large = api_client.get("/api/v1/frameworks/ml-maturity-model/")

    assert small.status_code == large.status_code == 200
    assert sum(len(c["questions"]) for c in large.json()["criteria"]) == model.questions.count()


def test_the_framework_detail_query_count_for_a_signed_in_member_is_fixed(
    client, bundled, private_framework, supplier_a, password, django_assert_num_queries
):
    client.login(username=supplier_a.username, password=password)

    # Session, user and memberships, then the same four as for anyone.
    with django_assert_num_queries(DETAIL_QUERIES_ANONYMOUS + 3):
        assert client.get("/api/v1/frameworks/acme-internal-review/").status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES_ANONYMOUS + 3):
        assert client.get("/api/v1/frameworks/ml-maturity-model/").status_code == 200


def test_the_framework_list_query_count_does_not_grow_with_frameworks(
    api_client, bundled, vendor_framework, django_assert_num_queries
):
    # One count for the paginator, one for the page.
    with django_assert_num_queries(2):
        assert api_client.get("/api/v1/frameworks/").json()["count"] == 2


def test_the_openapi_schema_is_served_and_describes_the_api(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "AI Procurement API"
    assert {
        "/api/v1/principles/",
        "/api/v1/frameworks/",
        "/api/v1/frameworks/{slug}/",
        "/api/v1/frameworks/{slug}/{version}/",
    } <= set(schema["paths"])
    operation_ids = [
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=StringIO()
    )

    assert yaml.safe_load(target.read_text())["paths"]


def test_the_api_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def test_the_fixture_file_is_the_one_the_api_test_describes():
    data = yaml.safe_load(VENDOR_FILE.read_text())

    assert [q["code"] for c in data["criteria"] for q in c["questions"]] == [
        "S1",
        "S2",
        "S3",
        "O1",
        "O2",
        "O3",
    ]
