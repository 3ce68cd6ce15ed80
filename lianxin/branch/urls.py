from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="branch"),
    path("mine/", views.mine, name="branch_mine"),
    path("compliance/<int:pk>/", views.org_compliance, name="branch_org"),
    path("orgs/<int:pk>/plan/", views.meeting_plan, name="branch_meeting_plan"),
    path("orgs/<int:pk>/record/", views.meeting_record, name="branch_meeting_record"),
    path("meetings/", views.meetings, name="branch_meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="branch_meeting"),
    path("meetings/<int:pk>/attach/", views.meeting_attach, name="branch_meeting_attach"),
    path("attachments/<int:pk>/", views.attachment_download, name="branch_attachment"),
    path("visits/", views.visit_tasks, name="branch_visits"),
    path("visits/<int:pk>/", views.visit_task_detail, name="branch_visit"),
    path("members/<int:pk>/report/", views.condition_report, name="branch_condition_report"),
    path("recruitment/", views.recruits, name="branch_recruits"),
    path("recruitment/new/", views.recruit_create, name="branch_recruit_create"),
    path("recruitment/<int:pk>/", views.recruit_detail, name="branch_recruit"),
    path("posts/", views.posts, name="branch_posts"),
    path("posts/board/", views.posts_board, name="branch_posts_board"),
    path("reserve-cadres/", views.reserve, name="branch_reserve"),
    path("hardship-fund/", views.fund, name="branch_fund"),
]
