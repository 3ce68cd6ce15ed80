"""/api/v1/ endpoints of this module."""


def register(router) -> None:
    pass
