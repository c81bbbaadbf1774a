import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from principles.loader import BUNDLED_DIR
from principles.models import Framework, Question
from principles.services import framework_load
from tests.factories import MembershipFactory

# One criterion with one question: the page must cost the same queries as the full model.
TINY_FRAMEWORK = """
slug: tiny-check
name: Tiny check
version: "1.0"
kind: questionnaire
criteria:
  - code: "1"
    title: Only criterion
    principle: practical-accuracy
    questions:
      - code: "1.1"
        text: Is there a benchmark?
        red_flags:
          - code: "1.1a"
            when: 'answer.status == "no"'
            severity: major
            message: There is no benchmark.
"""
# Framework, criteria with principles, questions, red flags, versions.
DETAIL_PAGE_QUERIES = 5
# ...plus session, user, the user's organisations (visibility) and memberships (navbar).
SIGNED_IN_DETAIL_PAGE_QUERIES = DETAIL_PAGE_QUERIES + 4


@pytest.fixture
def maturity_model(bundled):
    return Framework.objects.get(slug="ml-maturity-model")


def detail_path(framework: Framework) -> str:
    return reverse("framework-version-detail", args=[framework.slug, framework.version])


@pytest.mark.parametrize("name", ["home", "principle-list", "framework-list", "login"])
def test_public_pages_render_for_anonymous_visitors(client, bundled, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert b'href="#main"' in response.content  # the skip link of the shared layout


def test_the_home_page_shows_the_principles_and_the_frameworks(client, maturity_model):
    response = client.get(reverse("home"))

    content = response.content.decode()
    assert "Trust by privacy" in content
    assert "Alignment with intent" in content
    assert detail_path(maturity_model) in content
    questions = Question.objects.filter(framework=maturity_model).count()
    assert f'<dd class="stat">{questions}</dd>' in content


def test_the_principles_page_links_each_principle_to_the_criteria_that_assess_it(
    client, maturity_model
):
    response = client.get(reverse("principle-list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="principle-bias-evaluation"' in content
    assert f"{detail_path(maturity_model)}#criterion-4" in content
    assert "Data and model assessment processes" in content


def test_the_framework_detail_renders_for_anonymous_visitors_by_slug_and_by_version(
    client, maturity_model
):
    latest = client.get(reverse("framework-detail", args=[maturity_model.slug]))
    pinned = client.get(detail_path(maturity_model))

    assert latest.status_code == 200
    assert pinned.status_code == 200
    assert latest.context["framework"] == pinned.context["framework"] == maturity_model
    content = pinned.content.decode()
    assert content.count('class="criterion"') == 8
    assert (
        content.count('class="question"')
        == Question.objects.filter(framework=maturity_model).count()
    )
    assert "Optimising" in content  # the levels table


@pytest.mark.parametrize(
    "path",
    [
        "/principles/frameworks/no-such-framework/",
        "/principles/frameworks/ml-maturity-model/9.9/",
        "/principles/frameworks/no-such-framework/1.0/",
    ],
)
def test_an_unknown_framework_or_version_is_a_404_in_the_site_design(client, bundled, path):
    response = client.get(path)

    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_a_private_framework_is_a_404_for_anonymous_visitors(client, private_framework):
    response = client.get(detail_path(private_framework))

    assert response.status_code == 404


def test_a_private_framework_is_shown_to_its_organisation(client, private_framework, supplier_a):
    client.force_login(supplier_a)

    response = client.get(detail_path(private_framework))

    assert response.status_code == 200
    assert b"Acme Analytics" in response.content


def test_the_filter_keeps_only_matching_questions_with_a_plain_get(client, maturity_model):
    response = client.get(detail_path(maturity_model), {"q": "encrypt", "severity": "critical"})

    shown = response.context["shown_questions"]
    assert 0 < shown < response.context["total_questions"]
    content = response.content.decode()
    assert content.count('class="question"') == shown
    total = response.context["total_questions"]
    assert f"of {total} questions match “encrypt” with a critical red flag" in content
    assert 'value="encrypt"' in content
    assert '<option value="critical" selected>' in content


def test_a_framework_with_several_versions_offers_a_version_switcher(client, maturity_model):
    bundled_text = (BUNDLED_DIR / "ml-maturity-model-1.0.yaml").read_text(encoding="utf-8")
    newer = framework_load(
        text=bundled_text.replace('version: "1.0"', 'version: "1.1"', 1), source="mm-1.1.yaml"
    ).framework

    latest = client.get(reverse("framework-detail", args=[maturity_model.slug]))
    older = client.get(detail_path(maturity_model))

    assert latest.context["framework"] == newer
    content = latest.content.decode()
    assert 'data-testid="version-switcher"' in content
    assert f'href="{detail_path(maturity_model)}"' in content
    assert 'aria-current="page">1.1' in content
    assert 'aria-current="page">1.0' in older.content.decode()


def test_the_single_version_has_no_switcher_and_shows_the_advice_per_level(client, maturity_model):
    content = client.get(detail_path(maturity_model)).content.decode()

    assert 'data-testid="version-switcher"' not in content
    assert "What to improve next, level by level" in content


def test_an_unknown_severity_is_ignored(client, maturity_model):
    response = client.get(detail_path(maturity_model), {"severity": "catastrophic"})

    assert response.status_code == 200
    assert response.context["severity"] == ""
    assert response.context["shown_questions"] == response.context["total_questions"]


def test_a_search_that_matches_nothing_shows_an_empty_state(client, maturity_model):
    response = client.get(detail_path(maturity_model), {"q": "no-such-words-anywhere"})

    assert b"No questions match your filter" in response.content


def test_htmx_gets_only_the_list_with_the_status_out_of_band(client, maturity_model):
    response = client.get(
        detail_path(maturity_model),
        {"q": "encrypt"},
        headers={"HX-Request": "true", "HX-Target": "framework-content"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="match-count" hx-swap-oob="innerHTML"' in content
    assert "HX-Request" in response["Vary"]


def test_the_detail_page_costs_the_same_queries_whatever_the_number_of_questions(
    client, maturity_model, django_assert_num_queries
):
    tiny = framework_load(text=TINY_FRAMEWORK, source="tiny.yaml").framework

    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        assert client.get(detail_path(maturity_model)).status_code == 200
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        assert client.get(detail_path(tiny)).status_code == 200


def test_a_signed_in_member_costs_four_queries_more_and_no_more(
    client, maturity_model, supplier_a, django_assert_num_queries
):
    client.force_login(supplier_a)
    tiny = framework_load(text=TINY_FRAMEWORK, source="tiny.yaml").framework

    with django_assert_num_queries(SIGNED_IN_DETAIL_PAGE_QUERIES):
        assert client.get(detail_path(maturity_model)).status_code == 200
    with django_assert_num_queries(SIGNED_IN_DETAIL_PAGE_QUERIES):
        assert client.get(detail_path(tiny)).status_code == 200


@pytest.mark.parametrize("name", ["home", "principle-list"])
def test_the_overview_pages_pin_their_queries(
    client, maturity_model, name, django_assert_num_queries
):
    # Principles, then frameworks (home) or the criteria prefetched onto the principles.
    with django_assert_num_queries(2):
        assert client.get(reverse(name)).status_code == 200


def test_the_framework_list_shows_counts(client, maturity_model, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("framework-list"))

    row = response.content.decode()
    assert detail_path(maturity_model) in row
    assert response.context["framework_list"][0].criterion_count == 8


def test_the_profile_needs_a_sign_in(client, db):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_profile_lists_the_memberships(client, supplier_a):
    client.force_login(supplier_a)

    response = client.get(reverse("profile"))

    content = response.content.decode()
    assert "Acme Analytics" in content
    assert "Supplier" in content


def test_the_navbar_shows_the_organisation_and_role(client, buyer):
    client.force_login(buyer)

    content = client.get(reverse("home")).content.decode()

    assert buyer.get_full_name() in content
    assert "Northwind Rail · Procurement manager" in content
    assert 'action="/accounts/logout/"' in content


def test_the_navbar_counts_the_other_organisations_of_a_member_of_several(
    client, supplier_a, buyer_org
):
    MembershipFactory(user=supplier_a, organisation=buyer_org, role=Membership.Role.REVIEWER)
    client.force_login(supplier_a)

    content = client.get(reverse("home")).content.decode()

    assert "Acme Analytics · Supplier" in content
    assert "and 1 more organisation" in content


def test_a_bad_password_keeps_the_username_and_says_what_went_wrong(client, supplier_a):
    response = client.post(reverse("login"), {"username": supplier_a.username, "password": "wrong"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "do not match an account" in content
    assert f'value="{supplier_a.username}"' in content
    assert "is-valid" not in content


def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        html = get_template("500.html").render()

    assert "Sorry, something went wrong" in html


def test_the_csrf_failure_page_is_in_plain_words(db):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert b"Your form could not be sent" in response.content
