"""/api/v1/ endpoints of this module."""


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
