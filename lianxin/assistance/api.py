"""/api/v1/ endpoints of this module: programmes, cases (with their transition actions), objections,
relatives and pairings (D6). Reads go through lianxin.assistance.selectors (404 outside the caller's
subtree), writes through lianxin.assistance.services (access, validation, audit)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from lianxin.accounts.models import User
from lianxin.api.permissions import ANYONE, ScopedAction
from lianxin.api.serializers import QuerySerializer, _ScopedRelatedField
from lianxin.api.views import _ApiViewSet
from lianxin.core import access
from lianxin.registry.models import Household, PartyMember, Resident

from . import selectors, services
from .actions import AssistanceAction as A
from .models import (
    Case,
    CaseEvent,
    Investigation,
    Notice,
    Objection,
    Pairing,
    PairingAction,
    PairingNote,
    PanelRole,
    PanelVote,
    Programme,
    ProgrammeStep,
    Relation,
    RelativeDeclaration,
    VoteChoice,
)


class _Households(_ScopedRelatedField):
    def __init__(self, action=A.HANDLE, **kwargs):
        self.scope_action = action
        super().__init__(queryset=Household.objects.none(), **kwargs)

    def scoped(self, user):
        return access.restrict(Household.objects.all(), user, self.scope_action)


class _Residents(_ScopedRelatedField):
    def __init__(self, action=A.HANDLE, **kwargs):
        self.scope_action = action
        super().__init__(queryset=Resident.objects.none(), **kwargs)

    def scoped(self, user):
        return access.restrict(Resident.objects.all(), user, self.scope_action)


class _Members(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyMember.objects.none(), **kwargs)

    def scoped(self, user):
        return access.restrict(PartyMember.objects.all(), user, A.PAIR)


class _Users(serializers.PrimaryKeyRelatedField):
    """Any active user; the service checks that they act here and are not recused."""

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)


# --- programmes ----------------------------------------------------------------------------------


class AssistanceStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeStep
        fields = [
            "order",
            "code",
            "name",
            "kind",
            "roles",
            "level",
            "deadline_days",
            "required_documents",
            "is_public",
            "sampled",
            "four_eyes",
        ]
        read_only_fields = fields


class AssistanceProgrammeSerializer(serializers.ModelSerializer):
    steps = AssistanceStepSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "name",
            "description",
            "notice_days",
            "review_months",
            "pays_monthly",
            "active",
            "steps",
        ]
        read_only_fields = ["id", "code", "pays_monthly", "steps"]


@extend_schema(tags=["assistance"])
class ProgrammeViewSet(_ApiViewSet):
    """Assistance programmes as data: steps, who acts at each (roles and place level), deadlines in
    working days, required documents and which steps are public."""

    serializer_class = AssistanceProgrammeSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW}

    def get_queryset(self):
        return selectors.programme_list()

    def get_object(self):
        # Programmes are not place-scoped: anyone who may view cases reads them; editing is checked
        # by the service (district level).
        access.require(self.request.user, A.VIEW)
        try:
            return selectors.programme_list().get(pk=self.kwargs["pk"])
        except Programme.DoesNotExist:
            raise Http404 from None

    def list(self, request):
        return self._page(selectors.programme_list())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def partial_update(self, request, pk):
        programme = self.get_object()
        data = self._body(partial=True)
        return self._render(services.programme_update(actor=request.user, programme=programme, **data))


# --- cases -------------------------------------------------------------------------------------------


class AssistanceEventSerializer(serializers.ModelSerializer):
    from_step = serializers.CharField(source="from_step.code", default=None, read_only=True)
    to_step = serializers.CharField(source="to_step.code", default=None, read_only=True)
    actor_name = serializers.CharField(source="actor", default=None, read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["kind", "from_step", "to_step", "actor", "actor_name", "at", "reason"]
        read_only_fields = fields


class AssistanceVoteSerializer(serializers.ModelSerializer):
    voter = _Users(required=False, allow_null=True)

    class Meta:
        model = PanelVote
        fields = ["id", "voter_name", "voter", "panel_role", "choice", "comment", "round"]
        read_only_fields = ["id", "round"]
        extra_kwargs = {"voter_name": {"required": False}, "comment": {"required": False}}


class AssistanceNoticeSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "masked_name",
            "community_name",
            "programme_name",
            "amount",
            "reason_category",
            "starts_on",
            "ends_on",
            "days",
            "withdrawn_at",
            "board_item_url",
            "url",
        ]
        read_only_fields = fields


class AssistanceInvestigationSerializer(serializers.ModelSerializer):
    composition = serializers.SerializerMethodField()
    income = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Investigation
        fields = [
            "first_investigator",
            "second_investigator",
            "visited_on",
            "household_size",
            "composition",
            "income",
            "health",
            "findings",
            "photos",
        ]
        read_only_fields = fields

    def get_composition(self, obj) -> str:
        return obj.masked("composition")

    def get_income(self, obj) -> str:
        return obj.masked("income")

    def get_health(self, obj) -> str:
        return obj.masked("health")

    def get_findings(self, obj) -> str:
        return obj.masked("findings")

    def get_photos(self, obj) -> int:
        return obj.photos.count()


class AssistanceCaseSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=_("open, approved, rejected or withdrawn."))
    programme = serializers.SlugRelatedField(
        slug_field="code", queryset=Programme.objects.filter(active=True)
    )
    household = _Households()
    applicant = _Residents()
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    step = serializers.CharField(source="step.code", read_only=True, default=None)
    step_name = serializers.CharField(source="step.name", read_only=True, default=None)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "programme",
            "household",
            "applicant",
            "applicant_name",
            "community_name",
            "reason_category",
            "reason",
            "amount",
            "step",
            "step_name",
            "status",
            "version",
            "due_on",
            "due_provisional",
            "overdue",
            "flagged",
            "flag_reasons",
            "full_review",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "step",
            "status",
            "version",
            "due_on",
            "due_provisional",
            "flagged",
            "flag_reasons",
            "full_review",
            "created_at",
        ]
        extra_kwargs = {"reason": {"required": False}, "amount": {"required": False}}

    def get_overdue(self, obj) -> bool:
        return obj.status == "open" and obj.is_overdue()


class AssistanceCaseDetailSerializer(AssistanceCaseSerializer):
    events = AssistanceEventSerializer(many=True, read_only=True)
    documents = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    investigation = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    notice = serializers.SerializerMethodField()
    can_act = serializers.SerializerMethodField()

    class Meta(AssistanceCaseSerializer.Meta):
        fields = [
            *AssistanceCaseSerializer.Meta.fields,
            "events",
            "documents",
            "investigation",
            "votes",
            "tally",
            "notice",
            "can_act",
        ]

    def get_investigation(self, obj) -> AssistanceInvestigationSerializer(allow_null=True):
        investigation = Investigation.objects.filter(case=obj).first()
        return AssistanceInvestigationSerializer(investigation).data if investigation else None

    def get_votes(self, obj) -> AssistanceVoteSerializer(many=True):
        return AssistanceVoteSerializer(obj.votes.filter(round=obj.vote_round), many=True).data

    def get_tally(self, obj) -> dict:
        result = services.tally(obj)
        return {key: result[key] for key in ("for", "against", "abstain", "total", "passed")}

    def get_notice(self, obj) -> AssistanceNoticeSerializer(allow_null=True):
        notice = services.current_notice(obj)
        return AssistanceNoticeSerializer(notice).data if notice else None

    def get_can_act(self, obj) -> bool:
        request = self.context.get("request")
        return bool(request and services.can_act(request.user, obj))


class AssistanceCaseFilterSerializer(QuerySerializer):
    programme = serializers.SlugRelatedField(
        slug_field="code", queryset=Programme.objects.all(), required=False
    )
    step = serializers.CharField(required=False, help_text=_("Step code, e.g. notice."))
    status = serializers.CharField(required=False)
    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)
    overdue = serializers.BooleanField(required=False, default=False)


class AssistanceAdvanceSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    review_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Findings of a full review (flagged cases)."),
    )
    documents = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    version = serializers.IntegerField(
        required=False, help_text=_("The version you saw; refused when it moved on.")
    )


class AssistanceReturnSerializer(serializers.Serializer):
    to_step = serializers.CharField(help_text=_("Code of the earlier step."))
    reason = serializers.CharField()


class AssistanceReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AssistanceInvestigationInputSerializer(serializers.Serializer):
    first_investigator = _Users()
    second_investigator = _Users()
    visited_on = serializers.DateField()
    household_size = serializers.IntegerField(min_value=1, max_value=30)
    composition = serializers.CharField(required=False, allow_blank=True, default="")
    income = serializers.CharField(required=False, allow_blank=True, default="")
    health = serializers.CharField(required=False, allow_blank=True, default="")
    findings = serializers.CharField()
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class AssistanceNoticeInputSerializer(serializers.Serializer):
    starts_on = serializers.DateField(required=False, allow_null=True)


class AssistanceRevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=sorted(Investigation.SENSITIVE_FIELDS))
    reason = serializers.CharField()


class AssistanceRevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


@extend_schema(tags=["assistance"])
class CaseViewSet(_ApiViewSet):
    """Assistance cases and their transitions: advance (pass the current step), return (to an earlier
    step, with a reason), reject; the investigation, panel votes and the public notice."""

    serializer_class = AssistanceCaseSerializer
    permission_classes = [ScopedAction]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    collection_actions = {"list": A.VIEW, "create": A.HANDLE}
    object_actions = {
        name: A.VIEW
        for name in (
            "retrieve",
            "advance",
            "send_back",
            "reject",
            "investigation",
            "reveal",
            "votes",
            "notice",
        )
    }

    def get_queryset(self):
        return selectors.case_list(actor=self.request.user)

    def get_object(self):
        case = selectors.case_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, case)
        return case

    def _detail(self, case, status_code=status.HTTP_200_OK):
        return self._render(
            selectors.case_get(actor=self.request.user, pk=case.pk),
            AssistanceCaseDetailSerializer,
            status_code,
        )

    @extend_schema(parameters=[AssistanceCaseFilterSerializer])
    def list(self, request):
        filters = self._query(AssistanceCaseFilterSerializer)
        return self._page(
            selectors.case_list(
                actor=request.user,
                programme=filters.get("programme"),
                step_code=filters.get("step", ""),
                status=filters.get("status", ""),
                flagged=filters.get("flagged"),
                overdue=filters["overdue"],
            )
        )

    @extend_schema(responses=AssistanceCaseDetailSerializer)
    def retrieve(self, request, pk):
        return self._detail(self.get_object())

    @extend_schema(responses={201: AssistanceCaseDetailSerializer})
    def create(self, request):
        data = self._body()
        case = services.case_open(
            actor=request.user,
            programme=data["programme"],
            household=data["household"],
            applicant=data["applicant"],
            reason_category=data["reason_category"],
            reason=data.get("reason", ""),
            amount=data.get("amount"),
        )
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceAdvanceSerializer, responses=AssistanceCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk):
        """Pass the current step (only to the next one). 公示 passes only after its period, with every
        objection answered."""
        case = self.get_object()
        data = self._body(AssistanceAdvanceSerializer)
        moved = services.case_advance(
            actor=request.user,
            case=case,
            note=data["note"],
            review_note=data["review_note"],
            documents=data["documents"],
            amount=data.get("amount"),
            expected_version=data.get("version"),
        )
        return self._detail(moved)

    @extend_schema(request=AssistanceReturnSerializer, responses=AssistanceCaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def send_back(self, request, pk):
        """Return the case to an earlier step, with a reason."""
        case = self.get_object()
        data = self._body(AssistanceReturnSerializer)
        step = case.programme.steps.filter(code=data["to_step"]).first()
        if step is None:
            raise serializers.ValidationError({"to_step": [_("No such step in this programme.")]})
        return self._detail(
            services.case_return(actor=request.user, case=case, to_step=step, reason=data["reason"])
        )

    @extend_schema(request=AssistanceReasonSerializer, responses=AssistanceCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk):
        case = self.get_object()
        data = self._body(AssistanceReasonSerializer)
        return self._detail(services.case_reject(actor=request.user, case=case, reason=data["reason"]))

    @extend_schema(request=AssistanceInvestigationInputSerializer, responses=AssistanceCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def investigation(self, request, pk):
        """Record the home investigation (two investigators; photos as multipart ``photos``)."""
        case = self.get_object()
        data = self._body(AssistanceInvestigationInputSerializer)
        services.investigation_record(actor=request.user, case=case, **data)
        return self._detail(case)

    @extend_schema(request=AssistanceRevealSerializer, responses=AssistanceRevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk):
        """The clear value of one sensitive finding, for a reason; every call is audited."""
        case = self.get_object()
        data = self._body(AssistanceRevealSerializer)
        investigation = Investigation.objects.filter(case=case).first()
        if investigation is None:
            raise serializers.ValidationError({"field": [_("No investigation is recorded.")]})
        value = services.investigation_reveal(
            actor=request.user, investigation=investigation, field=data["field"], reason=data["reason"]
        )
        response = Response(AssistanceRevealedSerializer({"field": data["field"], "value": value}).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=AssistanceVoteSerializer, responses={201: AssistanceVoteSerializer})
    @action(detail=True, methods=["post"])
    def votes(self, request, pk):
        """Record one panel member's vote (by name)."""
        case = self.get_object()
        data = self._body(AssistanceVoteSerializer)
        vote = services.vote_record(
            actor=request.user,
            case=case,
            voter_name=data.get("voter_name", ""),
            voter=data.get("voter"),
            panel_role=data.get("panel_role", PanelRole.MEMBER),
            choice=data.get("choice", VoteChoice.FOR),
            comment=data.get("comment", ""),
        )
        return self._render(vote, AssistanceVoteSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceNoticeInputSerializer, responses={201: AssistanceNoticeSerializer})
    @action(detail=True, methods=["post"])
    def notice(self, request, pk):
        """Publish the public notice (公示) for the programme's number of working days."""
        case = self.get_object()
        data = self._body(AssistanceNoticeInputSerializer)
        notice = services.notice_publish(actor=request.user, case=case, starts_on=data.get("starts_on"))
        return self._render(notice, AssistanceNoticeSerializer, status.HTTP_201_CREATED)


# --- objections -------------------------------------------------------------------------------------


class AssistanceObjectionSerializer(serializers.ModelSerializer):
    notice = serializers.PrimaryKeyRelatedField(queryset=Notice.objects.filter(withdrawn_at__isnull=True))
    case = serializers.IntegerField(source="notice.case_id", read_only=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, default="")

    class Meta:
        model = Objection
        fields = [
            "id",
            "notice",
            "case",
            "text",
            "anonymous",
            "name",
            "phone",
            "filed_at",
            "answer",
            "upheld",
            "answered_at",
        ]
        read_only_fields = ["id", "case", "filed_at", "answer", "upheld", "answered_at"]
        extra_kwargs = {"name": {"required": False}, "anonymous": {"required": False}}


class AssistanceAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    upheld = serializers.BooleanField(required=False, default=False)


class AssistanceObjectionFilterSerializer(QuerySerializer):
    unanswered = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["assistance"])
class ObjectionViewSet(_ApiViewSet):
    """Objections to public notices: anyone signed in may file one (anonymous allowed); the community
    answers; a case cannot pass 公示 while one is unanswered."""

    serializer_class = AssistanceObjectionSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": ANYONE}
    object_actions = {"retrieve": A.VIEW, "answer": A.HANDLE}

    def get_queryset(self):
        return selectors.objection_list(actor=self.request.user)

    def get_object(self):
        objection = selectors.objection_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, objection)
        return objection

    @extend_schema(parameters=[AssistanceObjectionFilterSerializer])
    def list(self, request):
        filters = self._query(AssistanceObjectionFilterSerializer)
        return self._page(selectors.objection_list(actor=request.user, unanswered=filters["unanswered"]))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        objection = services.objection_file(
            notice=data["notice"],
            text=data["text"],
            anonymous=data.get("anonymous", True),
            name=data.get("name", ""),
            phone=data.get("phone", ""),
        )
        return self._render(objection, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceAnswerSerializer, responses=AssistanceObjectionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk):
        objection = self.get_object()
        data = self._body(AssistanceAnswerSerializer)
        return self._render(
            services.objection_answer(
                actor=request.user, objection=objection, answer=data["answer"], upheld=data["upheld"]
            )
        )


# --- relatives ------------------------------------------------------------------------------------


class AssistanceRelativeSerializer(serializers.ModelSerializer):
    household = _Households(action=A.DECLARE)
    resident = _Residents(action=A.DECLARE, required=False, allow_null=True)
    declarant_name = serializers.CharField(source="declarant", read_only=True)
    relation = serializers.ChoiceField(choices=Relation.choices)

    class Meta:
        model = RelativeDeclaration
        fields = [
            "id",
            "declarant",
            "declarant_name",
            "household",
            "resident",
            "relation",
            "note",
            "declared_at",
            "ended_at",
        ]
        read_only_fields = ["id", "declarant", "declared_at", "ended_at"]
        extra_kwargs = {"note": {"required": False}}


@extend_schema(tags=["assistance"])
class RelativeViewSet(_ApiViewSet):
    """Relatives declared by staff, cadres and panel members (优亲厚友 checks). Each person sees their
    own; supervisors see those in their scope."""

    serializer_class = AssistanceRelativeSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.DECLARE, "create": A.DECLARE}
    object_actions = {"retrieve": ANYONE, "end": ANYONE}

    def get_queryset(self):
        return selectors.relative_list(actor=self.request.user)

    def get_object(self):
        declaration = selectors.relative_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, declaration)
        return declaration

    def list(self, request):
        return self._page(selectors.relative_list(actor=request.user))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        declaration = services.relative_declare(
            actor=request.user,
            household=data["household"],
            relation=data["relation"],
            resident=data.get("resident"),
            note=data.get("note", ""),
        )
        return self._render(declaration, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceReasonSerializer, responses=AssistanceRelativeSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk):
        declaration = self.get_object()
        data = self._body(AssistanceReasonSerializer)
        return self._render(
            services.relative_end(actor=request.user, declaration=declaration, reason=data["reason"])
        )


# --- pairings -------------------------------------------------------------------------------------


class AssistancePlanActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairingAction
        fields = ["id", "text", "due_on", "done_on"]
        read_only_fields = ["id", "done_on"]


class AssistanceNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairingNote
        fields = ["id", "text", "author", "at"]
        read_only_fields = ["id", "author", "at"]


class AssistancePairingSerializer(serializers.ModelSerializer):
    member = _Members()
    household = _Households(action=A.PAIR)
    member_name = serializers.CharField(source="member.resident.name", read_only=True)
    address = serializers.CharField(source="household.address_label", read_only=True)
    actions = AssistancePlanActionSerializer(many=True, required=False)
    notes = AssistanceNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "member",
            "member_name",
            "household",
            "address",
            "started_on",
            "ended_on",
            "plan",
            "actions",
            "notes",
        ]
        read_only_fields = ["id", "ended_on", "notes"]
        extra_kwargs = {"started_on": {"required": False}, "plan": {"required": False}}


class AssistanceCoverageSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="community.pk")
    community_name = serializers.CharField(source="community.name")
    total = serializers.IntegerField(help_text=_("Households with an active difficulty."))
    paired = serializers.IntegerField()
    percent = serializers.IntegerField()


@extend_schema(tags=["assistance"])
class PairingViewSet(_ApiViewSet):
    """一联一: a party member paired with a household in difficulty, with plan actions, progress notes
    and coverage per community."""

    serializer_class = AssistancePairingSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.PAIR, "coverage": A.VIEW}
    object_actions = {"retrieve": A.VIEW, "plan_action": A.PAIR, "note": A.VIEW, "end": A.PAIR}

    def get_queryset(self):
        return selectors.pairing_list(actor=self.request.user)

    def get_object(self):
        pairing = selectors.pairing_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, pairing)
        return pairing

    def list(self, request):
        return self._page(selectors.pairing_list(actor=request.user).prefetch_related("actions", "notes"))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        pairing = services.pairing_create(
            actor=request.user,
            member=data["member"],
            household=data["household"],
            plan=data.get("plan", ""),
            started_on=data.get("started_on"),
            actions=[(a["text"], a["due_on"]) for a in data.get("actions", [])],
        )
        return self._render(pairing, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AssistancePlanActionSerializer, responses={201: AssistancePlanActionSerializer})
    @action(detail=True, methods=["post"], url_path="actions", url_name="actions")
    def plan_action(self, request, pk):
        pairing = self.get_object()
        data = self._body(AssistancePlanActionSerializer)
        made = services.pairing_action_add(
            actor=request.user, pairing=pairing, text=data["text"], due_on=data["due_on"]
        )
        return self._render(made, AssistancePlanActionSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceNoteSerializer, responses={201: AssistanceNoteSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request, pk):
        pairing = self.get_object()
        data = self._body(AssistanceNoteSerializer)
        made = services.pairing_note_add(actor=request.user, pairing=pairing, text=data["text"])
        return self._render(made, AssistanceNoteSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=AssistanceReasonSerializer, responses=AssistancePairingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk):
        pairing = self.get_object()
        data = self._body(AssistanceReasonSerializer)
        return self._render(services.pairing_end(actor=request.user, pairing=pairing, reason=data["reason"]))

    @extend_schema(responses=AssistanceCoverageSerializer(many=True))
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        """Per community: households in difficulty, how many are paired, and the percentage."""
        return Response(
            AssistanceCoverageSerializer(selectors.pairing_coverage(actor=request.user), many=True).data
        )


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("programmes", ProgrammeViewSet, basename="programme")
    router.register("cases", CaseViewSet, basename="case")
    router.register("objections", ObjectionViewSet, basename="objection")
    router.register("relatives", RelativeViewSet, basename="relative")
    router.register("pairings", PairingViewSet, basename="pairing")
