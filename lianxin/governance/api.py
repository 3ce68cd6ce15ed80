"""/api/v1/ endpoints of this module: contact chains (assignments, contact log, coverage, problems
turned into requests), delegates, sitting in on committee meetings, branch standards (self-checks,
item review, checklists, rollups) and upgrade plans. Reads through lianxin.governance.selectors
(out of scope answers 404 like missing); writes through lianxin.governance.services, which check
access again, validate (400 with the field named) and audit."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from lianxin.api.permissions import ANYONE, ScopedAction
from lianxin.api.serializers import QuerySerializer, _ScopedRelatedField
from lianxin.api.views import _ApiViewSet
from lianxin.appeals.models import RequestCategory
from lianxin.branch.models import Meeting
from lianxin.core import access
from lianxin.places.models import OrgField, PartyOrganization
from lianxin.registry.models import Household, PartyMember

from . import selectors, services
from .actions import GovernanceAction
from .models import (
    ChainLevel,
    CheckItem,
    ContactEntry,
    ContactLink,
    Delegate,
    ItemReview,
    OpenMeeting,
    SelfCheck,
    SittingInApplication,
    StandardArea,
    StandardItem,
    UpgradeItem,
    UpgradePlan,
)

VIEW, RUN, REVIEW, EDIT = (
    GovernanceAction.VIEW,
    GovernanceAction.RUN,
    GovernanceAction.REVIEW,
    GovernanceAction.EDIT_CHECKLIST,
)


class _OrgField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyOrganization.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.organizations(actor=user, action=RUN)


class _MemberField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyMember.objects.none(), **kwargs)

    def scoped(self, user):
        return access.restrict(PartyMember.objects.all(), user, RUN)


class _HouseholdField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Household.objects.none(), **kwargs)

    def scoped(self, user):
        return access.restrict(Household.objects.all(), user, RUN)


class _MeetingField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Meeting.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.openable_meetings(actor=user)


# --- contact chains -------------------------------------------------------------------------------


class GovContactEntrySerializer(serializers.ModelSerializer):
    request_number = serializers.CharField(source="request.number", read_only=True, default=None)

    class Meta:
        model = ContactEntry
        fields = [
            "id",
            "link",
            "kind",
            "contacted_on",
            "problems",
            "notes",
            "request",
            "request_number",
            "recorded_at",
        ]
        read_only_fields = ["id", "link", "request", "request_number", "recorded_at"]
        extra_kwargs = {"problems": {"required": False}, "notes": {"required": False}}


class GovContactLinkSerializer(serializers.ModelSerializer):
    organization = _OrgField()
    contact = _MemberField()
    target_member = _MemberField(required=False, allow_null=True)
    target_household = _HouseholdField(required=False, allow_null=True)
    contact_name = serializers.CharField(source="contact.resident.name", read_only=True)
    target = serializers.CharField(source="target_label", read_only=True)
    last_contact = serializers.DateField(read_only=True, default=None)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ContactLink
        fields = [
            "id",
            "organization",
            "level",
            "contact",
            "contact_name",
            "target_member",
            "target_household",
            "target",
            "assigned_on",
            "ended_on",
            "last_contact",
            "overdue",
        ]
        read_only_fields = ["id", "ended_on"]
        extra_kwargs = {"assigned_on": {"required": False}}
        validators = []  # the service checks uniqueness (and reassigns)

    def get_overdue(self, obj) -> bool:
        since = getattr(obj, "since", None) or obj.assigned_on
        if "cutoff" not in self.context:  # once per response, not per row
            self.context["cutoff"] = selectors.contact_cutoff()
        return obj.ended_on is None and since < self.context["cutoff"]


class GovReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class GovCoverageLevelSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    covered = serializers.IntegerField()
    share = serializers.FloatField()


class GovCoverageSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="organization.pk")
    organization_name = serializers.CharField(source="organization.name")
    delegate = GovCoverageLevelSerializer()
    member = GovCoverageLevelSerializer()
    household = GovCoverageLevelSerializer()
    links = serializers.IntegerField()
    overdue = serializers.IntegerField()


class GovLinkFilterSerializer(QuerySerializer):
    level = serializers.ChoiceField(choices=ChainLevel.choices, required=False)
    overdue = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["governance"])
class ContactChainViewSet(_ApiViewSet):
    """Contact assignments (党委委员联系党代表、党代表联系党员、党员联系群众), their log and coverage (D3)."""

    serializer_class = GovContactLinkSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RUN, "coverage": VIEW}
    object_actions = {"retrieve": VIEW, "entries": VIEW, "end": RUN}

    def get_queryset(self):
        return selectors.link_list(actor=self.request.user)

    def get_object(self):
        link = selectors.link_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, link)
        return link

    @extend_schema(parameters=[GovLinkFilterSerializer])
    def list(self, request):
        filters = self._query(GovLinkFilterSerializer)
        return self._page(
            selectors.link_list(
                actor=request.user, level=filters.get("level", ""), overdue_only=filters.get("overdue", False)
            )
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        """Assign a contact; an active assignment of the same target and level is ended (reassigned)."""
        link = services.link_assign(actor=request.user, **self._body())
        return self._render(
            selectors.link_get(actor=request.user, pk=link.pk), status_code=status.HTTP_201_CREATED
        )

    @extend_schema(request=GovReasonSerializer, responses=GovContactLinkSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk):
        link = services.link_end(
            actor=request.user, link=self.get_object(), **self._body(GovReasonSerializer)
        )
        return self._render(selectors.link_get(actor=request.user, pk=link.pk))

    @extend_schema(methods=["get"], responses=GovContactEntrySerializer(many=True))
    @extend_schema(methods=["post"], request=GovContactEntrySerializer, responses=GovContactEntrySerializer)
    @action(detail=True, methods=["get", "post"])
    def entries(self, request, pk):
        """The contact log of the assignment; POST logs a contact (needs the right to run the chain)."""
        link = self.get_object()
        if request.method == "POST":
            access.require(request.user, RUN, link.place_path)
            entry = services.entry_record(
                actor=request.user, link=link, **self._body(GovContactEntrySerializer)
            )
            return self._render(entry, GovContactEntrySerializer, status_code=status.HTTP_201_CREATED)
        return self._page(
            link.entries.select_related("request").order_by("-contacted_on", "-id"), GovContactEntrySerializer
        )

    @extend_schema(responses=GovCoverageSerializer(many=True))
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Coverage of each level and overdue contacts per organization in scope."""
        return Response(GovCoverageSerializer(selectors.coverage_table(actor=request.user), many=True).data)


class GovEntryRequestSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=RequestCategory.objects.filter(active=True)
    )


class GovRequestMadeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    due_on = serializers.DateField()


@extend_schema(tags=["governance"])
class ContactEntryViewSet(_ApiViewSet):
    """One logged contact; its problems become a residents' request without retyping."""

    serializer_class = GovContactEntrySerializer
    permission_classes = [ScopedAction]
    collection_actions = {}
    object_actions = {"retrieve": VIEW, "request_": RUN}

    def get_object(self):
        entry = selectors.entry_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, entry)
        return entry

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=GovEntryRequestSerializer, responses=GovRequestMadeSerializer)
    @action(detail=True, methods=["post"], url_path="request", url_name="request")
    def request_(self, request, pk):
        """Open a residents' request from the entry (once; a second call returns the first)."""
        made = services.entry_to_request(
            actor=request.user, entry=self.get_object(), **self._body(GovEntryRequestSerializer)
        )
        return Response(GovRequestMadeSerializer(made).data)


class GovDelegateSerializer(serializers.ModelSerializer):
    organization = _OrgField()
    member = _MemberField()
    name = serializers.CharField(source="member.resident.name", read_only=True)

    class Meta:
        model = Delegate
        fields = ["id", "organization", "member", "name", "term_start", "term_end"]
        read_only_fields = ["id"]
        validators = []  # the service refuses a second entry for the same term
        extra_kwargs = {"term_end": {"required": False}}


@extend_schema(tags=["governance"])
class DelegateViewSet(_ApiViewSet):
    """Party congress delegates (党代表) per organization and term."""

    serializer_class = GovDelegateSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RUN}
    object_actions = {}

    def get_queryset(self):
        return selectors.delegate_list(actor=self.request.user)

    def list(self, request):
        return self._page(self.get_queryset())

    def create(self, request):
        delegate = services.delegate_add(actor=request.user, **self._body())
        return self._render(delegate, status_code=status.HTTP_201_CREATED)


# --- sitting in -----------------------------------------------------------------------------------


class GovApplicationSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="member.resident.name", read_only=True)

    class Meta:
        model = SittingInApplication
        fields = [
            "id",
            "open_meeting",
            "member",
            "name",
            "motivation",
            "status",
            "applied_at",
            "decided_at",
            "decline_reason",
            "attended",
            "comment",
        ]
        read_only_fields = fields


class GovOpenMeetingSerializer(serializers.ModelSerializer):
    meeting = _MeetingField()
    organization_name = serializers.CharField(source="meeting.organization.name", read_only=True)
    topic = serializers.CharField(source="meeting.topic", read_only=True)
    planned_on = serializers.DateField(source="meeting.planned_on", read_only=True)
    approved = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = OpenMeeting
        fields = ["id", "meeting", "organization_name", "topic", "planned_on", "seats", "note", "approved"]
        read_only_fields = ["id"]
        extra_kwargs = {"note": {"required": False}}


class GovApplySerializer(serializers.Serializer):
    motivation = serializers.CharField(required=False, allow_blank=True, default="")


class GovDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class GovAttendSerializer(serializers.Serializer):
    attended = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=["governance"])
class SittingInViewSet(_ApiViewSet):
    """Committee meetings opened to members (党员旁听, 开放式党委会) and their applications."""

    serializer_class = GovOpenMeetingSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RUN, "mine": ANYONE}
    object_actions = {"retrieve": VIEW, "applications": VIEW, "apply": ANYONE}

    def get_queryset(self):
        return selectors.open_meeting_list(actor=self.request.user)

    def get_object(self):
        if self.action == "apply":
            return selectors.my_open_meeting(user=self.request.user, pk=self.kwargs["pk"])
        row = selectors.open_meeting_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        """Open a planned committee meeting to members, with a number of seats."""
        row = services.meeting_open(actor=request.user, **self._body())
        return self._render(row, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses=GovApplicationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def applications(self, request, pk):
        return self._page(
            self.get_object().applications.select_related("member__resident"), GovApplicationSerializer
        )

    @extend_schema(request=GovApplySerializer, responses=GovApplicationSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk):
        """A member applies to sit in (their own account); a second application is refused (400)."""
        application = services.sitting_apply(
            user=request.user, open_meeting=self.get_object(), **self._body(GovApplySerializer)
        )
        return self._render(application, GovApplicationSerializer, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses=GovApplicationSerializer(many=True))
    @action(detail=False, methods=["get"])
    def mine(self, request):
        """The signed-in member's own applications."""
        mine = selectors.my_governance(user=request.user)
        return Response(GovApplicationSerializer(mine["applications"] if mine else [], many=True).data)


@extend_schema(tags=["governance"])
class SittingInApplicationViewSet(_ApiViewSet):
    """The secretary decides applications and records attendance and comments."""

    serializer_class = GovApplicationSerializer
    permission_classes = [ScopedAction]
    collection_actions = {}
    object_actions = {"retrieve": VIEW, "decide": RUN, "attend": RUN}

    def get_object(self):
        row = selectors.application_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=GovDecideSerializer, responses=GovApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        return self._render(
            services.sitting_decide(
                actor=request.user, application=self.get_object(), **self._body(GovDecideSerializer)
            )
        )

    @extend_schema(request=GovAttendSerializer, responses=GovApplicationSerializer)
    @action(detail=True, methods=["post"])
    def attend(self, request, pk):
        return self._render(
            services.sitting_attend(
                actor=request.user, application=self.get_object(), **self._body(GovAttendSerializer)
            )
        )


# --- branch standards -----------------------------------------------------------------------------


class GovStandardItemSerializer(serializers.ModelSerializer):
    field = serializers.ChoiceField(choices=OrgField.choices)
    area = serializers.ChoiceField(choices=StandardArea.choices)

    class Meta:
        model = StandardItem
        fields = ["id", "field", "area", "code", "text", "points", "position", "active"]
        read_only_fields = ["id"]
        extra_kwargs = {"position": {"required": False}, "active": {"required": False}}


class GovCheckItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    area = serializers.CharField(source="item.area", read_only=True)
    requirement = serializers.CharField(source="item.text", read_only=True)
    points = serializers.IntegerField(source="item.points", read_only=True)

    class Meta:
        model = CheckItem
        fields = [
            "id",
            "code",
            "area",
            "requirement",
            "points",
            "evidence",
            "attachment_name",
            "self_score",
            "review",
            "review_score",
            "review_note",
        ]
        read_only_fields = fields


class GovSelfCheckSerializer(serializers.ModelSerializer):
    organization = _OrgField()
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    items = GovCheckItemSerializer(many=True, read_only=True)
    plan = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = SelfCheck
        fields = [
            "id",
            "organization",
            "organization_name",
            "year",
            "status",
            "submitted_at",
            "reviewed_at",
            "score",
            "max_score",
            "rating",
            "plan",
            "items",
        ]
        validators = []  # the service refuses a second self-check for the year
        read_only_fields = [f for f in fields if f not in ("organization", "year")]


class GovCheckItemRecordSerializer(serializers.Serializer):
    evidence = serializers.CharField()
    self_score = serializers.IntegerField(min_value=0)
    attachment = serializers.FileField(required=False, allow_null=True, default=None)


class GovCheckItemReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[ItemReview.ACCEPTED, ItemReview.RETURNED])
    score = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class GovRollupRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    orgs = serializers.IntegerField()
    class_1 = serializers.IntegerField(source="1")
    class_2 = serializers.IntegerField(source="2")
    class_3 = serializers.IntegerField(source="3")
    unrated = serializers.IntegerField()
    draft = serializers.IntegerField()
    submitted = serializers.IntegerField()
    returned = serializers.IntegerField()
    reviewed = serializers.IntegerField()


class GovRollupSerializer(serializers.Serializer):
    subdistrict = GovRollupRowSerializer(many=True)
    district = GovRollupRowSerializer(many=True)


class GovYearSerializer(QuerySerializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


def _rollup_rows(rows):
    return [{**row, "1": row[1], "2": row[2], "3": row[3]} for row in rows]


@extend_schema(tags=["governance"])
class StandardsViewSet(_ApiViewSet):
    """Branch standards self-checks (支部标准化): started and submitted by the organization,
    reviewed by the subdistrict; the review sets the class rating and the upgrade plan (三分类三升级)."""

    serializer_class = GovSelfCheckSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RUN, "rollup": VIEW}
    object_actions = {"retrieve": VIEW, "submit": RUN, "conclude": REVIEW}

    def get_queryset(self):
        return selectors.check_list(actor=self.request.user)

    def get_object(self):
        check = selectors.check_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, check)
        return check

    @extend_schema(parameters=[GovYearSerializer])
    def list(self, request):
        year = self._query(GovYearSerializer).get("year")
        return self._page(selectors.check_list(actor=request.user, year=year).prefetch_related("items__item"))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        check = services.check_start(actor=request.user, **self._body())
        return self._render(check, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=GovSelfCheckSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk):
        return self._render(services.check_submit(actor=request.user, check=self.get_object()))

    @extend_schema(request=None, responses=GovSelfCheckSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk):
        """Conclude the review: returned items send the check back; otherwise the class is set."""
        return self._render(services.review_conclude(actor=request.user, check=self.get_object()))

    @extend_schema(parameters=[GovYearSerializer], responses=GovRollupSerializer)
    @action(detail=False, methods=["get"])
    def rollup(self, request):
        """Ratings and self-checks per subdistrict and district in scope."""
        year = self._query(GovYearSerializer).get("year") or timezone.localdate().year
        data = selectors.rollup(actor=request.user, year=year)
        return Response(
            GovRollupSerializer(
                {"subdistrict": _rollup_rows(data["subdistrict"]), "district": _rollup_rows(data["district"])}
            ).data
        )


@extend_schema(tags=["governance"])
class StandardItemViewSet(_ApiViewSet):
    """One item of a self-check: the organization records evidence, the subdistrict reviews it."""

    serializer_class = GovCheckItemSerializer
    permission_classes = [ScopedAction]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    collection_actions = {}
    object_actions = {"retrieve": VIEW, "record": RUN, "review": REVIEW}

    def get_object(self):
        row = selectors.check_item_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=GovCheckItemRecordSerializer, responses=GovCheckItemSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk):
        return self._render(
            services.check_item_record(
                actor=request.user, check_item=self.get_object(), **self._body(GovCheckItemRecordSerializer)
            )
        )

    @extend_schema(request=GovCheckItemReviewSerializer, responses=GovCheckItemSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk):
        return self._render(
            services.item_review(
                actor=request.user, check_item=self.get_object(), **self._body(GovCheckItemReviewSerializer)
            )
        )


@extend_schema(tags=["governance"])
class ChecklistViewSet(_ApiViewSet):
    """The checklists per field (five areas); district officers edit them."""

    serializer_class = GovStandardItemSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": EDIT}
    object_actions = {}

    def list(self, request):
        return self._page(StandardItem.objects.order_by("field", "position", "id"))

    def create(self, request):
        item = services.item_save(actor=request.user, **self._body())
        return self._render(item, status_code=status.HTTP_201_CREATED)


class GovUpgradeItemSerializer(serializers.ModelSerializer):
    due_days = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=250)

    class Meta:
        model = UpgradeItem
        fields = ["id", "task", "owner", "due_on", "due_days", "progress", "done_on"]
        read_only_fields = ["id", "progress", "done_on"]
        extra_kwargs = {"due_on": {"required": False}}


class GovUpgradePlanSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    year = serializers.IntegerField(source="self_check.year", read_only=True)
    items = GovUpgradeItemSerializer(many=True, read_only=True)

    class Meta:
        model = UpgradePlan
        fields = ["id", "organization", "organization_name", "year", "rating", "items"]
        read_only_fields = fields


class GovProgressSerializer(serializers.Serializer):
    progress = serializers.CharField()
    done_on = serializers.DateField(required=False, allow_null=True, default=None)


@extend_schema(tags=["governance"])
class UpgradePlanViewSet(_ApiViewSet):
    """Upgrade plans of class 2 and 3 organizations: items with owners and deadlines, and progress."""

    serializer_class = GovUpgradePlanSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW}
    object_actions = {"retrieve": VIEW, "items": RUN}

    def get_object(self):
        plan = selectors.plan_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, plan)
        return plan

    def list(self, request):
        return self._page(
            access.restrict(
                UpgradePlan.objects.select_related("organization", "self_check"), request.user, VIEW
            )
            .prefetch_related("items")
            .order_by("-id")
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=GovUpgradeItemSerializer, responses=GovUpgradeItemSerializer)
    @action(detail=True, methods=["post"])
    def items(self, request, pk):
        """Add a step: a date, or a number of working days from today."""
        item = services.upgrade_item_add(
            actor=request.user, plan=self.get_object(), **self._body(GovUpgradeItemSerializer)
        )
        return self._render(item, GovUpgradeItemSerializer, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["governance"])
class UpgradeItemViewSet(_ApiViewSet):
    serializer_class = GovUpgradeItemSerializer
    permission_classes = [ScopedAction]
    collection_actions = {}
    object_actions = {"progress": RUN}

    def get_object(self):
        item = selectors.upgrade_item_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, item)
        return item

    @extend_schema(request=GovProgressSerializer, responses=GovUpgradeItemSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk):
        """Record progress on a step; a date marks it done."""
        return self._render(
            services.upgrade_item_progress(
                actor=request.user, item=self.get_object(), **self._body(GovProgressSerializer)
            )
        )


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("contact-chains", ContactChainViewSet, basename="contact-chain")
    router.register("contact-entries", ContactEntryViewSet, basename="contact-entry")
    router.register("party-delegates", DelegateViewSet, basename="party-delegate")
    router.register("sitting-in", SittingInViewSet, basename="sitting-in")
    router.register("sitting-in-applications", SittingInApplicationViewSet, basename="sitting-in-application")
    router.register("standards", StandardsViewSet, basename="standard")
    router.register("standards-items", StandardItemViewSet, basename="standard-item")
    router.register("standards-checklist", ChecklistViewSet, basename="standard-checklist")
    router.register("upgrade-plans", UpgradePlanViewSet, basename="upgrade-plan")
    router.register("upgrade-items", UpgradeItemViewSet, basename="upgrade-item")
