"""The resident portal's pages for requests (filing, status lookup). Mounted at /portal/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
