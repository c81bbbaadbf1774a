from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health
from principles.selectors import framework_list_for_user, principle_list


@require_GET
def home(request):
    return render(
        request,
        "core/home.html",
        {"principles": principle_list(), "frameworks": framework_list_for_user(request.user)[:6]},
    )


@never_cache
@require_GET
def healthz(request):
    """200 while the app can answer at all; the body says which part is down."""
    return JsonResponse(health(), status=200)
