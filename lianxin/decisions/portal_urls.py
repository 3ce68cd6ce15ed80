"""Public pages under /portal/decisions/ (no login)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="decisions_portal"),
    path("matters/<int:pk>/", views.portal_matter, name="decisions_portal_matter"),
    path("agenda/", views.portal_agenda, name="decisions_portal_agenda"),
    path("vote/", views.portal_vote, name="decisions_portal_vote"),
    path("charter/<int:pk>/", views.portal_charter, name="decisions_portal_charter"),
]
