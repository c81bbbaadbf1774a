"""The matrix's change watch sees a changed row, and not a write that leaves the row as it was."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Organisation
from tests.security.probe import ChangeWatch, undone

pytestmark = pytest.mark.django_db


def _watch(world, write) -> list[str]:
    watch = ChangeWatch()
    with undone():
        started = watch.start()
        write(world)
        after, queued_work = watch.after_request(started)
    return watch.changes(after, queued_work)


def test_a_changed_row_is_reported_with_its_table(world):
    def rename(world):
        Organisation.objects.filter(pk=world.supplier_b.pk).update(name="Renamed by a request")

    changes = _watch(world, rename)

    assert len(changes) == 1
    assert "accounts_organisation" in changes[0] or "the database" in changes[0]


def test_a_write_that_leaves_every_row_as_it_was_is_not_a_change(world):
    def touch(world):
        Organisation.objects.filter(pk=world.supplier_b.pk).update(name=world.supplier_b.name)

    assert _watch(world, touch) == []


def test_nothing_written_nothing_reported(world):
    assert _watch(world, lambda world: Organisation.objects.count()) == []


def test_a_queued_email_is_reported(world):
    def send(world):
        mail.outbox.append(object())

    assert _watch(world, send) == ["queued an e-mail or a background job"]
