"""Public pages under /portal/facilities/ (no login): residents book rooms of the service centre."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_rooms, name="cobuilding_portal"),
    path("<int:pk>/book/", views.portal_book, name="cobuilding_portal_book"),
    path("status/", views.portal_status, name="cobuilding_portal_status"),
]
