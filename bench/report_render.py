"""Benchmark: render the full PDF/A maturity report of a fully answered assessment.

Usage: .venv/bin/python bench/report_render.py [--runs 5] [--keep /tmp/report.pdf]

Builds a throwaway SQLite database under /tmp (migrations, the bundled
framework, demo organisations, a submitted and scored assessment with
reviewer comments and a dismissed red flag), then times `report_render`
end to end: queries, context, template, WeasyPrint and storing the file.
Prints one line: `report_render_pdfa: median X.XXX s (min Y.YYY s, N runs, Z KB)`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = Path(tempfile.gettempdir()) / "bench-report-render"


def configure() -> None:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "1"
    os.environ["DATABASE_URL"] = f"sqlite:///{WORK_DIR / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(WORK_DIR / "media")
    os.environ.pop("REDIS_URL", None)  # eager tasks: scoring happens in-process
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def answer_for(question, index: int) -> dict:
    """A realistic mix: mostly yes, some partial, a few no (which raise red flags)."""
    if question.answer_type == "number":
        return {"number": 12 + index}
    if question.answer_type == "choice":
        return {"choices": [question.choices[index % len(question.choices)]]}
    if question.answer_type == "text":
        return {
            "text": "Our platform team owns this. We review it every quarter with the client's "
            "data protection officer and keep the minutes in the shared project space."
        }
    status = ("yes", "yes", "partial", "yes", "no", "yes", "partial")[index % 7]
    return {
        "status": status,
        "text": "We follow a documented procedure, reviewed each quarter. The latest review "
        "found two gaps, both fixed within a month; the record is kept in the project's "
        "audit log.",
    }


def build_assessment():
    from accounts.models import Membership, Organisation, User
    from assessments import services
    from assessments.models import RedFlag
    from principles.models import Framework
    from principles.services import bundled_load

    bundled_load()
    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    buyer = Organisation.objects.create(
        name="Northwind Rail", slug="northwind-rail", kind=Organisation.Kind.BUYER
    )
    supplier = Organisation.objects.create(
        name="Acme Analytics", slug="acme-analytics", kind=Organisation.Kind.SUPPLIER
    )
    respondent = User.objects.create(username="supplier-a", first_name="Alex", last_name="Moreau")
    lead = User.objects.create(username="reviewer1", first_name="Riley", last_name="Khan")
    Membership.objects.create(user=respondent, organisation=supplier, role=Membership.Role.SUPPLIER)
    Membership.objects.create(user=lead, organisation=buyer, role=Membership.Role.REVIEWER)

    assessment = services.assessment_create(
        framework=framework, organisation=supplier, user=respondent, reviewing_organisation=buyer
    )
    questions = list(
        framework.questions.select_related("criterion").order_by("criterion__order", "order")
    )
    for index, question in enumerate(questions):
        services.answer_save(
            assessment=assessment, question=question, user=respondent, **answer_for(question, index)
        )
        if index % 9 == 0:
            services.evidence_add(
                assessment=assessment,
                question=question,
                user=respondent,
                title=f"Procedure {question.code}",
                url="https://example.test/procedure",
            )
    version = services.assessment_submit(assessment=assessment, user=respondent)

    assignment = services.reviewer_assign(assessment=assessment, reviewer=lead, is_lead=True)
    services.conflict_declare(assignment=assignment)
    for question in questions[:12:3]:
        services.reviewer_score_set(
            assessment=assessment,
            question=question,
            reviewer=lead,
            score=2,
            comment="Convincing answer; the audit log we were shown matches what is described.",
        )
    flag = RedFlag.objects.filter(assessment=assessment).first()
    if flag is not None:
        services.red_flag_dismiss(
            flag=flag,
            user=lead,
            reason="Checked on site: the control exists, the answer understated it.",
        )
    version.refresh_from_db()
    return assessment, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="copy the last PDF to this path")
    arguments = parser.parse_args()

    configure()
    from assessments.models import Report
    from assessments.reports import report_render

    assessment, version = build_assessment()
    assert version.status == "done", f"scoring did not finish: {version.status} {version.error}"
    report = Report.objects.create(assessment=assessment, version=version)

    report_render(report_id=report.pk)  # warm-up: font loading, template compilation
    timings = []
    for _ in range(arguments.runs):
        Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)
        started = time.perf_counter()
        rendered = report_render(report_id=report.pk)
        timings.append(time.perf_counter() - started)
        assert rendered is not None and rendered.status == Report.Status.DONE, (
            rendered and rendered.error
        )

    report.refresh_from_db()
    if arguments.keep:
        shutil.copyfile(report.file.path, arguments.keep)
    print(
        f"report_render_pdfa: median {statistics.median(timings):.3f} s "
        f"(min {min(timings):.3f} s, {arguments.runs} runs, {report.size // 1024} KB)"
    )


if __name__ == "__main__":
    main()
