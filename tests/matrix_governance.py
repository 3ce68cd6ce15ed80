"""Permission-matrix entries of this module (see tests/matrix_modules.py)."""

WEB: dict = {}
API_COVERED: set[str] = set()
