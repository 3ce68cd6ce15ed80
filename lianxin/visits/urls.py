from django.urls import path

from . import views

urlpatterns = [
    path("", views.plan, name="visits"),
    path("households/<int:pk>/", views.household, name="visit_household"),
    path("<int:pk>/request/", views.to_request, name="visit_to_request"),
    path("coverage/", views.coverage, name="visit_coverage"),
    path("coverage/export/", views.coverage_export, name="visit_coverage_export"),
    path("pairs/", views.assignments, name="visit_assignments"),
    path("pairs/new/", views.assignment_create, name="visit_assignment_create"),
    path("pairs/<int:pk>/end/", views.assignment_end, name="visit_assignment_end"),
    path("schedule/<int:pk>/", views.schedule, name="visit_schedule"),
    path("duties/", views.duties, name="visit_duties"),
    path("duties/<int:pk>/record/", views.duty_record, name="visit_duty_record"),
]
