"""Branch-life API (D3): meetings, compliance, must-visit tasks and recruitment.

Reads through lianxin.branch.selectors (out of scope answers 404 like missing); writes through
lianxin.branch.services, which check access again, validate (400 with the field named) and audit.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.branch import compliance, selectors, services
from lianxin.branch.models import (
    Appraisal,
    Attendance,
    HardshipApplication,
    Meeting,
    MeetingType,
    Post,
    PostHolding,
    Recruit,
    RecruitStage,
    ReserveCadre,
    VisitTask,
    VisitTaskStatus,
)
from lianxin.core.access import Action
from lianxin.registry import selectors as registry_selectors
from lianxin.registry.models import PartyMember

from .permissions import ANYONE, ScopedAction
from .serializers import QuerySerializer, ScopedOrgField, _ScopedRelatedField
from .views import _ApiViewSet


class ScopedBranchOrgField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.places.models import PartyOrganization

        super().__init__(queryset=PartyOrganization.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.organization_list(actor=user)


class ScopedMemberField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyMember.objects.none(), **kwargs)

    def scoped(self, user):
        return registry_selectors.member_list(actor=user, status="")


class ScopedResidentField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.registry.models import Resident

        super().__init__(queryset=Resident.objects.none(), **kwargs)

    def scoped(self, user):
        return registry_selectors.resident_list(actor=user)


# --- meetings -----------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id", help_text=_("A member of the organization."))
    member_name = serializers.CharField(source="member.resident.name", read_only=True)
    absence_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = Attendance
        fields = ["member", "member_name", "present", "absence_reason"]


class MeetingSerializer(serializers.ModelSerializer):
    organization = ScopedBranchOrgField()
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    meeting_type = serializers.SlugRelatedField(slug_field="code", queryset=MeetingType.objects.all())
    attendance = AttendanceSerializer(many=True, required=False)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "organization",
            "organization_name",
            "meeting_type",
            "status",
            "topic",
            "planned_on",
            "held_on",
            "location",
            "chair",
            "minutes",
            "decisions",
            "late_entry",
            "late_reason",
            "recorded_at",
            "attendance",
        ]
        read_only_fields = ["id", "status", "planned_on", "late_entry", "recorded_at"]
        extra_kwargs = {
            "held_on": {"required": True, "allow_null": False},
            "location": {"required": False},
            "chair": {"required": False},
            "minutes": {"required": False},
            "decisions": {"required": False},
            "late_reason": {
                "required": False,
                "help_text": _("Needed when the meeting was held more than the allowed days ago."),
            },
        }


class MeetingPlanSerializer(serializers.Serializer):
    organization = ScopedBranchOrgField()
    meeting_type = serializers.SlugRelatedField(slug_field="code", queryset=MeetingType.objects.all())
    topic = serializers.CharField(max_length=200)
    planned_on = serializers.DateField()
    location = serializers.CharField(required=False, allow_blank=True, max_length=120)
    chair = serializers.CharField(required=False, allow_blank=True, max_length=60)


class MeetingFilterSerializer(QuerySerializer):
    organization = ScopedBranchOrgField(required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


def _attendance(rows) -> dict:
    return {row["member_id"]: (row["present"], row.get("absence_reason", "")) for row in rows or []}


@extend_schema(tags=["branch life"])
class MeetingViewSet(_ApiViewSet):
    """Meetings of party organizations (三会一课): planned, then recorded as held with attendance."""

    serializer_class = MeetingSerializer
    permission_classes = [ScopedAction]
    collection_actions = {
        "list": Action.VIEW_BRANCH,
        "create": Action.MANAGE_BRANCH,
        "plan": Action.MANAGE_BRANCH,
        "mine": ANYONE,
    }
    object_actions = {"retrieve": Action.VIEW_BRANCH, "record": Action.MANAGE_BRANCH}

    def get_queryset(self):
        return selectors.meeting_list(actor=self.request.user)

    def get_object(self):
        meeting = selectors.meeting_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, meeting)
        return meeting

    @extend_schema(parameters=[MeetingFilterSerializer])
    def list(self, request):
        filters = self._query(MeetingFilterSerializer)
        return self._page(
            selectors.meeting_list(
                actor=request.user, organization=filters.get("organization"), year=filters.get("year")
            ).prefetch_related(
                # One query whether or not the page's meetings have attendance yet (a nested
                # prefetch would add two more only when they do).
                Prefetch("attendance", queryset=Attendance.objects.select_related("member__resident"))
            )
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        """Record a meeting that was held (a new one), with its attendance."""
        data = self._body()
        meeting = services.meeting_record(
            actor=request.user,
            organization=data["organization"],
            meeting_type=data["meeting_type"],
            held_on=data["held_on"],
            topic=data["topic"],
            location=data.get("location", ""),
            chair=data.get("chair", ""),
            minutes=data.get("minutes", ""),
            decisions=data.get("decisions", ""),
            attendance=_attendance(data.get("attendance")),
            late_reason=data.get("late_reason", ""),
        )
        return self._render(meeting, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=MeetingPlanSerializer, responses={201: MeetingSerializer})
    @action(detail=False, methods=["post"])
    def plan(self, request):
        """Put a meeting on an organization's plan."""
        data = self._body(MeetingPlanSerializer)
        meeting = services.meeting_plan(actor=request.user, **data)
        return self._render(meeting, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk):
        """Record a planned meeting as held (once)."""
        meeting = self.get_object()
        data = self._body(MeetingSerializer, partial=True)
        meeting = services.meeting_record(
            actor=request.user,
            meeting=meeting,
            meeting_type=data.get("meeting_type", meeting.meeting_type),
            held_on=data.get("held_on"),
            topic=data.get("topic", meeting.topic),
            location=data.get("location", meeting.location),
            chair=data.get("chair", meeting.chair),
            minutes=data.get("minutes", ""),
            decisions=data.get("decisions", ""),
            attendance=_attendance(data.get("attendance")),
            late_reason=data.get("late_reason", ""),
        )
        return self._render(meeting)

    @extend_schema(responses=AttendanceSerializer(many=True))
    @action(detail=False, methods=["get"])
    def mine(self, request):
        """The signed-in party member's own attendance record (empty when the account is not linked)."""
        mine = selectors.my_branch_life(user=request.user)
        rows = mine["attendance"] if mine else []
        return Response(
            [
                {
                    "meeting": row.meeting_id,
                    "meeting_type": row.meeting.meeting_type.code,
                    "topic": row.meeting.topic,
                    "held_on": row.meeting.held_on,
                    "present": row.present,
                    "absence_reason": row.absence_reason,
                }
                for row in rows
            ]
        )


# --- compliance ---------------------------------------------------------------------------------


class CellSerializer(serializers.Serializer):
    label = serializers.CharField()
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    due = serializers.BooleanField()
    held = serializers.IntegerField()
    state = serializers.CharField(
        help_text=_("met, missed, open (the period is under way), upcoming or not_due.")
    )


class TypeRowSerializer(serializers.Serializer):
    meeting_type = serializers.CharField(source="meeting_type.code")
    name = serializers.CharField(source="meeting_type.name")
    expected = serializers.IntegerField()
    due_periods = serializers.IntegerField()
    met_periods = serializers.IntegerField()
    held = serializers.IntegerField()
    cells = CellSerializer(many=True)


class OrgRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    founded_on = serializers.DateField(allow_null=True)
    dissolved_on = serializers.DateField(allow_null=True)
    expected = serializers.IntegerField()
    met = serializers.IntegerField()
    gap_count = serializers.IntegerField()
    types = TypeRowSerializer(many=True)


class RollupSerializer(serializers.Serializer):
    place = serializers.IntegerField(source="place.pk")
    place_name = serializers.CharField(source="place.name")
    organizations = serializers.IntegerField()
    expected = serializers.IntegerField()
    met = serializers.IntegerField()
    gaps = serializers.IntegerField()
    rate = serializers.IntegerField(allow_null=True)


class ComplianceFilterSerializer(QuerySerializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    level = serializers.ChoiceField(
        choices=["district", "subdistrict", "community"], required=False, help_text=_("For the roll-up.")
    )


@extend_schema(tags=["branch life"])
class ComplianceViewSet(_ApiViewSet):
    """Meetings due vs held, per organization and period, and roll-ups per place (D3)."""

    serializer_class = OrgRowSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_BRANCH, "rollup": Action.VIEW_BRANCH}
    object_actions = {"retrieve": Action.VIEW_BRANCH}

    def get_queryset(self):
        return selectors.organization_list(actor=self.request.user)

    def _year(self):
        return self._query(ComplianceFilterSerializer).get("year") or timezone.localdate().year

    @extend_schema(parameters=[ComplianceFilterSerializer])
    def list(self, request):
        return self._page(compliance.compliance_grid(actor=request.user, year=self._year()))

    @extend_schema(parameters=[ComplianceFilterSerializer])
    def retrieve(self, request, pk):
        organization = selectors.organization_get(actor=request.user, pk=pk)
        rows = compliance.compliance_grid(actor=request.user, year=self._year(), organization=organization)
        if not rows:
            return Response(
                {"detail": _("This organization holds none of the scheduled meetings.")}, status=404
            )
        return self._render(rows[0])

    @extend_schema(parameters=[ComplianceFilterSerializer], responses=RollupSerializer(many=True))
    @action(detail=False, methods=["get"])
    def rollup(self, request):
        filters = self._query(ComplianceFilterSerializer)
        rows = compliance.compliance_grid(
            actor=request.user, year=filters.get("year") or timezone.localdate().year
        )
        return Response(
            RollupSerializer(
                compliance.compliance_rollup(rows, filters.get("level") or "community"), many=True
            ).data
        )


# --- 五个必访 ------------------------------------------------------------------------------------


class VisitTaskSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.resident.name", read_only=True)
    owner_name = serializers.CharField(source="owner", read_only=True, default=None)

    class Meta:
        model = VisitTask
        fields = [
            "id",
            "member",
            "member_name",
            "cause",
            "status",
            "owner",
            "owner_name",
            "note",
            "due_on",
            "due_provisional",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class VisitCloseSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    visitors = serializers.CharField(max_length=200)
    findings = serializers.CharField()
    follow_up = serializers.CharField(required=False, allow_blank=True)


class ConditionReportSerializer(serializers.Serializer):
    member = ScopedMemberField()
    cause = serializers.CharField(help_text=_("ill, difficulty or deceased."))
    note = serializers.CharField()


class VisitFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=VisitTaskStatus.choices, required=False)


@extend_schema(tags=["branch life"])
class VisitTaskViewSet(_ApiViewSet):
    """Must-visit tasks (五个必访): opened by the system, closed with a visit record."""

    serializer_class = VisitTaskSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_BRANCH, "report": Action.MANAGE_BRANCH}
    # The owner may close their own task; the service checks.
    object_actions = {"retrieve": Action.VIEW_BRANCH, "close": Action.VIEW_BRANCH}

    def get_queryset(self):
        return selectors.visit_task_list(actor=self.request.user)

    def get_object(self):
        task = selectors.visit_task_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, task)
        return task

    @extend_schema(parameters=[VisitFilterSerializer])
    def list(self, request):
        filters = self._query(VisitFilterSerializer)
        return self._page(selectors.visit_task_list(actor=request.user, status=filters.get("status", "")))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=VisitCloseSerializer, responses=VisitTaskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk):
        task = self.get_object()
        data = self._body(VisitCloseSerializer)
        return self._render(services.visit_task_close(actor=request.user, task=task, **data))

    @extend_schema(request=ConditionReportSerializer, responses={201: VisitTaskSerializer})
    @action(detail=False, methods=["post"])
    def report(self, request):
        """A member is ill, in difficulty or has died: open (or add to) the visit task."""
        data = self._body(ConditionReportSerializer)
        task, opened = services.member_condition_report(actor=request.user, **data)
        return self._render(task, status_code=status.HTTP_201_CREATED if opened else status.HTTP_200_OK)


# --- 发展党员 ------------------------------------------------------------------------------------


class RecruitSerializer(serializers.ModelSerializer):
    resident = ScopedResidentField()
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    organization = ScopedOrgField()
    earliest_next_step = serializers.SerializerMethodField()
    missing_documents = serializers.SerializerMethodField()

    class Meta:
        model = Recruit
        fields = [
            "id",
            "resident",
            "resident_name",
            "organization",
            "stage",
            "applied_on",
            "activist_on",
            "target_on",
            "probationary_on",
            "full_on",
            "stopped_on",
            "stop_reason",
            "member",
            "documents",
            "earliest_next_step",
            "missing_documents",
        ]
        read_only_fields = [f for f in fields if f not in ("resident", "organization", "applied_on")]

    def get_earliest_next_step(self, obj) -> str | None:
        if obj.stage in (RecruitStage.FULL, RecruitStage.STOPPED):
            return None
        earliest = services.recruit_earliest_next(obj)
        return earliest.isoformat() if earliest else None

    def get_missing_documents(self, obj) -> list[str]:
        return services.recruit_missing_documents(obj)


class AdvanceSerializer(serializers.Serializer):
    on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True)
    member_kind = serializers.CharField(
        required=False,
        help_text=_("The member's kind (employed, retired …): required when becoming a full member."),
    )


class DocumentSerializer(serializers.Serializer):
    name = serializers.CharField()
    received_on = serializers.DateField()


class StopSerializer(serializers.Serializer):
    reason = serializers.CharField()


@extend_schema(tags=["branch life"])
class RecruitViewSet(_ApiViewSet):
    """Recruitment (发展党员): applicant → activist → development target → probationary → full member."""

    serializer_class = RecruitSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_BRANCH, "create": Action.MANAGE_BRANCH}
    object_actions = {
        "retrieve": Action.VIEW_BRANCH,
        "advance": Action.MANAGE_BRANCH,
        "documents": Action.MANAGE_BRANCH,
        "stop": Action.MANAGE_BRANCH,
    }

    def get_queryset(self):
        return selectors.recruit_list(actor=self.request.user)

    def get_object(self):
        recruit = selectors.recruit_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, recruit)
        return recruit

    def list(self, request):
        return self._page(selectors.recruit_list(actor=request.user))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        recruit = services.recruit_create(
            actor=request.user,
            resident=data["resident"],
            organization=data["organization"],
            applied_on=data["applied_on"],
        )
        return self._render(recruit, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AdvanceSerializer, responses=RecruitSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk):
        """Move to the next stage; refused (400, Chinese message with the earliest date) when too early."""
        recruit = self.get_object()
        data = self._body(AdvanceSerializer)
        return self._render(services.recruit_advance(actor=request.user, recruit=recruit, **data))

    @extend_schema(request=DocumentSerializer, responses=RecruitSerializer)
    @action(detail=True, methods=["post"])
    def documents(self, request, pk):
        recruit = self.get_object()
        data = self._body(DocumentSerializer)
        return self._render(services.recruit_document(actor=request.user, recruit=recruit, **data))

    @extend_schema(request=StopSerializer, responses=RecruitSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk):
        recruit = self.get_object()
        data = self._body(StopSerializer)
        return self._render(services.recruit_stop(actor=request.user, recruit=recruit, **data))


# --- 设岗定责 -------------------------------------------------------------------------------------


class PostHoldingSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.resident.name", read_only=True)

    class Meta:
        model = PostHolding
        fields = [
            "id",
            "member",
            "member_name",
            "status",
            "volunteered_on",
            "assigned_on",
            "appraisal",
            "appraisal_note",
            "appraised_on",
        ]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    organization = ScopedBranchOrgField()
    holdings = PostHoldingSerializer(many=True, read_only=True)
    published = serializers.BooleanField(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "organization", "year", "title", "duties", "published", "published_at", "holdings"]
        read_only_fields = ["id", "published_at"]
        validators = []


class VolunteerSerializer(serializers.Serializer):
    member = ScopedMemberField()


class AssignSerializer(serializers.Serializer):
    holding = serializers.IntegerField()
    assign = serializers.BooleanField(default=True)


class PublishSerializer(serializers.Serializer):
    organization = ScopedBranchOrgField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class PublishedSerializer(serializers.Serializer):
    published = serializers.IntegerField(help_text=_("How many posts were published now."))


class AppraiseSerializer(serializers.Serializer):
    holding = serializers.IntegerField()
    appraisal = serializers.ChoiceField(choices=Appraisal.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class YearSerializer(QuerySerializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class CoverageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=_("Active members without posts (无职党员)."))
    covered = serializers.IntegerField(help_text=_("Of those, members holding an assigned post this year."))
    organizations = serializers.ListField(child=serializers.DictField())


@extend_schema(tags=["branch life"])
class PostViewSet(_ApiViewSet):
    """Posts for members (设岗定责): define → volunteer → assign → publish → appraise."""

    serializer_class = PostSerializer
    permission_classes = [ScopedAction]
    collection_actions = {
        "list": Action.VIEW_BRANCH,
        "create": Action.MANAGE_BRANCH,
        "publish": Action.MANAGE_BRANCH,
        "coverage": Action.VIEW_BRANCH,
    }
    object_actions = {
        "retrieve": Action.VIEW_BRANCH,
        "volunteer": Action.VIEW_BRANCH,
        "assign": Action.MANAGE_BRANCH,
        "appraise": Action.MANAGE_BRANCH,
    }

    def get_queryset(self):
        return selectors.post_list(actor=self.request.user)

    def get_object(self):
        post = selectors.post_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, post)
        return post

    def _holding(self, post, pk):
        holding = post.holdings.filter(pk=pk).first()
        if holding is None:
            raise serializers.ValidationError({"holding": [_("Not a holder of this post.")]})
        return holding

    @extend_schema(parameters=[YearSerializer])
    def list(self, request):
        return self._page(
            selectors.post_list(actor=request.user, year=self._query(YearSerializer).get("year"))
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        post = services.post_define(actor=request.user, **data)
        return self._render(post, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=VolunteerSerializer, responses={201: PostHoldingSerializer})
    @action(detail=True, methods=["post"])
    def volunteer(self, request, pk):
        post = self.get_object()
        data = self._body(VolunteerSerializer)
        holding = services.post_volunteer(actor=request.user, post=post, member=data["member"])
        return self._render(holding, PostHoldingSerializer, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AssignSerializer, responses=PostHoldingSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk):
        post = self.get_object()
        data = self._body(AssignSerializer)
        holding = services.post_assign(
            actor=request.user, holding=self._holding(post, data["holding"]), assign=data["assign"]
        )
        return self._render(holding, PostHoldingSerializer)

    @extend_schema(request=AppraiseSerializer, responses=PostHoldingSerializer)
    @action(detail=True, methods=["post"])
    def appraise(self, request, pk):
        post = self.get_object()
        data = self._body(AppraiseSerializer)
        holding = services.post_appraise(
            actor=request.user,
            holding=self._holding(post, data["holding"]),
            appraisal=data["appraisal"],
            note=data.get("note", ""),
        )
        return self._render(holding, PostHoldingSerializer)

    @extend_schema(request=PublishSerializer, responses=PublishedSerializer)
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """Publish the year's assigned posts of an organization (公示明岗)."""
        data = self._body(PublishSerializer)
        return Response({"published": services.posts_publish(actor=request.user, **data)})

    @extend_schema(parameters=[YearSerializer], responses=CoverageSerializer)
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        year = self._query(YearSerializer).get("year") or timezone.localdate().year
        return Response(CoverageSerializer(selectors.post_coverage(actor=request.user, year=year)).data)


# --- 后备干部 -------------------------------------------------------------------------------------


class ScopedCommunityField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.places.models import Place

        super().__init__(queryset=Place.objects.none(), **kwargs)

    def scoped(self, user):
        from lianxin.places import selectors as place_selectors

        return place_selectors.place_list(actor=user, kind="community")


class ReserveCadreSerializer(serializers.ModelSerializer):
    resident = ScopedResidentField()
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    community = ScopedCommunityField(source="place")

    class Meta:
        model = ReserveCadre
        fields = [
            "id",
            "resident",
            "resident_name",
            "community",
            "education",
            "stage",
            "signed_up_on",
            "written_score",
            "interview_score",
            "note",
        ]
        read_only_fields = ["id", "stage", "signed_up_on", "written_score", "interview_score", "note"]
        validators = []


class ReserveAdvanceSerializer(serializers.Serializer):
    passed = serializers.BooleanField(default=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ReserveCheckSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="community.pk")
    community_name = serializers.CharField(source="community.name")
    cadres = serializers.IntegerField()
    reserves = serializers.IntegerField()
    ratio_met = serializers.BooleanField()
    young_college = serializers.IntegerField()
    young_college_met = serializers.BooleanField()


@extend_schema(tags=["branch life"])
class ReserveCadreViewSet(_ApiViewSet):
    """Reserve cadres (后备干部): sign-up → eligibility → written test → interview → inspection."""

    serializer_class = ReserveCadreSerializer
    permission_classes = [ScopedAction]
    collection_actions = {
        "list": Action.VIEW_BRANCH,
        "create": Action.MANAGE_BRANCH,
        "check": Action.VIEW_BRANCH,
    }
    object_actions = {"retrieve": Action.VIEW_BRANCH, "advance": Action.MANAGE_BRANCH}

    def get_queryset(self):
        return selectors.reserve_list(actor=self.request.user)

    def get_object(self):
        cadre = selectors.reserve_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, cadre)
        return cadre

    def list(self, request):
        return self._page(selectors.reserve_list(actor=request.user))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        cadre = services.reserve_signup(
            actor=request.user,
            resident=data["resident"],
            community=data["place"],
            education=data["education"],
        )
        return self._render(cadre, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ReserveAdvanceSerializer, responses=ReserveCadreSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk):
        cadre = self.get_object()
        data = self._body(ReserveAdvanceSerializer)
        return self._render(services.reserve_advance(actor=request.user, cadre=cadre, **data))

    @extend_schema(responses=ReserveCheckSerializer(many=True))
    @action(detail=False, methods=["get"])
    def check(self, request):
        """Per community: reserves per cadre (1:1) and one reserve around 30 with college education."""
        return Response(ReserveCheckSerializer(selectors.reserve_check(actor=request.user), many=True).data)


# --- 特困党员帮扶 ---------------------------------------------------------------------------------


class HardshipSerializer(serializers.ModelSerializer):
    member = ScopedMemberField()
    member_name = serializers.CharField(source="member.resident.name", read_only=True)
    paid = serializers.SerializerMethodField()

    class Meta:
        model = HardshipApplication
        fields = [
            "id",
            "member",
            "member_name",
            "amount",
            "reason",
            "status",
            "applied_at",
            "decided_at",
            "approved_amount",
            "decision_note",
            "paid",
        ]
        read_only_fields = ["id", "status", "applied_at", "decided_at", "approved_amount", "decision_note"]

    def get_paid(self, obj) -> str:
        return str(sum((p.amount for p in obj.payments.all()), start=0))


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class PaySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    paid_on = serializers.DateField()


class TotalsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    payments = serializers.IntegerField()
    members = serializers.IntegerField()


@extend_schema(tags=["branch life"])
class HardshipFundViewSet(_ApiViewSet):
    """The hardship fund (特困党员帮扶): applications, decisions (never one's own), the payments ledger."""

    serializer_class = HardshipSerializer
    permission_classes = [ScopedAction]
    collection_actions = {
        "list": Action.VIEW_BRANCH,
        "create": Action.MANAGE_BRANCH,
        "totals": Action.VIEW_BRANCH,
    }
    object_actions = {
        "retrieve": Action.VIEW_BRANCH,
        "decide": Action.MANAGE_BRANCH,
        "pay": Action.MANAGE_BRANCH,
    }

    def get_queryset(self):
        return selectors.hardship_list(actor=self.request.user)

    def get_object(self):
        application = selectors.hardship_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, application)
        return application

    def list(self, request):
        return self._page(selectors.hardship_list(actor=request.user).prefetch_related("payments"))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        application = services.hardship_apply(actor=request.user, **data)
        return self._render(application, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=DecideSerializer, responses=HardshipSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        application = self.get_object()
        data = self._body(DecideSerializer)
        return self._render(services.hardship_decide(actor=request.user, application=application, **data))

    @extend_schema(request=PaySerializer, responses=HardshipSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk):
        application = self.get_object()
        data = self._body(PaySerializer)
        services.hardship_pay(actor=request.user, application=application, **data)
        return self._render(self.get_object())

    @extend_schema(responses=TotalsSerializer(many=True))
    @action(detail=False, methods=["get"])
    def totals(self, request):
        return Response(TotalsSerializer(selectors.hardship_totals(actor=request.user), many=True).data)
