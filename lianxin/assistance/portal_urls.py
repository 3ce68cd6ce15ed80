"""Public pages under /portal/assistance/ (no login): notices running now and the objection form."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_notices, name="assistance_portal"),
    path("<int:pk>/", views.portal_notice, name="assistance_portal_notice"),
]
