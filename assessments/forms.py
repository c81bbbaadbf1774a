"""HTML forms of the answering pages; every rule of the domain stays in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from accounts.models import Organisation, User
from accounts.selectors import organisation_list_for_user
from principles.models import Framework, Question
from principles.selectors import framework_list_for_user


class FrameworkChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Framework) -> str:
        owner = f" (published by {obj.owner.name})" if obj.owner_id else ""
        return f"{obj.name} {obj.version}{owner}"


class AssessmentCreateForm(forms.Form):
    framework = FrameworkChoiceField(
        queryset=Framework.objects.none(),
        empty_label=None,
        label="Framework",
        help_text="The questionnaire you will answer. Published versions never change.",
    )
    title = forms.CharField(
        max_length=200,
        required=False,
        label="Title (optional)",
        help_text="Leave it empty to use your organisation's name and the framework's.",
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        empty_label=None,
        label="Answering for",
    )
    reviewing_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Nobody: keep it private to my organisation",
        label="Share with a buyer for review (optional)",
        help_text=(
            "The buyer's reviewers see your answers only once you submit them, "
            "and never your drafts."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = organisation_list_for_user(user).order_by("name")
        self.fields["framework"].queryset = framework_list_for_user(user)
        self.fields["organisation"].queryset = own
        self.fields["reviewing_organisation"].queryset = (
            Organisation.objects.filter(kind=Organisation.Kind.BUYER)
            .exclude(pk__in=own.values("pk"))
            .order_by("name")
        )
        self.organisations = list(own)
        if len(self.organisations) == 1:
            # One organisation: nothing to choose.
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = self.organisations[0].pk


class EvidenceFileForm(forms.Form):
    file = forms.FileField(
        label="File",
        error_messages={"required": "Choose a file to upload.", "empty": "The file is empty."},
    )
    title = forms.CharField(max_length=200, required=False, label="Title (optional)")


class EvidenceLinkForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="Link",
        assume_scheme="https",
        error_messages={
            "required": "Give the address of the document.",
            "invalid": "Give a full web address, such as https://example.com/report.",
        },
    )
    title = forms.CharField(max_length=200, required=False, label="Title (optional)")


def field_name(question: Question, field: str) -> str:
    """The name of one answer field in the criterion form: `1.6-choices`."""
    return f"{question.code}-{field}"


def answer_fields(
    data: QueryDict, question: Question, *, whole_form: bool = False
) -> dict[str, Any]:
    """The answer fields of one question present in a POST, as `answer_save` takes them.

    Autosave posts one field at a time. Unticked checkboxes and radio buttons send
    nothing, so a hidden `<code>-present` marker says the question's fields were on
    the page: then a missing value means "none chosen".
    """
    fields: dict[str, Any] = {}
    present = whole_form and field_name(question, "present") in data
    status_name = field_name(question, "status")
    if status_name in data:
        fields["status"] = data.get(status_name, "")
    elif present and question.answer_type == Question.AnswerType.STATUS:
        fields["status"] = ""
    for name in ("text", "number"):
        if field_name(question, name) in data:
            fields[name] = data.get(field_name(question, name), "")
    choices_name = field_name(question, "choices")
    if (
        choices_name in data
        or field_name(question, "choices-sent") in data
        or (present and question.answer_type == Question.AnswerType.CHOICE)
    ):
        fields["choices"] = data.getlist(choices_name)
    return fields
