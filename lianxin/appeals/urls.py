from django.urls import path

from . import views

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("new/", views.request_intake, name="request_intake"),
    path("dashboard/", views.request_dashboard, name="request_dashboard"),
    path("dashboard/export/", views.request_export, name="request_export"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/files/<int:file_pk>/", views.request_attachment, name="request_attachment"),
    path("<int:pk>/<slug:step>/", views.request_act, name="request_act"),
]
