"""/api/v1/ endpoints of this module: resolutions (the 4+2 chain: stage actions, votes), charters,
departure audits. Reads through lianxin.decisions.selectors (out of scope answers 404 like
missing); writes through lianxin.decisions.services, which check access again, validate (400 with
the field named) and audit."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.api.permissions import ScopedAction
from lianxin.api.serializers import QuerySerializer, _ScopedRelatedField
from lianxin.api.views import _ApiViewSet
from lianxin.places.models import Place

from . import selectors, services
from .actions import DecisionAction
from .models import (
    AuditResult,
    Charter,
    DecisionBody,
    DepartureAudit,
    Matter,
    MatterCategory,
    MatterStatus,
    Representative,
    StageRecord,
    VoteChoice,
)

VIEW, RECORD = DecisionAction.VIEW, DecisionAction.RECORD


class ScopedCommunityField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Place.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.communities(actor=user, action=RECORD)


class ScopedRepresentativeField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Representative.objects.none(), **kwargs)

    def scoped(self, user):
        return selectors.representative_list(actor=user)


class DecisionStageRecordSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = StageRecord
        fields = [
            "id",
            "stage",
            "held_on",
            "location",
            "rule_code",
            "entitled",
            "present",
            "votes_for",
            "votes_against",
            "abstain",
            "quorum_met",
            "passed",
            "complete",
            "skipped",
            "explanation",
            "household_tally",
            "notes",
            "published_url",
            "posted_days",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ResolutionSerializer(serializers.ModelSerializer):
    place = ScopedCommunityField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", queryset=MatterCategory.objects.all())
    mandatory = serializers.BooleanField(source="category.mandatory", read_only=True)
    double_ballot = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Empty: as the category says.")
    )
    records = DecisionStageRecordSerializer(many=True, read_only=True)

    class Meta:
        model = Matter
        fields = [
            "id",
            "place",
            "place_name",
            "title",
            "category",
            "mandatory",
            "description",
            "decision_body",
            "double_ballot",
            "status",
            "draft",
            "comments_until",
            "created_at",
            "records",
        ]
        read_only_fields = ["id", "status", "draft", "comments_until", "created_at"]
        extra_kwargs = {"description": {"required": False}, "decision_body": {"required": False}}


class DecisionStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=[
            ("proposal", "proposal"),
            ("deliberation", "deliberation"),
            ("review", "review"),
            ("decision", "decision"),
        ],
        help_text=_("The stage the matter waits for; any other is refused (stages run in order)."),
    )
    held_on = serializers.DateField()
    location = serializers.CharField(required=False, allow_blank=True, max_length=120)
    entitled = serializers.IntegerField(min_value=1)
    present = serializers.IntegerField(min_value=0)
    votes_for = serializers.IntegerField(min_value=0)
    votes_against = serializers.IntegerField(min_value=0, required=False, default=0)
    abstain = serializers.IntegerField(min_value=0, required=False, default=0)
    notes = serializers.CharField(required=False, allow_blank=True)


class DecisionPublishSerializer(serializers.Serializer):
    text = serializers.CharField()
    published_on = serializers.DateField(required=False)


class ResolutionPublishSerializer(DecisionPublishSerializer):
    posted_days = serializers.IntegerField(required=False, min_value=1, max_value=90)


class DecisionReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class DecisionCastSerializer(serializers.Serializer):
    representative = ScopedRepresentativeField()
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class DecisionCastResultSerializer(serializers.Serializer):
    cast = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(child=serializers.IntegerField())


class DecisionTallySerializer(serializers.Serializer):
    entitled = serializers.IntegerField()
    voted = serializers.IntegerField()
    votes_for = serializers.IntegerField(source="for")
    against = serializers.IntegerField()
    abstain = serializers.IntegerField()
    direct = serializers.IntegerField()
    by_representative = serializers.IntegerField()
    quorum_met = serializers.BooleanField()
    passed = serializers.BooleanField()
    explanation = serializers.CharField()


class DecisionCodesIssuedSerializer(serializers.Serializer):
    issued = serializers.IntegerField()


class DecisionResolutionFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=[("open", "open"), *MatterStatus.choices], required=False)


@extend_schema(tags=["decisions"])
class ResolutionViewSet(_ApiViewSet):
    """Matters on the 4+2 chain (D8) with each stage's record, the rule applied and why."""

    serializer_class = ResolutionSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RECORD}
    object_actions = {
        "retrieve": VIEW,
        "tally": VIEW,
        "stage": RECORD,
        "skip": RECORD,
        "resolution": RECORD,
        "result": RECORD,
        "votes": RECORD,
        "ballot_codes": RECORD,
    }

    def get_queryset(self):
        return selectors.matter_list(actor=self.request.user)

    def get_object(self):
        matter = selectors.matter_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, matter)
        return matter

    @extend_schema(parameters=[DecisionResolutionFilterSerializer])
    def list(self, request):
        filters = self._query(DecisionResolutionFilterSerializer)
        return self._page(
            selectors.matter_list(actor=request.user, status=filters.get("status", "")).prefetch_related(
                Prefetch("records", queryset=StageRecord.objects.select_related("recorded_by"))
            )
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        """Put a new matter on the chain."""
        data = self._body()
        matter = services.matter_create(
            actor=request.user,
            place=data["place"],
            title=data["title"],
            category=data["category"],
            description=data.get("description", ""),
            decision_body=data.get("decision_body", DecisionBody.REPRESENTATIVES),
            double_ballot=data.get("double_ballot"),
        )
        return self._render(matter, status_code=status.HTTP_201_CREATED)

    def _reload(self, matter):
        return self._render(selectors.matter_get(actor=self.request.user, pk=matter.pk))

    @extend_schema(request=DecisionStageSerializer, responses=ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request, pk):
        """Record the meeting and votes of the stage the matter waits for; the answer carries the
        rule applied and the explanation."""
        matter = self.get_object()
        services.stage_record(actor=request.user, matter=matter, **self._body(DecisionStageSerializer))
        return self._reload(matter)

    @extend_schema(request=DecisionReasonSerializer, responses=ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk):
        """Skip the party member meeting or the residents' vote (never for mandatory categories)."""
        matter = self.get_object()
        services.stage_skip(actor=request.user, matter=matter, **self._body(DecisionReasonSerializer))
        return self._reload(matter)

    @extend_schema(request=ResolutionPublishSerializer, responses=ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def resolution(self, request, pk):
        """+1: publish the resolution on the board."""
        matter = self.get_object()
        services.resolution_publish(
            actor=request.user, matter=matter, **self._body(ResolutionPublishSerializer)
        )
        return self._reload(matter)

    @extend_schema(request=DecisionPublishSerializer, responses=ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request, pk):
        """+2: publish the implementation result and mark the matter implemented."""
        matter = self.get_object()
        services.result_publish(actor=request.user, matter=matter, **self._body(DecisionPublishSerializer))
        return self._reload(matter)

    @extend_schema(request=DecisionCastSerializer, responses=DecisionCastResultSerializer)
    @action(detail=True, methods=["post"])
    def votes(self, request, pk):
        """A representative casts the votes of their households (double ballot)."""
        matter = self.get_object()
        result = services.representative_cast(
            actor=request.user, matter=matter, **self._body(DecisionCastSerializer)
        )
        return Response(DecisionCastResultSerializer(result).data)

    @extend_schema(request=None, responses=DecisionCodesIssuedSerializer)
    @action(detail=True, methods=["post"], url_path="ballot-codes")
    def ballot_codes(self, request, pk):
        """Issue one-time ballot codes to the households without one."""
        matter = self.get_object()
        return Response({"issued": services.ballot_codes_issue(actor=request.user, matter=matter)})

    @extend_schema(responses=DecisionTallySerializer)
    @action(detail=True, methods=["get"])
    def tally(self, request, pk):
        """The household tally so far."""
        return Response(DecisionTallySerializer(services.household_tally(self.get_object())).data)


class CharterSerializer(serializers.ModelSerializer):
    place = ScopedCommunityField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    effective_from = serializers.DateField(required=False)

    class Meta:
        model = Charter
        fields = [
            "id",
            "place",
            "place_name",
            "version",
            "title",
            "text",
            "adopted_by",
            "adopted_on",
            "effective_from",
            "change_note",
            "published_url",
            "recorded_at",
        ]
        read_only_fields = ["id", "version", "published_url", "recorded_at"]
        extra_kwargs = {"change_note": {"required": False}}


@extend_schema(tags=["decisions"])
class CharterViewSet(_ApiViewSet):
    """Versions of the residents' self-government charter (居民自治章程); a new version, never an edit."""

    serializer_class = CharterSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RECORD}
    object_actions = {"retrieve": VIEW}

    def get_queryset(self):
        return selectors.charter_list(actor=self.request.user)

    def get_object(self):
        charter = selectors.charter_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, charter)
        return charter

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        charter = services.charter_adopt(
            actor=request.user,
            place=data["place"],
            title=data["title"],
            text=data["text"],
            adopted_by=data["adopted_by"],
            adopted_on=data["adopted_on"],
            effective_from=data.get("effective_from"),
            change_note=data.get("change_note", ""),
        )
        return self._render(charter, status_code=status.HTTP_201_CREATED)


class DepartureAuditSerializer(serializers.ModelSerializer):
    place = ScopedCommunityField()
    place_name = serializers.CharField(source="place.name", read_only=True)
    result = serializers.ChoiceField(choices=AuditResult.choices)

    class Meta:
        model = DepartureAudit
        fields = [
            "id",
            "place",
            "place_name",
            "cadre_name",
            "post",
            "period_start",
            "period_end",
            "auditor",
            "findings",
            "result",
            "summary",
            "published_at",
            "published_url",
        ]
        read_only_fields = ["id", "published_at", "published_url"]


@extend_schema(tags=["decisions"])
class DepartureAuditViewSet(_ApiViewSet):
    """Departure audits of residents' committee cadres (离任审计); the result is published once."""

    serializer_class = DepartureAuditSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW, "create": RECORD}
    object_actions = {"retrieve": VIEW, "publish": RECORD}

    def get_queryset(self):
        return selectors.departure_audit_list(actor=self.request.user)

    def get_object(self):
        row = selectors.departure_audit_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, row)
        return row

    def list(self, request):
        return self._page(self.get_queryset())

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        row = services.departure_audit_create(actor=request.user, **data)
        return self._render(row, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DepartureAuditSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk):
        row = services.departure_audit_publish(actor=request.user, departure_audit=self.get_object())
        return self._render(row)


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("resolutions", ResolutionViewSet, basename="resolution")
    router.register("charters", CharterViewSet, basename="charter")
    router.register("departure-audits", DepartureAuditViewSet, basename="departure-audit")
