from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from accounts.models import Membership, User
from accounts.selectors import membership_list_for_user


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "That username and password do not match an account. Check both and try again; "
            "they are case-sensitive."
        ),
        "inactive": (
            "This account has been switched off. "
            "Ask your organisation's administrator to restore it."
        ),
    }


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = _demo_accounts()
        return context


def _demo_accounts() -> list[dict]:
    """The `seed_demo` logins, offered on a laptop (DEBUG) only and only once they exist."""
    if not settings.DEBUG:
        return []
    from accounts.management.commands.seed_demo import DEMO_PASSWORD, ORGANISATIONS, USERS

    organisation_names = {slug: name for slug, name, _kind in ORGANISATIONS}
    existing = set(
        User.objects.filter(username__in=[row[0] for row in USERS]).values_list(
            "username", flat=True
        )
    )
    return [
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "role": Membership.Role(role).label,
            "organisation": organisation_names[organisation],
        }
        for username, _first, _last, organisation, role in USERS
        if username in existing
    ]


@login_required
def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {"membership_list": membership_list_for_user(request.user)},
    )
