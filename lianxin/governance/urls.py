"""Staff pages of this module, and a party member's own page."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="governance"),
    path("chains/", views.chains, name="governance_chains"),
    path("chains/new/", views.link_create, name="governance_link_create"),
    path("chains/<int:pk>/", views.link_detail, name="governance_link"),
    path("chains/<int:pk>/log/", views.entry_create, name="governance_entry_create"),
    path("contacts/<int:pk>/request/", views.entry_request, name="governance_entry_request"),
    path("delegates/new/", views.delegate_create, name="governance_delegate_create"),
    path("sitting-in/", views.sittings, name="governance_sittings"),
    path("sitting-in/new/", views.sitting_open, name="governance_sitting_open"),
    path("sitting-in/<int:pk>/", views.sitting_detail, name="governance_sitting"),
    path("applications/<int:pk>/decide/", views.application_decide, name="governance_application_decide"),
    path("applications/<int:pk>/attend/", views.application_attend, name="governance_application_attend"),
    path("mine/", views.mine, name="governance_mine"),
    path("mine/<int:pk>/apply/", views.apply, name="governance_apply"),
    path("standards/", views.standards, name="governance_standards"),
    path("standards/new/", views.item_create, name="governance_item_create"),
    path("standards/<int:pk>/", views.item_edit, name="governance_item_edit"),
    path("checks/", views.checks, name="governance_checks"),
    path("checks/new/", views.check_start, name="governance_check_start"),
    path("checks/<int:pk>/", views.check_detail, name="governance_check"),
    path("checks/<int:pk>/submit/", views.check_submit, name="governance_check_submit"),
    path("checks/<int:pk>/conclude/", views.check_conclude, name="governance_check_conclude"),
    path("check-items/<int:pk>/", views.check_item, name="governance_check_item"),
    path("check-items/<int:pk>/file/", views.evidence_file, name="governance_evidence"),
    path("check-items/<int:pk>/review/", views.item_review, name="governance_item_review"),
    path("plans/<int:pk>/items/new/", views.plan_item_add, name="governance_plan_item_add"),
    path("plan-items/<int:pk>/", views.plan_item, name="governance_plan_item"),
]
