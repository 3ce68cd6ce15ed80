"""Spreadsheet imports through the API (D2, issue 3 item 7): upload → dry-run report → commit.

A job is visible only to the person who uploaded it (lianxin.imports.selectors; "not yours"
answers 404 like "missing"); every endpoint needs IMPORT_PEOPLE somewhere (else 403).
"""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission

from lianxin.core import access
from lianxin.core.access import Action
from lianxin.imports import selectors, services
from lianxin.imports.models import ImportJob, ImportKind

from .serializers import QuerySerializer
from .views import _ApiViewSet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanImport(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and access.can(user, Action.IMPORT_PEOPLE))


class ImportJobSerializer(serializers.ModelSerializer):
    report = serializers.JSONField(
        read_only=True,
        help_text=_(
            "The dry run (or, once committed, the result): counts, problems with sheet, row, column "
            "and message, and the changes to people already registered (ID numbers masked)."
        ),
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "file_name",
            "file_format",
            "file_size",
            "file_sha256",
            "created_at",
            "committed_at",
            "report",
        ]
        read_only_fields = fields


class ImportJobListSerializer(ImportJobSerializer):
    problem_count = serializers.IntegerField(source="report.problem_count", read_only=True, default=None)

    class Meta(ImportJobSerializer.Meta):
        fields = [f for f in ImportJobSerializer.Meta.fields if f != "report"] + ["problem_count"]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(help_text=_("An .xlsx or .csv file (multipart/form-data)."))


class TemplateQuerySerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)


@extend_schema(tags=["imports"])
class ImportViewSet(_ApiViewSet):
    """Spreadsheet imports: upload runs the dry run; commit writes all rows or none, once."""

    serializer_class = ImportJobSerializer
    permission_classes = [CanImport]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.import_job_list(actor=self.request.user)

    def get_object(self):
        return selectors.import_job_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(responses=ImportJobListSerializer(many=True))
    def list(self, request):
        return self._page(self.get_queryset(), ImportJobListSerializer)

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses=ImportJobSerializer)
    def create(self, request):
        data = self._body(ImportUploadSerializer)
        job = services.import_upload(actor=request.user, kind=data["kind"], file=data["file"])
        return self._render(job, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk):
        """Write a ready job (all or nothing). Calling it again answers the committed job unchanged."""
        job = services.import_commit(actor=request.user, job=self.get_object())
        return self._render(job)

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=ImportKind.values, required=True)],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def template(self, request):
        """The .xlsx template for ``kind`` (every column formatted as Text)."""
        kind = self._query(TemplateQuerySerializer)["kind"]
        response = HttpResponse(services.template_workbook(kind), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
        return response
