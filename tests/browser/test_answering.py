"""Supplier A answers a self-assessment in a real browser: autosave, reload, show_if."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer, Assessment
from principles.models import Framework
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_supplier_answers_by_clicking_and_sees_questions_hide_live(
    live_server, page, bundled, supplier_a, buyer_org
):
    sign_in(page, live_server, supplier_a.username)

    # Start a self-assessment shared with the buyer.
    page.goto(live_server.url + reverse("assessment-list"))
    page.get_by_test_id("start-assessment").click()
    page.get_by_label("Share with a buyer for review").select_option(label="Northwind Rail")
    page.get_by_role("button", name="Start answering").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Practical benchmarks")
    assessment = Assessment.objects.get()
    assert assessment.reviewing_organisation == buyer_org
    expect(page).to_have_url(
        live_server.url + reverse("assessment-criterion", args=[assessment.pk, "1"])
    )

    # Answer 1.1 by clicking: autosave says so, and the progress moves.
    question = page.locator("#q-1-1")
    question.get_by_text("Yes", exact=True).click()
    expect(question.get_by_test_id("saved")).to_contain_text("Saved")
    expect(page.get_by_test_id("criterion-progress")).to_contain_text("1 of 7 required questions")
    explanation = question.get_by_label("Explanation")
    explanation.fill("We report recall per class and calibration for every model.")
    with page.expect_response(
        lambda response: (
            "/answers/1.1/" in response.url and "1.1-text" in (response.request.post_data or "")
        )
    ):
        explanation.press("End")  # a keystroke: autosave after a pause in typing
    expect(question.get_by_test_id("saved")).to_contain_text("Saved")

    # Reload: the answer was kept.
    page.reload()
    expect(page.locator("#q-1-1-status-yes")).to_be_checked()
    expect(page.locator("#q-1-1").get_by_label("Explanation")).to_have_value(
        "We report recall per class and calibration for every model."
    )

    # 5.1 "Not applicable" hides 5.2 at once, without reloading.
    page.goto(live_server.url + reverse("assessment-criterion", args=[assessment.pk, "5"]))
    expect(page.locator("[name='5.2-status']")).to_have_count(4)
    page.locator("#q-5-1").get_by_text("Not applicable", exact=True).click()
    expect(page.locator("[name='5.2-status']")).to_have_count(0)
    expect(page.locator("#q-5-2").get_by_test_id("hidden-note")).to_contain_text(
        "Not applicable: hidden because of the answer to question 5.1"
    )
    expect(page.get_by_test_id("criterion-progress")).to_contain_text("1 of 1 required question")

    answers = {a.question.code: a for a in Answer.objects.select_related("question")}
    assert answers["1.1"].status == "yes"
    assert answers["1.1"].text == "We report recall per class and calibration for every model."
    assert answers["5.1"].status == "na"


def test_without_javascript_the_save_button_keeps_the_answers(
    live_server, no_js_page, bundled, supplier_a, supplier_a_org
):
    page = no_js_page
    assessment = services.assessment_create(
        framework=Framework.objects.get(slug="ml-maturity-model"),
        organisation=supplier_a_org,
        user=supplier_a,
    )
    sign_in(page, live_server, supplier_a.username)
    page.goto(live_server.url + reverse("assessment-criterion", args=[assessment.pk, "1"]))

    page.locator("#q-1-1").get_by_text("Partially", exact=True).click()
    page.locator("#q-1-3").get_by_label("Your answer (a number)").fill("35")
    page.locator("#q-1-6").get_by_label("Quarterly").check()
    page.get_by_role("button", name="Save and continue to 2").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Explainability by justification")
    expect(
        page.get_by_role("status").filter(has_text="Your answers have been saved.")
    ).to_be_visible()
    answers = {a.question.code: a for a in Answer.objects.select_related("question")}
    assert answers["1.1"].status == "partial"
    assert answers["1.3"].number == 35
    assert answers["1.6"].choices == ["Quarterly"]
