"""The OpenAPI schema at /api/schema/, generated once per process for each language and version.

The schema describes the code, not the caller: it is served public (the same for every signed-in
user), and only the language of its descriptions and the API version change it. Generating it took
0.6–1.3 s of CPU on every request. What is kept is dropped when a setting changes (tests).
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import get_language
from drf_spectacular.generators import SchemaGenerator

_kept: dict[tuple, dict] = {}


class KeptSchemaGenerator(SchemaGenerator):
    def get_schema(self, request=None, public=False):
        key = (get_language(), self.api_version, public, self.urlconf)
        schema = _kept.get(key)
        if schema is None:
            schema = _kept[key] = super().get_schema(request=request, public=public)
        return schema


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _kept.clear()
