"""The buyer's competition page (DESIGN §5): set-up of a draft RFP, its bars and three files,
the downloads, and the read-only view for the buyer's staff.

alice is the procurement manager, bob a reviewer of the buyer on the RFx's evaluation team
(a reviewer sees an RFx only once on its team), charlie (supplier A) and dana (supplier B)
suppliers, eve belongs to no organisation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rfx import services
from rfx.models import Competition, Invitation, RFx
from tests.rfx.competition_data import (
    BARS,
    csv_file,
    inputs_csv,
    labels_csv,
    media_root,  # noqa: F401 — fixture
    release_time,
    set_up,
    training_csv,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def url(name: str, rfx: RFx, *args) -> str:
    return reverse(name, args=[rfx.pk, *args])


def local(moment) -> str:
    return timezone.localtime(moment).strftime(DATETIME_INPUT)


def settings_data(rfx: RFx, **changes) -> dict:
    data = {
        "description": "Predict which machines need maintenance next month.",
        "primary_metric": "macro_f1",
        "submission_limit": "4",
        "release_at": local(release_time(rfx)),
    }
    return {**data, **changes}


@pytest.fixture
def draft_rfx(draft_rfx, buyer, reviewer):
    services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    return draft_rfx


@pytest.fixture
def competition(draft_rfx, buyer) -> Competition:
    return set_up(draft_rfx, buyer)


@pytest.fixture
def bare(draft_rfx, buyer) -> Competition:
    """Set up with its settings, no bar and no file yet."""
    return set_up(draft_rfx, buyer, bars=[], files=False)


def page(client, user, rfx: RFx):
    client.force_login(user)
    return client.get(url("rfx-competition", rfx))


# --- who opens the page -------------------------------------------------------------------------


def test_the_manager_sees_the_set_up_form_of_a_draft_rfp_without_a_competition(
    client, buyer, draft_rfx
):
    response = page(client, buyer, draft_rfx)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="start"' in html
    assert "Set up the competition" in html
    # The tab is there for a draft RFP, so the manager can find it.
    assert f'href="{url("rfx-competition", draft_rfx)}"' in html


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("buyer", 200),
        ("reviewer", 200),
        ("supplier_a", 404),
        ("supplier_b", 404),
        ("outsider", 404),
    ],
)
def test_in_draft_only_the_buyers_staff_open_the_page(
    client, request, competition, draft_rfx, role, expected
):
    response = page(client, request.getfixturevalue(role), draft_rfx)
    assert response.status_code == expected
    if expected == 404:
        assert b"machines-labels.csv" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in(client, competition, draft_rfx):
    for address in (
        url("rfx-competition", draft_rfx),
        url("rfx-competition-download", draft_rfx, "labels"),
        url("rfx-supplier-competition", draft_rfx),
    ):
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(url("rfx-competition-settings", draft_rfx), settings_data(draft_rfx))
    assert response.status_code == 302
    assert Competition.objects.get().submission_limit == 3


def test_an_invited_supplier_is_sent_to_its_own_competition_page(
    client, supplier_a, competition, published_rfx
):
    response = page(client, supplier_a, published_rfx)
    assert response.status_code == 302
    assert response["Location"] == url("rfx-supplier-competition", published_rfx)


def test_a_reviewer_reads_the_competition_without_any_form(
    client, reviewer, competition, draft_rfx
):
    html = page(client, reviewer, draft_rfx).content.decode()
    assert 'data-testid="read-only"' in html
    assert 'data-testid="settings-form"' not in html
    assert 'data-testid="bar-form"' not in html
    assert "upload-labels" not in html
    # Reviewers never get the hidden labels.
    assert 'data-testid="download-labels"' not in html
    assert 'data-testid="download-training"' in html
    assert "Recall of “MAINTENANCE” must be at least 90%" in html


def test_an_rfi_has_no_competition_page(client, buyer, buyer_org):
    rfi = services.rfx_create(buyer=buyer_org, user=buyer, title="Survey", kind=RFx.Kind.RFI)
    assert page(client, buyer, rfi).status_code == 404
    response = client.post(url("rfx-competition-settings", rfi), {"submission_limit": "3"})
    assert response.status_code == 403
    assert not Competition.objects.exists()


# --- settings -----------------------------------------------------------------------------------


def test_the_manager_sets_up_a_competition_with_a_release_time_in_local_time(
    client, buyer, draft_rfx, settings
):
    settings.TIME_ZONE = "Europe/London"
    client.force_login(buyer)
    release = (draft_rfx.proposal_deadline - timedelta(days=3)).replace(second=0)
    response = client.post(
        url("rfx-competition-settings", draft_rfx),
        settings_data(draft_rfx, release_at=local(release)),
    )
    assert response.status_code == 302
    competition = Competition.objects.get()
    draft_rfx.refresh_from_db()
    assert (
        competition.description,
        competition.primary_metric,
        competition.submission_limit,
        competition.release_at,
        draft_rfx.has_competition,
    ) == (
        "Predict which machines need maintenance next month.",
        "macro_f1",
        4,
        release,
        True,
    )
    html = client.get(response["Location"]).content.decode()
    assert "The competition is set up." in html
    assert 'data-testid="publishing-problem"' in html
    assert (
        "upload the training set, the evaluation inputs and the hidden labels" in html
    )  # what is missing before publishing


def test_a_refused_setting_keeps_everything_typed(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    after_deadline = draft_rfx.proposal_deadline + timedelta(days=1)
    data = settings_data(
        draft_rfx,
        description="A new description typed by alice.",
        submission_limit="250",
        release_at=local(after_deadline),
    )
    response = client.post(url("rfx-competition-settings", draft_rfx), data)
    assert response.status_code == 400
    form = response.context["settings_form"]
    assert form.errors == {"submission_limit": ["Allow at most 100 files."]}
    html = response.content.decode()
    assert "A new description typed by alice." in html
    assert 'value="250"' in html
    assert local(after_deadline) in html

    # Once the limit is right, the service's own message lands on the release time.
    data["submission_limit"] = "7"
    response = client.post(url("rfx-competition-settings", draft_rfx), data)
    assert response.status_code == 400
    assert list(response.context["settings_form"].errors) == ["release_at"]
    assert (
        "Release the evaluation inputs before the proposal deadline"
        in (response.context["settings_form"].errors["release_at"][0])
    )
    assert "A new description typed by alice." in response.content.decode()
    bare.refresh_from_db()
    assert (bare.description, bare.submission_limit) == (
        "Predict which machines need maintenance in the next month.",
        3,
    )


def test_saving_unchanged_settings_says_so(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    data = {
        "description": bare.description,
        "primary_metric": bare.primary_metric,
        "submission_limit": str(bare.submission_limit),
        "release_at": local(bare.release_at),
    }
    response = client.post(url("rfx-competition-settings", draft_rfx), data, follow=True)
    assert "Nothing has changed." in response.content.decode()


# --- bars ---------------------------------------------------------------------------------------


def test_bars_are_added_with_the_small_form_and_read_in_plain_words(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    for data in (
        {"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "80%"},
        {
            "bar-metric": "recall",
            "bar-label_class": "MAINTENANCE",
            "bar-direction": "min",
            "bar-threshold": "0.9",
            "bar-column": "ignored for a recall",
        },
        {
            "bar-metric": "recall_gap",
            "bar-label_class": "MAINTENANCE",
            "bar-column": "site",
            "bar-direction": "max",
            "bar-threshold": "0,1",
        },
    ):
        response = client.post(url("rfx-competition-bar-add", draft_rfx), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    bare.refresh_from_db()
    assert bare.bars == BARS
    html = client.get(url("rfx-competition", draft_rfx)).content.decode()
    assert "Accuracy must be at least 80%" in html
    assert "Recall of “MAINTENANCE” must be at least 90%" in html
    assert (
        "Recall of “MAINTENANCE” must not differ by more than 10 points between any two "
        "groups of “site”" in html
    )


def test_once_the_labels_are_in_the_class_and_column_are_chosen_from_them(
    client, buyer, competition, draft_rfx
):
    html = page(client, buyer, draft_rfx).content.decode()
    assert '<option value="MAINTENANCE">MAINTENANCE</option>' in html
    assert '<option value="site">site</option>' in html
    response = client.post(
        url("rfx-competition-bar-add", draft_rfx),
        {
            "bar-metric": "recall",
            "bar-label_class": "BROKEN",
            "bar-direction": "min",
            "bar-threshold": "0.5",
        },
    )
    assert response.status_code == 400
    assert "label_class" in response.context["bar_form"].errors
    assert Competition.objects.get().bars == BARS


def test_a_refused_bar_keeps_what_was_typed_and_says_why(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    cases = [
        (
            {"bar-metric": "recall", "bar-direction": "min", "bar-threshold": "0.9"},
            {"label_class": ["Choose the class this bar is about."]},
        ),
        (
            {"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "85"},
            {
                "threshold": [
                    "The threshold must be from 0 to 1 (0% to 100%). For a percentage, add "
                    "the % sign, such as 80%."
                ]
            },
        ),
        (
            {"bar-metric": "accuracy_gap", "bar-column": "site", "bar-threshold": "0.1"},
            {"direction": ["A gap is a difference to keep small: choose “at most”."]},
        ),
        (
            {"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "high"},
            {
                "threshold": [
                    "Give the threshold as a number from 0 to 1, such as 0.8, or as a "
                    "percentage, such as 80%."
                ]
            },
        ),
    ]
    for data, errors in cases:
        data.setdefault("bar-direction", "min")
        response = client.post(url("rfx-competition-bar-add", draft_rfx), data)
        assert response.status_code == 400
        assert response.context["bar_form"].errors == errors
        assert f'value="{data["bar-threshold"]}"' in response.content.decode()
    bare.refresh_from_db()
    assert bare.bars == []


def test_a_bar_naming_a_class_the_labels_lack_is_refused_by_the_scorer(
    client, buyer, bare, draft_rfx
):
    # Before the labels, class and column are typed; the labels upload checks them later.
    client.force_login(buyer)
    response = client.post(
        url("rfx-competition-bar-add", draft_rfx),
        {
            "bar-metric": "recall",
            "bar-label_class": "WORN",
            "bar-direction": "min",
            "bar-threshold": "0.5",
        },
    )
    assert response.status_code == 302
    response = client.post(
        url("rfx-competition-upload", draft_rfx, "labels"),
        {"labels-file": csv_file("labels.csv", labels_csv())},
    )
    assert response.status_code == 400
    problems = response.context["files"][2]["errors"]
    assert problems[0].startswith("The competition's bars name what this labels file")
    assert "Bar 1: class “WORN” is not a label of the competition" in problems[1]


def test_bars_are_removed_one_by_one(client, buyer, competition, draft_rfx):
    client.force_login(buyer)
    response = client.post(url("rfx-competition-bar-remove", draft_rfx, 1))
    assert response.status_code == 302
    assert Competition.objects.get().bars == [BARS[0], BARS[2]]
    response = client.post(url("rfx-competition-bar-remove", draft_rfx, 5))
    assert response.status_code == 400
    assert Competition.objects.get().bars == [BARS[0], BARS[2]]


def test_with_htmx_adding_and_removing_a_bar_swaps_only_the_bars(
    client, buyer, competition, draft_rfx
):
    client.force_login(buyer)
    response = client.post(
        url("rfx-competition-bar-add", draft_rfx),
        {"bar-metric": "weighted_f1", "bar-direction": "min", "bar-threshold": "0.7"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section aria-labelledby="bars-title"')
    assert "The bar is added." in html
    assert html.count('data-testid="bar-row"') == 4
    response = client.post(
        url("rfx-competition-bar-remove", draft_rfx, 3),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="bar-row"') == 3
    assert Competition.objects.get().bars == BARS


# --- files --------------------------------------------------------------------------------------


def test_the_three_uploads_show_name_size_rows_classes_and_group_columns(
    client, buyer, bare, draft_rfx
):
    client.force_login(buyer)
    for kind, name, content in (
        ("training", "machines-training.csv", training_csv()),
        ("inputs", "machines-evaluation.csv", inputs_csv()),
        ("labels", "machines-labels.csv", labels_csv()),
    ):
        response = client.post(
            url("rfx-competition-upload", draft_rfx, kind),
            {f"{kind}-file": csv_file(name, content)},
            follow=True,
        )
        assert response.status_code == 200
        assert f"“{name}”" in response.content.decode()
    html = response.content.decode()
    assert "“machines-labels.csv” (" in html
    assert "40 rows, classes MAINTENANCE, OK; group columns: site." in html
    files = {row["kind"]: row for row in response.context["files"]}
    assert {kind: (row["name"], row["stored"]) for kind, row in files.items()} == {
        "training": ("machines-training.csv", True),
        "inputs": ("machines-evaluation.csv", True),
        "labels": ("machines-labels.csv", True),
    }
    facts = html.split('data-testid="file-labels"')[1]
    assert '<dd data-testid="labels-rows">40</dd>' in facts
    assert '<dd data-testid="labels-classes">MAINTENANCE, OK</dd>' in facts
    assert '<dd data-testid="labels-groups">site</dd>' in facts
    assert 'data-testid="publishing-ready"' in html


def test_the_training_upload_message_lists_its_columns(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    response = client.post(
        url("rfx-competition-upload", draft_rfx, "training"),
        {"training-file": csv_file("train.csv", training_csv())},
        follow=True,
    )
    assert (
        "“train.csv” (" in response.content.decode()
        and "is uploaded as the training set: 3 columns (vibration, temperature, label)."
        in response.content.decode()
    )


def test_a_refused_file_lists_its_problems_with_rows_and_is_not_kept(
    client, buyer, bare, draft_rfx
):
    client.force_login(buyer)
    content = "id,label,site\nm001,OK,north\nm001,OK,north\nm003,,south\n"
    response = client.post(
        url("rfx-competition-upload", draft_rfx, "labels"),
        {"labels-file": csv_file("labels.csv", content)},
    )
    assert response.status_code == 400
    files = {row["kind"]: row for row in response.context["files"]}
    assert files["labels"]["errors"] == [
        "1 row has an empty label, e.g. row 4.",
        "1 id appears more than once in the labels file, e.g. “m001” (rows 2, 3). Each id must "
        "appear exactly once.",
    ]
    html = response.content.decode()
    assert 'data-testid="file-errors-labels"' in html
    assert "e.g. row 4." in html
    bare.refresh_from_db()
    assert (bare.labels_file.name, bare.rows) == ("", 0)


def test_an_upload_without_a_file_says_so(client, buyer, bare, draft_rfx):
    client.force_login(buyer)
    response = client.post(url("rfx-competition-upload", draft_rfx, "training"), {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()
    response = client.post(url("rfx-competition-upload", draft_rfx, "secrets"), {})
    assert response.status_code == 404


DOWNLOADERS = {
    # role: (training, inputs, labels) in a draft
    "buyer": (200, 200, 200),
    "reviewer": (200, 200, 403),
    "supplier_a": (404, 404, 404),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("role", list(DOWNLOADERS))
def test_in_draft_downloads_go_to_the_buyers_staff_and_the_labels_to_managers_only(
    client, request, competition, draft_rfx, role
):
    client.force_login(request.getfixturevalue(role))
    statuses = []
    for kind in ("training", "inputs", "labels"):
        response = client.get(url("rfx-competition-download", draft_rfx, kind))
        statuses.append(response.status_code)
        if response.status_code == 200:
            body = b"".join(response.streaming_content)
            assert response["Content-Disposition"].startswith("attachment")
            assert response["Cache-Control"] == "private, no-store"
            expected = {"training": training_csv(), "inputs": inputs_csv()}.get(kind, labels_csv())
            assert body.decode() == expected
        else:
            assert b"m001,MAINTENANCE" not in response.content
    assert tuple(statuses) == DOWNLOADERS[role]


def test_the_hidden_labels_never_download_for_a_supplier_or_reviewer_after_publishing(
    client, buyer, reviewer, supplier_a, supplier_b, competition, published_rfx
):
    for user in (reviewer, supplier_a, supplier_b):
        client.force_login(user)
        for moment in (
            release_time(published_rfx) + timedelta(hours=1),
            published_rfx.proposal_deadline + timedelta(days=1),
        ):
            with frozen(moment):
                response = client.get(url("rfx-competition-download", published_rfx, "labels"))
            assert response.status_code == 403, user
    client.force_login(buyer)
    assert client.get(url("rfx-competition-download", published_rfx, "labels")).status_code == 200


# --- after publishing, and who may change ------------------------------------------------------


def test_once_published_the_manager_reads_the_competition_and_cannot_change_it(
    client, buyer, competition, published_rfx
):
    html = page(client, buyer, published_rfx).content.decode()
    assert 'data-testid="read-only"' in html
    assert "fixed when the RFx was published" in html
    assert 'data-testid="settings-form"' not in html
    assert 'data-testid="download-labels"' in html
    before = Competition.objects.values().get()
    crafted = [
        (url("rfx-competition-settings", published_rfx), settings_data(published_rfx)),
        (
            url("rfx-competition-bar-add", published_rfx),
            {"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "0.1"},
        ),
        (url("rfx-competition-bar-remove", published_rfx, 0), {}),
        (
            url("rfx-competition-upload", published_rfx, "labels"),
            {"labels-file": csv_file("l.csv", labels_csv())},
        ),
        (url("rfx-competition-remove", published_rfx), {}),
    ]
    for address, data in crafted:
        response = client.post(address, data)
        assert response.status_code == 403, address
    assert Competition.objects.values().get() == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [("reviewer", 403), ("supplier_a", 404), ("supplier_b", 404), ("outsider", 404)],
)
def test_only_the_manager_changes_the_set_up(
    client, request, competition, draft_rfx, role, expected
):
    client.force_login(request.getfixturevalue(role))
    before = Competition.objects.values().get()
    for address, data in [
        (url("rfx-competition-settings", draft_rfx), settings_data(draft_rfx)),
        (
            url("rfx-competition-bar-add", draft_rfx),
            {"bar-metric": "accuracy", "bar-direction": "min", "bar-threshold": "0.1"},
        ),
        (url("rfx-competition-bar-remove", draft_rfx, 0), {}),
        (
            url("rfx-competition-upload", draft_rfx, "training"),
            {"training-file": csv_file("t.csv", training_csv())},
        ),
        (url("rfx-competition-remove", draft_rfx), {}),
    ]:
        assert client.post(address, data).status_code == expected, address
    assert Competition.objects.values().get() == before


def test_the_manager_removes_the_competition_and_the_gate_turns_off(
    client, buyer, competition, draft_rfx
):
    client.force_login(buyer)
    response = client.post(url("rfx-competition-remove", draft_rfx), follow=True)
    assert "The competition and its files are removed" in response.content.decode()
    draft_rfx.refresh_from_db()
    assert not Competition.objects.exists() and draft_rfx.has_competition is False


def test_the_tabs_show_the_competition_for_rfps_that_have_or_may_have_one(
    client, buyer, competition, published_rfx, supplier_a
):
    client.force_login(buyer)
    html = client.get(url("rfx-edit", published_rfx)).content.decode()
    assert f'href="{url("rfx-competition", published_rfx)}"' in html
    client.force_login(supplier_a)
    html = client.get(url("rfx-supplier-detail", published_rfx)).content.decode()
    assert f'href="{url("rfx-supplier-competition", published_rfx)}"' in html


def test_without_a_competition_a_published_rfp_has_no_competition_tab(
    client, buyer, draft_rfx, supplier_a, supplier_a_org, django_capture_on_commit_callbacks
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    services.invitation_accept(
        invitation=Invitation.objects.get(rfx=draft_rfx), user=supplier_a, accept_terms=True
    )
    client.force_login(buyer)
    html = client.get(url("rfx-edit", draft_rfx)).content.decode()
    assert url("rfx-competition", draft_rfx) not in html
    client.force_login(supplier_a)
    html = client.get(url("rfx-supplier-detail", draft_rfx)).content.decode()
    assert url("rfx-supplier-competition", draft_rfx) not in html
    assert client.get(url("rfx-supplier-competition", draft_rfx)).status_code == 404
