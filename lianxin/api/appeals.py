"""The residents' requests API (D4): intake, the workflow's actions and the dashboard.

Reads go through lianxin.appeals.selectors (a request the caller may not see answers 404 exactly like
a missing one); every action calls one service of lianxin.appeals.services, which checks access again.
"""

import datetime as dt
import functools

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import ISO_8601, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from lianxin.accounts.models import User, full_name
from lianxin.appeals import selectors, services
from lianxin.appeals.models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    HandlerKind,
    LinkKind,
    Rating,
    Request,
    RequestCategory,
    RequestEvent,
    RequestLink,
    RequestStatus,
)
from lianxin.core.access import Action
from lianxin.places.models import Place, PlaceKind

from .pagination import Keyset
from .permissions import ANYONE, ScopedAction
from .registry import ScopedHouseholdField, ScopedResidentField
from .serializers import QuerySerializer, ScopedPlaceField
from .views import _ApiViewSet

# --- serializers ------------------------------------------------------------------------------------


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class RequestCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestCategory
        fields = ["id", "code", "name", "due_days"]
        read_only_fields = fields


class RequestSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    owner_name = serializers.SerializerMethodField()
    handler_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Request
        fields = [
            "id",
            "number",
            "status",
            "channel",
            "category",
            "category_name",
            "description",
            "place",
            "place_name",
            "anonymous",
            "requester_name",
            "requester_phone",
            "resident",
            "household",
            "source_visit_id",
            "owner",
            "owner_name",
            "handler",
            "handler_name",
            "handler_kind",
            "handler_place",
            "handler_label",
            "received_on",
            "due_on",
            "due_provisional",
            "overdue",
            "first_answered_at",
            "first_answer_on_time",
            "answered_at",
            "answer_summary",
            "follow_up_on",
            "rating",
            "rated_at",
            "closed_at",
            "reopen_count",
            "escalation_level",
            "merged_into",
        ]
        read_only_fields = fields

    def get_owner_name(self, obj) -> str:
        return _user_name(obj.owner)

    def get_handler_name(self, obj) -> str:
        return _user_name(obj.handler)

    def get_overdue(self, obj) -> bool:
        return obj.overdue()


class RequestRows:
    """RequestSerializer's rows read as values: one query and a loop, no model instances, for the list
    of a million requests (issue 11). The plan is derived from RequestSerializer's own fields (the same
    names in the same order, the same date and time formats), and tests/test_appeals_api.py checks that
    both give the same rows, so the two cannot drift apart. The rows it shapes are tuples of
    ``columns``, in that order (``selectors.request_rows``).

    The loop is written from the plan when the class is set up, as Python runs it fastest: each row
    is read as a plain tuple (indexing a named tuple, a subclass, takes CPython's slow path), and its
    dict is a copy of an empty one with the fields in order, then one assignment per field by literal
    name from a column number. A display of 37 keys is built by growing the dict (three resizes); a
    copy of the template comes at its size. 20 rows: a loop over ``dict(zip(names, values))`` 170 us,
    a dict display per row 105, this 37 (on the benchmark machine). The generated source holds only
    the serializer's field names (as string literals) and column numbers; ``source`` keeps it."""

    PERSON = ("display_name", "first_name", "last_name", "username")

    def __init__(self):
        columns = ["status", "due_on"]
        plan = []  # (output name, how its value is read: a column, a conversion of one, a name, overdue)
        for name, field in RequestSerializer().fields.items():
            if name in ("owner_name", "handler_name"):
                person = name.removesuffix("_name")
                parts = [f"{person}__{column}" for column in self.PERSON]
                columns += [f"{person}_id", *parts]
                plan.append((name, "person", (f"{person}_id", parts)))
                continue
            if name == "overdue":
                plan.append((name, "overdue", None))
                continue
            if isinstance(field, serializers.SlugRelatedField):
                column = f"{field.source}__{field.slug_field}"
            elif isinstance(field, serializers.RelatedField):
                column = f"{field.source}_id"
            else:
                column = "__".join(field.source.split("."))
            columns.append(column)
            if isinstance(
                field, serializers.DateField | serializers.DateTimeField | serializers.DecimalField
            ):
                plan.append((name, "converted", (column, _representation(field))))
            else:
                plan.append((name, "column", column))
        self.names = tuple(name for name, _kind, _how in plan)
        self.columns = list(dict.fromkeys(columns))
        self.source, self._shape = self._compile(plan)

    def _compile(self, plan) -> tuple[str, object]:
        at = {column: i for i, column in enumerate(self.columns)}
        names = [name for name, _kind, _how in plan]
        scope = {"full_name": full_name, "OPEN_STATUSES": OPEN_STATUSES, "empty": dict.fromkeys(names)}
        items = []
        for name, kind, how in plan:
            if kind == "column":
                value = f"r[{at[how]}]"
            elif kind == "converted":
                column, convert = how
                scope[f"convert_{name}"] = convert
                value = f"None if r[{at[column]}] is None else convert_{name}(r[{at[column]}])"
            elif kind == "person":
                key, parts = how
                names = ", ".join(f'r[{at[part]}] or ""' for part in parts)
                value = f'"" if r[{at[key]}] is None else full_name({names})'
            else:  # overdue
                value = f"r[{at['status']}] in OPEN_STATUSES and r[{at['due_on']}] < today"
            items.append(f"        row[{name!r}] = {value}\n")
        source = (
            "def shape(rows, today):\n"
            "    shaped = []\n"
            "    for r in map(tuple, rows):\n"
            "        row = empty.copy()\n"
            f"{''.join(items)}"
            "        shaped.append(row)\n"
            "    return shaped\n"
        )
        exec(compile(source, "<RequestRows>", "exec"), scope)  # noqa: S102 - our own field names only
        return source, scope["shape"]

    def __call__(self, rows, today: dt.date) -> list[dict]:
        return self._shape(rows, today)


def _representation(field):
    """``field.to_representation`` of a non-null value; for a date field written in ISO 8601 (DRF's
    default), ``date.isoformat`` itself, which is what DRF's method ends in after three settings reads,
    remembered per date (``_iso_date``)."""
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if type(field) is serializers.DateField and (output_format or "").lower() == ISO_8601:
        return _iso_date
    return field.to_representation


# ``date.isoformat`` formats through CPython's printf-like string builder: about 3,200 instructions a
# call, 40 calls a page of 20 requests (received and due), 2 % of the page. A page's dates are a few
# days, and a city's requests span a few thousand: looking one up costs a tenth of formatting it.
_iso_date = functools.lru_cache(maxsize=8192)(dt.date.isoformat)


request_rows = RequestRows()


class RequestEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "kind",
            "at",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "text",
            "channel",
            "before",
            "after",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        return _user_name(obj.actor)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class RequestLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestLink
        fields = ["id", "kind", "target_id", "note", "created_at"]
        read_only_fields = fields


class RequestDetailSerializer(RequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    links = RequestLinkSerializer(many=True, read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "events", "attachments", "links"]
        read_only_fields = fields


class RequestIntakeSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    place = ScopedPlaceField()
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=RequestCategory.objects.filter(active=True)
    )
    description = serializers.CharField(max_length=services.MAX_DESCRIPTION)
    resident = ScopedResidentField(required=False, allow_null=True)
    household = ScopedHouseholdField(required=False, allow_null=True)
    requester_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    requester_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    anonymous = serializers.BooleanField(required=False, default=False)
    source_visit_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, max_length=10)


class RequestFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=[("open", _("Open")), *RequestStatus.choices], required=False)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=RequestCategory.objects.all(), required=False
    )
    overdue = serializers.BooleanField(required=False, default=False)
    mine = serializers.BooleanField(required=False, default=False)
    within = ScopedPlaceField(required=False)
    q = serializers.CharField(required=False, max_length=60)


class RequestHandoffSerializer(serializers.Serializer):
    to_kind = serializers.ChoiceField(choices=HandlerKind.choices)
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    to_place = serializers.PrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind__in=[PlaceKind.COMMUNITY, PlaceKind.SUBDISTRICT]), required=False
    )
    to_label = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reason = serializers.CharField(max_length=1000)


class RequestReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_DESCRIPTION)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class RequestFollowUpSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    on = serializers.DateField(required=False)


class RequestRatingSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RequestReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class RequestMergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=16, help_text=_("The case number of the request to keep."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class RequestLinkCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    target_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class RequestDashboardQuerySerializer(QuerySerializer):
    group = serializers.ChoiceField(choices=[(g, g) for g in selectors.GROUPS], default="place")
    within = ScopedPlaceField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=RequestCategory.objects.all(), required=False
    )


class RequestStatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    place_id = serializers.IntegerField(allow_null=True)
    received = serializers.IntegerField()
    answered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    due = serializers.IntegerField()
    resolved = serializers.IntegerField()
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    resolution_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


class RequestDashboardSerializer(serializers.Serializer):
    group = serializers.CharField()
    within = serializers.IntegerField(allow_null=True)
    child_kind = serializers.CharField()
    rows = RequestStatsRowSerializer(many=True)
    total = RequestStatsRowSerializer()


# --- views -------------------------------------------------------------------------------------------


@extend_schema(tags=["requests"])
class RequestCategoryViewSet(_ApiViewSet):
    """The request categories and their answer deadlines in working days."""

    serializer_class = RequestCategorySerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_REQUESTS}
    pagination_class = None

    def get_queryset(self):
        return RequestCategory.objects.filter(active=True)

    def list(self, request):
        return Response(RequestCategorySerializer(self.get_queryset(), many=True).data)


@extend_schema(tags=["requests"])
class RequestViewSet(_ApiViewSet):
    """Residents' requests under first-contact responsibility (首问责任制, D4)."""

    serializer_class = RequestSerializer
    permission_classes = [ScopedAction]
    pagination_class = Keyset  # a city has a million requests: no count, no OFFSET
    collection_actions = {
        "list": Action.VIEW_REQUESTS,
        "create": Action.HANDLE_REQUESTS,
        "dashboard": Action.VIEW_REQUESTS,
    }
    # The row comes through the scoped selector (either side of a hand-off); each service checks again.
    object_actions = {
        name: ANYONE
        for name in ("retrieve", "handoff", "reply", "follow_up", "rate", "reopen", "merge", "link", "claim")
    }

    def get_queryset(self):
        return selectors.request_list(actor=self.request.user)

    def get_object(self):
        obj = selectors.request_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(parameters=[RequestFilterSerializer])
    def list(self, request):
        filters = self._query(RequestFilterSerializer)
        today = timezone.localdate()
        rows = selectors.request_rows(
            actor=request.user,
            columns=request_rows.columns,
            status=filters.get("status", ""),
            category=filters.get("category"),
            overdue=filters["overdue"],
            mine=filters["mine"],
            place=filters.get("within"),
            q=filters.get("q", ""),
            today=today,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(request_rows(page, today))

    @extend_schema(responses=RequestDetailSerializer)
    def retrieve(self, request, pk):
        return self._render(self.get_object(), RequestDetailSerializer)

    @extend_schema(request=RequestIntakeSerializer, responses={201: RequestDetailSerializer})
    def create(self, request):
        """Record a request from any channel; the caller becomes its first-contact owner."""
        data = self._body(RequestIntakeSerializer)
        created = services.request_intake(
            actor=request.user,
            channel=data["channel"],
            place=data["place"],
            category=data["category"],
            description=data["description"],
            resident=data.get("resident"),
            household=data.get("household"),
            requester_name=data.get("requester_name", ""),
            requester_phone=data.get("requester_phone", ""),
            anonymous=data["anonymous"],
            attachments=data.get("attachments", ()),
            source_visit_id=data.get("source_visit_id"),
        )
        return self._render(created, RequestDetailSerializer, status.HTTP_201_CREATED)

    def _act(self, service, body=None, **extra) -> Response:
        obj = self.get_object()  # 404 before any 400: nothing is said about a row one cannot see
        kwargs = self._body(body) if body else {}
        kwargs.update(extra)
        service(actor=self.request.user, request=obj, **kwargs)
        return self._render(
            selectors.request_get(actor=self.request.user, pk=obj.pk), RequestDetailSerializer
        )

    @extend_schema(request=RequestHandoffSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def handoff(self, request, pk):
        """Hand the work to a colleague, a community, the subdistrict or a department; the owner stays."""
        return self._act(services.request_handoff, RequestHandoffSerializer)

    @extend_schema(request=RequestReplySerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk):
        """Record the answer given to the resident (text, channel; the caller is who answered)."""
        return self._act(services.request_reply, RequestReplySerializer)

    @extend_schema(request=RequestFollowUpSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk):
        """Record the follow-up (回访)."""
        return self._act(services.request_follow_up, RequestFollowUpSerializer)

    @extend_schema(request=RequestRatingSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk):
        """Record the resident's rating; 不满意 (dissatisfied) reopens with a new deadline."""
        return self._act(services.request_rate, RequestRatingSerializer)

    @extend_schema(request=RequestReasonSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk):
        """Reopen an answered or closed request, with a reason and a new deadline."""
        return self._act(services.request_reopen, RequestReasonSerializer)

    @extend_schema(request=RequestMergeSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk):
        """Merge this duplicate into the request with case number ``into``."""
        obj = self.get_object()
        data = self._body(RequestMergeSerializer)
        into = selectors.request_by_number(actor=request.user, number=data["into"])
        services.request_merge(actor=request.user, request=obj, into=into, reason=data.get("reason", ""))
        return self._render(selectors.request_get(actor=request.user, pk=obj.pk), RequestDetailSerializer)

    @extend_schema(request=RequestLinkCreateSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk):
        """Link to an assistance case, a dispute or a member's must-visit task (最多报一次)."""
        return self._act(services.request_link, RequestLinkCreateSerializer)

    @extend_schema(request=None, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk):
        """Become the first-contact owner of a request filed on the portal."""
        return self._act(services.request_claim)

    @extend_schema(parameters=[RequestDashboardQuerySerializer], responses=RequestDashboardSerializer)
    @action(detail=False, methods=["get"])
    def dashboard(self, request):
        """Response, on-time, resolution and satisfaction rates by place, month, category or owner."""
        query = self._query(RequestDashboardQuerySerializer)
        stats = selectors.request_stats(
            actor=request.user,
            group=query["group"],
            within=query.get("within"),
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
            category=query.get("category"),
        )
        return Response(
            {
                "group": stats.group,
                "within": stats.within.pk if stats.within else None,
                "child_kind": stats.child_kind,
                "rows": [row.as_dict() for row in stats.rows],
                "total": stats.total.as_dict(),
            }
        )
