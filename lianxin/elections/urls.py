"""Staff pages of this module."""

urlpatterns: list = []
