import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import PASSWORD

# Chromium is a service like the others: CI with REQUIRE_SERVICES=1 must not skip these.
pytestmark = [pytest.mark.browser, pytest.mark.services]


def sign_in(page, live_server, username, password):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()


def test_a_supplier_signs_in_and_sees_their_name_and_organisation(live_server, supplier_a, page):
    sign_in(page, live_server, supplier_a.username, PASSWORD)

    expect(page).to_have_url(live_server.url + reverse("home"))
    account = page.get_by_role("navigation", name="Main").get_by_test_id("account")
    expect(account).to_contain_text(supplier_a.get_full_name())
    expect(account).to_contain_text("Acme Analytics")
    expect(account).to_contain_text("Supplier")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_signing_out_is_a_form_post_that_ends_the_session(live_server, supplier_a, page):
    sign_in(page, live_server, supplier_a.username, PASSWORD)

    page.get_by_role("button", name="Sign out").click()

    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()
    page.goto(live_server.url + reverse("profile"))
    expect(page).to_have_url(f"{live_server.url}{reverse('login')}?next={reverse('profile')}")


def test_a_wrong_password_keeps_the_username_and_explains(live_server, supplier_a, page):
    sign_in(page, live_server, supplier_a.username, "not-the-password")

    expect(page.get_by_test_id("login-error")).to_contain_text("do not match an account")
    expect(page.get_by_label("Username")).to_have_value(supplier_a.username)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("navigation", name="Main").get_by_test_id("account")).to_have_count(0)


def test_the_profile_lists_the_memberships(live_server, supplier_a, page):
    sign_in(page, live_server, supplier_a.username, PASSWORD)

    page.get_by_test_id("account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(supplier_a.get_full_name())
    row = page.get_by_role("row", name="Acme Analytics")
    expect(row).to_contain_text("Supplier")


def test_on_a_phone_the_menu_folds_behind_a_toggler(live_server, bundled, phone_page):
    page = phone_page
    page.goto(live_server.url + reverse("home"))

    toggler = page.get_by_role("button", name="Show or hide the menu")
    principles = page.get_by_role("navigation", name="Main").get_by_role("link", name="Principles")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(principles).to_be_hidden()

    toggler.click()

    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(principles).to_be_visible()
    principles.click()
    expect(page).to_have_url(live_server.url + reverse("principle-list"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (
        "nothing may overflow sideways"
    )


def test_on_a_desktop_the_menu_is_open_and_the_skip_link_leads_to_the_content(
    live_server, bundled, page
):
    page.goto(live_server.url + reverse("home"))

    expect(page.get_by_role("button", name="Show or hide the menu")).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Maturity model")
    ).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    skip.press("Enter")
    expect(page).to_have_url(live_server.url + reverse("home") + "#main")
