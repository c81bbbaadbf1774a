"""Forms of the evaluation pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership, User
from rfx.models import RFx

TERMS_SCORE_CHOICES = [
    ("0", "0 · Not met"),
    ("1", "1 · Partially met"),
    ("2", "2 · Met"),
    ("3", "3 · Exceeds"),
]


class ReviewerAssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Reviewer",
        empty_label="Choose a colleague",
        error_messages={"required": "Choose who joins the evaluation team."},
    )
    is_lead = forms.BooleanField(
        required=False,
        label="Lead reviewer",
        help_text="The lead records the consensus scores. There is one lead per RFx.",
    )
    criterion_codes = forms.MultipleChoiceField(
        required=False,
        label="Criteria (optional)",
        help_text="Leave empty to review every criterion.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, rfx: RFx, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = (
            User.objects.filter(
                memberships__organisation_id=rfx.buyer_id,
                memberships__role__in=[
                    Membership.Role.REVIEWER,
                    Membership.Role.PROCUREMENT_MANAGER,
                ],
            )
            .distinct()
            .order_by("first_name", "username")
        )
        self.fields["reviewer"].label_from_instance = lambda user: (
            user.get_full_name() or user.username
        )
        criteria = (
            list(rfx.framework.criteria.order_by("order", "code").values_list("code", "title"))
            if rfx.framework_id
            else []
        )
        self.fields["criterion_codes"].choices = [
            (code, f"{code} · {title}") for code, title in criteria
        ]


class TermsScoreForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.TypedChoiceField(
        choices=TERMS_SCORE_CHOICES,
        coerce=int,
        label="Your licence and terms score",
        error_messages={"required": "Choose a score from 0 to 3."},
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        label="Comment (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AwardForm(forms.Form):
    proposal = forms.TypedChoiceField(
        coerce=int,
        label="Preferred supplier",
        error_messages={"required": "Choose the supplier you award the contract to."},
    )
    justification = forms.CharField(
        max_length=10000,
        label="Justification",
        help_text="Why this supplier: it is kept with the decision record.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Give the reasons for the award: they are kept with the decision."
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proposal"].choices = [("", "Choose a supplier"), *choices]

    def clean_justification(self) -> str:
        text = self.cleaned_data["justification"].strip()
        if not text:
            raise forms.ValidationError(
                "Give the reasons for the award: they are kept with the decision."
            )
        return text
