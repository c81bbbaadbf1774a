"""Tender competition: validate hidden labels and a supplier's predictions, score them (DESIGN §5).

Plain data in, plain data out, no Django: the upload pages, the worker and
`manage.py score_predictions` all call `validate`, `score` and `check_bars`.

Files are read column-wise with polars; predictions are matched to labels by a
join on a 64-bit hash of the id (the ids themselves are compared afterwards);
labels become enum codes, and every metric is derived from confusion matrices
built by one `numpy.bincount` per group column (or one in all when there is no
group column). A million rows cost a fraction of a second and no Python object
per row. Only a file polars cannot parse at all (ragged rows, broken quotes,
bytes that are not UTF-8) is walked row by row, and then only to name the bad
rows; only a file with something wrong pays for the search for what it is.

Decisions the metrics depend on:
- Ids and labels are text, compared after trimming surrounding spaces
  ("007" and "7" are different ids). Labels are case-sensitive.
- The known labels are `classes` when given, otherwise the labels that occur in
  the hidden labels file. Labels, group values and confusion-matrix rows and
  columns are sorted by code point, as scikit-learn sorts them.
- Division by zero gives 0.0, as scikit-learn's `zero_division=0`: precision of
  a class never predicted, recall of a class with no true instance, F1 when
  both are zero. Macro F1 averages over the classes that occur in the truth or
  the predictions (scikit-learn's default `labels=None`); weighted F1 weights
  by support.
- Groups: every value of a group column present in the labels file is a group.
  A group's per-class recall for a class with no true instance in that group is
  0.0 (as scikit-learn would say), but that group is left out of the class's
  recall gap, because its recall is undefined rather than bad. With fewer than
  two groups to compare, a gap is 0.0.
- A bar holds when its value, rounded to 9 decimals (as DESIGN §4 compares
  levels), is at least its `min` and at most its `max`.
- Entirely empty rows (a trailing blank line, say) are ignored; they still
  count when numbering rows, as a spreadsheet would number them.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import polars as pl

Source = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | IO[str]

MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5_000_000
MAX_CLASSES = 100
MAX_GROUPS = 100
EXAMPLES = 10
_BLANK = re.compile(rb"(\xef\xbb\xbf)?\s*")  # an empty file, perhaps with a byte order mark
# Bytes that were not UTF-8, as the "surrogateescape" error handler keeps them.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")

RATE_METRICS = ("accuracy", "macro_f1", "weighted_f1")
CLASS_METRICS = ("precision", "recall", "f1")
GAP_METRICS = ("accuracy_gap", "recall_gap")
BAR_METRICS = RATE_METRICS + CLASS_METRICS + GAP_METRICS
BAR_KEYS = {"metric", "class", "column", "min", "max"}


class CompetitionError(Exception):
    """A problem a person can fix, as a list of plain sentences."""

    def __init__(self, messages: str | Sequence[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


class CompetitionFileError(CompetitionError):
    """The labels or the predictions file is not acceptable; `which` says which one."""

    def __init__(self, messages: str | Sequence[str], *, which: str):
        self.which = which
        super().__init__(messages)


class BarsError(CompetitionError):
    """The competition bars are malformed or name a class or column that does not exist."""


@dataclass(frozen=True)
class Labels:
    """A checked hidden labels file, to match any number of predictions files against."""

    # Columns: row (spreadsheet row number), key (64-bit hash of the id), id (text),
    # label (Enum of `classes`), then "group 0", "group 1"… (Enums of the groups' values).
    frame: pl.DataFrame
    classes: list[str]
    groups: dict[str, list[str]] = field(default_factory=dict)  # column → its sorted values
    unique_keys: bool = True  # False only if two different ids share a hash

    @property
    def rows(self) -> int:
        return self.frame.height


@dataclass(frozen=True)
class Evaluation:
    """Truth and predictions matched by id, as integer codes into `classes` and the group values."""

    classes: list[str]
    truth: np.ndarray
    predicted: np.ndarray
    groups: dict[str, tuple[list[str], np.ndarray]]


# ---------------------------------------------------------------- reading files


def read_labels(
    source: Source,
    *,
    classes: Sequence[str] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_classes: int = MAX_CLASSES,
    max_groups: int = MAX_GROUPS,
) -> Labels:
    """Read and check the hidden labels file `id,label[,group columns…]`."""
    which = "labels"
    data = _read_source(source, max_bytes, which)
    names = _header(data, which, required=("id", "label"), extra_allowed=True)
    group_names = names[2:]
    # Group columns go by position inside: a person may well call one "row" or "key".
    internal = ["id", "label", *(f"group {index}" for index in range(len(group_names)))]
    described = {
        "id": "an empty id",
        "label": "an empty label",
        **{
            column: f"an empty value in column {_quote(name)}"
            for column, name in zip(internal[2:], group_names, strict=True)
        },
    }
    frame = _drop_empty_rows(_parse(data, internal, which))
    if frame.height == 0:
        raise CompetitionFileError("The labels file has a header but no rows.", which=which)
    if frame.height > max_rows:
        raise CompetitionFileError(
            f"The labels file has {frame.height:,} rows; the limit is {max_rows:,}.", which=which
        )
    frame = frame.with_columns(pl.col("id").str.strip_chars()).with_columns(
        pl.col("id").hash().alias("key")
    )
    # At most this many distinct values of a column come back to Python: one more than allowed.
    caps = [max_classes + 1] + [max_groups + 1] * len(group_names)
    empty_counts, unique_keys, values = _labels_summary(frame, internal, caps)
    # Labels and group values are trimmed only when one of their few distinct values needs it
    # (or when there are too many to look at, so that padding cannot inflate their number).
    padded = [
        column
        for column, cap in zip(internal[1:], caps, strict=True)
        if len(values[column]) >= cap
        or any(value is not None and value != value.strip() for value in values[column])
    ]
    if padded:
        frame = frame.with_columns(pl.col(column).str.strip_chars() for column in padded)
        empty_counts, unique_keys, values = _labels_summary(frame, internal, caps)

    errors: list[str] = []
    for column, count in zip(internal, empty_counts, strict=True):
        if count:
            errors += _empty_value_errors(frame, column, described[column])
    if not unique_keys:  # a duplicate id, or (once in billions of files) two ids with one hash
        errors += _duplicate_id_errors(frame, "the labels file")
    known = _known_classes(classes)
    if known is not None:
        errors += _unknown_label_errors(frame, "label", known, "a label")
    if errors:
        raise CompetitionFileError(errors, which=which)

    if known is not None and len(known) > max_classes:
        raise ValueError(f"{len(known)} classes given; max_classes is {max_classes}")
    if known is None and len(values["label"]) > max_classes:
        raise CompetitionFileError(
            f"The labels file has more than {max_classes:,} different labels. Is the second "
            "column really the label?",
            which=which,
        )
    class_list = known if known is not None else sorted(values["label"])
    groups = {
        name: sorted(values[column]) for column, name in zip(internal[2:], group_names, strict=True)
    }
    for name, found in groups.items():
        if len(found) > max_groups:
            errors.append(
                f"Column {_quote(name)} has more than {max_groups:,} different values, the most a "
                "group column may have. Is it really a group such as a site or a region?"
            )
    if errors:
        raise CompetitionFileError(errors, which=which)

    frame = frame.select(
        pl.col("row"),
        pl.col("key"),
        pl.col("id"),
        pl.col("label").cast(pl.Enum(class_list)),
        *(
            pl.col(column).cast(pl.Enum(found))
            for column, found in zip(internal[2:], groups.values(), strict=True)
        ),
    )
    return Labels(frame=frame, classes=class_list, groups=groups, unique_keys=unique_keys)


def _labels_summary(
    frame: pl.DataFrame, internal: list[str], caps: list[int]
) -> tuple[list[int], bool, dict[str, list[str | None]]]:
    """In one parallel pass: empty values per column, whether keys are distinct, the values
    of the label and group columns (at most `caps` of each)."""
    summary = frame.select(
        *((pl.col(column).is_null() | (pl.col(column) == "")).sum() for column in internal),
        pl.col("key").n_unique().alias("distinct keys"),
        *(
            pl.col(column).unique().head(cap).implode().alias(f"{column} values")
            for column, cap in zip(internal[1:], caps, strict=True)
        ),
    ).row(0)
    values = dict(zip(internal[1:], summary[len(internal) + 1 :], strict=True))
    return list(summary[: len(internal)]), summary[len(internal)] == frame.height, values


def validate(
    labels: Labels | Source,
    predictions: Source,
    *,
    classes: Sequence[str] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_classes: int = MAX_CLASSES,
    max_groups: int = MAX_GROUPS,
) -> Evaluation:
    """Check a predictions file `id,prediction` against the hidden labels and match them by id.

    Raises `CompetitionFileError` (with `which` = "labels" or "predictions") listing every kind
    of problem found, each with its count and at most ten examples naming spreadsheet rows
    (the header is row 1). `labels` may be a `Labels` already read, to score many
    predictions against one labels file.
    """
    if not isinstance(labels, Labels):
        labels = read_labels(
            labels,
            classes=classes,
            max_bytes=max_bytes,
            max_rows=max_rows,
            max_classes=max_classes,
            max_groups=max_groups,
        )
    which = "predictions"
    data = _read_source(predictions, max_bytes, which)
    _header(data, which, required=("id", "prediction"), extra_allowed=False)
    frame = _drop_empty_rows(_parse(data, ["id", "prediction"], which))
    if frame.height == 0:
        raise CompetitionFileError("The predictions file has a header but no rows.", which=which)
    if frame.height > max_rows:
        raise CompetitionFileError(
            f"The predictions file has {frame.height:,} rows; the limit is {max_rows:,}.",
            which=which,
        )
    enum = pl.Enum(labels.classes)
    frame = frame.with_columns(
        pl.col("id").str.strip_chars(),
        pl.col("prediction").cast(enum, strict=False).alias("code"),
    ).with_columns(pl.col("id").hash().alias("key"))
    if frame.get_column("code").null_count():  # unknown, empty or only padded: trim and retry
        frame = frame.with_columns(pl.col("prediction").str.strip_chars()).with_columns(
            pl.col("prediction").cast(enum, strict=False).alias("code")
        )
    joined = _match(frame, labels, by_key=labels.unique_keys)
    if joined is None:
        errors = _prediction_errors(labels, frame)
        if errors:
            raise CompetitionFileError(errors, which=which)
        # Nothing is wrong with any row, so only a hash shared by two ids can have failed
        # the match by key: match by the text itself.
        joined = _match(frame, labels, by_key=False)
        if joined is None:
            raise CompetitionFileError(
                "The predictions do not match the evaluation set.", which=which
            )

    groups = {
        name: (values, joined.get_column(f"group {index}").to_physical().to_numpy())
        for index, (name, values) in enumerate(labels.groups.items())
    }
    return Evaluation(
        classes=labels.classes,
        truth=joined.get_column("label").to_physical().to_numpy(),
        predicted=joined.get_column("code").to_physical().to_numpy(),
        groups=groups,
    )


def _match(frame: pl.DataFrame, labels: Labels, *, by_key: bool) -> pl.DataFrame | None:
    """Each prediction row joined to its label row, or None unless they match one to one.

    Label ids (and, when `by_key`, their hashes) are unique, so each prediction row finds at
    most one label row. When every prediction row finds one with the same id and a known
    prediction, no label row is found twice, and there are as many predictions as labels,
    ids match one to one: every id exactly once, no unknown id. Joining on the 64-bit hash
    costs about two thirds of joining on the text; the ids are compared afterwards.
    """
    if frame.height != labels.rows or frame.get_column("id").null_count():
        return None
    if by_key:
        joined = frame.select("key", "id", "code").join(
            labels.frame.drop("id").with_columns(labels.frame.get_column("id").alias("label id")),
            on="key",
            how="left",
        )
    else:
        joined = frame.select("id", "code").join(labels.frame, on="id", how="left")
    if joined.get_column("code").null_count() or joined.get_column("label").null_count():
        return None
    if by_key and not (joined.get_column("id") == joined.get_column("label id")).all():
        return None
    if np.bincount(joined.get_column("row").to_numpy()).max() > 1:
        return None
    return joined


def _prediction_errors(labels: Labels, frame: pl.DataFrame) -> list[str]:
    """Every kind of problem in a predictions file that did not match the labels (slow path)."""
    errors = _empty_value_errors(frame, "id", "an empty id")
    errors += _empty_value_errors(frame, "prediction", "an empty prediction")
    errors += _unknown_label_errors(frame, "prediction", labels.classes, "a prediction")
    errors += _duplicate_id_errors(frame, "the predictions")

    present = frame.filter(pl.col("id").is_not_null() & (pl.col("id") != ""))
    unknown = present.join(labels.frame.select("id"), on="id", how="anti", maintain_order="left")
    if unknown.height:
        examples = ", ".join(
            f"row {row} ({_quote(value)})"
            for row, value in unknown.head(EXAMPLES).select("row", "id").iter_rows()
        )
        errors.append(
            f"{_count(unknown.height, 'row has an id', 'rows have an id')} that is not in the "
            f"evaluation set, e.g. {examples}."
        )
    missing = labels.frame.join(present.select("id"), on="id", how="anti", maintain_order="left")
    if missing.height:
        examples = ", ".join(_quote(value) for value in missing.get_column("id").head(EXAMPLES))
        count = _count(
            missing.height, "id of the evaluation set is", "ids of the evaluation set are"
        )
        errors.append(f"{count} missing from the predictions, e.g. {examples}.")
    return errors


# ---------------------------------------------------------------- data files for suppliers


@dataclass(frozen=True)
class Table:
    """A checked CSV file with a header: the training set or the evaluation inputs."""

    columns: list[str]
    rows: int  # rows of data, blank rows not counted
    # With `id_column`: columns row (spreadsheet row number) and id (trimmed text).
    ids: pl.DataFrame | None = None


def read_table(
    path: str | os.PathLike,
    *,
    which: str,
    id_column: bool = False,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Table:
    """Check a CSV file with a header that suppliers download, without reading it into memory.

    Every value must be UTF-8 text and no row may have more values than the header. With
    `id_column`, one column must be called `id` (any case) and its ids must be present and
    distinct; they come back with their row numbers, to compare with the hidden labels'
    (`id_mismatch_errors`). The file is scanned column-wise by polars in streaming mode, so
    a file of several hundred megabytes costs little memory; only a file polars cannot
    parse is walked row by row, to name the bad rows. Raises `CompetitionFileError`.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            start = handle.read(64 * 1024)
    except OSError as error:
        raise CompetitionFileError(
            f"The {which} file cannot be read: {error.strerror or error}.", which=which
        ) from None
    if size > max_bytes:
        raise CompetitionFileError(_too_big(size, max_bytes, which), which=which)
    if size <= len(start) and _BLANK.fullmatch(start):
        raise CompetitionFileError(f"The {which} file is empty.", which=which)
    names = _table_header(start, which, id_column=id_column)
    internal = [f"column {index}" for index in range(len(names))]
    frame = pl.scan_csv(
        path, has_header=True, new_columns=internal, infer_schema=False, raise_if_empty=False
    ).with_row_index("row", offset=2)
    # Naming every column makes polars parse (and check) all of them, not only the ids.
    frame = frame.filter(~pl.all_horizontal(pl.col(internal).is_null()))
    try:
        if id_column:
            position = [name.lower() for name in names].index("id")
            ids = frame.select(
                pl.col("row"), pl.col(internal[position]).str.strip_chars().alias("id")
            ).collect(engine="streaming")
            rows = ids.height
        else:
            rows = frame.select(pl.len()).collect(engine="streaming").item()
            ids = None
    except pl.exceptions.PolarsError as error:
        with open(path, "rb") as handle:
            raise CompetitionFileError(
                _diagnose(handle, len(names), which, error), which=which
            ) from None
    if rows == 0:
        raise CompetitionFileError(f"The {which} file has a header but no rows.", which=which)
    if rows > max_rows:
        raise CompetitionFileError(
            f"The {which} file has {rows:,} rows; the limit is {max_rows:,}.", which=which
        )
    if ids is not None:
        errors = _empty_value_errors(ids, "id", "an empty id")
        errors += _duplicate_id_errors(ids, f"the {which} file")
        if errors:
            raise CompetitionFileError(errors, which=which)
    return Table(columns=names, rows=rows, ids=ids)


def _table_header(start: bytes, which: str, *, id_column: bool) -> list[str]:
    """The column names of row 1, checked: named, distinct, a header rather than data."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CompetitionFileError(
            f"The {which} file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8 (comma "
            "delimited)”.",
            which=which,
        )
    end = start.find(b"\n")
    if end < 0 and len(start) == 64 * 1024:
        raise CompetitionFileError(
            f"Row 1 of the {which} file is longer than 64 KB; is it really a CSV file?",
            which=which,
        )
    first_line = (start if end < 0 else start[:end]).rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CompetitionFileError(
            f"Row 1 of the {which} file is not UTF-8 text. Save the file as “CSV UTF-8”.",
            which=which,
        ) from None
    names = [name.strip() for name in next(csv.reader([text]), [])]
    problems = []
    if not any(names):
        problems.append(
            f"Row 1 of the {which} file is empty; it must be the header with the column names."
        )
    elif all(_looks_like_a_number(name) for name in names):
        problems.append(
            f"Row 1 of the {which} file must be the header with the column names; found "
            f"{_quote(text[:80])}, which looks like data. Add a header row."
        )
    else:
        unnamed = [str(index) for index, name in enumerate(names, start=1) if not name]
        if unnamed:
            problems.append(
                f"Row 1 of the {which} file has "
                f"{'a column' if len(unnamed) == 1 else 'columns'} with no name "
                f"(column {', '.join(unnamed)}); give every column a name."
            )
        lowered = [name.lower() for name in names if name]
        repeated = sorted({name for name in names if name and lowered.count(name.lower()) > 1})
        if repeated:
            problems.append(
                f"Row 1 of the {which} file names {', '.join(map(_quote, repeated))} more than "
                "once; each column needs its own name."
            )
        if id_column and "id" not in lowered:
            hint = (
                " The values must be separated by commas, not semicolons or tabs."
                if len(names) == 1 and (";" in text or "\t" in text)
                else ""
            )
            problems.append(
                f"The {which} file must have a column named id, with the same ids as the "
                f"hidden labels; row 1 has {_quote(text[:80])}.{hint}"
            )
    if problems:
        raise CompetitionFileError(problems, which=which)
    return names


def _looks_like_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def id_mismatch_errors(
    reference: pl.DataFrame, checked: pl.DataFrame, *, reference_name: str, checked_name: str
) -> list[str]:
    """What keeps two files' ids from being exactly the same set, with at most ten examples.

    Both frames have the columns row and id (as `read_table(...).ids` and `Labels.frame`),
    ids distinct within each. The names say which file is which, e.g. "the hidden labels".
    """
    errors = []
    reference_ids = reference.select("row", "id")
    checked_ids = checked.select("row", "id")
    for rows, where, other in (
        (checked_ids.join(reference_ids, on="id", how="anti", maintain_order="left"),
         checked_name, reference_name),
        (reference_ids.join(checked_ids, on="id", how="anti", maintain_order="left"),
         reference_name, checked_name),
    ):  # fmt: skip
        if rows.height:
            examples = ", ".join(
                f"row {row} ({_quote(value)})" for row, value in rows.head(EXAMPLES).iter_rows()
            )
            errors.append(
                f"{_count(rows.height, 'row', 'rows')} of {where} "
                f"{'has an id' if rows.height == 1 else 'have an id'} not found in {other}, "
                f"e.g. {examples}."
            )
    return errors


def columns_holding_the_labels(path: str | os.PathLike, table: Table, labels: Labels) -> list[str]:
    """Columns of the evaluation inputs equal to the hidden label on every row.

    Such a column would hand suppliers the answers. Call it once the ids match exactly
    (`id_mismatch_errors` found nothing); values are compared as trimmed text.
    """
    internal = [f"column {index}" for index in range(len(table.columns))]
    position = [name.lower() for name in table.columns].index("id")
    others = [column for index, column in enumerate(internal) if index != position]
    if not others:
        return []
    truth = labels.frame.lazy().select(
        pl.col("id").alias("hidden id"), pl.col("label").cast(pl.String).alias("hidden label")
    )
    same = (
        pl.scan_csv(
            path, has_header=True, new_columns=internal, infer_schema=False, raise_if_empty=False
        )
        .filter(~pl.all_horizontal(pl.col(internal).is_null()))
        .with_columns(pl.col(internal[position]).str.strip_chars().alias("input id"))
        .join(truth, left_on="input id", right_on="hidden id", how="inner")
        .select(
            (pl.col(column).str.strip_chars() == pl.col("hidden label")).fill_null(False).all()
            for column in others
        )
        .collect(engine="streaming")
        .row(0)
    )
    return [
        table.columns[internal.index(column)]
        for column, equal in zip(others, same, strict=True)
        if equal
    ]


# ---------------------------------------------------------------- scoring


def score(
    labels: Labels | Evaluation | Source,
    predictions: Source | None = None,
    bars: Sequence[dict] | None = None,
    **limits: Any,
) -> dict:
    """Metrics of DESIGN §5 for predictions against the hidden labels, with the bars checked.

    `labels` and `predictions` are paths, bytes or binary files (or a `Labels` already read);
    or pass one `Evaluation` from `validate` and no predictions. `limits` go to `validate`.
    """
    bars = check_bars(bars if bars is not None else [])
    if isinstance(labels, Evaluation):
        evaluation = labels
        check_bars(bars, classes=evaluation.classes, columns=list(evaluation.groups))
    else:
        if predictions is None:
            raise TypeError("score() needs the predictions unless given an Evaluation")
        if not isinstance(labels, Labels):
            labels = read_labels(labels, **limits)
        # Bars that name a missing class or column fail before the predictions are read.
        check_bars(bars, classes=labels.classes, columns=list(labels.groups))
        evaluation = validate(labels, predictions, **limits)
    return metrics(evaluation, bars)


def metrics(evaluation: Evaluation, bars: Sequence[dict] = ()) -> dict:
    """The metrics JSON of an evaluation, from one confusion matrix per group."""
    classes = evaluation.classes
    k = len(classes)
    truth = evaluation.truth.astype(np.int64, copy=False)
    pair = truth * k + evaluation.predicted.astype(np.int64, copy=False)
    result: dict[str, Any] = {}
    group_results: dict[str, dict] = {}
    gaps: dict[str, dict] = {}
    overall = None
    for name, (values, codes) in evaluation.groups.items():
        cells = k * k
        counts = np.bincount(codes.astype(np.int64) * cells + pair, minlength=len(values) * cells)
        matrices = counts.reshape(len(values), k, k)
        if overall is None:
            overall = matrices.sum(axis=0)
        stats = _stats(matrices)
        group_results[name] = {
            value: _as_json(stats, classes, index) for index, value in enumerate(values)
        }
        gaps[name] = _gaps(stats, classes)
    if overall is None:
        overall = np.bincount(pair, minlength=k * k).reshape(k, k)
    result.update(_as_json(_stats(overall), classes, None, with_support=False))
    result["groups"] = group_results
    result["gaps"] = gaps
    result["bars"] = [_bar_result(bar, result) for bar in bars]
    result["passed"] = all(bar["passed"] for bar in result["bars"])
    return result


def _stats(matrices: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of one (k, k) or many (g, k, k) confusion matrices, rows = truth."""
    matrices = matrices.astype(np.int64, copy=False)
    true_positives = np.diagonal(matrices, axis1=-2, axis2=-1)
    support = matrices.sum(axis=-1)
    predicted = matrices.sum(axis=-2)
    total = support.sum(axis=-1)
    f1 = _divide(2 * true_positives, support + predicted)
    present = (support + predicted) > 0
    return {
        "matrix": matrices,
        "support": support,
        "total": total,
        "precision": _divide(true_positives, predicted),
        "recall": _divide(true_positives, support),
        "f1": f1,
        "accuracy": _divide(true_positives.sum(axis=-1), total),
        "macro_f1": _divide(np.where(present, f1, 0.0).sum(axis=-1), present.sum(axis=-1)),
        "weighted_f1": _divide((f1 * support).sum(axis=-1), total),
    }


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _as_json(
    stats: dict, classes: list[str], index: int | None, *, with_support: bool = True
) -> dict:
    def pick(key: str) -> np.ndarray:
        return stats[key] if index is None else stats[key][index]

    precision, recall, f1, support = pick("precision"), pick("recall"), pick("f1"), pick("support")
    result: dict[str, Any] = {
        "accuracy": float(pick("accuracy")),
        "macro_f1": float(pick("macro_f1")),
        "weighted_f1": float(pick("weighted_f1")),
    }
    if with_support:
        result["support"] = int(pick("total"))
    result["per_class"] = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(classes)
    }
    result["confusion_matrix"] = {"labels": list(classes), "matrix": pick("matrix").tolist()}
    return result


def _gaps(stats: dict, classes: list[str]) -> dict:
    accuracy = stats["accuracy"]
    recall, defined = stats["recall"], stats["support"] > 0
    compared = defined.sum(axis=0)
    highest = np.where(defined, recall, -np.inf).max(axis=0)
    lowest = np.where(defined, recall, np.inf).min(axis=0)
    recall_gap = np.where(compared >= 2, highest - lowest, 0.0)
    return {
        "accuracy": float(accuracy.max() - accuracy.min()) if accuracy.size >= 2 else 0.0,
        "recall": {label: float(recall_gap[i]) for i, label in enumerate(classes)},
    }


_TOP_KEYS = (
    "accuracy", "macro_f1", "weighted_f1", "support", "per_class", "confusion_matrix",
    "groups", "gaps", "bars", "passed",
)  # fmt: skip
_CLASS_KEYS = ("precision", "recall", "f1", "support")
_BAR_KEYS = ("metric", "class", "column", "min", "max", "value", "passed")


def in_scorer_order(result: dict, *, group_columns: Sequence[str] | None = None) -> dict:
    """The metrics JSON with every mapping back in the order `metrics` writes it.

    A database need not keep the order of keys (PostgreSQL's jsonb sorts them by length), so
    read stored metrics through this before showing them: labels and group values by code
    point, group columns in `group_columns` order (the labels file's; sorted when not given).
    A bar's keys come back as metric, class, column, min, max, value, passed.
    """

    def keyed(mapping: dict, order: Sequence[str]) -> dict:
        known = [key for key in order if key in mapping]
        return {key: mapping[key] for key in [*known, *sorted(set(mapping) - set(known))]}

    def block(metrics: dict) -> dict:
        ordered = keyed(metrics, _TOP_KEYS)
        if "per_class" in ordered:
            ordered["per_class"] = {
                label: keyed(values, _CLASS_KEYS)
                for label, values in sorted(ordered["per_class"].items())
            }
        if "confusion_matrix" in ordered:
            ordered["confusion_matrix"] = keyed(ordered["confusion_matrix"], ("labels", "matrix"))
        return ordered

    ordered = block(result)
    columns = [name for name in group_columns or [] if name in result.get("groups", {})]
    columns += sorted(set(result.get("groups", {})) - set(columns))
    if "groups" in ordered:
        ordered["groups"] = {
            name: {
                value: block(metrics) for value, metrics in sorted(result["groups"][name].items())
            }
            for name in columns
        }
    if "gaps" in ordered:
        ordered["gaps"] = {
            name: {
                "accuracy": result["gaps"][name]["accuracy"],
                "recall": dict(sorted(result["gaps"][name]["recall"].items())),
            }
            for name in columns
            if name in result["gaps"]
        }
    if "bars" in ordered:
        ordered["bars"] = [keyed(bar, _BAR_KEYS) for bar in result["bars"]]
    return ordered


# ---------------------------------------------------------------- bars


def check_bars(
    bars: Any, *, classes: Sequence[str] | None = None, columns: Sequence[str] | None = None
) -> list[dict]:
    """Check a list of bars; with `classes` and `columns`, also that what they name exists."""
    if not isinstance(bars, list | tuple):
        raise BarsError('The bars must be a JSON list, e.g. [{"metric": "accuracy", "min": 0.8}].')
    errors: list[str] = []
    for number, bar in enumerate(bars, start=1):
        errors += [f"Bar {number}: {problem}" for problem in _bar_problems(bar, classes, columns)]
    if errors:
        raise BarsError(errors)
    return list(bars)


def _bar_problems(
    bar: Any, classes: Sequence[str] | None, columns: Sequence[str] | None
) -> list[str]:
    if not isinstance(bar, dict):
        return ['must be an object such as {"metric": "accuracy", "min": 0.8}.']
    problems = []
    unknown = sorted(set(bar) - BAR_KEYS, key=str)
    if unknown:
        problems.append(
            f"unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(map(_quote, unknown))}; "
            "a bar has metric, class, column, min and max."
        )
    metric = bar.get("metric")
    if metric not in BAR_METRICS:
        problems.append(
            f"metric {_quote(metric)} is not one of {', '.join(BAR_METRICS)}."
            if "metric" in bar
            else f"names no metric; use one of {', '.join(BAR_METRICS)}."
        )
        return problems
    needs_class = metric in CLASS_METRICS or metric == "recall_gap"
    needs_column = metric in GAP_METRICS
    for key, needed, example in (
        ("class", needs_class, "a label"),
        ("column", needs_column, "a group column"),
    ):
        if needed and not isinstance(bar.get(key), str):
            problems.append(f"{metric} needs a {key} ({example}).")
        elif not needed and key in bar:
            problems.append(f"{metric} does not take a {key}.")
    named_class = bar.get("class") if needs_class else None
    if isinstance(named_class, str) and classes is not None and named_class not in classes:
        problems.append(
            f"class {_quote(bar['class'])} is not a label of the competition "
            f"({', '.join(map(_quote, classes))})."
        )
    named_column = bar.get("column") if needs_column else None
    if isinstance(named_column, str) and columns is not None and named_column not in columns:
        known = ", ".join(map(_quote, columns)) if columns else "none"
        problems.append(
            f"column {_quote(bar['column'])} is not a group column of the labels file "
            f"(group columns: {known})."
        )
    limits = [key for key in ("min", "max") if key in bar]
    if len(limits) != 1:
        problems.append(
            "give either a min or a max." if not limits else "give a min or a max, not both."
        )
    for key in limits:
        value = bar[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append(f"{key} must be a number between 0 and 1.")
        elif not 0 <= value <= 1:
            problems.append(f"{key} must be between 0 and 1, not {value}.")
    return problems


def _bar_result(bar: dict, result: dict) -> dict:
    metric = bar["metric"]
    if metric in RATE_METRICS:
        value = result[metric]
    elif metric in CLASS_METRICS:
        value = result["per_class"][bar["class"]][metric]
    elif metric == "accuracy_gap":
        value = result["gaps"][bar["column"]]["accuracy"]
    else:
        value = result["gaps"][bar["column"]]["recall"][bar["class"]]
    compared = round(value, 9)
    passed = ("min" not in bar or compared >= bar["min"]) and (
        "max" not in bar or compared <= bar["max"]
    )
    return {**bar, "value": value, "passed": passed}


# ---------------------------------------------------------------- file checks


def _read_source(source: Source, max_bytes: int, which: str) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise CompetitionFileError(_too_big(size, max_bytes, which), which=which)
            with open(source, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as error:
            raise CompetitionFileError(
                f"The {which} file cannot be read: {error.strerror or error}.", which=which
            ) from None
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise TypeError(f"cannot read a {which} file from {type(source).__name__}")
    if len(data) > max_bytes:
        known = isinstance(source, bytes | bytearray | memoryview)
        raise CompetitionFileError(
            _too_big(len(data) if known else None, max_bytes, which), which=which
        )
    if _BLANK.fullmatch(data):  # stops at the first character that is not blank
        raise CompetitionFileError(f"The {which} file is empty.", which=which)
    return data


def _too_big(size: int | None, limit: int, which: str) -> str:
    if size is None:  # a file object read up to the limit: its size is not known
        return f"The {which} file is larger than the limit of {_size(limit)}."
    return f"The {which} file is {_size(size)}; the limit is {_size(limit)}."


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def _header(
    data: bytes, which: str, *, required: tuple[str, ...], extra_allowed: bool
) -> list[str]:
    """The column names, checked: `required` first (any case), then group columns if allowed."""
    expected = ",".join(required) + (",<group columns…>" if extra_allowed else "")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CompetitionFileError(
            f"The {which} file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8 (comma "
            "delimited)”.",
            which=which,
        )
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CompetitionFileError(
            f"Row 1 of the {which} file is not UTF-8 text. Save the file as “CSV UTF-8”.",
            which=which,
        ) from None
    names = [name.strip() for name in next(csv.reader([text]), [])]
    lowered = [name.lower() for name in names]
    if lowered[: len(required)] != list(required):
        found = _quote(text[:80])
        hint = ""
        if len(names) == 1 and (";" in text or "\t" in text):
            hint = " The values must be separated by commas, not semicolons or tabs."
        elif not set(required) & set(lowered):
            hint = " The first row is read as the header; is the header missing?"
        raise CompetitionFileError(
            f"Row 1 of the {which} file must be the header {expected}; found {found}.{hint}",
            which=which,
        )
    if not extra_allowed and len(names) > len(required):
        raise CompetitionFileError(
            f"The {which} file must have exactly the columns {expected}; it also has "
            f"{', '.join(map(_quote, names[len(required) :]))}.",
            which=which,
        )
    groups = names[len(required) :]
    problems = []
    if any(not name for name in groups):
        problems.append(f"Row 1 of the {which} file has a column with no name.")
    reserved = {name for name in groups if name.lower() in required}
    repeated = sorted({name for name in groups if groups.count(name) > 1} | reserved)
    if repeated:
        problems.append(
            f"Row 1 of the {which} file names {', '.join(map(_quote, repeated))} more than once."
        )
    if problems:
        raise CompetitionFileError(problems, which=which)
    return list(required) + groups


def _parse(data: bytes, columns: list[str], which: str) -> pl.DataFrame:
    try:
        return pl.read_csv(
            data, has_header=True, new_columns=columns, infer_schema=False, raise_if_empty=False
        )
    except pl.exceptions.PolarsError as error:
        raise CompetitionFileError(
            _diagnose(data, len(columns), which, error), which=which
        ) from None


def _diagnose(data: bytes | IO[bytes], width: int, which: str, error: Exception) -> list[str]:
    """Name the rows polars could not parse; only runs on a file that failed to parse."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    not_utf8: list[int] = []
    ragged: list[tuple[int, int]] = []
    not_utf8_count = ragged_count = 0
    problems = []
    row = 0
    try:
        for row, values in enumerate(reader, start=1):
            if any(_NOT_UTF8.search(value) for value in values):
                not_utf8_count += 1
                if len(not_utf8) < EXAMPLES:
                    not_utf8.append(row)
            if values and len(values) > width:
                ragged_count += 1
                if len(ragged) < EXAMPLES:
                    ragged.append((row, len(values)))
    except csv.Error:
        problems.append(
            f'Row {row + 1} of the {which} file has a quote (") that is not closed or is followed '
            "by other text; put quotes around the whole value and double any quote inside it."
        )
    if not_utf8_count:
        problems.insert(
            0,
            (
                f"{_count(not_utf8_count, 'row is', 'rows are')} not UTF-8 text, e.g. "
                f"{_rows(not_utf8)}. Save the file as “CSV UTF-8”."
            ),
        )
    if ragged_count:
        examples = ", ".join(f"row {row} ({count} values)" for row, count in ragged)
        problems.insert(
            0,
            (
                f"{_count(ragged_count, 'row has', 'rows have')} more than the {width} values "
                f"of the header, e.g. {examples}. A value that contains a comma must be in quotes."
            ),
        )
    if not problems:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        problems.append(f"The {which} file cannot be read as CSV ({reason}).")
    return problems


def _drop_empty_rows(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_row_index("row", offset=2)
    if frame.get_column("id").null_count() == 0:
        return frame
    return frame.filter(~pl.all_horizontal(pl.exclude("row").is_null()))


def _empty_value_errors(frame: pl.DataFrame, column: str, what: str) -> list[str]:
    values = frame.get_column(column)
    empty = frame.filter(values.is_null() | (values == "")).get_column("row")
    if empty.len() == 0:
        return []
    return [
        f"{_count(empty.len(), 'row has', 'rows have')} {what}, e.g. {_rows(empty.head(EXAMPLES))}."
    ]


def _duplicate_id_errors(frame: pl.DataFrame, where: str) -> list[str]:
    present = frame.filter(pl.col("id").is_not_null() & (pl.col("id") != ""))
    if not present.get_column("id").is_duplicated().any():
        return []
    repeated = (
        present.group_by("id", maintain_order=True)
        .agg(pl.col("row"), pl.len().alias("times"))
        .filter(pl.col("times") > 1)
    )
    examples = ", ".join(
        f"{_quote(value)} ({_rows(rows[:5], more=len(rows) > 5)})"
        for value, rows in repeated.head(EXAMPLES).select("id", "row").iter_rows()
    )
    return [
        f"{_count(repeated.height, 'id appears', 'ids appear')} more than once in {where}, "
        f"e.g. {examples}. Each id must appear exactly once."
    ]


def _unknown_label_errors(
    frame: pl.DataFrame, column: str, known: Sequence[str], what: str
) -> list[str]:
    values = frame.get_column(column)
    unknown = frame.filter(values.is_not_null() & (values != "") & ~values.is_in(list(known)))
    if unknown.height == 0:
        return []
    examples = ", ".join(
        f"row {row} ({_quote(value)})"
        for row, value in unknown.head(EXAMPLES).select("row", column).iter_rows()
    )
    return [
        f"{_count(unknown.height, 'row has', 'rows have')} {what} outside the known labels "
        f"({', '.join(map(_quote, known))}), e.g. {examples}."
    ]


def _known_classes(classes: Sequence[str] | None) -> list[str] | None:
    if classes is None:
        return None
    cleaned = sorted({str(label).strip() for label in classes})
    if not cleaned or "" in cleaned:
        raise ValueError("classes must be non-empty labels")
    return cleaned


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {singular if number == 1 else plural}"


def _rows(rows: Iterable[int], *, more: bool = False) -> str:
    numbers = list(rows)
    text = ("row " if len(numbers) == 1 else "rows ") + ", ".join(str(number) for number in numbers)
    return text + (", …" if more else "")


def _quote(value: Any) -> str:
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > 40:
        text = text[:39] + "…"
    return f"“{text}”"
