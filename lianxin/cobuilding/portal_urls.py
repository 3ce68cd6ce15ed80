"""Public pages under /portal/ (no login)."""

urlpatterns = []
