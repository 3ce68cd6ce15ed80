"""Staff pages."""

urlpatterns = []
