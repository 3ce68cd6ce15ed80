"""/api/v1/ endpoints of this module: disputes, screenings, incidents, patrols, care-plans.

Reads through lianxin.disputes.selectors (out of scope answers 404 like missing); writes through
lianxin.disputes.services, which check access again, validate (400 naming the field) and audit.
"""

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.api.permissions import ANYONE, ScopedAction
from lianxin.api.serializers import QuerySerializer, ScopedPlaceField
from lianxin.api.views import _ApiViewSet
from lianxin.registry import special_care

from . import selectors, services
from .actions import DisputeAction as A
from .models import (
    CarePlan,
    CheckResult,
    Dispute,
    DisputeParty,
    DisputeType,
    Incident,
    PartySide,
    PatrolZone,
    Risk,
    ScreeningCampaign,
    Source,
)

# --- disputes ------------------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    resident = serializers.IntegerField(
        source="resident_id", required=False, allow_null=True, help_text=_("A resident of the registry.")
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    side = serializers.ChoiceField(choices=PartySide.choices, default=PartySide.APPLICANT)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = DisputeParty
        fields = ["resident", "name", "phone", "side", "display_name"]


class DisputeSerializer(serializers.ModelSerializer):
    place = ScopedPlaceField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    number = serializers.CharField(read_only=True)
    parties = PartySerializer(many=True)
    source_request = serializers.IntegerField(source="source_request_id", required=False, allow_null=True)
    source_visit = serializers.IntegerField(source="source_visit_id", required=False, allow_null=True)
    max_level = serializers.CharField(read_only=True, help_text=_("The highest level the dispute reached."))
    closed_level = serializers.CharField(read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "number",
            "place",
            "place_name",
            "dispute_type",
            "title",
            "description",
            "location",
            "risk",
            "source",
            "source_request",
            "source_visit",
            "police_reference",
            "reported_on",
            "status",
            "level",
            "max_level",
            "mode",
            "mediation_type",
            "leader",
            "plan",
            "due_on",
            "closed_on",
            "closed_level",
            "outcome_note",
            "parties",
        ]
        read_only_fields = [
            "id",
            "status",
            "level",
            "max_level",
            "mode",
            "mediation_type",
            "leader",
            "plan",
            "due_on",
            "closed_on",
            "closed_level",
            "outcome_note",
        ]
        extra_kwargs = {
            "location": {"required": False},
            "risk": {"required": False},
            "police_reference": {"required": False},
            "reported_on": {"required": False},
        }


class DisputeFilterSerializer(QuerySerializer):
    status = serializers.CharField(required=False, help_text=_("open, closed or a status"))
    level = serializers.CharField(required=False)
    type = serializers.ChoiceField(choices=DisputeType.choices, required=False)


class DisputeReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class MetricsFilterSerializer(QuerySerializer):
    start = serializers.DateField()
    end = serializers.DateField()


class TallySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    community = serializers.IntegerField()
    subdistrict = serializers.IntegerField()
    beyond = serializers.IntegerField()
    community_share = serializers.FloatField(allow_null=True)
    subdistrict_share = serializers.FloatField(allow_null=True)
    beyond_share = serializers.FloatField(allow_null=True)
    average_days = serializers.FloatField(allow_null=True)


class GroupTallySerializer(TallySerializer):
    key = serializers.CharField()
    label = serializers.CharField()


class MetricsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    all = TallySerializer()
    by_type = GroupTallySerializer(many=True)
    by_place = GroupTallySerializer(many=True)


def _tally(t, label="", key=""):
    data = {
        name: getattr(t, name)
        for name in (
            "total",
            "closed",
            "community",
            "subdistrict",
            "beyond",
            "community_share",
            "subdistrict_share",
            "beyond_share",
            "average_days",
        )
    }
    return data | ({"label": str(label), "key": key} if key else {})


@extend_schema(tags=["disputes"])
class DisputeViewSet(_ApiViewSet):
    """The dispute register (D7): three-level handling, community → subdistrict → district."""

    serializer_class = DisputeSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW_DISPUTES, "create": A.HANDLE_DISPUTES, "metrics": A.VIEW_DISPUTES}
    object_actions = {"retrieve": A.VIEW_DISPUTES, "escalate": A.VIEW_DISPUTES, "hand_back": A.VIEW_DISPUTES}

    def get_queryset(self):
        return selectors.dispute_list(actor=self.request.user)

    def get_object(self):
        found = selectors.dispute_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, found)
        return found

    @extend_schema(parameters=[DisputeFilterSerializer])
    def list(self, request):
        filters = self._query(DisputeFilterSerializer)
        return self._page(
            selectors.dispute_list(
                actor=request.user,
                status=filters.get("status", ""),
                level=filters.get("level", ""),
                dispute_type=filters.get("type", ""),
            ).prefetch_related("parties__resident")
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        dispute = services.dispute_create(
            actor=request.user,
            place=data["place"],
            dispute_type=data["dispute_type"],
            title=data["title"],
            description=data["description"],
            location=data.get("location", ""),
            risk=data.get("risk", Risk.LOW),
            source=data["source"],
            police_reference=data.get("police_reference", ""),
            reported_on=data.get("reported_on"),
            source_request=(data.get("source_request_id") if data["source"] == Source.REQUEST else None),
            source_visit=(data.get("source_visit_id") if data["source"] == Source.VISIT else None),
            parties=[
                {
                    "resident": p.get("resident_id"),
                    "name": p.get("name", ""),
                    "phone": p.get("phone", ""),
                    "side": p.get("side"),
                }
                for p in data["parties"]
            ],
        )
        return self._render(dispute, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=DisputeReasonSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk):
        """Send the dispute one level up, with a reason."""
        dispute = self.get_object()  # "not yours" is 404 before the body is looked at
        data = self._body(DisputeReasonSerializer)
        return self._render(services.dispute_escalate(actor=request.user, dispute=dispute, **data))

    @extend_schema(request=DisputeReasonSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"], url_path="hand-back")
    def hand_back(self, request, pk):
        """Hand the dispute back one level, with a reason."""
        dispute = self.get_object()
        data = self._body(DisputeReasonSerializer)
        return self._render(services.dispute_hand_back(actor=request.user, dispute=dispute, **data))

    @extend_schema(parameters=[MetricsFilterSerializer], responses=MetricsSerializer)
    @action(detail=False, methods=["get"])
    def metrics(self, request):
        """Shares resolved in the community, in the subdistrict and beyond; working days to resolution."""
        filters = self._query(MetricsFilterSerializer)
        m = selectors.dispute_metrics(actor=request.user, start=filters["start"], end=filters["end"])
        return Response(
            MetricsSerializer(
                {
                    "start": m.start,
                    "end": m.end,
                    "all": _tally(m.all),
                    "by_type": [_tally(t, label, key) for label, key, t in m.by_type],
                    "by_place": [_tally(t, label, key) for label, key, t in m.by_place],
                }
            ).data
        )


# --- screenings --------------------------------------------------------------------------------------------


class ScreeningSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)
    households = serializers.SerializerMethodField()
    households_checked = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningCampaign
        fields = [
            "id",
            "title",
            "place",
            "place_name",
            "starts_on",
            "ends_on",
            "status",
            "households",
            "households_checked",
            "findings",
        ]
        read_only_fields = fields

    def _coverage(self, obj):
        cache = self.context.setdefault("coverage", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.screening_coverage(obj)
        return cache[obj.pk]

    def get_households(self, obj) -> int:
        return self._coverage(obj).households

    def get_households_checked(self, obj) -> int:
        return self._coverage(obj).households_checked

    def get_findings(self, obj) -> int:
        return self._coverage(obj).findings


class CheckSerializer(serializers.Serializer):
    household = serializers.IntegerField(required=False, allow_null=True)
    unit_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    result = serializers.ChoiceField(choices=CheckResult.choices)
    finding = serializers.CharField(required=False, allow_blank=True)
    dispute_type = serializers.ChoiceField(choices=DisputeType.choices, default=DisputeType.OTHER)
    risk = serializers.ChoiceField(choices=Risk.choices, default=Risk.LOW)


class CheckResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.CharField()
    dispute = serializers.IntegerField(allow_null=True)


@extend_schema(tags=["disputes"])
class ScreeningViewSet(_ApiViewSet):
    """Screening campaigns (排查) with their coverage; record a household or unit screened."""

    serializer_class = ScreeningSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW_DISPUTES}
    object_actions = {"retrieve": ANYONE, "record": ANYONE}  # the selector admits screeners

    def get_queryset(self):
        return selectors.screening_list(actor=self.request.user)

    def get_object(self):
        found = selectors.screening_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, found)
        return found

    def list(self, request):
        return self._page(
            self.get_queryset(), context=lambda rows: {"coverage": selectors.screening_coverages(rows)}
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=CheckSerializer, responses={201: CheckResultSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk):
        """Record a household or unit screened; a finding becomes a dispute by itself."""
        from lianxin.core import access
        from lianxin.registry.models import Household

        campaign = self.get_object()
        data = self._body(CheckSerializer)
        household = None
        if data.get("household"):
            household = access.get_for_user(
                Household.objects.all(), request.user, A.HANDLE_DISPUTES, pk=data["household"]
            )
        check = services.screening_record(
            actor=request.user,
            campaign=campaign,
            household=household,
            unit_name=data.get("unit_name", ""),
            result=data["result"],
            finding=data.get("finding", ""),
            dispute_type=data["dispute_type"],
            risk=data["risk"],
        )
        dispute = Dispute.objects.filter(source_check=check).values_list("pk", flat=True).first()
        return Response(
            {"id": check.pk, "result": check.result, "dispute": dispute}, status=status.HTTP_201_CREATED
        )


# --- incidents -----------------------------------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    place = ScopedPlaceField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    idempotency_key = serializers.CharField(write_only=True, required=False, max_length=40)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=6, write_only=True
    )
    photo_count = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "place",
            "place_name",
            "incident_type",
            "severity",
            "location",
            "people_affected",
            "description",
            "occurred_at",
            "status",
            "reported_by",
            "reported_at",
            "idempotency_key",
            "photos",
            "photo_count",
        ]
        read_only_fields = ["id", "status", "reported_by", "reported_at"]
        extra_kwargs = {"occurred_at": {"required": False}, "location": {"required": False}}

    def get_photo_count(self, obj) -> int:
        if hasattr(obj, "photo_total"):  # a list row: counted in the list's query
            return obj.photo_total
        return obj.photos.count()


@extend_schema(tags=["disputes"])
class IncidentViewSet(_ApiViewSet):
    """Incidents (突发事件): reported from the scene, superiors notified at once; a response log."""

    serializer_class = IncidentSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW_DISPUTES, "create": A.REPORT_INCIDENTS}
    object_actions = {"retrieve": ANYONE}

    def get_queryset(self):
        return selectors.incident_list(actor=self.request.user)

    def get_object(self):
        found = selectors.incident_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, found)
        return found

    def list(self, request):
        # Counted in the list's query; a GROUP BY drops Meta.ordering, so it is given again.
        return self._page(
            self.get_queryset().annotate(photo_total=Count("photos")).order_by(*Incident._meta.ordering)
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        incident = services.incident_report(
            actor=request.user,
            place=data["place"],
            incident_type=data["incident_type"],
            severity=data["severity"],
            description=data["description"],
            people_affected=data.get("people_affected", 0),
            location=data.get("location", ""),
            occurred_at=data.get("occurred_at"),
            photos=data.get("photos", []),
            idempotency_key=data.get("idempotency_key", ""),
        )
        return self._render(incident, status_code=status.HTTP_201_CREATED)


# --- patrols -----------------------------------------------------------------------------------------------------


class GapSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=[("no_shift", "no_shift"), ("nobody", "nobody")])


class ZoneSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    team_kind = serializers.CharField(source="team.kind", read_only=True)
    gaps = serializers.SerializerMethodField(help_text=_("Hours of the day nobody patrols."))

    class Meta:
        model = PatrolZone
        fields = ["id", "name", "place", "team", "team_name", "team_kind", "description", "gaps"]
        read_only_fields = fields

    @extend_schema_field(GapSerializer(many=True))
    def get_gaps(self, obj) -> list[dict]:
        rotas = self.context.get("rotas")  # a list page's zones, read at once
        if rotas is not None:
            return GapSerializer(rotas[obj.pk][0]["gaps"], many=True).data
        day = self.context.get("day") or timezone.localdate()
        return GapSerializer(services.rota_gaps(obj, day), many=True).data


class DayFilterSerializer(QuerySerializer):
    day = serializers.DateField(required=False)


@extend_schema(tags=["disputes"])
class PatrolViewSet(_ApiViewSet):
    """Patrol zones with the gaps of a day's 24-hour rota (群防群治)."""

    serializer_class = ZoneSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW_DISPUTES}
    object_actions = {"retrieve": A.VIEW_DISPUTES}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        day = self.request.query_params.get("day") if self.request else None
        try:
            context["day"] = dt.date.fromisoformat(day) if day else None
        except ValueError:
            context["day"] = None
        return context

    def get_queryset(self):
        return selectors.zone_list(actor=self.request.user)

    def get_object(self):
        found = selectors.zone_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, found)
        return found

    @extend_schema(parameters=[DayFilterSerializer])
    def list(self, request):
        self._query(DayFilterSerializer)
        day = self.get_serializer_context()["day"] or timezone.localdate()
        return self._page(self.get_queryset(), context=lambda zones: {"rotas": selectors.rotas(zones, [day])})

    @extend_schema(parameters=[DayFilterSerializer])
    def retrieve(self, request, pk):
        self._query(DayFilterSerializer)
        return self._render(self.get_object())


# --- care plans ------------------------------------------------------------------------------------------------------


class CarePlanSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="record.group", read_only=True)
    resident_name = serializers.CharField(source="record.resident.name", read_only=True)
    goals = serializers.CharField(read_only=True)  # decrypted: the reader holds an assignment
    measures = serializers.CharField(read_only=True)

    class Meta:
        model = CarePlan
        fields = [
            "id",
            "record",
            "group",
            "resident_name",
            "leader",
            "helpers_outside",
            "goals",
            "measures",
            "contact_every_days",
            "status",
        ]
        read_only_fields = fields


class PurposeSerializer(QuerySerializer):
    purpose = serializers.CharField(
        required=False, max_length=200, help_text=_("Why the records are read (goes into the audit log).")
    )


@extend_schema(tags=["disputes"])
class CarePlanViewSet(_ApiViewSet):
    """Care plans of special groups (帮教): need-to-know through the registry's special-care
    assignments; every read is audited; others get an empty list and 404."""

    serializer_class = CarePlanSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": ANYONE}
    object_actions = {"retrieve": ANYONE}

    def get_queryset(self):
        return CarePlan.objects.none()

    def _purpose(self) -> str:
        return self._query(PurposeSerializer).get("purpose") or str(_("API read"))

    @extend_schema(parameters=[PurposeSerializer])
    def list(self, request):
        purpose = self._purpose()
        rows = []
        assignments = special_care.active_assignments(request.user)
        if assignments:
            rows = selectors.care_plan_list(actor=request.user, purpose=purpose, assignments=assignments)
        return self._page(rows)

    @extend_schema(parameters=[PurposeSerializer])
    def retrieve(self, request, pk):
        plan = selectors.care_plan_get(actor=request.user, pk=pk, purpose=self._purpose())
        return self._render(plan)


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("disputes", DisputeViewSet, basename="dispute")
    router.register("screenings", ScreeningViewSet, basename="screening")
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("patrols", PatrolViewSet, basename="patrol")
    router.register("care-plans", CarePlanViewSet, basename="care-plan")
