"""Membership transfers API (组织关系接转, D2).

Both sides read a transfer through lianxin.registry.transfers (out of both scopes answers 404 like a
missing one). Each move is one POST to one service, which checks access (403), validates the move
(400 with the message) and compares-and-sets the status, so a repeated call moves once.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.core.access import Action
from lianxin.places.models import PartyOrganization
from lianxin.registry import selectors, transfers
from lianxin.registry.models import MembershipTransfer, PartyMember, TransferEvent, TransferStatus

from .permissions import ANYONE, ScopedAction
from .serializers import QuerySerializer, _ScopedRelatedField
from .views import _ApiViewSet


class ScopedMemberField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyMember.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.member_list(actor=user)


class ReceivingOrganizationField(serializers.PrimaryKeyRelatedField):
    """Any active organization: a transfer goes by nature outside the sender's subtree."""

    def __init__(self, **kwargs):
        super().__init__(queryset=PartyOrganization.objects.filter(dissolved_on__isnull=True), **kwargs)


class TransferEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor", read_only=True, default=None)

    class Meta:
        model = TransferEvent
        fields = ["from_status", "to_status", "actor", "actor_name", "at", "reason"]
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    member = ScopedMemberField()
    member_name = serializers.CharField(source="member.resident.name", read_only=True)
    from_organization_name = serializers.CharField(source="from_organization.name", read_only=True)
    to_organization = ReceivingOrganizationField(
        required=False, allow_null=True, help_text=_("An organization in the system; or use the name below.")
    )
    receiver = serializers.CharField(source="receiver_label", read_only=True)

    class Meta:
        model = MembershipTransfer
        fields = [
            "id",
            "member",
            "member_name",
            "from_organization",
            "from_organization_name",
            "to_organization",
            "external_organization_name",
            "receiver",
            "letter_number",
            "issued_on",
            "valid_until",
            "status",
            "note",
            "requested_at",
            "approved_at",
            "accepted_at",
            "closed_at",
            "close_reason",
        ]
        read_only_fields = [
            "id",
            "from_organization",
            "valid_until",
            "status",
            "requested_at",
            "approved_at",
            "accepted_at",
            "closed_at",
            "close_reason",
        ]
        extra_kwargs = {
            "external_organization_name": {"required": False},
            "letter_number": {"required": False, "help_text": _("Left empty, the letter is numbered.")},
            "issued_on": {"required": False},
            "note": {"required": False},
        }
        validators = []


class TransferDetailSerializer(TransferSerializer):
    events = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta(TransferSerializer.Meta):
        fields = [*TransferSerializer.Meta.fields, "events", "allowed_moves"]

    @extend_schema_field(TransferEventSerializer(many=True))
    def get_events(self, obj):
        return TransferEventSerializer(transfers.transfer_events(transfer=obj), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_moves(self, obj):
        return sorted(transfers.can_act(self.context["request"].user, obj))


class TransferFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=TransferStatus.choices, required=False)
    open = serializers.BooleanField(required=False, help_text=_("Only transfers still in progress."))


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("Why the transfer is refused (required)."))


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


@extend_schema(tags=["registry"])
class TransferViewSet(_ApiViewSet):
    """Membership transfers: request → the sending side approves → the receiving side accepts."""

    serializer_class = TransferSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_MEMBERS, "create": Action.MANAGE_TRANSFERS}
    # The row comes through the two-sided scoped selector; each service checks its own side.
    object_actions = {name: ANYONE for name in ("retrieve", "approve", "accept", "reject", "cancel")}

    def get_queryset(self):
        return transfers.transfer_list(actor=self.request.user)

    def get_object(self):
        transfer = transfers.transfer_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, transfer)
        return transfer

    @extend_schema(parameters=[TransferFilterSerializer])
    def list(self, request):
        filters = self._query(TransferFilterSerializer)
        return self._page(
            transfers.transfer_list(
                actor=request.user, status=filters.get("status", ""), open_only=filters.get("open", False)
            )
        )

    @extend_schema(responses=TransferDetailSerializer)
    def retrieve(self, request, pk):
        return self._render(self.get_object(), TransferDetailSerializer)

    @extend_schema(responses={201: TransferDetailSerializer})
    def create(self, request):
        data = self._body()
        transfer = transfers.transfer_request(
            actor=request.user,
            member=data["member"],
            to_organization=data.get("to_organization"),
            external_organization_name=data.get("external_organization_name", ""),
            letter_number=data.get("letter_number", ""),
            issued_on=data.get("issued_on"),
            note=data.get("note", ""),
        )
        return self._render(transfer, TransferDetailSerializer, status_code=status.HTTP_201_CREATED)

    def _move(self, service, body=None) -> Response:
        transfer = self.get_object()  # 404 before any 400: nothing is said about a row one cannot see
        kwargs = self._body(body) if body else {}
        transfer = service(actor=self.request.user, transfer=transfer, **kwargs)
        return self._render(transfer, TransferDetailSerializer)

    @extend_schema(request=None, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk):
        """The sending organization approves and issues the letter."""
        return self._move(transfers.transfer_approve)

    @extend_schema(request=None, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk):
        """The receiving organization accepts; the member moves (out of the city: the receipt is back)."""
        return self._move(transfers.transfer_accept)

    @extend_schema(request=RejectSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk):
        """Either side refuses, with a reason; the member stays where they were."""
        return self._move(transfers.transfer_reject, RejectSerializer)

    @extend_schema(request=CancelSerializer, responses=TransferDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk):
        """The requester withdraws the transfer before it is accepted."""
        return self._move(transfers.transfer_cancel, CancelSerializer)
