"""/api/v1/ endpoints of D11: units, agreements, facilities, bookings, funds, volunteers.

Views parse and call one service or selector; scoping comes from the selectors ("not yours" is 404),
actions from lianxin.api.permissions.ScopedAction.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.api.branch import ScopedMemberField
from lianxin.api.permissions import ScopedAction
from lianxin.api.serializers import _ScopedRelatedField
from lianxin.api.views import _ApiViewSet

from . import selectors, services
from .actions import CobuildingAction as A
from .models import (
    Agreement,
    BookerKind,
    Booking,
    BookingStatus,
    Category,
    Commitment,
    CommitmentStatus,
    Direction,
    Fund,
    FundKind,
    LedgerEntry,
    ResidentUnit,
    Room,
    RoomKind,
    Side,
    UnitKind,
    Volunteer,
)


def _choices(choices) -> str:
    """The allowed values in the schema, without a named enum (their names would collide across modules)."""
    return " | ".join(choices.values)


class CommunityField(_ScopedRelatedField):
    """A community where the user may record co-building work."""

    action = A.MANAGE

    def __init__(self, **kwargs):
        from lianxin.places.models import Place

        super().__init__(queryset=Place.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.communities(actor=user, action=self.action)


class FundCommunityField(CommunityField):
    action = A.FUND_RECORD


class UnitField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=ResidentUnit.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.unit_list(actor=user)


class RoomField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Room.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.room_list(actor=user)


# --- units and agreements -------------------------------------------------------------------------


class CobuildingUnitSerializer(serializers.ModelSerializer):
    place = CommunityField()
    kind = serializers.CharField(max_length=12, default=UnitKind.ENTERPRISE, help_text=_choices(UnitKind))

    class Meta:
        model = ResidentUnit
        fields = [
            "id",
            "place",
            "name",
            "kind",
            "address",
            "contact_name",
            "contact_title",
            "contact_phone",
            "party_members",
            "active",
        ]
        read_only_fields = ["id", "active"]
        extra_kwargs = {"name": {"validators": []}}


class UnitViewSet(_ApiViewSet):
    """Resident units (驻区单位) with their contacts."""

    serializer_class = CobuildingUnitSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE}
    object_actions = {"retrieve": A.VIEW}

    def get_queryset(self):
        return selectors.unit_list(actor=self.request.user)

    def get_object(self):
        unit = selectors.unit_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, unit)
        return unit

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        unit = services.unit_create(actor=request.user, **self._body())
        return self._render(unit, status_code=status.HTTP_201_CREATED)


class CobuildingCommitmentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    side = serializers.CharField(max_length=12, help_text=_choices(Side))
    category = serializers.CharField(max_length=12, help_text=_choices(Category))

    class Meta:
        model = Commitment
        fields = ["id", "side", "category", "content", "due_on", "status", "fulfilment", "checked_on"]
        read_only_fields = ["id", "status", "fulfilment", "checked_on"]


class CobuildingAgreementSerializer(serializers.ModelSerializer):
    unit = UnitField()
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    commitments = CobuildingCommitmentSerializer(many=True, required=False)

    class Meta:
        model = Agreement
        fields = ["id", "unit", "unit_name", "title", "signed_on", "ends_on", "commitments"]
        read_only_fields = ["id"]


class CobuildingCommitmentCheckSerializer(serializers.Serializer):
    commitment = serializers.IntegerField()
    status = serializers.CharField(max_length=12, help_text=_choices(CommitmentStatus))
    fulfilment = serializers.CharField(required=False, allow_blank=True)


class AgreementViewSet(_ApiViewSet):
    """Co-building agreements with each side's commitments by the six categories (六联六共)."""

    serializer_class = CobuildingAgreementSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE}
    object_actions = {"retrieve": A.VIEW, "commitment": A.MANAGE, "check": A.MANAGE}

    def get_queryset(self):
        return selectors.agreement_list(actor=self.request.user).prefetch_related("commitments")

    def get_object(self):
        agreement = selectors.agreement_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, agreement)
        return agreement

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        commitments = [
            (c["side"], c["category"], c["content"], c.get("due_on")) for c in data.pop("commitments", [])
        ]
        agreement = services.agreement_create(actor=request.user, commitments=commitments, **data)
        return self._render(agreement, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=CobuildingCommitmentSerializer, responses=CobuildingAgreementSerializer)
    @action(detail=True, methods=["post"])
    def commitment(self, request, pk):
        agreement = self.get_object()
        services.commitment_add(
            actor=request.user, agreement=agreement, **self._body(CobuildingCommitmentSerializer)
        )
        return self._render(self.get_object())

    @extend_schema(request=CobuildingCommitmentCheckSerializer, responses=CobuildingAgreementSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request, pk):
        agreement = self.get_object()
        data = self._body(CobuildingCommitmentCheckSerializer)
        commitment = agreement.commitments.filter(pk=data.pop("commitment")).first()
        if commitment is None:
            raise serializers.ValidationError({"commitment": [_("Choose a commitment of this agreement.")]})
        services.commitment_check(actor=request.user, commitment=commitment, **data)
        return self._render(self.get_object())


# --- facilities and bookings ------------------------------------------------------------------------


class CobuildingRoomSerializer(serializers.ModelSerializer):
    place = CommunityField()
    kind = serializers.CharField(max_length=12, help_text=_choices(RoomKind))

    class Meta:
        model = Room
        fields = [
            "id",
            "place",
            "name",
            "kind",
            "capacity",
            "area",
            "opens_at",
            "closes_at",
            "open_days",
            "public",
            "active",
        ]
        read_only_fields = ["id", "active"]
        extra_kwargs = {"name": {"validators": []}}


class CobuildingTakenSerializer(serializers.Serializer):
    starts = serializers.CharField()
    ends = serializers.CharField()


class RoomViewSet(_ApiViewSet):
    """Rooms of the service centre, their opening hours and taken times."""

    serializer_class = CobuildingRoomSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE}
    object_actions = {"retrieve": A.VIEW, "taken": A.VIEW}

    def get_queryset(self):
        return selectors.room_list(actor=self.request.user)

    def get_object(self):
        room = selectors.room_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, room)
        return room

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        room = services.room_create(actor=request.user, **self._body())
        return self._render(room, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("day", str, description="YYYY-MM-DD", required=True)],
        responses=CobuildingTakenSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def taken(self, request, pk):
        room = self.get_object()
        day = serializers.DateField().to_internal_value(request.query_params.get("day", ""))
        return Response([{"starts": s, "ends": e} for s, e in selectors.room_taken(room, day)])


class CobuildingBookingSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    room = RoomField()
    unit = UnitField(required=False, allow_null=True)
    booker_kind = serializers.CharField(max_length=12, help_text=_choices(BookerKind))
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)

    class Meta:
        model = Booking
        fields = [
            "id",
            "code",
            "room",
            "starts_at",
            "ends_at",
            "purpose",
            "people",
            "booker_kind",
            "booker_name",
            "unit",
            "phone",
            "phone_masked",
            "status",
            "decision_note",
        ]
        read_only_fields = ["id", "code", "phone_masked", "status", "decision_note"]
        extra_kwargs = {"booker_name": {"required": False, "allow_blank": True}}


class CobuildingBookingDecideSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=12, help_text="approved | rejected | cancelled")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BookingViewSet(_ApiViewSet):
    """Bookings: staff book (approved at once), residents' bookings wait for approval; no overlaps."""

    serializer_class = CobuildingBookingSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.BOOK}
    object_actions = {"retrieve": A.VIEW, "decide": A.MANAGE}

    def get_queryset(self):
        return selectors.booking_list(
            actor=self.request.user, status=self.request.query_params.get("status", "")
        )

    def get_object(self):
        booking = selectors.booking_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, booking)
        return booking

    @extend_schema(
        parameters=[OpenApiParameter("status", str, required=False, description=_choices(BookingStatus))]
    )
    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        booking = services.booking_create(actor=request.user, **self._body())
        return self._render(booking, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=CobuildingBookingDecideSerializer, responses=CobuildingBookingSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        booking = self.get_object()
        data = self._body(CobuildingBookingDecideSerializer)
        return self._render(services.booking_decide(actor=request.user, booking=booking, **data))


# --- funds --------------------------------------------------------------------------------------


class CobuildingFundSerializer(serializers.ModelSerializer):
    place = FundCommunityField()
    kind = serializers.CharField(max_length=12, help_text=_choices(FundKind))
    budget_fen = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Fund
        fields = ["id", "place", "kind", "year", "budget_fen", "note", "figures"]
        read_only_fields = ["id", "figures"]
        validators = []

    def get_figures(self, obj) -> dict:
        if hasattr(obj, "approved_income_fen"):  # a list row: summed in the list's query
            income, spent = obj.approved_income_fen or 0, obj.approved_spent_fen or 0
            return {
                "kind": obj.kind,
                "budget": obj.budget_fen,
                "income": income,
                "spent": spent,
                "balance": income - spent,
            }
        figures = services.fund_figures(obj.place_id, obj.year)
        return next((row for row in figures["funds"] if row["kind"] == obj.kind), {})


class CobuildingEntrySerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    direction = serializers.CharField(max_length=12, help_text=_choices(Direction))
    amount_fen = serializers.IntegerField(min_value=1, help_text=_("In fen (1 yuan = 100 fen)."))

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "direction",
            "amount_fen",
            "occurred_on",
            "purpose",
            "payee",
            "status",
            "reverses",
            "reason",
            "recorded_by",
            "approved_by",
        ]
        read_only_fields = ["id", "status", "reverses", "reason", "recorded_by", "approved_by"]


class CobuildingEntryDecideSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CobuildingEntryReverseSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)


class FundViewSet(_ApiViewSet):
    """Funds and their append-only ledgers: income, spending (approved by a second person), reversals."""

    serializer_class = CobuildingFundSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.FUND_VIEW, "create": A.FUND_RECORD}
    object_actions = {
        "retrieve": A.FUND_VIEW,
        "entries": A.FUND_VIEW,
        "decide": A.FUND_APPROVE,
        "reverse": A.FUND_APPROVE,
    }

    def get_queryset(self):
        return selectors.fund_list(actor=self.request.user)

    def get_object(self):
        fund = selectors.fund_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, fund)
        return fund

    def list(self, request):
        return self._page(selectors.with_approved_sums(self.get_queryset()))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        fund = services.fund_open(actor=request.user, **self._body())
        return self._render(fund, status_code=status.HTTP_201_CREATED)

    def _entry(self, fund, pk):
        entry = fund.entries.filter(pk=pk).first()
        if entry is None:
            raise serializers.ValidationError({"entry": [_("Choose a line of this fund.")]})
        return entry

    @extend_schema(methods=["get"], responses=CobuildingEntrySerializer(many=True))
    @extend_schema(methods=["post"], request=CobuildingEntrySerializer, responses=CobuildingEntrySerializer)
    @action(detail=True, methods=["get", "post"])
    def entries(self, request, pk):
        fund = self.get_object()
        if request.method == "GET":
            return self._page(selectors.ledger(fund), CobuildingEntrySerializer)
        data = self._body(CobuildingEntrySerializer)
        entry = services.entry_record(actor=request.user, fund=fund, **data)
        return self._render(entry, CobuildingEntrySerializer, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=CobuildingEntryDecideSerializer, responses=CobuildingEntrySerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        fund = self.get_object()
        data = self._body(CobuildingEntryDecideSerializer)
        entry = services.entry_decide(
            actor=request.user,
            entry=self._entry(fund, data["entry"]),
            approve=data["approve"],
            note=data.get("note", ""),
        )
        return self._render(entry, CobuildingEntrySerializer)

    @extend_schema(request=CobuildingEntryReverseSerializer, responses=CobuildingEntrySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk):
        fund = self.get_object()
        data = self._body(CobuildingEntryReverseSerializer)
        reversal = services.entry_reverse(
            actor=request.user, entry=self._entry(fund, data["entry"]), reason=data["reason"]
        )
        return self._render(reversal, CobuildingEntrySerializer, status_code=status.HTTP_201_CREATED)


# --- volunteers ---------------------------------------------------------------------------------


class CobuildingVolunteerSerializer(serializers.ModelSerializer):
    place = CommunityField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    member = ScopedMemberField(required=False, allow_null=True)
    total_hours = serializers.DecimalField(max_digits=8, decimal_places=1, read_only=True, default=0)
    is_party_member = serializers.BooleanField(read_only=True)

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "place",
            "name",
            "member",
            "skills",
            "joined_on",
            "active",
            "is_party_member",
            "total_hours",
        ]
        read_only_fields = ["id", "joined_on", "active"]


class CobuildingTargetSerializer(serializers.Serializer):
    community = serializers.CharField()
    target = serializers.IntegerField(allow_null=True)
    have = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class VolunteerViewSet(_ApiViewSet):
    """Volunteers (registry, hours) and the party-member volunteer target per community."""

    serializer_class = CobuildingVolunteerSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE, "targets": A.VIEW}
    object_actions = {"retrieve": A.VIEW}

    def get_queryset(self):
        return selectors.volunteer_list(actor=self.request.user)

    def get_object(self):
        volunteer = selectors.volunteer_list(actor=self.request.user).filter(pk=self.kwargs["pk"]).first()
        if volunteer is None:
            from django.http import Http404

            raise Http404
        self.check_object_permissions(self.request, volunteer)
        return volunteer

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        volunteer = services.volunteer_register(actor=request.user, **self._body())
        return self._render(self.get_queryset().get(pk=volunteer.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=False)],
        responses=CobuildingTargetSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def targets(self, request):
        from django.utils import timezone

        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            raise serializers.ValidationError({"year": [_("Please enter the year.")]}) from None
        rows = selectors.target_progress(actor=request.user, year=year)
        return Response(
            CobuildingTargetSerializer(
                [
                    {"community": r["place"].name, **{k: r[k] for k in ("target", "have", "percent")}}
                    for r in rows
                ],
                many=True,
            ).data
        )


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("units", UnitViewSet, basename="unit")
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("facilities", RoomViewSet, basename="facility")
    router.register("bookings", BookingViewSet, basename="booking")
    router.register("funds", FundViewSet, basename="fund")
    router.register("volunteers", VolunteerViewSet, basename="volunteer")
