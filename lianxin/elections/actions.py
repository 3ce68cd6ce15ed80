"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

GRANTS: dict[str, set[str]] = {}
