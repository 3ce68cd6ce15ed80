"""Staff pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="disclosure"),
    path("new/", views.item_new, name="disclosure_item_new"),
    path("items/<int:pk>/", views.item_detail, name="disclosure_item"),
    path("items/<int:pk>/edit/", views.item_edit, name="disclosure_item_edit"),
    path("items/<int:pk>/publish/", views.item_publish, name="disclosure_item_publish"),
    path("items/<int:pk>/delete/", views.item_delete, name="disclosure_item_delete"),
    path("items/<int:pk>/correct/", views.item_correct, name="disclosure_item_correct"),
    path("late/", views.late, name="disclosure_late"),
    path("late/export/", views.late_export, name="disclosure_late_export"),
    path("comments/", views.comments, name="disclosure_comments"),
    path("comments/<int:pk>/", views.comment_detail, name="disclosure_comment"),
    path("comments/<int:pk>/assign/", views.comment_assign, name="disclosure_comment_assign"),
    path("comments/<int:pk>/answer/", views.comment_answer, name="disclosure_comment_answer"),
    path("comments/<int:pk>/close/", views.comment_close, name="disclosure_comment_close"),
    path("comments/<int:pk>/reveal/", views.comment_reveal, name="disclosure_comment_reveal"),
]
