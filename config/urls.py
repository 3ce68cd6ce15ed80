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
    path("portal/", include("lianxin.appeals.portal_urls")),
    path("", include("lianxin.web.urls")),
]
