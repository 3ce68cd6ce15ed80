"""Mounted at /people/ next to lianxin.registry.urls: the import pages and the list exports."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/template/<str:kind>/", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("households/export/", views.export_households, name="export_households"),
    path("residents/export/", views.export_residents, name="export_residents"),
    path("members/export/", views.export_members, name="export_members"),
    path("exports/", views.export_requests, name="export_requests"),
    path("exports/<int:pk>/decide/", views.export_request_decide, name="export_request_decide"),
    path("exports/", views.export_requests, name="export_requests"),
    path("exports/<int:pk>/decide/", views.export_request_decide, name="export_request_decide"),
]
