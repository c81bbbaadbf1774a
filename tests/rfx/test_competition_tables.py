"""The files suppliers download (DESIGN §5): the training set and the evaluation inputs,
checked column-wise without reading them into memory, and their ids against the labels'."""

from __future__ import annotations

import pytest

from rfx.competition import (
    CompetitionFileError,
    columns_holding_the_labels,
    id_mismatch_errors,
    in_scorer_order,
    read_labels,
    read_table,
    score,
)


def table_of(tmp_path, data: bytes, **options):
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    return read_table(path, which="evaluation inputs", **options)


def errors_of(tmp_path, data: bytes, **options) -> list[str]:
    with pytest.raises(CompetitionFileError) as caught:
        table_of(tmp_path, data, **options)
    assert caught.value.which == "evaluation inputs"
    return caught.value.messages


def test_it_reads_the_columns_the_rows_and_the_ids_with_their_spreadsheet_rows(tmp_path):
    table = table_of(
        tmp_path, b"\xef\xbb\xbfsite,ID,speed\r\nA, 7 ,1\r\n\r\nB,8,2\r\n\r\n", id_column=True
    )
    assert (table.columns, table.rows) == (["site", "ID", "speed"], 2)
    assert table.ids.rows() == [(2, "7"), (4, "8")]


def test_without_an_id_column_only_the_shape_is_read(tmp_path):
    table = table_of(tmp_path, b"speed,label\n1,A\n2,B\n3,\n")
    assert (table.columns, table.rows, table.ids) == (["speed", "label"], 3, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The evaluation inputs file is empty."),
        (b" \n\n", "The evaluation inputs file is empty."),
        (b"id,speed\n", "The evaluation inputs file has a header but no rows."),
        (
            b"1,2\n3,4\n",
            "Row 1 of the evaluation inputs file must be the header with the column names; "
            "found “1,2”, which looks like data. Add a header row.",
        ),
        (
            b"\xff\xfei\x00d\x00",
            "The evaluation inputs file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8 (comma "
            "delimited)”.",
        ),
        (
            b"sp\xe9ed,id\n1,2\n",
            "Row 1 of the evaluation inputs file is not UTF-8 text. Save the file as “CSV UTF-8”.",
        ),
    ],
)
def test_empty_files_and_missing_headers_are_named(tmp_path, data, message):
    assert errors_of(tmp_path, data) == [message]


def test_unnamed_and_repeated_columns_are_refused(tmp_path):
    assert errors_of(tmp_path, b",speed,Speed,\n1,2,3,4\n") == [
        "Row 1 of the evaluation inputs file has columns with no name (column 1, 4); give "
        "every column a name.",
        "Row 1 of the evaluation inputs file names “Speed”, “speed” more than once; each column "
        "needs its own name.",
    ]


def test_the_evaluation_inputs_need_an_id_column(tmp_path):
    assert errors_of(tmp_path, b"key,speed\n1,2\n", id_column=True) == [
        "The evaluation inputs file must have a column named id, with the same ids as the hidden "
        "labels; row 1 has “key,speed”."
    ]
    assert errors_of(tmp_path, b"id;speed\n1;2\n", id_column=True) == [
        "The evaluation inputs file must have a column named id, with the same ids as the hidden "
        "labels; row 1 has “id;speed”. The values must be separated by commas, not semicolons "
        "or tabs."
    ]


def test_empty_and_repeated_ids_name_their_rows(tmp_path):
    assert errors_of(tmp_path, b"id,speed\n1,2\n1,3\n,4\n2,5\n", id_column=True) == [
        "1 row has an empty id, e.g. row 4.",
        "1 id appears more than once in the evaluation inputs file, e.g. “1” (rows 2, 3). Each "
        "id must appear exactly once.",
    ]


def test_bad_bytes_and_ragged_rows_anywhere_in_the_file_are_named(tmp_path):
    rows = b"".join(b"%d,%d\n" % (index, index) for index in range(2, 40))
    data = b"id,speed\n" + rows + b"40,\xff\n41,1,2\n"
    assert errors_of(tmp_path, data) == [
        "1 row has more than the 2 values of the header, e.g. row 41 (3 values). A value that "
        "contains a comma must be in quotes.",
        "1 row is not UTF-8 text, e.g. row 40. Save the file as “CSV UTF-8”.",
    ]


def test_size_and_row_limits(tmp_path):
    assert errors_of(tmp_path, b"id,speed\n1,2\n", max_bytes=10) == [
        "The evaluation inputs file is 13 bytes; the limit is 10 bytes."
    ]
    assert errors_of(tmp_path, b"id,speed\n1,2\n2,3\n3,4\n", max_rows=2) == [
        "The evaluation inputs file has 3 rows; the limit is 2."
    ]


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CompetitionFileError) as caught:
        read_table(tmp_path / "gone.csv", which="training set")
    assert caught.value.messages == [
        "The training set file cannot be read: No such file or directory."
    ]


def test_id_mismatches_are_named_from_both_sides_with_ten_examples(tmp_path):
    labels = read_labels(b"id,label\n" + b"".join(b"%d,A\n" % n for n in range(1, 31)))
    inputs = table_of(
        tmp_path,
        b"id,speed\n" + b"".join(b"%d,0\n" % n for n in [*range(1, 19), *range(100, 112)]),
        id_column=True,
    )
    assert id_mismatch_errors(
        labels.frame,
        inputs.ids,
        reference_name="the hidden labels",
        checked_name="the evaluation inputs",
    ) == [
        "12 rows of the evaluation inputs have an id not found in the hidden labels, e.g. "
        + ", ".join(f"row {row} (“{row + 80}”)" for row in range(20, 30))
        + ".",
        "12 rows of the hidden labels have an id not found in the evaluation inputs, e.g. "
        + ", ".join(f"row {row} (“{row - 1}”)" for row in range(20, 30))
        + ".",
    ]
    reversed_ids = b"id\n" + b"".join(b"%d\n" % n for n in range(30, 0, -1))
    same = table_of(tmp_path, reversed_ids, id_column=True)
    assert id_mismatch_errors(labels.frame, same.ids, reference_name="a", checked_name="b") == []


def test_a_column_that_holds_every_label_is_found(tmp_path):
    labels = read_labels(b"id,label\n1,A\n2,B\n3,A\n")
    path = tmp_path / "inputs.csv"
    path.write_bytes(b"speed,id,target,almost\n1,3, A,A\n2,1,A,A\n3,2,B,A\n")
    table = read_table(path, which="evaluation inputs", id_column=True)
    assert columns_holding_the_labels(path, table, labels) == ["target"]
    path.write_bytes(b"id\n1\n2\n3\n")
    table = read_table(path, which="evaluation inputs", id_column=True)
    assert columns_holding_the_labels(path, table, labels) == []


def test_stored_metrics_come_back_in_the_scorers_order():
    """PostgreSQL's jsonb sorts keys by length; the order labels and groups come in is restored."""
    import json

    labels = b"id,label,zone,site\n1,B,z1,York\n2,A,z2,Crewe\n3,AA,z1,Derby\n4,A,z2,York\n"
    bar = {"metric": "recall_gap", "class": "A", "column": "site", "max": 0.5}  # keys as kept
    result = score(labels, b"id,prediction\n1,B\n2,A\n3,B\n4,AA\n", [bar])
    scrambled = json.loads(json.dumps(result, sort_keys=True))
    restored = in_scorer_order(scrambled, group_columns=["zone", "site"])
    assert json.dumps(restored) == json.dumps(result)
    assert list(restored["groups"]) == ["zone", "site"]
    assert list(restored["groups"]["site"]) == ["Crewe", "Derby", "York"]
    assert list(in_scorer_order(scrambled)["groups"]) == ["site", "zone"]  # sorted when not told
