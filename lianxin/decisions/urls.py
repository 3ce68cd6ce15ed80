"""Staff pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.matters, name="decisions"),
    path("matters/new/", views.matter_create, name="decisions_matter_create"),
    path("matters/<int:pk>/", views.matter_detail, name="decisions_matter"),
    path("matters/<int:pk>/stage/", views.stage_record, name="decisions_stage"),
    path("matters/<int:pk>/skip/", views.stage_skip, name="decisions_skip"),
    path("matters/<int:pk>/category/", views.matter_recategorize, name="decisions_recategorize"),
    path("matters/<int:pk>/withdraw/", views.matter_withdraw, name="decisions_withdraw"),
    path("matters/<int:pk>/draft/", views.matter_draft, name="decisions_draft"),
    path("matters/<int:pk>/ballot/", views.ballot, name="decisions_ballot"),
    path("matters/<int:pk>/ballot/codes/", views.ballot_issue, name="decisions_ballot_issue"),
    path("matters/<int:pk>/ballot/cast/", views.ballot_cast, name="decisions_ballot_cast"),
    path("representatives/", views.representatives, name="decisions_representatives"),
    path("representatives/new/", views.representative_create, name="decisions_representative_create"),
    path("representatives/<int:pk>/", views.representative_detail, name="decisions_representative"),
    path("days/", views.days, name="decisions_days"),
    path("days/new/", views.day_plan, name="decisions_day_plan"),
    path("days/<int:pk>/", views.day_detail, name="decisions_day"),
    path("days/<int:pk>/follow-ups/new/", views.follow_up_create, name="decisions_follow_up"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="decisions_follow_up_done"),
    path("departure-audits/", views.audits, name="decisions_audits"),
    path("departure-audits/new/", views.audit_create, name="decisions_audit_create"),
    path("departure-audits/<int:pk>/", views.audit_detail, name="decisions_audit"),
    path("departure-audits/<int:pk>/publish/", views.audit_publish, name="decisions_audit_publish"),
    path("charters/", views.charters, name="decisions_charters"),
    path("charters/new/", views.charter_create, name="decisions_charter_create"),
    path("charters/<int:pk>/", views.charter_detail, name="decisions_charter"),
]
