"""Forms of the supplier's RFx pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from core.exceptions import ApplicationError
from rfx import services


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(
        label="E-mail address",
        disabled=True,
        required=False,
        help_text="The address the invitation was sent to.",
    )
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(render_value=True)
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(render_value=True)
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords are not the same.")
        return data


class AcceptForm(forms.Form):
    accept_terms = forms.BooleanField(
        label="I have read the terms of taking part and accept them.",
        error_messages={"required": "Tick the box to accept the terms of taking part."},
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why do you decline?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say briefly why you decline; it helps the buyer."},
    )


class ClarificationForm(forms.Form):
    question = forms.CharField(
        label="Your question",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your question."},
    )


class ProposalForm(forms.Form):
    licence_terms = forms.CharField(
        label="Licence terms",
        required=False,
        max_length=20000,
        help_text="Who owns the trained models and the data, how the buyer may use them and "
        "for how long. Add the licence itself as a document below.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    service_terms = forms.CharField(
        label="Service terms",
        required=False,
        max_length=20000,
        help_text="Support hours, response times, availability, updates and how the service "
        "ends. Add service-level agreements as documents below.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # Text, not a decimal field: the service parses it and the person's input is kept as typed.
    price_amount = forms.CharField(label="Price", required=False, max_length=40)
    price_currency = forms.CharField(
        label="Currency",
        required=False,
        max_length=3,
        help_text="A three-letter code, such as GBP or EUR.",
    )

    def __init__(self, *args: Any, autosave_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autosave_url:
            self._autosave(autosave_url)

    def _autosave(self, url: str) -> None:
        """htmx saves each field on its own: the terms after a pause in typing, the price and
        its currency together when either changes. The reply goes next to the field."""
        common = {"hx-post": url, "hx-swap": "innerHTML", "hx-sync": "#proposal-form:queue all"}
        for name in ("licence_terms", "service_terms"):
            self.fields[name].widget.attrs.update(
                common,
                **{
                    "hx-trigger": "keyup changed delay:800ms, change",
                    "hx-params": name,
                    "hx-target": f"#saved-{name}",
                },
            )
        for name in ("price_amount", "price_currency"):
            self.fields[name].widget.attrs.update(
                common,
                **{
                    "hx-trigger": "change",
                    "hx-params": "price_amount,price_currency",
                    "hx-target": "#saved-price",
                    "autocomplete": "off",
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        amount = data.get("price_amount", "")
        currency = data.get("price_currency", "")
        if amount in ("", None) and currency:
            self.add_error("price_amount", "Give the amount, or leave the currency empty.")
            return data
        try:
            services.clean_price(amount, currency)
        except ApplicationError as error:
            field = "price_currency" if "currency" in error.message else "price_amount"
            self.add_error(field, error.message)
        return data


class DocumentUploadForm(forms.Form):
    """One file for the licence or the service terms; the service checks type, size, content.

    Prefixed with the kind ("licence-file", "service-title"), so both sit in the proposal form.
    """

    file = forms.FileField(
        label="Document",
        allow_empty_file=True,  # the service refuses it with a message naming the file
        error_messages={"required": "Choose a file to upload."},
    )
    title = forms.CharField(label="Document title (optional)", required=False, max_length=200)
