from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("lianxin.api.urls")),
    path("people/", include("lianxin.registry.urls")),
    path("people/", include("lianxin.imports.urls")),
    path("requests/", include("lianxin.appeals.urls")),
    path("visits/", include("lianxin.visits.urls")),
    path("branch/", include("lianxin.branch.urls")),
    path("assistance/", include("lianxin.assistance.urls")),
    path("decisions/", include("lianxin.decisions.urls")),
    path("disclosure/", include("lianxin.disclosure.urls")),
    path("performance/", include("lianxin.performance.urls")),
    path("disputes/", include("lianxin.disputes.urls")),
    path("cobuilding/", include("lianxin.cobuilding.urls")),
    path("elections/", include("lianxin.elections.urls")),
    path("governance/", include("lianxin.governance.urls")),
    path("portal/assistance/", include("lianxin.assistance.portal_urls")),
    path("portal/decisions/", include("lianxin.decisions.portal_urls")),
    path("portal/board/", include("lianxin.disclosure.portal_urls")),
    path("portal/evaluate/", include("lianxin.performance.portal_urls")),
    path("portal/disputes/", include("lianxin.disputes.portal_urls")),
    path("portal/facilities/", include("lianxin.cobuilding.portal_urls")),
    path("portal/", include("lianxin.appeals.portal_urls")),
    path("", include("lianxin.web.urls")),
]
