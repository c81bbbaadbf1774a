"""Setting up a tender competition (DESIGN §5): the buyer's settings and its three files,
and publishing only once the competition is ready."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from core.exceptions import ApplicationError
from rfx import competition_services, services
from rfx.models import Competition, HiddenStorage, RFx
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
from tests.rfx.conftest import DAY, frozen

pytestmark = pytest.mark.usefixtures("media_root")


def refused(call, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(**kwargs)
    return caught.value


def upload(rfx, user, kind, content, name="file.csv"):
    return competition_services.competition_file_upload(
        rfx=rfx, user=user, kind=kind, file=csv_file(name, content)
    )


def upload_errors(rfx, user, kind, content) -> dict:
    error = refused(
        competition_services.competition_file_upload,
        rfx=rfx,
        user=user,
        kind=kind,
        file=csv_file("file.csv", content),
    )
    return error.extra["errors"]


# --- settings -----------------------------------------------------------------------------------


def test_a_manager_sets_up_the_competition_of_a_draft_rfp_and_the_gate_turns_on(draft_rfx, buyer):
    assert draft_rfx.has_competition is False
    competition = competition_services.competition_configure(
        rfx=draft_rfx,
        user=buyer,
        description="  Predict which machines need maintenance.  ",
        primary_metric="weighted_f1",
        bars='[{"metric": "accuracy", "min": 0.8}]',
        submission_limit="7",
        release_at=release_time(draft_rfx),
    )
    competition.refresh_from_db()
    draft_rfx.refresh_from_db()
    assert draft_rfx.has_competition is True
    assert (
        competition.rfx,
        competition.description,
        competition.primary_metric,
        competition.bars,
        competition.submission_limit,
        competition.release_at,
        competition.is_ready,
    ) == (
        draft_rfx,
        "Predict which machines need maintenance.",
        "weighted_f1",
        [{"metric": "accuracy", "min": 0.8}],
        7,
        release_time(draft_rfx),
        False,
    )
    # Left-out arguments keep their values; the same competition is changed, not a second one.
    competition_services.competition_configure(rfx=draft_rfx, user=buyer, submission_limit=2)
    competition.refresh_from_db()
    assert (Competition.objects.count(), competition.submission_limit) == (1, 2)
    assert competition.primary_metric == "weighted_f1"


def test_a_new_competition_starts_from_the_defaults(draft_rfx, buyer):
    competition = competition_services.competition_configure(rfx=draft_rfx, user=buyer)
    assert (
        competition.primary_metric,
        competition.bars,
        competition.submission_limit,
        competition.release_at,
    ) == ("accuracy", [], 5, None)


@pytest.mark.parametrize("who", ["reviewer", "supplier_a", "outsider"])
def test_only_a_procurement_manager_of_the_buyer_sets_it_up(draft_rfx, buyer, who, request):
    set_up(draft_rfx, buyer, files=False)
    user = request.getfixturevalue(who)
    message = "Only a procurement manager of Northwind Rail can do this."
    for call, kwargs in (
        (competition_services.competition_configure, {"submission_limit": 4}),
        (
            competition_services.competition_file_upload,
            {"kind": "training", "file": csv_file("t.csv", training_csv())},
        ),
        (competition_services.competition_remove, {}),
    ):
        assert refused(call, rfx=draft_rfx, user=user, **kwargs).message == message
    assert Competition.objects.get().submission_limit == 3


def test_an_rfi_has_no_competition(buyer, buyer_org):
    rfi = services.rfx_create(buyer=buyer_org, user=buyer, title="Market survey", kind="rfi")
    error = refused(competition_services.competition_configure, rfx=rfi, user=buyer)
    assert error.message == "A request for information has no competition."
    assert not Competition.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"description": "x" * 20001},
            {"description": "The description is longer than 20,000 characters."},
        ),
        (
            {"primary_metric": "recall"},
            {
                "primary_metric": "Choose the measure that orders the results: accuracy, "
                "macro F1 or weighted F1."
            },
        ),
        *[
            (
                {"submission_limit": value},
                {
                    "submission_limit": "Give the number of valid prediction files each "
                    "supplier may upload as a whole number from 1 to 100."
                },
            )
            for value in (0, 101, "five", True, 2.5, -1)
        ],
        (
            {"release_at": timezone.now().replace(tzinfo=None) + DAY},
            {"release_at": "Give the release time with a time zone."},
        ),
        (
            {"release_at": timezone.now() - timedelta(minutes=1)},
            {"release_at": "The release time of the evaluation inputs must be in the future."},
        ),
        (
            {"bars": '[{"metric": "accuracy", "min": 0.8'},
            {
                "bars": "The bars are not valid JSON (Expecting ',' delimiter, line 1, column "
                '35). Write them like [{"metric": "accuracy", "min": 0.8}].'
            },
        ),
        (
            {"bars": [{"metric": "recall", "min": 2}, "accuracy"]},
            {
                "bars": "Bar 1: recall needs a class (a label). Bar 1: min must be between 0 and "
                '1, not 2. Bar 2: must be an object such as {"metric": "accuracy", "min": 0.8}.'
            },
        ),
        (
            {"bars": {"metric": "accuracy", "min": 0.8}},
            {"bars": 'The bars must be a JSON list, e.g. [{"metric": "accuracy", "min": 0.8}].'},
        ),
        ({"bars": [{"metric": "accuracy", "min": 0.5}] * 51}, {"bars": "Keep to 50 bars at most."}),
        (
            {"primary_metric": "auc", "submission_limit": 0},
            {
                "primary_metric": "Choose the measure that orders the results: accuracy, "
                "macro F1 or weighted F1.",
                "submission_limit": "Give the number of valid prediction files each supplier "
                "may upload as a whole number from 1 to 100.",
            },
        ),
    ],
)
def test_every_setting_is_checked_with_a_message_for_its_field(draft_rfx, buyer, fields, errors):
    error = refused(competition_services.competition_configure, rfx=draft_rfx, user=buyer, **fields)
    assert error.extra["errors"] == errors
    assert error.message == " ".join(errors.values())
    assert not Competition.objects.exists()
    draft_rfx.refresh_from_db()
    assert draft_rfx.has_competition is False


def test_the_release_time_must_come_before_the_proposal_deadline(draft_rfx, buyer):
    error = refused(
        competition_services.competition_configure,
        rfx=draft_rfx,
        user=buyer,
        release_at=draft_rfx.proposal_deadline,
    )
    deadline = timezone.localtime(draft_rfx.proposal_deadline).strftime("%-d %B %Y, %H:%M")
    assert error.extra["errors"] == {
        "release_at": f"Release the evaluation inputs before the proposal deadline ({deadline}), "
        "so that suppliers have time to send their predictions."
    }


def test_saving_the_set_up_again_after_its_release_time_passed_in_draft_is_accepted(
    draft_rfx, buyer
):
    competition = set_up(draft_rfx, buyer, files=False)
    with frozen(competition.release_at + timedelta(hours=1)):
        competition_services.competition_configure(
            rfx=draft_rfx, user=buyer, release_at=competition.release_at, submission_limit=4
        )
        moved = competition.release_at - timedelta(minutes=30)
        error = refused(
            competition_services.competition_configure, rfx=draft_rfx, user=buyer, release_at=moved
        )
    assert error.extra["errors"] == {
        "release_at": "The release time of the evaluation inputs must be in the future."
    }


def test_once_labels_are_in_the_bars_must_name_their_classes_and_columns(draft_rfx, buyer):
    set_up(draft_rfx, buyer)
    error = refused(
        competition_services.competition_configure,
        rfx=draft_rfx,
        user=buyer,
        bars=[
            {"metric": "recall", "class": "BROKEN", "min": 0.5},
            {"metric": "accuracy_gap", "column": "region", "max": 0.1},
        ],
    )
    assert error.extra["errors"] == {
        "bars": "Bar 1: class “BROKEN” is not a label of the competition (“MAINTENANCE”, “OK”). "
        "Bar 2: column “region” is not a group column of the labels file (group columns: "
        "“site”)."
    }
    assert Competition.objects.get().bars == BARS


def test_the_competition_is_fixed_at_publishing(draft_rfx, buyer, supplier_a_org):
    set_up(draft_rfx, buyer)
    services.rfx_publish(rfx=draft_rfx, user=buyer)
    message = (
        "The competition is fixed when the RFx is published: suppliers rely on it. This RFx is "
        "published."
    )
    assert (
        refused(
            competition_services.competition_configure, rfx=draft_rfx, user=buyer, bars=[]
        ).message
        == message
    )
    assert (
        refused(
            competition_services.competition_file_upload,
            rfx=draft_rfx,
            user=buyer,
            kind="labels",
            file=csv_file("l.csv", labels_csv()),
        ).message
        == message
    )
    assert (
        refused(competition_services.competition_remove, rfx=draft_rfx, user=buyer).message
        == "The competition is fixed when the RFx is published and can no longer be removed."
    )
    assert (
        refused(services.rfx_update, rfx=draft_rfx, user=buyer, has_competition=False).message
        == "The competition gate cannot change after publishing: suppliers rely on it."
    )
    # Other settings still change, with the gate sent as it is (the settings form sends it).
    services.rfx_update(rfx=draft_rfx, user=buyer, has_competition=True, title="Renamed")
    draft_rfx.refresh_from_db()
    assert (draft_rfx.has_competition, Competition.objects.get().bars) == (True, BARS)


# --- files --------------------------------------------------------------------------------------


def test_the_hidden_labels_are_read_and_kept_only_in_the_hidden_storage(
    draft_rfx, buyer, _hidden_root, tmp_path
):
    media = tmp_path / "media"  # the media_root fixture's
    competition = set_up(draft_rfx, buyer)
    competition.refresh_from_db()
    assert (competition.rows, competition.classes, competition.group_columns) == (
        40,
        ["MAINTENANCE", "OK"],
        ["site"],
    )
    assert (competition.labels_name, competition.labels_size) == (
        "machines-labels.csv",
        len(labels_csv()),
    )
    assert isinstance(competition.labels_file.storage, HiddenStorage)
    stored = Path(competition.labels_file.path)
    assert stored.is_relative_to(_hidden_root)
    assert stored.read_text() == labels_csv()
    assert not stored.is_relative_to(media)
    assert not any(path.name.startswith("labels") for path in media.rglob("*"))
    # The files suppliers download are in the ordinary storage.
    for field, content in (("training_file", training_csv()), ("inputs_file", inputs_csv())):
        path = Path(getattr(competition, field).path)
        assert path.is_relative_to(media)
        assert path.read_text() == content
    assert Path(django_settings.MEDIA_ROOT) == media
    assert competition.is_ready


def test_a_bad_labels_file_is_refused_with_the_rows_named(draft_rfx, buyer):
    set_up(draft_rfx, buyer, files=False)
    content = "id,label,site\nm001,OK,north\nm001,OK,north\nm003,,south\n"
    assert upload_errors(draft_rfx, buyer, "labels", content) == {
        "labels_file": "1 row has an empty label, e.g. row 4. 1 id appears more than once in the "
        "labels file, e.g. “m001” (rows 2, 3). Each id must appear exactly once."
    }
    competition = Competition.objects.get()
    assert (competition.labels_file.name, competition.rows, competition.classes) == ("", 0, [])


def test_labels_without_a_class_or_column_the_bars_name_are_refused(draft_rfx, buyer):
    set_up(draft_rfx, buyer, files=False)
    content = "id,label\nm001,OK\nm002,BROKEN\n"
    assert upload_errors(draft_rfx, buyer, "labels", content) == {
        "labels_file": "The competition's bars name what this labels file does not have. Change "
        "the bars first, or upload labels that have it. Bar 2: class “MAINTENANCE” is not a "
        "label of the competition (“BROKEN”, “OK”). Bar 3: class “MAINTENANCE” is not a label "
        "of the competition (“BROKEN”, “OK”). Bar 3: column “site” is not a group column of "
        "the labels file (group columns: none)."
    }


def test_the_inputs_and_labels_ids_must_match_whichever_comes_second(draft_rfx, buyer):
    set_up(draft_rfx, buyer, files=False)
    # Inputs first: the labels are checked against them.
    upload(draft_rfx, buyer, "inputs", inputs_csv())
    shifted = ["m000", *[f"m{number:03d}" for number in range(2, 41)]]
    assert upload_errors(draft_rfx, buyer, "labels", labels_csv(ids=shifted)) == {
        "labels_file": "The evaluation inputs and the hidden labels must have exactly the same "
        "ids. 1 row of the hidden labels has an id not found in the evaluation inputs, e.g. "
        "row 2 (“m000”). 1 row of the evaluation inputs has an id not found in the hidden "
        "labels, e.g. row 2 (“m001”)."
    }
    upload(draft_rfx, buyer, "labels", labels_csv())
    # Labels there: new inputs are checked against them.
    assert upload_errors(draft_rfx, buyer, "inputs", inputs_csv(ids=shifted[:30])) == {
        "inputs_file": "The evaluation inputs and the hidden labels must have exactly the same "
        "ids. 1 row of the evaluation inputs has an id not found in the hidden labels, e.g. "
        "row 2 (“m000”). 11 rows of the hidden labels have an id not found in the evaluation "
        "inputs, e.g. "
        + ", ".join(f"row {row} (“m{row - 1:03d}”)" for row in [2, *range(32, 41)])
        + "."
    }
    competition = Competition.objects.get()
    assert competition.inputs_name == "file.csv"


def test_evaluation_inputs_that_give_the_labels_away_are_refused(draft_rfx, buyer):
    from tests.rfx.competition_data import IDS, TRUTH

    set_up(draft_rfx, buyer, files=False)
    upload(draft_rfx, buyer, "labels", labels_csv())
    leaking = "id,vibration,needs\n" + "".join(
        f"{i},0.1,{label}\n" for i, label in zip(IDS, TRUTH, strict=True)
    )
    assert upload_errors(draft_rfx, buyer, "inputs", leaking) == {
        "inputs_file": "The evaluation inputs hold the hidden label of every row in “needs”: "
        "suppliers would see the answers. Take that column out of the evaluation inputs."
    }


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("training", b"", "The training set file is empty."),
        ("training", b"vibration,label\n", "The training set file has a header but no rows."),
        (
            "training",
            b"0.1,41\n0.2,44\n",
            "Row 1 of the training set file must be the header with the column names; found "
            "“0.1,41”, which looks like data. Add a header row.",
        ),
        (
            "training",
            b"vibration,label\n0.1,OK\n0.2,\xe9t\xe9\n",
            "1 row is not UTF-8 text, e.g. row 3. Save the file as “CSV UTF-8”.",
        ),
        (
            "inputs",
            b"machine,vibration\nm001,0.1\n",
            "The evaluation inputs file must have a column named id, with the same ids as the "
            "hidden labels; row 1 has “machine,vibration”.",
        ),
        ("labels", b"id,label\n", "The labels file has a header but no rows."),
    ],
)
def test_each_file_must_be_a_utf8_csv_with_a_header_and_rows(
    draft_rfx, buyer, kind, content, message
):
    set_up(draft_rfx, buyer, files=False)
    field = {"training": "training_file", "inputs": "inputs_file", "labels": "labels_file"}[kind]
    assert upload_errors(draft_rfx, buyer, kind, content) == {field: message}
    assert not getattr(Competition.objects.get(), field)


def test_files_over_the_size_limit_are_refused(draft_rfx, buyer, monkeypatch):
    set_up(draft_rfx, buyer, files=False)
    monkeypatch.setitem(
        competition_services.FILES,
        "training",
        competition_services.CompetitionFile("training", "training_file", "training set", 50),
    )
    assert upload_errors(draft_rfx, buyer, "training", training_csv()) == {
        "training_file": "The training set file is 67 bytes; the limit is 50 bytes."
    }


def test_an_upload_needs_a_competition_a_known_kind_and_a_file(draft_rfx, buyer):
    assert (
        refused(
            competition_services.competition_file_upload,
            rfx=draft_rfx,
            user=buyer,
            kind="training",
            file=csv_file("t.csv", training_csv()),
        ).message
        == "Set up the competition before uploading its files."
    )
    set_up(draft_rfx, buyer, files=False)
    assert (
        refused(
            competition_services.competition_file_upload,
            rfx=draft_rfx,
            user=buyer,
            kind="answers",
            file=csv_file("t.csv", training_csv()),
        ).message
        == "Say which file this is: the training set, the evaluation inputs or the hidden labels."
    )
    error = refused(
        competition_services.competition_file_upload,
        rfx=draft_rfx,
        user=buyer,
        kind="labels",
        file=None,
    )
    assert error.extra["errors"] == {"labels_file": "Choose the hidden labels file to upload."}


def test_a_replaced_file_is_deleted_from_its_storage(
    draft_rfx, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        competition = set_up(draft_rfx, buyer)
    old_labels = Path(competition.labels_file.path)
    old_training = Path(competition.training_file.path)
    with django_capture_on_commit_callbacks(execute=True):
        upload(draft_rfx, buyer, "labels", labels_csv(), name="labels-v2.csv")
        competition = upload(draft_rfx, buyer, "training", training_csv(), name="v2.csv")
    assert not old_labels.exists()
    assert not old_training.exists()
    assert Path(competition.labels_file.path).read_text() == labels_csv()
    assert (competition.labels_name, competition.training_name) == ("labels-v2.csv", "v2.csv")


def test_a_refused_replacement_keeps_the_file_that_was_there(draft_rfx, buyer):
    competition = set_up(draft_rfx, buyer)
    before = competition.labels_file.name
    upload_errors(draft_rfx, buyer, "labels", "id,label\n")
    competition.refresh_from_db()
    assert competition.labels_file.name == before
    assert Path(competition.labels_file.path).exists()


def test_removing_the_competition_deletes_its_files_and_turns_the_gate_off(
    draft_rfx, buyer, django_capture_on_commit_callbacks
):
    competition = set_up(draft_rfx, buyer)
    paths = [Path(getattr(competition, field).path) for field in ("training_file", "inputs_file")]
    paths.append(Path(competition.labels_file.path))
    with django_capture_on_commit_callbacks(execute=True):
        competition_services.competition_remove(rfx=draft_rfx, user=buyer)
    draft_rfx.refresh_from_db()
    assert draft_rfx.has_competition is False
    assert not Competition.objects.exists()
    assert [path.exists() for path in paths] == [False, False, False]


# --- publishing ---------------------------------------------------------------------------------


def publishing_errors(rfx, user) -> dict:
    return refused(services.rfx_publish, rfx=rfx, user=user).extra["errors"]


def test_publishing_waits_until_the_competition_is_ready(draft_rfx, buyer):
    services.rfx_update(rfx=draft_rfx, user=buyer, has_competition=True)
    assert publishing_errors(draft_rfx, buyer) == {
        "competition": "The competition gate is on but no competition is set up. Set up the "
        "competition, or turn the gate off."
    }
    competition_services.competition_configure(rfx=draft_rfx, user=buyer)
    assert publishing_errors(draft_rfx, buyer) == {
        "competition": "Finish the competition before publishing: upload the training set, the "
        "evaluation inputs and the hidden labels; set the release time of the evaluation inputs."
    }
    upload(draft_rfx, buyer, "labels", labels_csv())
    upload(draft_rfx, buyer, "training", training_csv())
    competition_services.competition_configure(
        rfx=draft_rfx, user=buyer, release_at=release_time(draft_rfx)
    )
    assert publishing_errors(draft_rfx, buyer) == {
        "competition": "Finish the competition before publishing: upload the evaluation inputs."
    }
    upload(draft_rfx, buyer, "inputs", inputs_csv())
    services.rfx_publish(rfx=draft_rfx, user=buyer)
    draft_rfx.refresh_from_db()
    assert draft_rfx.status == RFx.Status.PUBLISHED


def test_publishing_refuses_a_release_at_or_after_a_deadline_moved_earlier(draft_rfx, buyer):
    competition = set_up(draft_rfx, buyer)
    services.rfx_update(
        rfx=draft_rfx,
        user=buyer,
        clarification_deadline=competition.release_at - 2 * DAY,
        proposal_deadline=competition.release_at,
    )
    release = timezone.localtime(competition.release_at).strftime("%-d %B %Y, %H:%M")
    assert publishing_errors(draft_rfx, buyer) == {
        "competition": f"The evaluation inputs are released on {release}, which is not before "
        f"the proposal deadline ({release}). Release them earlier so that suppliers have time "
        "to send their predictions."
    }


def test_publishing_refuses_a_competition_whose_gate_was_turned_off(draft_rfx, buyer):
    set_up(draft_rfx, buyer)
    services.rfx_update(rfx=draft_rfx, user=buyer, has_competition=False)
    assert publishing_errors(draft_rfx, buyer) == {
        "competition": "A competition is set up but the competition gate is off. Turn the gate "
        "on, or remove the competition."
    }


def test_an_rfx_without_a_competition_publishes_as_before(draft_rfx, buyer):
    services.rfx_publish(rfx=draft_rfx, user=buyer)
    draft_rfx.refresh_from_db()
    assert (draft_rfx.status, draft_rfx.has_competition) == (RFx.Status.PUBLISHED, False)


def test_a_big_upload_in_a_temporary_file_is_checked_and_stored(draft_rfx, buyer):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    set_up(draft_rfx, buyer, files=False)
    content = labels_csv().encode()
    upload = TemporaryUploadedFile("labels.csv", "text/csv", len(content), "utf-8")
    upload.write(content)
    upload.seek(0)
    competition = competition_services.competition_file_upload(
        rfx=draft_rfx, user=buyer, kind="labels", file=upload
    )
    upload.close()  # as the request does; its temporary file was moved into the storage
    assert competition.rows == 40
    assert Path(competition.labels_file.path).read_bytes() == content
