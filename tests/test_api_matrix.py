"""The API half of the permission matrix (route name → (kwargs, {role: status}))."""

API: dict = {}
