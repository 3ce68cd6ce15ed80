from django.urls import path

from . import transfer_views, views

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
    path("members/<int:pk>/transfer/", transfer_views.transfer_request, name="transfer_request"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/approve/", transfer_views.transfer_approve, name="transfer_approve"),
    path("transfers/<int:pk>/accept/", transfer_views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/reject/", transfer_views.transfer_reject, name="transfer_reject"),
    path("transfers/<int:pk>/cancel/", transfer_views.transfer_cancel, name="transfer_cancel"),
    path("special-care/", transfer_views.special_care_list, name="special_care"),
    path("special-care/new/", transfer_views.special_care_create, name="special_care_create"),
    path("special-care/<int:pk>/", transfer_views.special_care_detail, name="special_care_detail"),
    path("special-care/<int:pk>/reveal/", transfer_views.special_care_reveal, name="special_care_reveal"),
    path("special-care/<int:pk>/end/", transfer_views.special_care_end, name="special_care_end"),
    path(
        "special-care/assignments/",
        transfer_views.special_care_assignments,
        name="special_care_assignments",
    ),
    path(
        "special-care/assignments/<int:pk>/end/",
        transfer_views.special_care_assignment_end,
        name="special_care_assignment_end",
    ),
]
