"""Scoring a full ML Maturity Model assessment: pure computation and end to end with the database.

    python bench/scoring.py [--runs 200]

Set BENCH_DATABASE_URL=postgres://... to measure on PostgreSQL (the database is
created by migrate if it is empty; use a scratch database).
"""

from __future__ import annotations

import argparse
import time

from _setup import median, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    setup_django()

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation, User
    from assessments import scoring, services
    from assessments.models import AssessmentVersion
    from principles.models import Framework
    from principles.selectors import framework_spec

    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    spec = framework_spec(framework)
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-supplier", defaults={"name": "Bench", "kind": "supplier"}
    )
    user, _ = User.objects.get_or_create(username="bench")
    assessment = services.assessment_create(
        framework=framework, organisation=organisation, user=user
    )
    questions = list(framework.questions.all())
    for question in questions:
        fields = {
            "status": {
                "status": "yes",
                "text": "A documented, reviewed and audited process owned by a named team.",
            },
            "number": {"number": 1.0},
            "choice": {"choices": [question.choices[0]] if question.choices else []},
            "text": {
                "text": "A full description of how this is done, with owners and review dates."
            },
        }[question.answer_type]
        services.answer_save(assessment=assessment, question=question, user=user, **fields)
    version = services.assessment_submit(assessment=assessment, user=user)
    answers = {
        code: {k: v for k, v in a.items() if k != "evidence"} for code, a in version.answers.items()
    }
    rules = sum(len(q["red_flags"]) for c in spec["criteria"] for q in c["questions"])

    pure = []
    for _ in range(runs):
        start = time.perf_counter()
        scoring.score(spec, answers)
        pure.append(time.perf_counter() - start)

    end_to_end = []
    queries = 0
    for _ in range(max(20, runs // 10)):
        AssessmentVersion.objects.filter(pk=version.pk).update(
            status=AssessmentVersion.Status.QUEUED
        )
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            services.version_score(version_id=version.pk)
            end_to_end.append(time.perf_counter() - start)
        queries = len(captured)

    print(
        f"scoring_pure: median {median(pure) * 1000:.2f} ms (min {min(pure) * 1000:.2f} ms, "
        f"{len(questions)} questions, {rules} rules, {runs} runs)"
    )
    print(
        f"scoring_end_to_end ({connection.vendor}): median {median(end_to_end) * 1000:.2f} ms "
        f"(min {min(end_to_end) * 1000:.2f} ms, {queries} queries, {len(end_to_end)} runs)"
    )


if __name__ == "__main__":
    main()
