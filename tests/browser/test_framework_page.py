import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from principles.models import Framework, Question, RedFlagRule
from principles.selectors import framework_tree
from principles.views import _filtered

# Chromium is a service like the others: CI with REQUIRE_SERVICES=1 must not skip these.
pytestmark = [pytest.mark.browser, pytest.mark.services]

# DESIGN §2: each criterion of the maturity model and the principle it assesses.
CRITERIA_AND_PRINCIPLES = [
    ("Practical benchmarks", "Practical accuracy"),
    ("Explainability by justification", "Explainability by justification"),
    ("Infrastructure for reproducible operations", "Reproducible operations"),
    ("Data and model assessment processes", "Bias evaluation"),
    ("Privacy-enforcing infrastructure", "Trust by privacy"),
    ("Operational process design", "Human augmentation"),
    ("Change-management capabilities", "Displacement strategy"),
    ("Security risk processes", "Security and data risk"),
]
SEARCH_WORD = "encrypt"


@pytest.fixture
def maturity_model(bundled):
    return Framework.objects.get(slug="ml-maturity-model")


def detail_url(live_server, framework, query=""):
    path = reverse("framework-version-detail", args=[framework.slug, framework.version])
    return f"{live_server.url}{path}{query}"


def matching(framework, query="", severity=""):
    """What the filter should keep, worked out with the view's own rule."""
    criteria = _filtered(framework_tree(framework), query, severity)
    return {criterion.code: [q.code for q in criterion.shown_questions] for criterion in criteria}


def test_the_maturity_model_lists_the_eight_criteria_each_with_its_principle(
    live_server, maturity_model, page
):
    page.goto(detail_url(live_server, maturity_model))

    sections = page.locator("section.criterion")
    expect(sections).to_have_count(8)
    for index, (title, principle) in enumerate(CRITERIA_AND_PRINCIPLES):
        section = sections.nth(index)
        expect(section.locator("h2")).to_contain_text(title)
        expect(section.get_by_test_id("criterion-principle")).to_have_text(
            re.compile(rf"^\s*Principle:\s*{re.escape(principle)}\s*$")
        )
    contents = page.get_by_test_id("criteria-contents").get_by_role("link")
    expect(contents).to_have_count(8)


def test_it_shows_every_question_with_its_red_flags_and_their_conditions(
    live_server, maturity_model, page
):
    page.goto(detail_url(live_server, maturity_model))

    questions = Question.objects.filter(framework=maturity_model)
    expect(page.locator("li.question")).to_have_count(questions.count())
    expect(page.locator("li.red-flag")).to_have_count(
        RedFlagRule.objects.filter(question__framework=maturity_model).count()
    )
    expect(page.get_by_test_id("match-count")).to_have_text(
        f"Showing all {questions.count()} questions in 8 criteria."
    )

    question = questions.prefetch_related("red_flags").first()
    item = page.locator(f'li.question[data-question="{question.code}"]')
    expect(item.locator(".question-text")).to_contain_text(question.text)
    flag = question.red_flags.all()[0]
    flag_item = item.locator("li.red-flag").first
    expect(flag_item.locator(".severity")).to_have_text(flag.get_severity_display())
    expect(flag_item).to_contain_text(flag.message)
    expect(flag_item.locator("code")).to_have_text(flag.when)

    conditional = questions.exclude(show_if="").first()
    if conditional is not None:
        note = page.locator(f'li.question[data-question="{conditional.code}"]').get_by_test_id(
            "show-if"
        )
        expect(note).to_contain_text("Shown when")
        expect(note.locator("code")).to_have_text(conditional.show_if)


def test_typing_in_the_filter_narrows_the_list_in_place_and_updates_the_address(
    live_server, maturity_model, page
):
    expected = matching(maturity_model, SEARCH_WORD)
    shown = sum(len(codes) for codes in expected.values())
    total = Question.objects.filter(framework=maturity_model).count()
    gone = next(code for code, codes in expected.items() if not codes)
    gone_question = Question.objects.filter(
        criterion__framework=maturity_model, criterion__code=gone
    )[0]
    assert 0 < shown < total, "the search word should match some questions, not all"

    page.goto(detail_url(live_server, maturity_model))
    expect(page.locator(f'li.question[data-question="{gone_question.code}"]')).to_have_count(1)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Search questions").press_sequentially(SEARCH_WORD, delay=20)

    expect(page.get_by_test_id("match-count")).to_contain_text(
        f"{shown} of {total} questions match “{SEARCH_WORD}”"
    )
    expect(page).to_have_url(re.compile(rf"\?q={SEARCH_WORD}(&|$)"))
    expect(page.locator("li.question")).to_have_count(shown)
    expect(page.locator(f'section.criterion[data-criterion="{gone}"]')).to_have_count(0)
    expect(page.locator(f'li.question[data-question="{gone_question.code}"]')).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True, "htmx should swap the list, not reload"

    critical = sum(
        len(codes) for codes in matching(maturity_model, SEARCH_WORD, "critical").values()
    )
    page.get_by_label("Red-flag severity").select_option("critical")
    expect(page).to_have_url(re.compile(r"severity=critical"))
    expect(page.locator("li.question")).to_have_count(critical)
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()


def test_a_search_that_matches_nothing_says_so(live_server, maturity_model, page):
    page.goto(detail_url(live_server, maturity_model))

    page.get_by_label("Search questions").fill("no-such-words-anywhere")

    expect(page.get_by_test_id("empty-state")).to_contain_text("No questions match your filter")
    expect(page.get_by_test_id("match-count")).to_contain_text("No questions match")
    expect(page.locator("li.question")).to_have_count(0)


def test_the_filter_works_without_javascript(live_server, maturity_model, no_js_page):
    page = no_js_page
    expected = matching(maturity_model, SEARCH_WORD)
    shown = sum(len(codes) for codes in expected.values())
    page.goto(detail_url(live_server, maturity_model))

    page.get_by_label("Search questions").fill(SEARCH_WORD)
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(rf"\?q={SEARCH_WORD}"))
    expect(page.locator("li.question")).to_have_count(shown)
    expect(page.get_by_label("Search questions")).to_have_value(SEARCH_WORD)


def test_an_address_with_a_filter_opens_already_filtered(live_server, maturity_model, page):
    critical = sum(len(codes) for codes in matching(maturity_model, "", "critical").values())

    page.goto(detail_url(live_server, maturity_model, "?severity=critical"))

    expect(page.get_by_label("Red-flag severity")).to_have_value("critical")
    expect(page.locator("li.question")).to_have_count(critical)
    for question in page.locator("li.question").all():
        expect(question.locator('li.red-flag[data-severity="critical"]').first).to_be_visible()
