"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city."""


def populate(*, scale: str, seed: int, actor) -> dict:
    """Add this module's demo data; return counts of what was made."""
    return {}
