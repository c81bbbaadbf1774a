"""The Django admin shows a competition and its prediction files read-only, and names the hidden
labels without ever linking to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from rfx import competition_services, services
from tests.factories import UserFactory
from tests.rfx.competition_data import (
    csv_file,
    labels_csv,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    set_up(draft_rfx, buyer)
    return draft_rfx


def test_the_admin_shows_the_competition_and_its_files_read_only_with_no_link_to_the_labels(
    client, published_rfx, supplier_a
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    with frozen(release_time(published_rfx) + timedelta(minutes=1)):
        submission = competition_services.prediction_submit(
            proposal=proposal, user=supplier_a, file=csv_file("ours.csv", predictions_csv())
        )
    competition = published_rfx.competition
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    pages = {
        "competition": reverse("admin:rfx_competition_change", args=[competition.pk]),
        "competitions": reverse("admin:rfx_competition_changelist"),
        "submission": reverse("admin:rfx_predictionsubmission_change", args=[submission.pk]),
        "submissions": reverse("admin:rfx_predictionsubmission_changelist"),
    }
    html = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html[name] = response.content.decode()
    assert f"machines-labels.csv ({len(labels_csv()):,} bytes)" in html["competition"]
    assert f"ours.csv ({len(predictions_csv()):,} bytes)" in html["submission"]
    for text in html.values():
        assert competition.labels_file.name not in text
    # Nothing can be added, changed or deleted here: the services check every change.
    assert 'name="_save"' not in html["competition"]
    assert client.get(reverse("admin:rfx_competition_add")).status_code == 403
    response = client.get(reverse("admin:rfx_competition_delete", args=[competition.pk]))
    assert response.status_code == 403
