"""/api/v1/ endpoints of this module: ``notices`` (the disclosure board) and ``comments`` (the comment box).

Reads through lianxin.disclosure.selectors; writes through lianxin.disclosure.services, which check
access again, validate (400 naming the field) and audit. A published notice is never updated: PUT and
PATCH answer 409 with the reason; ``correct`` publishes a new version.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from lianxin.api.serializers import QuerySerializer
from lianxin.api.views import _ApiViewSet
from lianxin.core import access
from lianxin.places.models import Place, PlaceKind

from . import selectors, services
from .actions import DisclosureAction as A
from .models import BoardItem, Comment, CommentKind, ImmutableError, ItemKind, ItemStatus, Section, Topic

PUBLIC = "public"


class DisclosurePermission(BasePermission):
    """Like lianxin.api.permissions.ScopedAction, plus ``PUBLIC`` actions open to anyone (the board is
    public, the comment box takes anonymous comments)."""

    def has_permission(self, request, view):
        required = (view.object_actions if getattr(view, "detail", False) else view.collection_actions).get(
            view.action, False
        )
        if required == PUBLIC:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "detail", False):
            return required is not False
        return required is not False and access.can(request.user, required)

    def has_object_permission(self, request, view, obj):
        required = view.object_actions.get(view.action, False)
        if required == PUBLIC:
            return True
        return required is not False and access.can(request.user, required, obj.place_path)


# The values as a pattern, not an enum: enum components are named by field name, and "kind" is taken in
# the shared ENUM_NAME_OVERRIDES (config/settings/base.py); this keeps the schema warning-free.
@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(ItemKind.values)})$",
        "description": ", ".join(ItemKind.values),
    }
)
class ItemKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ItemKind.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(CommentKind.values)})$",
        "description": ", ".join(CommentKind.values),
    }
)
class CommentKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=CommentKind.choices, **kwargs)


class CommunityField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Place.objects.filter(kind=PlaceKind.COMMUNITY), **kwargs)


class PublishPlaceField(serializers.PrimaryKeyRelatedField):
    """A community whose board the caller may write."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Place.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return Place.objects.none()
        return selectors.publish_places(actor=request.user)


class NoticeSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    short_url = serializers.CharField(source="get_short_url", read_only=True)
    newer = serializers.SerializerMethodField()
    late = serializers.BooleanField(source="published_late", read_only=True)
    kind = ItemKindField(read_only=True)

    class Meta:
        model = BoardItem
        fields = [
            "id",
            "place",
            "place_name",
            "section",
            "kind",
            "topic",
            "title",
            "body",
            "starts_on",
            "ends_on",
            "due_on",
            "status",
            "version",
            "previous",
            "newer",
            "correction_reason",
            "fingerprint",
            "code",
            "url",
            "short_url",
            "source_key",
            "published_at",
            "corrected_at",
            "late",
        ]
        read_only_fields = fields

    def get_newer(self, obj) -> int | None:
        newer = obj.newer()
        return newer.pk if newer else None


class NoticeWriteSerializer(serializers.Serializer):
    place = PublishPlaceField()
    section = serializers.ChoiceField(choices=Section.choices)
    kind = ItemKindField(default=ItemKind.IMMEDIATE)
    topic = serializers.ChoiceField(choices=Topic.choices, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class NoticeUpdateSerializer(NoticeWriteSerializer):
    place = None


class NoticeCorrectSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    reason = serializers.CharField(max_length=500)


class NoticeFilterSerializer(QuerySerializer):
    place = serializers.IntegerField(required=False, help_text=gettext_lazy("A community (public view)."))
    section = serializers.ChoiceField(choices=Section.choices, required=False)
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    public = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("The public view even for staff.")
    )


def _conflict(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)


@extend_schema(tags=["disclosure"])
class NoticeViewSet(_ApiViewSet):
    """The disclosure board (党务/居务公开). Anyone reads what is published; staff read their scope
    (drafts for publishers and supervisors) and draft, publish and correct."""

    serializer_class = NoticeSerializer
    permission_classes = [DisclosurePermission]
    collection_actions = {"list": PUBLIC, "create": A.PUBLISH_BOARD}
    object_actions = {
        "retrieve": PUBLIC,
        "update": A.PUBLISH_BOARD,
        "partial_update": A.PUBLISH_BOARD,
        "publish": A.PUBLISH_BOARD,
        "correct": A.PUBLISH_BOARD,
    }

    def _staff(self) -> bool:
        user = self.request.user
        return bool(user and user.is_authenticated and access.can(user, A.VIEW_BOARD))

    def get_queryset(self):
        if self._staff() and self.request.query_params.get("public") not in ("true", "1"):
            return selectors.board_list(actor=self.request.user)
        return BoardItem.objects.public().select_related("place")

    def get_object(self):
        pk = self.kwargs["pk"]
        if self.action == "retrieve":
            item = None
            if self._staff():
                item = selectors.board_list(actor=self.request.user).filter(pk=pk).first()
            if item is None:
                item = selectors.portal_item(pk)
        else:
            item = selectors.board_get(actor=self.request.user, pk=pk)
        self.check_object_permissions(self.request, item)
        return item

    @extend_schema(parameters=[NoticeFilterSerializer])
    def list(self, request):
        filters = self._query(NoticeFilterSerializer)
        qs = self.get_queryset()
        if filters.get("place"):
            qs = qs.filter(place_id=filters["place"])
        if filters.get("section"):
            qs = qs.filter(section=filters["section"])
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        # ``newer`` of each row comes with it: one query for the page, not one per row.
        return self._page(qs.select_related("next_version").order_by("-published_at", "-id"))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=NoticeWriteSerializer, responses={201: NoticeSerializer})
    def create(self, request):
        """Create a draft; publish it with the ``publish`` action."""
        data = self._body(NoticeWriteSerializer)
        item = services.draft_create(actor=request.user, **data)
        return self._render(item, status_code=status.HTTP_201_CREATED)

    def _update(self, request, partial: bool):
        item = self.get_object()
        if item.status != ItemStatus.DRAFT:
            return _conflict(str(services.immutable_message()))
        data = self._body(NoticeUpdateSerializer, partial=partial)
        try:
            item = services.draft_update(actor=request.user, item=item, **data)
        except ImmutableError as exc:
            return _conflict(" ".join(exc.messages))
        return self._render(item)

    @extend_schema(
        request=NoticeUpdateSerializer,
        responses={
            200: NoticeSerializer,
            409: inline_serializer("NoticeConflict", {"detail": serializers.CharField()}),
        },
    )
    def update(self, request, pk):
        """Change a draft. A published notice answers 409: publish a correction instead."""
        return self._update(request, partial=False)

    @extend_schema(
        request=NoticeUpdateSerializer,
        responses={
            200: NoticeSerializer,
            409: inline_serializer("NoticeConflictPatch", {"detail": serializers.CharField()}),
        },
    )
    def partial_update(self, request, pk):
        """Change some fields of a draft. A published notice answers 409."""
        return self._update(request, partial=True)

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk):
        """Publish a draft (once; it is immutable from then on)."""
        item = services.draft_publish(actor=request.user, item=self.get_object())
        return self._render(item)

    @extend_schema(request=NoticeCorrectSerializer, responses={201: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk):
        """Publish a corrected version; the old one stays, marked corrected."""
        item = self.get_object()
        data = self._body(NoticeCorrectSerializer)
        new = services.item_correct(actor=request.user, item=item, **data)
        return self._render(new, status_code=status.HTTP_201_CREATED)


# --- comments --------------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)
    submitter = serializers.CharField(source="submitter_label", read_only=True)
    answer_public = serializers.BooleanField(read_only=True)
    kind = CommentKindField(read_only=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "number",
            "place",
            "place_name",
            "kind",
            "subject",
            "text",
            "anonymous",
            "submitter",
            "phone_masked",
            "publish_agreed",
            "status",
            "assignee",
            "answer",
            "answer_public",
            "submitted_at",
            "due_on",
            "answered_at",
            "closed_at",
        ]
        read_only_fields = fields


class CommentSubmitSerializer(serializers.Serializer):
    place = CommunityField()
    kind = CommentKindField(default=CommentKind.COMMENT)
    subject = serializers.CharField(max_length=120)
    text = serializers.CharField(max_length=5000)
    anonymous = serializers.BooleanField(default=True)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    publish_agreed = serializers.BooleanField(default=False)


class CommentReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    due_on = serializers.DateField()


class CommentAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField()


class CommentAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class CommentFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(
        choices=[("open", "open"), *[(v, v) for v in ("received", "assigned", "answered", "closed")]],
        required=False,
    )


class CommentThrottle(AnonRateThrottle):
    scope = "disclosure_comment"
    rate = "10/hour"


@extend_schema(tags=["disclosure"])
class CommentViewSet(_ApiViewSet):
    """The comment box (意见箱): anyone submits (anonymous allowed); staff handle and answer."""

    serializer_class = CommentSerializer
    permission_classes = [DisclosurePermission]
    collection_actions = {"list": A.VIEW_COMMENTS, "create": PUBLIC}
    object_actions = {
        "retrieve": A.VIEW_COMMENTS,
        "assign": A.HANDLE_COMMENTS,
        "answer": A.HANDLE_COMMENTS,
        "close": A.HANDLE_COMMENTS,
    }

    def get_throttles(self):
        return [CommentThrottle()] if self.action == "create" else super().get_throttles()

    def get_queryset(self):
        return selectors.comment_list(actor=self.request.user)

    def get_object(self):
        comment = selectors.comment_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, comment)
        return comment

    @extend_schema(parameters=[CommentFilterSerializer])
    def list(self, request):
        filters = self._query(CommentFilterSerializer)
        return self._page(selectors.comment_list(actor=request.user, status=filters.get("status", "")))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=CommentSubmitSerializer, responses={201: CommentReceiptSerializer})
    def create(self, request):
        """Put a comment into a community's comment box. The answer shows at the receipt number's page."""
        data = self._body(CommentSubmitSerializer)
        comment = services.comment_submit(
            actor=request.user if request.user.is_authenticated else None, **data
        )
        return Response(
            {"number": comment.number, "due_on": comment.due_on.isoformat()}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=CommentAssignSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk):
        from lianxin.accounts.models import User

        comment = self.get_object()
        data = self._body(CommentAssignSerializer)
        assignee = User.objects.filter(pk=data["assignee"], is_active=True).first()
        if assignee is None:
            raise serializers.ValidationError(
                {"assignee": [_("Choose someone who handles comments of this community.")]}
            )
        return self._render(services.comment_assign(actor=request.user, comment=comment, assignee=assignee))

    @extend_schema(request=CommentAnswerSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk):
        comment = self.get_object()
        data = self._body(CommentAnswerSerializer)
        return self._render(
            services.comment_answer(actor=request.user, comment=comment, answer=data["answer"])
        )

    @extend_schema(request=None, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk):
        return self._render(services.comment_close(actor=request.user, comment=self.get_object()))


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("notices", NoticeViewSet, basename="notice")
    router.register("comments", CommentViewSet, basename="comment")
