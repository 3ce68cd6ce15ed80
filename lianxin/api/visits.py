"""Visits API (走访/回访, D5): the visit log and the visit plan with coverage.

Reads through lianxin.visits.selectors (a household or visit outside the caller's subtree answers
404 like a missing one); a visit is written by lianxin.visits.services.visit_record, which checks
access, validates and audits. A POST carrying an ``idempotency_key`` already used answers 200 with
the visit first recorded: a resent request never makes a second visit.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.accounts.models import User
from lianxin.core.access import Action
from lianxin.registry.models import Household
from lianxin.visits import cadence, selectors, services
from lianxin.visits.models import Contact, Visit, VisitKind

from .permissions import ScopedAction
from .serializers import QuerySerializer, _ScopedRelatedField
from .views import _ApiViewSet


class VisitHouseholdField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Household.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.household_list(actor=user)


class CompanionField(serializers.PrimaryKeyRelatedField):
    """Any active user; the service checks that they may visit the household."""

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)


def _month_value(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise serializers.ValidationError(_("Use the form YYYY-MM, e.g. 2026-11.")) from None
    return year, month


class VisitSerializer(serializers.ModelSerializer):
    household = VisitHouseholdField()
    address = serializers.CharField(source="household.address_label", read_only=True)
    visitor_name = serializers.CharField(source="visitor", read_only=True)
    companion = CompanionField(required=False, allow_null=True)
    idempotency_key = serializers.UUIDField(
        required=False,
        help_text=_("Send the same key again and the first visit is returned, not a second one."),
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "address",
            "kind",
            "visited_on",
            "visitor",
            "visitor_name",
            "companion",
            "contact",
            "findings",
            "needs_followup",
            "request_id",
            "idempotency_key",
            "created_at",
        ]
        read_only_fields = ["id", "visitor", "request_id", "created_at"]
        extra_kwargs = {
            "visited_on": {"required": False},
            "kind": {"required": False},
            "contact": {"required": False},
            "findings": {"required": False},
            "needs_followup": {"required": False},
        }
        validators = []


class VisitFilterSerializer(QuerySerializer):
    household = VisitHouseholdField(required=False, help_text=_("Only visits to this household."))
    month = serializers.CharField(required=False, help_text=_("Only visits in this month (YYYY-MM)."))

    def validate_month(self, value):
        return _month_value(value) if value else None


class PlanRowSerializer(serializers.ModelSerializer):
    address = serializers.CharField(source="address_label", read_only=True)
    head_name = serializers.CharField(source="head.name", read_only=True, default=None)
    has_difficulty = serializers.BooleanField(read_only=True)
    last_visit = serializers.DateField(read_only=True, allow_null=True)
    visited_this_month = serializers.BooleanField(read_only=True)
    open_followup = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "address",
            "head_name",
            "has_difficulty",
            "last_visit",
            "visited_this_month",
            "open_followup",
        ]
        read_only_fields = fields


class PlanFilterSerializer(QuerySerializer):
    mine = serializers.BooleanField(
        required=False, default=False, help_text=_("Only my visit pair's households.")
    )
    pending = serializers.BooleanField(
        required=False, default=False, help_text=_("Leave out households visited this month.")
    )


class CoverageQuerySerializer(QuerySerializer):
    month = serializers.CharField(required=False, help_text=_("YYYY-MM; this month when left out."))

    def validate_month(self, value):
        return _month_value(value) if value else None


class CoverageRowSerializer(serializers.Serializer):
    grid = serializers.IntegerField(source="grid.pk")
    grid_name = serializers.CharField(source="grid.name")
    community_name = serializers.CharField(source="grid.parent.name")
    households = serializers.IntegerField()
    visited = serializers.IntegerField(help_text=_("Households visited at least once in the month."))
    percent = serializers.IntegerField()
    never_visited = serializers.IntegerField(help_text=_("Households with no visit up to the month's end."))


@extend_schema(tags=["visits"])
class VisitViewSet(_ApiViewSet):
    """Visits to households (走访/回访): who went, when, what they found, whether to come back."""

    serializer_class = VisitSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_VISITS, "create": Action.RECORD_VISITS}
    object_actions = {"retrieve": Action.VIEW_VISITS}

    def get_queryset(self):
        return selectors.visit_list(actor=self.request.user)

    def get_object(self):
        visit = selectors.visit_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, visit)
        return visit

    @extend_schema(parameters=[VisitFilterSerializer])
    def list(self, request):
        filters = self._query(VisitFilterSerializer)
        year, month = filters.get("month") or (None, None)
        return self._page(
            selectors.visit_list(
                actor=request.user, household=filters.get("household"), year=year, month=month
            )
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(responses={201: VisitSerializer, 200: VisitSerializer})
    def create(self, request):
        data = self._body()
        visit, created = services.visit_record(
            actor=request.user,
            household=data["household"],
            visited_on=data.get("visited_on"),
            findings=data.get("findings", ""),
            needs_followup=data.get("needs_followup", False),
            contact=data.get("contact", Contact.MET),
            kind=data.get("kind", VisitKind.VISIT),
            companion=data.get("companion"),
            idempotency_key=data.get("idempotency_key"),
        )
        return self._render(visit, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(tags=["visits"])
class VisitPlanViewSet(_ApiViewSet):
    """The visit plan: households with difficulties first, then never or least recently visited;
    and coverage per grid for a month."""

    serializer_class = PlanRowSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_VISITS, "coverage": Action.VIEW_VISITS}

    def get_queryset(self):
        return selectors.plan(actor=self.request.user, today=timezone.localdate())

    @extend_schema(parameters=[PlanFilterSerializer])
    def list(self, request):
        filters = self._query(PlanFilterSerializer)
        return self._page(
            selectors.plan(
                actor=request.user,
                today=timezone.localdate(),
                mine=filters["mine"],
                pending_only=filters["pending"],
            )
        )

    @extend_schema(parameters=[CoverageQuerySerializer], responses=CoverageRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Per grid: households, households visited in the month, and households never visited."""
        query = self._query(CoverageQuerySerializer)
        year, month = query.get("month") or cadence.month_of(timezone.localdate())
        rows = selectors.coverage(actor=request.user, year=year, month=month)
        return Response(CoverageRowSerializer(rows, many=True).data)
