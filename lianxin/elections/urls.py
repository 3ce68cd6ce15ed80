"""Staff pages, and the page where a member votes with a one-time code."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.elections, name="elections"),
    path("new/", views.election_create, name="elections_create"),
    path("terms/", views.terms, name="elections_terms"),
    path("terms/new/", views.term_record, name="elections_term_record"),
    path("vote/", views.vote, name="elections_vote"),
    path("<int:pk>/", views.election_detail, name="elections_detail"),
    path("<int:pk>/nominate/", views.nominate, name="elections_nominate"),
    path("<int:pk>/slate/", views.slate, name="elections_slate"),
    path("<int:pk>/end-short/", views.end_short, name="elections_end_short"),
    path("<int:pk>/report/", views.report, name="elections_report"),
    path("<int:pk>/decide/", views.decide, name="elections_decide"),
    path("<int:pk>/result.pdf", views.sheet, name="elections_sheet"),
    path("candidates/<int:pk>/vet/", views.vet, name="elections_vet"),
    path("rounds/<int:pk>/open/", views.round_open, name="elections_round_open"),
    path("rounds/<int:pk>/teller/", views.teller, name="elections_teller"),
    path("rounds/<int:pk>/codes/", views.codes, name="elections_codes"),
    path("rounds/<int:pk>/close/", views.round_close, name="elections_round_close"),
]
