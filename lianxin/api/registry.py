"""The registry API (D2): households, residents, party members and the 三化 counts.

Same shape as lianxin.api.views: reads through the scoped selectors of lianxin.registry (a row
outside the caller's subtree answers 404 exactly like a missing one), writes through its services.
ID numbers are written in full and only ever read back masked; the clear value of a sensitive field
comes from ``residents/{id}/reveal/`` alone, which needs a reason and is audited.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.core.access import Action
from lianxin.registry import selectors, services
from lianxin.registry.models import (
    Difficulty,
    DifficultyTag,
    Household,
    MemberKind,
    PartyMember,
    Resident,
)

from .permissions import ScopedAction
from .serializers import QuerySerializer, ScopedOrgField, ScopedPlaceField, _ScopedRelatedField
from .views import _ApiViewSet

# --- related fields scoped to the caller ------------------------------------------------------


class ScopedHouseholdField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Household.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.household_list(actor=user)


class ScopedResidentField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Resident.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.resident_list(actor=user)


class MaskedIdNumberField(serializers.CharField):
    """Written in full (GB 11643, checked by the service); always read back masked."""

    def get_attribute(self, instance):
        return instance.id_number_masked


def _refuse_fixed(serializer, names, message):
    """On a partial update, name every field that may not change there (400, field by field)."""
    fixed = [name for name in names if name in serializer.initial_data]
    if fixed:
        raise serializers.ValidationError({name: [message] for name in fixed})


# --- serializers --------------------------------------------------------------------------------


class DifficultySerializer(serializers.ModelSerializer):
    class Meta:
        model = DifficultyTag
        fields = ["id", "kind", "cause", "since", "ended_on"]
        read_only_fields = fields


class HouseholdMemberSerializer(serializers.ModelSerializer):
    id_number = MaskedIdNumberField(read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "relationship", "id_number", "phone"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    place = ScopedPlaceField(help_text=_("The building."))
    address = serializers.CharField(source="address_label", read_only=True)
    head_name = serializers.CharField(source="head.name", read_only=True, default=None)
    member_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Household
        fields = ["id", "place", "unit", "room", "address", "head", "head_name", "member_count", "notes"]
        read_only_fields = ["id", "head"]
        extra_kwargs = {"unit": {"required": False}, "notes": {"required": False}}
        validators = []


class HouseholdDetailSerializer(HouseholdSerializer):
    members = serializers.SerializerMethodField()
    difficulties = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members", "difficulties"]

    @extend_schema_field(HouseholdMemberSerializer(many=True))
    def get_members(self, obj):
        return HouseholdMemberSerializer(self.context["members"], many=True).data

    @extend_schema_field(DifficultySerializer(many=True))
    def get_difficulties(self, obj):
        return DifficultySerializer(self.context["difficulties"], many=True).data


class HouseholdFilterSerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Name, pinyin (zs, zhangsan), phone or exact ID number."),
    )
    difficulty = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, help_text=_("Only households with this difficulty.")
    )


class ResidentSerializer(serializers.ModelSerializer):
    id_number = MaskedIdNumberField(
        help_text=_("Written in full when registering; always returned masked (first 3 and last 4).")
    )
    household = ScopedHouseholdField(allow_null=True, required=False)
    place = ScopedPlaceField(required=False, help_text=_("Where a person without a household lives."))
    health = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Stored encrypted; read via reveal.")
    )
    disability = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Stored encrypted; read via reveal.")
    )

    fixed_after_create = ("id_number", "place")

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "id_number",
            "birth_date",
            "sex",
            "phone",
            "household",
            "relationship",
            "place",
            "moved_out_on",
            "health",
            "disability",
            "created_at",
        ]
        read_only_fields = ["id", "birth_date", "sex", "created_at"]
        extra_kwargs = {"phone": {"required": False}, "relationship": {"required": False}}
        validators = []

    def validate(self, attrs):
        if self.partial:
            _refuse_fixed(
                self,
                self.fixed_after_create,
                _("This cannot be changed here; a wrong ID number is corrected by an administrator."),
            )
        return attrs


class ResidentFilterSerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Name, pinyin (zs, zhangsan), phone or exact ID number."),
    )
    household = ScopedHouseholdField(required=False, help_text=_("Only members of this household."))


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=sorted(Resident.SENSITIVE_FIELDS), help_text=_("id_number, health or disability.")
    )
    reason = serializers.CharField(help_text=_("Why you need the clear value (kept in the audit log)."))


class RevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField(help_text=_("The clear value; empty when nothing is recorded."))


class MemberSerializer(serializers.ModelSerializer):
    resident = ScopedResidentField()
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    organization = ScopedOrgField()

    fixed_after_create = ("resident", "organization")

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "resident",
            "resident_name",
            "organization",
            "kind",
            "joined_on",
            "probation_ends_on",
            "status",
            "mobile_destination",
            "mobile_contact",
            "receiving_organization_name",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "status": {"required": False},
            "probation_ends_on": {"required": False},
            "mobile_destination": {"required": False},
            "mobile_contact": {"required": False},
            "receiving_organization_name": {"required": False},
        }
        validators = []

    def validate(self, attrs):
        if self.partial:
            _refuse_fixed(
                self, self.fixed_after_create, _("This cannot be changed here; use a membership transfer.")
            )
        return attrs


class MemberFilterSerializer(QuerySerializer):
    q = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Name, pinyin, phone or exact ID number.")
    )
    kind = serializers.ChoiceField(choices=MemberKind.choices, required=False)
    organization = ScopedOrgField(
        required=False, help_text=_("Only members of this organization and those below it.")
    )


class ThreeListsSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="org.pk")
    organization_name = serializers.CharField(source="org.name")
    total = serializers.IntegerField(help_text=_("Active members."))
    without_post = serializers.IntegerField()
    restructured = serializers.IntegerField()
    mobile = serializers.IntegerField()


# --- views ------------------------------------------------------------------------------------


@extend_schema(tags=["registry"])
class HouseholdViewSet(_ApiViewSet):
    """Households (户情台账): address, head, members, difficulties and notes."""

    serializer_class = HouseholdSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_PEOPLE, "create": Action.MANAGE_PEOPLE}
    object_actions = {"retrieve": Action.VIEW_PEOPLE}

    def get_queryset(self):
        return selectors.household_list(actor=self.request.user)

    def get_object(self):
        household = selectors.household_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, household)
        return household

    @extend_schema(parameters=[HouseholdFilterSerializer])
    def list(self, request):
        filters = self._query(HouseholdFilterSerializer)
        households = selectors.household_list(actor=request.user, **filters)
        # A grouped query drops Meta.ordering; pages need a stable order.
        return self._page(households.order_by("place_path", "unit", "room", "pk"))

    @extend_schema(responses=HouseholdDetailSerializer)
    def retrieve(self, request, pk):
        household = self.get_object()
        context = {
            **self.get_serializer_context(),
            "members": selectors.resident_list(actor=request.user, household=household),
            "difficulties": selectors.difficulty_list(actor=request.user, household=household).filter(
                ended_on__isnull=True
            ),
        }
        return Response(HouseholdDetailSerializer(household, context=context).data)

    def create(self, request):
        data = self._body()
        household = services.household_create(
            actor=request.user,
            place=data["place"],
            room=data["room"],
            unit=data.get("unit", ""),
            notes=data.get("notes", ""),
        )
        return self._render(household, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class ResidentViewSet(_ApiViewSet):
    """Residents. ``id_number`` is returned masked; the clear value only through ``reveal``."""

    serializer_class = ResidentSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_PEOPLE, "create": Action.MANAGE_PEOPLE}
    object_actions = {
        "retrieve": Action.VIEW_PEOPLE,
        "partial_update": Action.MANAGE_PEOPLE,
        "reveal": Action.REVEAL_SENSITIVE,
    }

    def get_queryset(self):
        return selectors.resident_list(actor=self.request.user)

    def get_object(self):
        resident = selectors.resident_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, resident)
        return resident

    @extend_schema(parameters=[ResidentFilterSerializer])
    def list(self, request):
        filters = self._query(ResidentFilterSerializer)
        return self._page(selectors.resident_list(actor=request.user, **filters))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        resident = services.resident_create(actor=request.user, **data)
        return self._render(resident, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        resident = self.get_object()
        data = self._body(partial=True)
        return self._render(services.resident_update(actor=request.user, resident=resident, **data))

    @extend_schema(request=RevealSerializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk):
        """The clear value of one sensitive field, for a reason; every call is audited."""
        resident = self.get_object()
        data = self._body(RevealSerializer)
        value = services.resident_reveal(
            actor=request.user, resident=resident, field=data["field"], reason=data["reason"]
        )
        response = Response(RevealedSerializer({"field": data["field"], "value": value}).data)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(tags=["registry"])
class MemberViewSet(_ApiViewSet):
    """Party members (D2) and the 三化 counts per organization."""

    serializer_class = MemberSerializer
    permission_classes = [ScopedAction]
    collection_actions = {
        "list": Action.VIEW_MEMBERS,
        "create": Action.MANAGE_MEMBERS,
        "three_lists": Action.VIEW_MEMBERS,
    }
    object_actions = {"retrieve": Action.VIEW_MEMBERS, "partial_update": Action.MANAGE_MEMBERS}

    def get_queryset(self):
        return selectors.member_list(actor=self.request.user)

    def get_object(self):
        member = selectors.member_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, member)
        return member

    @extend_schema(parameters=[MemberFilterSerializer])
    def list(self, request):
        filters = self._query(MemberFilterSerializer)
        return self._page(selectors.member_list(actor=request.user, **filters))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = dict(self._body())
        data.pop("status", None)  # a new member is active; status changes by update or transfer
        member = services.member_create(
            actor=request.user, resident=data.pop("resident"), organization=data.pop("organization"), **data
        )
        return self._render(member, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        member = self.get_object()
        data = self._body(partial=True)
        return self._render(services.member_update(actor=request.user, member=member, **data))

    @extend_schema(responses=ThreeListsSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="three-lists")
    def three_lists(self, request):
        """三化管理: per organization, active members without posts, from restructured firms, mobile."""
        rows = [{"org": org, **counts} for org, counts in selectors.three_lists_counts(actor=request.user)]
        return Response(ThreeListsSerializer(rows, many=True).data)
