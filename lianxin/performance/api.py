"""/api/v1/ endpoints of this module (D10): goals, commitments, evaluations, ballots, commendations,
accountability. Reads through lianxin.performance.selectors (out of scope answers 404 like missing),
writes through lianxin.performance.services (which check access again, validate and audit)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.api.permissions import ScopedAction
from lianxin.api.serializers import QuerySerializer, _ScopedRelatedField
from lianxin.api.views import _ApiViewSet
from lianxin.core import access

from . import selectors, services
from .actions import PerformanceAction as A
from .models import (
    AccountabilityCase,
    BallotChannel,
    CaseOutcome,
    Commendation,
    Criterion,
    EvaluationCycle,
    Goal,
    GoalItem,
    MemberGroup,
    Satisfaction,
)


class _OrgField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.places.models import PartyOrganization

        super().__init__(queryset=PartyOrganization.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.organizations(actor=user)


class _PlaceField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.places.models import Place

        super().__init__(queryset=Place.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.places(actor=user)


class _MemberField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        from lianxin.registry.models import PartyMember

        super().__init__(queryset=PartyMember.objects.none(), **kwargs)

    def scoped(self, user):
        from lianxin.registry.models import PartyMember

        return access.restrict(PartyMember.objects.all(), user, A.MANAGE)


# --- goals ---------------------------------------------------------------------------------------


class GoalItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoalItem
        fields = ["id", "project", "target", "lead", "due_on", "practical", "progress", "completed_on"]
        read_only_fields = ["id", "progress", "completed_on"]


class GoalSerializer(serializers.ModelSerializer):
    organization = _OrgField()
    items = GoalItemSerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "organization",
            "year",
            "title",
            "letter_issued_by",
            "letter_signed_on",
            "letter_signed_by",
            "items",
        ]
        read_only_fields = ["id", "letter_signed_on", "letter_signed_by", "items"]
        extra_kwargs = {"letter_issued_by": {"required": False}}


class PerfProgressSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    progress = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField()


class PerfSignSerializer(serializers.Serializer):
    signed_by = serializers.CharField(max_length=120)
    signed_on = serializers.DateField()


class PerfCompletionQuerySerializer(QuerySerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    level = serializers.ChoiceField(choices=["district", "subdistrict", "community"], required=False)


class PerfCompletionRowSerializer(serializers.Serializer):
    path = serializers.CharField()
    name = serializers.CharField()
    items = serializers.IntegerField()
    due = serializers.IntegerField()
    done = serializers.IntegerField()
    practical = serializers.IntegerField()
    practical_done = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    meets_benchmark = serializers.BooleanField()


@extend_schema(tags=["five systems"])
class GoalViewSet(_ApiViewSet):
    """Yearly goals per organization with their items (目标责任制)."""

    serializer_class = GoalSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE, "completion": A.VIEW}
    object_actions = {"retrieve": A.VIEW, "items": A.MANAGE, "progress": A.MANAGE, "sign": A.MANAGE}

    def get_queryset(self):
        return selectors.goal_list(actor=self.request.user)

    def get_object(self):
        goal = selectors.goal_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, goal)
        return goal

    def list(self, request):
        return self._page(self.get_queryset().prefetch_related("items"))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        goal = services.goal_create(actor=request.user, **data)
        return self._render(goal, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=GoalItemSerializer, responses={201: GoalSerializer})
    @action(detail=True, methods=["post"])
    def items(self, request, pk):
        """Add an item: project, target, lead person, due date, 实事 flag."""
        goal = self.get_object()
        services.goal_item_add(actor=request.user, goal=goal, **self._body(GoalItemSerializer))
        return self._render(goal, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PerfProgressSerializer, responses=GoalSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk):
        """A progress update on one of the goal's items (100 completes it)."""
        goal = self.get_object()
        data = self._body(PerfProgressSerializer)
        item = goal.items.filter(pk=data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": ["这个目标没有该项。"]})
        services.goal_progress(actor=request.user, item=item, progress=data["progress"], note=data["note"])
        return self._render(goal)

    @extend_schema(request=PerfSignSerializer, responses=GoalSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk):
        """Record the signing of the responsibility letter."""
        goal = services.goal_letter_sign(
            actor=request.user, goal=self.get_object(), **self._body(PerfSignSerializer)
        )
        return self._render(goal)

    @extend_schema(
        parameters=[PerfCompletionQuerySerializer], responses=PerfCompletionRowSerializer(many=True)
    )
    @action(detail=False, methods=["get"])
    def completion(self, request):
        """Completion rates per community, subdistrict or district (benchmark 95%)."""
        query = self._query(PerfCompletionQuerySerializer)
        rows = selectors.completion_rates(
            actor=request.user,
            year=query.get("year", timezone.localdate().year),
            level=query.get("level", "community"),
        )
        return Response(PerfCompletionRowSerializer(rows, many=True).data)


# --- commitments ---------------------------------------------------------------------------------


class PerfProblemSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class CommitmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    organization = _OrgField()
    member = _MemberField(required=False, allow_null=True)
    group = serializers.ChoiceField(choices=MemberGroup.choices, required=False)
    kind = serializers.CharField(required=False, help_text="yearly | instant | special")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    target = serializers.CharField(required=False, allow_blank=True)
    items = serializers.CharField(required=False, allow_blank=True)
    measures = serializers.CharField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(read_only=True)
    return_reasons = PerfProblemSerializer(many=True, read_only=True)
    board_url = serializers.CharField(read_only=True)


class PerfFulfilSerializer(serializers.Serializer):
    note = serializers.CharField()
    done = serializers.BooleanField(required=False, default=False)


class PerfTemplateSerializer(serializers.Serializer):
    group = serializers.CharField()
    target = serializers.CharField()
    items = serializers.CharField()
    measures = serializers.CharField()


@extend_schema(tags=["five systems"])
class CommitmentViewSet(_ApiViewSet):
    """Public commitments (公开承诺制): drafts, the quality check on publishing, fulfilment updates."""

    serializer_class = CommitmentSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE, "templates": A.VIEW}
    object_actions = {"retrieve": A.VIEW, "publish": A.MANAGE, "fulfil": A.MANAGE}

    def get_queryset(self):
        return selectors.commitment_list(actor=self.request.user)

    def get_object(self):
        commitment = selectors.commitment_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, commitment)
        return commitment

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        commitment = services.commitment_create(actor=request.user, **data)
        return self._render(commitment, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CommitmentSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk):
        """Run the quality check; publish, or return with the reasons (status "returned")."""
        commitment, _problems = services.commitment_publish(actor=request.user, commitment=self.get_object())
        return self._render(commitment)

    @extend_schema(request=PerfFulfilSerializer, responses=CommitmentSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk):
        """A fulfilment update (践诺)."""
        commitment = self.get_object()
        services.commitment_fulfil(
            actor=request.user, commitment=commitment, **self._body(PerfFulfilSerializer)
        )
        commitment.refresh_from_db()
        return self._render(commitment)

    @extend_schema(responses=PerfTemplateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def templates(self, request):
        """The starting texts per member kind."""
        rows = [{"group": group, **text} for group, text in services.TEMPLATES.items()]
        return Response(PerfTemplateSerializer(rows, many=True).data)


# --- evaluations and ballots -----------------------------------------------------------------------


class PerfResultSerializer(serializers.Serializer):
    evaluee = serializers.IntegerField(source="evaluee.pk")
    name = serializers.CharField(source="evaluee.name")
    self_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    peer_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    leader_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    public_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    votes = serializers.DictField(child=serializers.IntegerField())
    satisfaction_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    total = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    complete = serializers.BooleanField()


class PerfCycleSerializer(serializers.ModelSerializer):
    place = _PlaceField()
    results = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationCycle
        fields = [
            "id",
            "place",
            "year",
            "half",
            "title",
            "meeting_on",
            "weight_self",
            "weight_peer",
            "weight_leader",
            "weight_public",
            "status",
            "results",
        ]
        read_only_fields = ["id", "status", "results"]

    def get_results(self, cycle) -> list[dict]:
        if self.context.get("view") is not None and getattr(self.context["view"], "action", "") == "list":
            return []
        return PerfResultSerializer(selectors.cycle_results(cycle), many=True).data


class PerfEvalueeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    role = serializers.CharField(max_length=60, required=False, allow_blank=True)


class PerfScoreSerializer(serializers.Serializer):
    evaluee = serializers.IntegerField()
    kind = serializers.CharField(help_text="self | peer | leader")
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    comment = serializers.CharField(required=False, allow_blank=True)


class PerfCodesSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_CODES_PER_BATCH)


class PerfVoidSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=200)


class PerfBatchSerializer(serializers.Serializer):
    batch = serializers.IntegerField()


@extend_schema(tags=["five systems"])
class EvaluationViewSet(_ApiViewSet):
    """Half-yearly evaluations (一会四评): people evaluated, scores, ballot codes, weighted results."""

    serializer_class = PerfCycleSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE}
    object_actions = {
        "retrieve": A.VIEW,
        "evaluees": A.MANAGE,
        "scores": A.MANAGE,
        "codes": A.BALLOTS,
        "void": A.BALLOTS,
    }

    def get_queryset(self):
        return selectors.cycle_list(actor=self.request.user)

    def get_object(self):
        cycle = selectors.cycle_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, cycle)
        return cycle

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        weights = {k: data.pop(k) for k in list(data) if k.startswith("weight_")}
        cycle = services.cycle_create(actor=request.user, weights=weights or None, **data)
        return self._render(cycle, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PerfEvalueeSerializer, responses={201: PerfCycleSerializer})
    @action(detail=True, methods=["post"])
    def evaluees(self, request, pk):
        cycle = self.get_object()
        services.evaluee_add(actor=request.user, cycle=cycle, **self._body(PerfEvalueeSerializer))
        return self._render(cycle, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PerfScoreSerializer, responses=PerfCycleSerializer)
    @action(detail=True, methods=["post"])
    def scores(self, request, pk):
        """A self, peer or leader score (a leader review needs a comment)."""
        cycle = self.get_object()
        data = self._body(PerfScoreSerializer)
        evaluee = cycle.evaluees.filter(pk=data.pop("evaluee")).first()
        if evaluee is None:
            raise serializers.ValidationError({"evaluee": ["这次测评没有此人。"]})
        services.score_record(actor=request.user, evaluee=evaluee, **data)
        return self._render(cycle)

    @extend_schema(request=PerfCodesSerializer, responses={201: PerfBatchSerializer})
    @action(detail=True, methods=["post"])
    def codes(self, request, pk):
        """Issue one-time ballot codes; print them as slips from the web page."""
        batch = services.codes_issue(
            actor=request.user, cycle=self.get_object(), **self._body(PerfCodesSerializer)
        )
        return Response({"batch": batch}, status=status.HTTP_201_CREATED)

    @extend_schema(request=PerfVoidSerializer, responses=PerfCycleSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk):
        cycle = self.get_object()
        services.code_void(actor=request.user, cycle=cycle, **self._body(PerfVoidSerializer))
        return self._render(cycle)


class BallotSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    ratings = serializers.DictField(
        child=serializers.ChoiceField(choices=Satisfaction.choices),
        help_text="{evaluee id: satisfied | basically | dissatisfied}",
    )


class PerfBallotResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.CharField()


@extend_schema(tags=["five systems"])
class BallotViewSet(_ApiViewSet):
    """Paper ballots entered by staff: one per code; a used or voided code answers 400."""

    serializer_class = BallotSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"create": A.BALLOTS}
    object_actions: dict = {}

    def get_queryset(self):
        return EvaluationCycle.objects.none()

    @extend_schema(responses={201: PerfBallotResultSerializer})
    def create(self, request):
        data = self._body()
        ballot_id = services.ballot_cast(
            code=data["code"], ratings=data["ratings"], channel=BallotChannel.PAPER, actor=request.user
        )
        return Response({"id": ballot_id, "channel": BallotChannel.PAPER}, status=status.HTTP_201_CREATED)


# --- commendations and accountability --------------------------------------------------------------


class CommendationSerializer(serializers.ModelSerializer):
    place = _PlaceField()
    organization = _OrgField(required=False, allow_null=True)
    member = _MemberField(required=False, allow_null=True)
    honouree = serializers.CharField(read_only=True)
    criterion = serializers.ChoiceField(choices=Criterion.choices)

    class Meta:
        model = Commendation
        fields = [
            "id",
            "place",
            "year",
            "criterion",
            "organization",
            "member",
            "post_name",
            "deeds",
            "honouree",
            "status",
            "decided_on",
            "decision_note",
        ]
        read_only_fields = ["id", "status", "decided_on", "decision_note", "honouree"]
        extra_kwargs = {"post_name": {"required": False}}


class PerfDecideSerializer(serializers.Serializer):
    award = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=["five systems"])
class CommendationViewSet(_ApiViewSet):
    """Nominations and decisions (五个好, 五带头, 五个模范, red banner, model posts)."""

    serializer_class = CommendationSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "create": A.MANAGE}
    object_actions = {"retrieve": A.VIEW, "decide": A.DECIDE}

    def get_queryset(self):
        return selectors.commendation_list(actor=self.request.user)

    def get_object(self):
        item = selectors.commendation_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, item)
        return item

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        item = services.commendation_nominate(actor=request.user, **self._body())
        return self._render(item, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PerfDecideSerializer, responses=CommendationSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        """Award or decline; never one's own nomination."""
        item = services.commendation_decide(
            actor=request.user, commendation=self.get_object(), **self._body(PerfDecideSerializer)
        )
        return self._render(item)


class PerfCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountabilityCase
        fields = [
            "id",
            "source",
            "source_id",
            "subject",
            "person",
            "status",
            "suggested_at",
            "confirmed_at",
            "review",
            "outcome",
            "outcome_note",
            "closed_at",
        ]
        read_only_fields = fields


class PerfMoveSerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=["confirm", "dismiss", "close"])
    review = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(
        choices=CaseOutcome.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PerfSuggestSerializer(serializers.Serializer):
    suggested = serializers.IntegerField()


@extend_schema(tags=["five systems"])
class AccountabilityViewSet(_ApiViewSet):
    """Suggested accountability cases; a person confirms, reviews and records the outcome."""

    serializer_class = PerfCaseSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": A.VIEW, "suggest": A.MANAGE}
    object_actions = {"retrieve": A.VIEW, "move": A.DECIDE}

    def get_queryset(self):
        return selectors.case_list(actor=self.request.user)

    def get_object(self):
        case = selectors.case_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, case)
        return case

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=None, responses=PerfSuggestSerializer)
    @action(detail=False, methods=["post"])
    def suggest(self, request):
        """Look for new cases in the communities one manages."""
        count = sum(
            services.cases_suggest(actor=request.user, place=place)
            for place in selectors.places(actor=request.user).filter(kind="community")
        )
        return Response({"suggested": count})

    @extend_schema(request=PerfMoveSerializer, responses=PerfCaseSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk):
        case = services.case_move(
            actor=request.user, case=self.get_object(), **self._body(PerfMoveSerializer)
        )
        return self._render(case)


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("goals", GoalViewSet, basename="goal")
    router.register("commitments", CommitmentViewSet, basename="commitment")
    router.register("evaluations", EvaluationViewSet, basename="evaluation")
    router.register("ballots", BallotViewSet, basename="ballot")
    router.register("commendations", CommendationViewSet, basename="commendation")
    router.register("accountability", AccountabilityViewSet, basename="accountability")
