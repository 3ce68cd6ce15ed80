from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from lianxin.core.urls import section
from lianxin.modules import MODULES

from . import appeals, branch, imports, registry, transfers, views, visits
from .schema import KeptSchemaGenerator

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("places", views.PlaceViewSet, basename="place")
router.register("party-organizations", views.PartyOrganizationViewSet, basename="org")
router.register("users", views.UserViewSet, basename="user")
router.register("role-assignments", views.RoleAssignmentViewSet, basename="role-assignment")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("todos", views.TodoViewSet, basename="todo")
router.register("audit", views.AuditEntryViewSet, basename="audit")
router.register("households", registry.HouseholdViewSet, basename="household")
router.register("residents", registry.ResidentViewSet, basename="resident")
router.register("members", registry.MemberViewSet, basename="member")
router.register("transfers", transfers.TransferViewSet, basename="transfer")
router.register("imports", imports.ImportViewSet, basename="import")
router.register("meetings", branch.MeetingViewSet, basename="meeting")
router.register("compliance", branch.ComplianceViewSet, basename="compliance")
router.register("visit-tasks", branch.VisitTaskViewSet, basename="visit-task")
router.register("recruitment", branch.RecruitViewSet, basename="recruit")
router.register("posts", branch.PostViewSet, basename="post")
router.register("reserve-cadres", branch.ReserveCadreViewSet, basename="reserve-cadre")
router.register("hardship-fund", branch.HardshipFundViewSet, basename="hardship")
router.register("visits", visits.VisitViewSet, basename="visit")
router.register("visit-plans", visits.VisitPlanViewSet, basename="visit-plan")
router.register("requests", appeals.RequestViewSet, basename="request")
router.register("request-categories", appeals.RequestCategoryViewSet, basename="request-category")
# Modules that keep their endpoints in their own api.py.
for _module in MODULES:
    import_module(f"lianxin.{_module}.api").register(router)


def by_resource(router: SimpleRouter) -> list:
    """The router's routes under one ``path()`` per resource: resolving a URL tries one prefix per
    resource instead of every route of every resource before it (about 80 patterns for /requests/)."""
    patterns = []
    for prefix, viewset, basename in router.registry:
        single = SimpleRouter(use_regex_path=False)
        single.register("", viewset, basename=basename)
        patterns.append(section(f"{prefix}/", include(single.urls)))
    return patterns


v1 = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token"),
    path("calendar/working-days/", views.WorkingDaysView.as_view(), name="calendar-working-days"),
    path("calendar/between/", views.WorkingDaysBetweenView.as_view(), name="calendar-between"),
    *by_resource(router),
]

# The schema and its readers are for signed-in users only; the UI assets come from the sidecar.
signed_in = [IsAuthenticated]
urlpatterns = [
    section("v1/", include(v1)),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=signed_in, generator_class=KeptSchemaGenerator),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", permission_classes=signed_in, template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(
            url_name="api:schema", permission_classes=signed_in, template_name="api/redoc.html"
        ),
        name="redoc",
    ),
]
