"""Public pages under /portal/evaluate/ (no login): the ballot a slip's QR link opens, and the
honour roll (光荣榜)."""

from django.urls import path

from . import portal

urlpatterns = [
    path("", portal.start, name="performance_portal"),
    path("thanks/", portal.thanks, name="performance_portal_thanks"),
    path("honours/", portal.honours, name="performance_portal_honours"),
    path("<slug:code>/", portal.ballot, name="performance_portal_ballot"),
]
