from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import health
from principles.models import Framework
from principles.selectors import framework_list_for_user, principle_list


@require_GET
def home(request):
    frameworks = list(framework_list_for_user(request.user)[:6])
    return render(
        request,
        "core/home.html",
        {
            "principles": list(principle_list()),
            "frameworks": frameworks,
            "featured": next((f for f in frameworks if f.kind == Framework.Kind.MATURITY), None),
            # The demo accounts from `manage.py seed_demo` are offered on a laptop only.
            "show_demo": settings.DEBUG,
        },
    )


@never_cache
@require_GET
def healthz(request):
    """200 while the app can answer at all; the body says which part is down."""
    return JsonResponse(health(), status=200)
