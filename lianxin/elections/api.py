"""/api/v1/ endpoints of this module: elections (with their rounds and results), the superior's
decision on a report, and the terms due. Reads through lianxin.elections.selectors (out of scope
answers 404 like missing); writes through lianxin.elections.services. Ballots are not exposed: a
ballot has no owner to show, and the counts are on the rounds."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action

from lianxin.api.permissions import ScopedAction
from lianxin.api.serializers import QuerySerializer
from lianxin.api.views import _ApiViewSet

from . import selectors, services
from .actions import ElectionAction
from .models import Candidate, Election, ElectionStatus, Round, RoundCandidate, Term

VIEW, APPROVE = ElectionAction.VIEW, ElectionAction.APPROVE


class ElectionCandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = ["id", "name", "source", "signer_count", "vetting", "vetting_reason", "on_slate", "elected"]
        read_only_fields = fields


class ElectionRoundEntrySerializer(serializers.ModelSerializer):
    candidate = serializers.CharField(source="candidate.name", read_only=True)

    class Meta:
        model = RoundCandidate
        fields = ["candidate", "votes_for", "votes_against", "abstain", "outcome"]
        read_only_fields = fields


class ElectionRoundSerializer(serializers.ModelSerializer):
    entries = ElectionRoundEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "number",
            "kind",
            "body",
            "seats",
            "status",
            "held_on",
            "entitled",
            "present",
            "quorum_needed",
            "votes_needed",
            "ballots",
            "blank",
            "invalid",
            "explanation",
            "entries",
        ]
        read_only_fields = fields


class ElectionSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    candidates = ElectionCandidateSerializer(many=True, read_only=True)
    rounds = ElectionRoundSerializer(many=True, read_only=True)

    class Meta:
        model = Election
        fields = [
            "id",
            "organization",
            "organization_name",
            "title",
            "procedure",
            "mark_mode",
            "seats",
            "min_extra_percent",
            "term_years",
            "status",
            "meeting_on",
            "decision_note",
            "candidates",
            "rounds",
        ]
        read_only_fields = fields


class ElectionDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ElectionFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=ElectionStatus.choices, required=False)


class ElectionTermSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Term
        fields = ["id", "organization", "organization_name", "started_on", "due_on", "years", "status"]
        read_only_fields = fields


class ElectionTermFilterSerializer(QuerySerializer):
    due_within_months = serializers.IntegerField(required=False, min_value=0, max_value=120)


@extend_schema(tags=["elections"])
class ElectionViewSet(_ApiViewSet):
    """Election projects (D3 换届) with candidates, rounds and results."""

    serializer_class = ElectionSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW}
    object_actions = {"retrieve": VIEW, "decide": APPROVE}

    def get_queryset(self):
        return selectors.election_list(actor=self.request.user)

    def get_object(self):
        election = selectors.election_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, election)
        return election

    @extend_schema(parameters=[ElectionFilterSerializer])
    def list(self, request):
        filters = self._query(ElectionFilterSerializer)
        return self._page(
            selectors.election_list(actor=request.user, status=filters.get("status", "")).prefetch_related(
                "candidates", "rounds__entries__candidate"
            )
        )

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    @extend_schema(request=ElectionDecisionSerializer, responses=ElectionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk):
        """The superior's officer approves the reported result (the new term starts) or returns it."""
        election = self.get_object()
        services.report_decide(
            actor=request.user, election=election, **self._body(ElectionDecisionSerializer)
        )
        return self._render(
            selectors.election_get(actor=request.user, pk=election.pk), status_code=status.HTTP_200_OK
        )


@extend_schema(tags=["elections"])
class ElectionTermViewSet(_ApiViewSet):
    """Current terms of the organizations in scope, the soonest due first."""

    serializer_class = ElectionTermSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": VIEW}
    object_actions: dict = {}

    def get_queryset(self):
        return selectors.term_list(actor=self.request.user)

    @extend_schema(parameters=[ElectionTermFilterSerializer])
    def list(self, request):
        filters = self._query(ElectionTermFilterSerializer)
        return self._page(
            selectors.term_list(actor=request.user, due_within_months=filters.get("due_within_months"))
        )


def register(router) -> None:
    """Add this module's viewsets to the v1 router."""
    router.register("elections/terms", ElectionTermViewSet, basename="election-term")
    router.register("elections", ElectionViewSet, basename="election")
