from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.selectors import membership_list_for_user


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"membership_list": membership_list_for_user(request.user)})
