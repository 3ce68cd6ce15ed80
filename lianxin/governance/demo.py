"""Demo data of this module for the demo city."""


def populate(*, scale: str = "demo", seed: int = 0, actor=None) -> dict:
    return {}
