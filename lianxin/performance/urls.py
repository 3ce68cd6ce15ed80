"""Staff pages, mounted at /performance/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="performance"),
    path("goals/", views.goals, name="performance_goals"),
    path("goals/<int:pk>/", views.goal_detail, name="performance_goal"),
    path("goals/<int:pk>/letter.pdf", views.goal_letter, name="performance_goal_letter"),
    path("commitments/", views.commitments, name="performance_commitments"),
    path("commitments/<int:pk>/", views.commitment_detail, name="performance_commitment"),
    path("evaluations/", views.cycles, name="performance_cycles"),
    path("evaluations/<int:pk>/", views.cycle_detail, name="performance_cycle"),
    path("evaluations/<int:pk>/slips.pdf", views.cycle_slips, name="performance_cycle_slips"),
    path("commendations/", views.commendations, name="performance_commendations"),
    path("accountability/", views.cases, name="performance_cases"),
    path("rhythm/", views.rhythm, name="performance_rhythm"),
    path("reports/", views.reports, name="performance_reports"),
    path("reports/<int:pk>/", views.report_detail, name="performance_report"),
    path("reports/<int:pk>/report.pdf", views.report_pdf, name="performance_report_pdf"),
]
