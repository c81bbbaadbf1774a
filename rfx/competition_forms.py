"""HTML forms of the tender competition pages (DESIGN §5).

The rules of the domain stay in `rfx.competition_services` and `rfx.competition`; these forms
turn what a person typed into what the services take, and put the services' messages back
next to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from rfx.competition import CLASS_METRICS, GAP_METRICS
from rfx.competition_services import FILES, SUBMISSION_LIMIT_RANGE
from rfx.forms import DATETIME_INPUT, _same_minute
from rfx.models import Competition

# What each bar measures, as a buyer chooses it.
BAR_METRIC_CHOICES = [
    ("accuracy", "Accuracy (share of rows predicted right)"),
    ("macro_f1", "Macro F1 (every class counts the same)"),
    ("weighted_f1", "Weighted F1 (classes count by their size)"),
    ("precision", "Precision of one class"),
    ("recall", "Recall of one class"),
    ("f1", "F1 of one class"),
    ("accuracy_gap", "Accuracy gap between groups (fairness)"),
    ("recall_gap", "Recall gap of one class between groups (fairness)"),
]
NEEDS_CLASS = {*CLASS_METRICS, "recall_gap"}
NEEDS_COLUMN = set(GAP_METRICS)


class CompetitionSettingsForm(forms.Form):
    """The task, the measure that orders the results, the limit and the release time."""

    description = forms.CharField(
        required=False,
        max_length=20000,
        label="Task description",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "What suppliers must predict, what the data holds and how the results are judged. "
            "Suppliers read this on their competition page."
        ),
    )
    primary_metric = forms.ChoiceField(
        choices=Competition.Metric.choices,
        label="Measure that orders the results",
        help_text="The leaderboard ranks suppliers by this measure, best first.",
    )
    submission_limit = forms.IntegerField(
        min_value=SUBMISSION_LIMIT_RANGE[0],
        max_value=SUBMISSION_LIMIT_RANGE[1],
        label="Valid prediction files per supplier",
        help_text=(
            "Refused files do not count. The last valid file a supplier uploads before the "
            "deadline is the one that counts."
        ),
        error_messages={
            "required": "Give the number of valid prediction files each supplier may upload.",
            "invalid": "Give a whole number, such as 5.",
            "min_value": "Allow at least %(limit_value)s file.",
            "max_value": "Allow at most %(limit_value)s files.",
        },
    )
    release_at = forms.DateTimeField(
        required=False,
        label="Release of the evaluation inputs",
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        help_text=(
            "From this time invited suppliers can download the evaluation inputs and upload "
            "predictions, until the proposal deadline."
        ),
        error_messages={"invalid": "Give a date and time, such as 2027-03-01 09:00."},
    )

    def __init__(self, *args: Any, competition: Competition | None, **kwargs: Any) -> None:
        self.competition = competition or Competition()
        initial = {
            "description": self.competition.description,
            "primary_metric": self.competition.primary_metric,
            "submission_limit": self.competition.submission_limit,
            "release_at": self.competition.release_at,
        }
        super().__init__(*args, initial=initial, **kwargs)

    def changes(self) -> dict[str, Any]:
        """The fields as `competition_configure` takes them; all of them for a new competition.

        The browser's date and time picker works in minutes, so a release time equal to the
        minute is no change (the service refuses a changed release time in the past).
        """
        new = self.competition.pk is None
        result = {}
        for name, value in self.cleaned_data.items():
            before = getattr(self.competition, name)
            same = _same_minute(before, value) if name == "release_at" else before == value
            if new or not same:
                result[name] = value
        return result


def _threshold(text: str) -> float:
    """0.8, 0,8 or 80%: a fraction from 0 to 1."""
    cleaned = text.strip().replace(",", ".")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1].strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise forms.ValidationError(
            "Give the threshold as a number from 0 to 1, such as 0.8, or as a percentage, "
            "such as 80%."
        ) from None
    if percent:
        value /= 100
    if not 0 <= value <= 1:
        hint = ""
        if value > 1 and not percent:
            hint = " For a percentage, add the % sign, such as 80%."
        raise forms.ValidationError(f"The threshold must be from 0 to 1 (0% to 100%).{hint}")
    return round(value, 9)


class BarForm(forms.Form):
    """One bar: a measure, its class or group column when it needs one, and a limit.

    The class and the column are lists of what the hidden labels hold once they are uploaded;
    before that they are typed, and checked against the labels when those arrive.
    """

    metric = forms.ChoiceField(
        choices=BAR_METRIC_CHOICES,
        label="Measure",
        error_messages={"required": "Choose what the bar measures."},
    )
    label_class = forms.CharField(
        required=False,
        max_length=200,
        label="Class",
        help_text="For precision, recall, F1 and the recall gap.",
    )
    column = forms.CharField(
        required=False,
        max_length=200,
        label="Group column",
        help_text="For the gaps: a column of the hidden labels, such as site or region.",
    )
    direction = forms.ChoiceField(
        choices=[("min", "at least"), ("max", "at most")],
        initial="min",
        label="Must be",
        help_text="A gap is a difference to keep small: choose “at most”.",
    )
    threshold = forms.CharField(
        max_length=20,
        label="Threshold",
        help_text="From 0 to 1, such as 0.8, or a percentage, such as 80%.",
        error_messages={"required": "Give the threshold, such as 0.8 or 80%."},
    )

    def __init__(
        self, *args: Any, classes: list[str] | None, columns: list[str] | None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", "bar")
        super().__init__(*args, **kwargs)
        if classes:
            self.fields["label_class"] = forms.ChoiceField(
                required=False,
                choices=[("", "Choose a class"), *((name, name) for name in classes)],
                label="Class",
                help_text="For precision, recall, F1 and the recall gap.",
            )
        if columns:
            self.fields["column"] = forms.ChoiceField(
                required=False,
                choices=[("", "Choose a group column"), *((name, name) for name in columns)],
                label="Group column",
                help_text="For the gaps.",
            )
        elif columns is not None:
            # The hidden labels are uploaded and have no group column: no gap can be measured.
            self.fields["metric"].choices = [
                choice for choice in BAR_METRIC_CHOICES if choice[0] not in NEEDS_COLUMN
            ]
            del self.fields["column"]

    def clean_threshold(self) -> float:
        return _threshold(self.cleaned_data["threshold"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        metric = data.get("metric")
        if metric in NEEDS_CLASS and not data.get("label_class"):
            self.add_error("label_class", "Choose the class this bar is about.")
        if metric in NEEDS_COLUMN and not data.get("column"):
            self.add_error("column", "Choose the group column whose groups are compared.")
        if metric in NEEDS_COLUMN and data.get("direction") == "min":
            self.add_error("direction", "A gap is a difference to keep small: choose “at most”.")
        return data

    def bar(self) -> dict[str, Any]:
        """The bar as DESIGN §5 writes it."""
        data = self.cleaned_data
        metric = data["metric"]
        bar: dict[str, Any] = {"metric": metric}
        if metric in NEEDS_CLASS:
            bar["class"] = data["label_class"]
        if metric in NEEDS_COLUMN:
            bar["column"] = data["column"]
        bar[data["direction"]] = data["threshold"]
        return bar


class CompetitionFileForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        error_messages={"required": "Choose a CSV file to upload.", "empty": "The file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, prefix=kind, **kwargs)
        self.fields["file"].label = f"{FILES[kind].what.capitalize()} (CSV)"


class PredictionsForm(forms.Form):
    file = forms.FileField(
        label="Predictions file (CSV)",
        help_text="Two columns, id and prediction: one row for every id of the evaluation inputs.",
        error_messages={
            "required": "Choose the predictions file to upload.",
            "empty": "The file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
