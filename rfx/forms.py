"""HTML forms of the procurement manager's RFx pages; every rule of the domain stays in the
services (`rfx.services`), whose field-by-field messages the views put back on these forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from accounts.models import Organisation, User
from principles.models import Framework
from principles.selectors import framework_list_for_user
from rfx.models import RFx
from rfx.services import TIMELINE_FIELDS, TIMELINE_LABELS, WEIGHT_FIELDS

MAX_QUESTIONNAIRE_BYTES = 1024 * 1024
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class FrameworkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Framework) -> str:
        owner = f" (published by {obj.owner.name})" if obj.owner_id else ""
        return f"{obj.name} {obj.version}{owner}"


def maturity_frameworks(user: User):
    return framework_list_for_user(user).filter(kind=Framework.Kind.MATURITY)


class RFxCreateForm(forms.Form):
    kind = forms.ChoiceField(
        choices=RFx.Kind.choices,
        initial=RFx.Kind.RFP,
        widget=forms.RadioSelect,
        label="Template",
        help_text=(
            "A request for proposal asks for full proposals that are scored and ranked. "
            "A request for information is a lighter market survey, with no weights."
        ),
    )
    title = forms.CharField(
        max_length=200,
        label="Title",
        error_messages={"required": "Give the RFx a title."},
    )
    framework = FrameworkChoiceField(
        queryset=Framework.objects.none(),
        required=False,
        empty_label="Choose later",
        label="Maturity framework version",
        help_text="The questionnaire suppliers answer. You can change it until you publish.",
    )
    buyer = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=None,
        label="Issued by",
    )

    def __init__(self, *args: Any, user: User, buyers, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = maturity_frameworks(user)
        self.fields["buyer"].queryset = buyers
        self.buyers = list(buyers)
        if len(self.buyers) == 1:
            self.fields["buyer"].widget = forms.HiddenInput()
            self.fields["buyer"].initial = self.buyers[0].pk

    def clean_buyer(self) -> Organisation:
        buyer = self.cleaned_data.get("buyer")
        if buyer is None and len(self.buyers) == 1:
            return self.buyers[0]
        if buyer is None:
            raise forms.ValidationError("Choose the organisation that issues the RFx.")
        return buyer


def _datetime_field(name: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        label=TIMELINE_LABELS[name][:1].upper() + TIMELINE_LABELS[name][1:],
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        error_messages={"invalid": "Give a date and time, such as 2027-03-31 17:00."},
    )


def _same_minute(before: Any, after: Any) -> bool:
    """The browser's date and time picker works in minutes; seconds are not a change."""
    if isinstance(before, datetime) and isinstance(after, datetime):
        return before.replace(second=0, microsecond=0) == after.replace(second=0, microsecond=0)
    return before == after


class RFxSettingsForm(forms.Form):
    """Settings, weights and the timeline. Fields the RFx cannot change now are left out."""

    title = forms.CharField(max_length=200, error_messages={"required": "Give the RFx a title."})
    framework = FrameworkChoiceField(
        queryset=Framework.objects.none(),
        required=False,
        empty_label="Not chosen yet",
        label="Maturity framework version",
    )
    weight_maturity = forms.FloatField(min_value=0, label="Maturity questionnaire")
    weight_extra = forms.FloatField(min_value=0, label="Extra questions")
    weight_terms = forms.FloatField(min_value=0, label="Licence and service terms")
    weight_cost = forms.FloatField(min_value=0, label="Cost")
    has_competition = forms.BooleanField(
        required=False,
        label="Gate on the competition",
        help_text="Proposals that fail the competition are not ranked.",
    )
    disqualify_on_critical_red_flags = forms.BooleanField(
        required=False,
        label="Disqualify proposals with open critical red flags",
    )
    blind_grading = forms.BooleanField(
        required=False,
        label="Blind grading",
        help_text="Reviewers see “Supplier A”, “Supplier B”… instead of the suppliers' names.",
    )
    issue_date = _datetime_field("issue_date")
    clarification_deadline = _datetime_field("clarification_deadline")
    proposal_deadline = _datetime_field("proposal_deadline")
    shortlist_date = _datetime_field("shortlist_date")
    contract_drafting_date = _datetime_field("contract_drafting_date")
    summary = forms.CharField(
        required=False,
        max_length=2000,
        label="Summary of the change (the addendum)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Invited suppliers receive this summary by e-mail.",
    )

    def __init__(self, *args: Any, rfx: RFx, user: User, **kwargs: Any) -> None:
        initial = {name: getattr(rfx, name) for name in self.base_fields if hasattr(rfx, name)}
        initial["framework"] = rfx.framework_id
        super().__init__(*args, initial=initial, **kwargs)
        self.rfx = rfx
        self.published = rfx.status == RFx.Status.PUBLISHED
        self.fields["framework"].queryset = maturity_frameworks(user)
        if self.published:
            # Suppliers are already answering the questionnaire.
            del self.fields["framework"]
        else:
            del self.fields["summary"]
        if rfx.kind == RFx.Kind.RFI:
            for name in (*WEIGHT_FIELDS, "has_competition", "disqualify_on_critical_red_flags"):
                del self.fields[name]
        for name in WEIGHT_FIELDS:
            if name in self.fields:
                self.fields[name].error_messages.update(
                    {
                        "required": "Give a weight; 0 leaves this part out of the ranking.",
                        "invalid": "Give the weight as a number, such as 40.",
                        "min_value": "A weight cannot be negative.",
                    }
                )

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WEIGHT_FIELDS if name in self.fields]

    @property
    def timeline_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in TIMELINE_FIELDS]

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the RFx, as the service takes them."""
        result = {}
        for name, value in self.cleaned_data.items():
            if name == "summary":
                continue
            if name == "framework":
                if (value.pk if value else None) != self.rfx.framework_id:
                    result[name] = value
                continue
            if not _same_minute(getattr(self.rfx, name), value):
                result[name] = value
        return result


class SectionForm(forms.Form):
    body = forms.CharField(
        required=False,
        max_length=100_000,
        label="Text",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "You can use simple HTML such as <p>, <ul> and <strong>; anything else is removed."
        ),
    )
    summary = forms.CharField(
        required=False,
        max_length=2000,
        label="Summary of the change (the addendum)",
        widget=forms.TextInput(),
    )


class ExtraQuestionnaireForm(forms.Form):
    file = forms.FileField(
        label="Extra questionnaire (YAML)",
        error_messages={"required": "Choose a YAML file to upload.", "empty": "The file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_QUESTIONNAIRE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB.")
        if not upload.name.lower().endswith((".yaml", ".yml")):
            raise forms.ValidationError("Upload a YAML file (.yaml or .yml).")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Why is the RFx cancelled?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Invited suppliers are told.",
        error_messages={
            "required": "Say why the RFx is cancelled: the invited suppliers are told."
        },
    )


class InvitationForm(forms.Form):
    supplier = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Supplier organisation",
        empty_label="Choose a supplier",
        error_messages={"required": "Choose the supplier to invite."},
    )
    email = forms.EmailField(
        max_length=254,
        label="E-mail address",
        help_text="The one-time invitation link goes to this address.",
        error_messages={
            "required": "Give the e-mail address the invitation goes to.",
            "invalid": "Give a valid e-mail address, such as bids@example.com.",
        },
    )

    def __init__(self, *args: Any, rfx: RFx, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = (
            Organisation.objects.filter(kind=Organisation.Kind.SUPPLIER)
            .exclude(pk__in=rfx.invitations.values("supplier_id"))
            .order_by("name")
        )


class ClarificationAnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=10000,
        label="Answer",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the answer."},
    )
    publish = forms.BooleanField(required=False)
