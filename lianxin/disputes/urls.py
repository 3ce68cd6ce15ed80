"""Staff pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dispute_list, name="disputes"),
    path("new/", views.dispute_create, name="disputes_create"),
    path("<int:pk>/", views.dispute_detail, name="disputes_detail"),
    path("<int:pk>/arrange/", views.dispute_arrange, name="disputes_arrange"),
    path("<int:pk>/escalate/", views.dispute_escalate, name="disputes_escalate"),
    path("<int:pk>/hand-back/", views.dispute_hand_back, name="disputes_hand_back"),
    path("<int:pk>/close/", views.dispute_close, name="disputes_close"),
    path("<int:pk>/follow-up/", views.dispute_follow_up, name="disputes_follow_up"),
    path("<int:pk>/agreement/", views.dispute_agreement, name="disputes_agreement"),
    path("metrics/", views.metrics, name="disputes_metrics"),
    path("metrics/export/", views.metrics_export, name="disputes_metrics_export"),
    path("mediators/", views.mediators, name="disputes_mediators"),
    path("mediators/new/", views.mediator_create, name="disputes_mediator_create"),
    path("screenings/", views.screenings, name="disputes_screenings"),
    path("screenings/new/", views.screening_create, name="disputes_screening_create"),
    path("screenings/<int:pk>/", views.screening, name="disputes_screening"),
    path("incidents/", views.incidents, name="disputes_incidents"),
    path("incidents/report/", views.incident_report, name="disputes_incident_report"),
    path("incidents/<int:pk>/", views.incident, name="disputes_incident"),
    path("incidents/<int:pk>/photos/<int:photo_pk>/", views.incident_photo, name="disputes_incident_photo"),
    path("plans/", views.plans, name="disputes_plans"),
    path("plans/new/", views.plan_create, name="disputes_plan_create"),
    path("patrols/", views.patrols, name="disputes_patrols"),
    path("patrols/teams/new/", views.team_create, name="disputes_team_create"),
    path("patrols/zones/<int:pk>/", views.zone, name="disputes_zone"),
    path("care/", views.care_plans, name="disputes_care"),
    path("care/records/<int:record_pk>/plan/", views.care_plan_create, name="disputes_care_create"),
    path("care/<int:pk>/", views.care_plan, name="disputes_care_plan"),
]
