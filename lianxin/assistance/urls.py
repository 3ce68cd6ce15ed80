"""Staff pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list, name="assistance"),
    path("new/", views.case_create, name="assistance_case_create"),
    path("cases/<int:pk>/", views.case_detail, name="assistance_case"),
    path("cases/<int:pk>/act/<str:step>/", views.case_act, name="assistance_case_act"),
    path("cases/<int:pk>/investigation/", views.investigation, name="assistance_investigation"),
    path("cases/<int:pk>/reveal/", views.reveal, name="assistance_reveal"),
    path("photos/<int:pk>/", views.photo, name="assistance_photo"),
    path("flagged/", views.flagged, name="assistance_flagged"),
    path("reports/", views.reports, name="assistance_reports"),
    path("reports/export/", views.export, name="assistance_export"),
    path("payments/run/", views.payments_run, name="assistance_payments_run"),
    path("households/<int:pk>/ledger/", views.ledger, name="assistance_ledger"),
    path("plans/<int:pk>/<str:step>/", views.plan_act, name="assistance_plan_act"),
    path("relatives/", views.relatives, name="assistance_relatives"),
    path("pairings/", views.pairings, name="assistance_pairings"),
    path("pairings/new/", views.pairing_create, name="assistance_pairing_create"),
    path("pairings/<int:pk>/", views.pairing_detail, name="assistance_pairing"),
]
