"""The project's URLs plus a bare endpoint for the ballot benchmark: the same middleware (sessions,
CSRF, security headers …), no database, no template."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("config.urls")),
]
