"""Public pages under /portal/ (no login)."""

from django.urls import path

from . import portal_views as views

urlpatterns = [
    path("", views.home, name="disclosure_portal_home"),
    path("c/<int:place_id>/", views.community, name="disclosure_portal_community"),
    path("<int:pk>/", views.item_detail, name="disclosure_portal_item"),
    path("<int:pk>/pdf/", views.item_pdf, name="disclosure_portal_item_pdf"),
    path("n/<str:code>/", views.short_link, name="disclosure_portal_short"),
    path("c/<int:place_id>/comment/", views.comment_new, name="disclosure_portal_comment"),
    path("comments/<str:number>/", views.comment_status, name="disclosure_portal_comment_status"),
    path("c/<int:place_id>/answers/", views.answers, name="disclosure_portal_answers"),
]
