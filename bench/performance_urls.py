"""The project's URLs plus bare endpoints for the HTTP benchmarks: the same middleware (sessions,
CSRF, security headers …), no database, no template. /bench/bare/ answers the ballot benchmark's
form POSTs; /bench/bare.json is the bare Django JSON endpoint of bench/http_pages.py."""

from django.http import HttpResponse, JsonResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


def bare_json(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/bare.json", bare_json, name="bench_bare_json"),
    path("", include("config.urls")),
]
