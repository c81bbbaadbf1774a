"""Evaluation-matrix exports (XLSX and CSV): content, formula neutralisation, permissions."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from rfx import services
from tests.rfx.test_reports import ALLOWED, _client, media, roles  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def test_the_csv_has_one_row_per_proposal_ranked_first(closed_rfx, buyer, client):
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    client.force_login(buyer)
    response = client.get(reverse("rfx-export-csv", args=[closed_rfx.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "predictive-maintenance-evaluation-matrix.csv" in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:10] == [
        "Supplier",
        "Rank",
        "Total (of 100)",
        "Maturity (M)",
        "Extra questionnaire (E)",
        "Licence and terms (L)",
        "Cost (K)",
        "Price",
        "Currency",
        "Not ranked because",
    ]
    assert header[10] == "1. Practical benchmarks" and len(header) == 18
    assert [row[:3] for row in rows] == [
        ["Blue Heron AI", "1", "80.95"],
        ["Acme Analytics", "2", "70.24"],
    ]
    assert rows[0][6:9] == ["1.0", "90000.00", "GBP"] and rows[1][6] == "0.75"
    assert rows[0][10] == "0.6667"


def test_without_the_price_envelope_there_is_no_price_or_cost(closed_rfx, reviewer, client):
    client.force_login(reviewer)
    header, *rows = _csv(client.get(reverse("rfx-export-csv", args=[closed_rfx.pk])))
    assert "Price" not in header and "Cost (K)" not in header
    assert not any("90000" in value or "120000" in value for row in rows for value in row)


def test_an_unranked_proposal_says_why(closed_rfx, buyer, client):
    closed_rfx.disqualify_on_critical_red_flags = True
    closed_rfx.save(update_fields=["disqualify_on_critical_red_flags"])
    proposal = closed_rfx.proposals.get(supplier__name="Acme Analytics")
    version = proposal.versions.get()
    snapshot = {**version.snapshot, "price_amount": None}
    type(version).objects.filter(pk=version.pk).update(snapshot=snapshot)
    client.force_login(buyer)
    header, *rows = _csv(client.get(reverse("rfx-export-csv", args=[closed_rfx.pk])))
    reason = header.index("Not ranked because")
    assert rows[1][0] == "Acme Analytics" and rows[1][1] == "" and rows[1][2] == ""
    assert rows[1][reason] == "no price given"


def test_a_formula_from_a_supplier_stays_text_in_both_exports(
    closed_rfx, buyer, client, supplier_a_org
):
    supplier_a_org.name = "=SUM(1)"
    supplier_a_org.save(update_fields=["name"])
    client.force_login(buyer)

    _, *rows = _csv(client.get(reverse("rfx-export-csv", args=[closed_rfx.pk])))
    assert "'=SUM(1)" in [row[0] for row in rows]

    values, sheet = _xlsx(client.get(reverse("rfx-export-xlsx", args=[closed_rfx.pk])))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    formula_cell = next(cell for cell in cells if cell.value == "=SUM(1)")
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix


def test_the_xlsx_matches_the_csv(closed_rfx, buyer, client):
    client.force_login(buyer)
    response = client.get(reverse("rfx-export-xlsx", args=[closed_rfx.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    values, sheet = _xlsx(response)
    csv_rows = _csv(client.get(reverse("rfx-export-csv", args=[closed_rfx.pk])))
    assert values[0] == csv_rows[0]
    assert [row[0] for row in values[1:]] == [row[0] for row in csv_rows[1:]]
    assert values[1][1] == 1 and isinstance(values[1][2], float)
    assert sheet.title == "Evaluation matrix"


def test_mixed_currencies_explain_why_nothing_can_be_exported(closed_rfx, buyer, client):
    proposal = closed_rfx.proposals.get(supplier__name="Acme Analytics")
    version = proposal.versions.get()
    type(version).objects.filter(pk=version.pk).update(
        snapshot={**version.snapshot, "price_currency": "EUR"}
    )
    client.force_login(buyer)
    response = client.get(reverse("rfx-export-csv", args=[closed_rfx.pk]))
    assert response.status_code == 409 and b"currenc" in response.content.lower()


def test_the_export_runs_a_pinned_number_of_queries(
    closed_rfx, buyer, client, django_assert_num_queries
):
    client.force_login(buyer)
    with django_assert_num_queries(14):
        assert client.get(reverse("rfx-export-csv", args=[closed_rfx.pk])).status_code == 200


def test_exports_are_not_available_before_the_rfx_closes(published_rfx, buyer, client):
    client.force_login(buyer)
    assert client.get(reverse("rfx-export-csv", args=[published_rfx.pk])).status_code == 404
    assert client.get(reverse("rfx-export-xlsx", args=[published_rfx.pk])).status_code == 404


@pytest.mark.parametrize(
    "role",
    [
        "procurement manager",
        "reviewer assigned and declared",
        "reviewer not declared",
        "reviewer not assigned",
        "supplier A",
        "supplier B",
        "outsider",
        "anonymous",
    ],
)
def test_exports_permission_matrix(role, roles, closed_rfx, client):  # noqa: F811 (fixture)
    client = _client(client, roles[role])
    responses = [
        client.get(reverse(name, args=[closed_rfx.pk]))
        for name in ("rfx-export-csv", "rfx-export-xlsx")
    ]
    statuses = [response.status_code for response in responses]
    if role in ALLOWED:
        assert statuses == [200, 200]
        assert b"Acme Analytics" in responses[0].content
    elif role == "anonymous":
        assert statuses == [302, 302]
        assert all("/accounts/login" in response.url for response in responses)
    else:
        assert statuses == [404, 404]
        assert responses[0]["Content-Type"].startswith("text/html")
        assert b"Total (of 100)" not in responses[0].content
