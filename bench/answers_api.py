"""Benchmark: the answers API on the bundled 66-question model.

Usage: DEBUG=1 .venv/bin/python bench/answers_api.py [--runs 50]

Builds a throwaway SQLite database under /tmp (migrations, the bundled
framework, a supplier with a fully answered draft and some evidence links),
then, through django.test.Client with a signed-in session, times
GET /api/v1/assessments/<id>/answers/ and PATCH .../answers/<code>/ and
counts their SQL queries. Prints one line per endpoint, e.g.
`answers_api_get: 6 queries, median 12.3 ms (66 questions, 50 runs)`.
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import median, setup_django


def build():
    from accounts.models import Membership, Organisation, User
    from assessments import services
    from principles.models import Framework

    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    supplier = Organisation.objects.create(
        name="Acme Analytics", slug="acme-analytics", kind=Organisation.Kind.SUPPLIER
    )
    user = User.objects.create_user(username="charlie", password="bench-password-2026")  # noqa: S106
    Membership.objects.create(user=user, organisation=supplier, role=Membership.Role.SUPPLIER)
    assessment = services.assessment_create(framework=framework, organisation=supplier, user=user)
    questions = list(framework.questions.all())
    for index, question in enumerate(questions):
        if question.answer_type == "number":
            fields = {"number": 10 + index}
        elif question.answer_type == "choice":
            fields = {"choices": [question.choices[index % len(question.choices)]]}
        elif question.answer_type == "text":
            fields = {"text": "Our platform team owns this and reviews it every quarter."}
        else:
            fields = {
                "status": ("yes", "partial", "yes", "no")[index % 4],
                "text": "A documented procedure, reviewed each quarter, with the record kept.",
            }
        services.answer_save(assessment=assessment, question=question, user=user, **fields)
        if index % 5 == 0:
            services.evidence_add(
                assessment=assessment,
                question=question,
                user=user,
                title="Policy",
                url="https://acme.example/policy",
            )
    status_question = next(q for q in questions if q.answer_type == "status")
    return user, assessment, status_question, len(questions)


def measure(call, runs: int) -> tuple[int, float]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm caches (framework structure, compiled rules)
        call(0)
    # With DEBUG the query log is a bounded deque, already full after the setup.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        call(0)
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        call(run)
        timings.append((time.perf_counter() - started) * 1000)
    return len(queries), median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    setup_django()
    from django.test import Client

    user, assessment, question, question_count = build()
    client = Client()
    client.force_login(user)
    answers_url = f"/api/v1/assessments/{assessment.pk}/answers/"
    answer_url = f"{answers_url}{question.code}/"

    def get(_: int) -> None:
        response = client.get(answers_url)
        assert response.status_code == 200, response.content
        assert len(response.json()["answers"]) == question_count

    def patch(run: int) -> None:
        # Alternate the value so every request really writes.
        body = json.dumps({"status": ("yes", "partial")[run % 2]})
        response = client.patch(answer_url, body, content_type="application/json")
        assert response.status_code == 200, response.content

    for name, call in (("answers_api_get", get), ("answers_api_patch", patch)):
        queries, latency = measure(call, args.runs)
        print(
            f"{name}: {queries} queries, median {latency:.1f} ms "
            f"({question_count} questions, {args.runs} runs)",
            flush=True,
        )


if __name__ == "__main__":
    main()
