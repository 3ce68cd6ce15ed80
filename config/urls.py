from django.contrib import admin
from django.urls import include

from lianxin.core.urls import section

urlpatterns = [
    section("admin/", admin.site.urls),
    section("api/", include("lianxin.api.urls")),
    section("people/", include("lianxin.registry.urls")),
    section("people/", include("lianxin.imports.urls")),
    section("requests/", include("lianxin.appeals.urls")),
    section("visits/", include("lianxin.visits.urls")),
    section("branch/", include("lianxin.branch.urls")),
    section("assistance/", include("lianxin.assistance.urls")),
    section("decisions/", include("lianxin.decisions.urls")),
    section("disclosure/", include("lianxin.disclosure.urls")),
    section("performance/", include("lianxin.performance.urls")),
    section("disputes/", include("lianxin.disputes.urls")),
    section("cobuilding/", include("lianxin.cobuilding.urls")),
    section("elections/", include("lianxin.elections.urls")),
    section("governance/", include("lianxin.governance.urls")),
    section("portal/assistance/", include("lianxin.assistance.portal_urls")),
    section("portal/decisions/", include("lianxin.decisions.portal_urls")),
    section("portal/board/", include("lianxin.disclosure.portal_urls")),
    section("portal/evaluate/", include("lianxin.performance.portal_urls")),
    section("portal/disputes/", include("lianxin.disputes.portal_urls")),
    section("portal/facilities/", include("lianxin.cobuilding.portal_urls")),
    section("portal/", include("lianxin.appeals.portal_urls")),
    section("", include("lianxin.web.urls")),
]
