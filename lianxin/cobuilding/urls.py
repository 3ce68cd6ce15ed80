"""Staff pages, mounted at /cobuilding/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="cobuilding"),
    path("units/new/", views.unit_create, name="cobuilding_unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="cobuilding_unit"),
    path("units/<int:pk>/agreement/", views.agreement_create, name="cobuilding_agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="cobuilding_agreement"),
    path("agreements/<int:pk>/commitment/", views.commitment_add, name="cobuilding_commitment_add"),
    path("commitments/<int:pk>/check/", views.commitment_check, name="cobuilding_commitment_check"),
    path("meetings/", views.meetings, name="cobuilding_meetings"),
    path("meetings/new/", views.meeting_create, name="cobuilding_meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="cobuilding_meeting"),
    path("pairings/", views.pairings, name="cobuilding_pairings"),
    path("pairings/new/", views.pairing_create, name="cobuilding_pairing_create"),
    path("pairings/<int:pk>/", views.pairing_detail, name="cobuilding_pairing"),
    path("pairings/<int:pk>/visit/", views.pairing_visit, name="cobuilding_pairing_visit"),
    path("problems/<int:pk>/follow/", views.problem_follow, name="cobuilding_problem_follow"),
    path("problems/<int:pk>/request/", views.problem_to_request, name="cobuilding_problem_to_request"),
    path("facilities/", views.facilities, name="cobuilding_facilities"),
    path("facilities/new/", views.room_create, name="cobuilding_room_create"),
    path("facilities/<int:pk>/", views.room_detail, name="cobuilding_room"),
    path("facilities/<int:pk>/book/", views.booking_create, name="cobuilding_booking_create"),
    path("bookings/<int:pk>/decide/", views.booking_decide, name="cobuilding_booking_decide"),
    path("funds/", views.funds, name="cobuilding_funds"),
    path("funds/new/", views.fund_create, name="cobuilding_fund_create"),
    path("funds/<int:pk>/", views.fund_detail, name="cobuilding_fund"),
    path("funds/<int:pk>/entry/", views.entry_create, name="cobuilding_entry_create"),
    path("funds/<int:pk>/hardship/", views.hardship_take_in, name="cobuilding_hardship_take_in"),
    path("entries/<int:pk>/decide/", views.entry_decide, name="cobuilding_entry_decide"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="cobuilding_entry_reverse"),
    path("entries/<int:pk>/voucher/", views.voucher_add, name="cobuilding_voucher_add"),
    path("vouchers/<int:pk>/", views.voucher, name="cobuilding_voucher"),
    path("volunteers/", views.volunteers, name="cobuilding_volunteers"),
    path("volunteers/new/", views.volunteer_create, name="cobuilding_volunteer_create"),
    path("volunteers/activity/", views.activity_create, name="cobuilding_activity_create"),
    path("volunteers/activity/<int:pk>/", views.activity_detail, name="cobuilding_activity"),
    path("volunteers/target/", views.target_set, name="cobuilding_target_set"),
]
