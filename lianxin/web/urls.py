from django.contrib.auth import views as auth_views
from django.urls import path

from lianxin.accounts import views as account_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("login/code/", account_views.login_code, name="login_code"),
    path("password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("display/elderly/", views.elderly_mode, name="elderly_mode"),
    path("places/", views.places, name="places"),
    path("places/<int:pk>/", views.place_detail, name="place_detail"),
    path("places/<int:pk>/add/", views.place_create, name="place_create"),
    path("places/<int:pk>/edit/", views.place_edit, name="place_edit"),
    path("places/<int:pk>/move/", views.place_move, name="place_move"),
    path("places/<int:pk>/roles/", views.place_roles, name="place_roles"),
    path("roles/<int:pk>/end/", views.role_end, name="role_end"),
    path("orgs/", views.orgs, name="orgs"),
    path("orgs/new/", views.org_create, name="org_create"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("orgs/<int:pk>/rate/", views.org_rate, name="org_rate"),
    path("orgs/<int:pk>/move/", views.org_move, name="org_move"),
    path("todos/", views.todos, name="todos"),
    path("todos/<int:pk>/done/", views.todo_done, name="todo_done"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/load/", views.calendar_load, name="calendar_load"),
    path("audit/", views.audit_log, name="audit"),
]
