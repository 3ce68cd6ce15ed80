from django.urls import path

from . import views

urlpatterns = [
    path("households/", views.households, name="households"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/notes/", views.household_notes, name="household_notes"),
    path("households/<int:pk>/members/add/", views.household_member_add, name="household_member_add"),
    path("households/<int:pk>/difficulties/add/", views.difficulty_add, name="difficulty_add"),
    path("households/<int:pk>/difficulties/<int:tag_pk>/end/", views.difficulty_end, name="difficulty_end"),
    path("residents/", views.residents, name="residents"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/three-lists/", views.three_lists, name="three_lists"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
]
