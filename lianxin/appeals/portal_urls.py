"""The resident portal's pages for requests (filing, status lookup). Mounted at /portal/. No login."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("requests/new/", views.portal_file, name="portal_file"),
    path("requests/status/", views.portal_status, name="portal_status"),
]
