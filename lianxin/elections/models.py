"""Elections of party organizations (D3 换届): terms, election projects, candidates, rounds, secret
ballots.

Ballot secrecy is a property of the schema: a ``Ballot`` row knows its round and nothing else. No
user, member, code, entry token or timestamp is stored on it or on its marks; a one-time code
records only that it was used (no time), and a teller's entry token only that a form was submitted
for a round (tests/test_elections_services.py inspects the fields).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped


class TermStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    ENDED = "ended", _("Ended")


class Term(PlaceScoped):
    """A party organization's term of office: started, due for re-election (换届)."""

    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="terms",
        verbose_name=_("organization"),
    )
    started_on = models.DateField(_("started on"))
    due_on = models.DateField(_("due for re-election on"))
    years = models.PositiveSmallIntegerField(_("term in years"), default=3)
    status = models.CharField(
        _("status"), max_length=8, choices=TermStatus.choices, default=TermStatus.CURRENT
    )
    election = models.ForeignKey(
        "Election",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("election"),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(status="current"), name="elections_one_current_term"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gt=models.F("started_on")), name="elections_term_due_after"
            ),
        ]

    def __str__(self):
        return f"{self.organization} {self.started_on}–{self.due_on}"


class Procedure(models.TextChoices):
    STANDARD = "standard", _("Election at the party member meeting")
    OPEN_NOMINATION = "open_nomination", _("Open nomination, direct election (公推直选)")
    TWO_MEETINGS = "two_meetings", _("Two-meeting ballot (两会票决)")


class MarkMode(models.TextChoices):
    TICK = "tick", _("Ticks only (a tick is a vote for)")
    THREE = "three", _("For, against or abstain per candidate")


class ElectionStatus(models.TextChoices):
    NOMINATION = "nomination", _("Nomination")
    SLATE = "slate", _("Slate fixed, waiting for the meeting")
    VOTING = "voting", _("Voting")
    COUNTED = "counted", _("Counted")
    REPORTED = "reported", _("Reported to the superior")
    RETURNED = "returned", _("Returned by the superior")
    APPROVED = "approved", _("Approved")


class Election(PlaceScoped):
    """One election project of one organization (its place is the organization's place)."""

    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="elections",
        verbose_name=_("organization"),
    )
    title = models.CharField(_("title"), max_length=120)
    procedure = models.CharField(
        _("procedure"), max_length=16, choices=Procedure.choices, default=Procedure.STANDARD
    )
    mark_mode = models.CharField(
        _("ballot marks"), max_length=8, choices=MarkMode.choices, default=MarkMode.THREE
    )
    seats = models.PositiveSmallIntegerField(_("seats"))
    min_extra_percent = models.PositiveSmallIntegerField(
        _("minimum extra candidates (percent of seats)"),
        default=20,
        help_text=_("Competitive slate: at least this share of the seats more candidates than seats."),
    )
    term_years = models.PositiveSmallIntegerField(_("term in years"), default=3)
    status = models.CharField(
        _("status"), max_length=12, choices=ElectionStatus.choices, default=ElectionStatus.NOMINATION
    )
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("superior's note"), max_length=500, blank=True)
    short_reason = models.CharField(_("reason for fewer seats"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [models.CheckConstraint(condition=Q(seats__gte=1), name="elections_seats_positive")]

    def __str__(self):
        return self.title


class NominationSource(models.TextChoices):
    ORGANIZATION = "organization", _("Recommended by the organization (组织推荐)")
    MEMBERS = "members", _("Joint nomination by members (党员联名推荐)")
    MASSES = "masses", _("Recommended by residents (群众推荐)")


class Vetting(models.TextChoices):
    PENDING = "pending", _("Waiting for vetting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(_("name"), max_length=60)
    member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("party member"),
    )
    source = models.CharField(_("nominated by"), max_length=12, choices=NominationSource.choices)
    signers = models.TextField(_("signers"), blank=True, help_text=_("One name a line."))
    signer_count = models.PositiveSmallIntegerField(_("number of signers"), default=0)
    vetting = models.CharField(_("vetting"), max_length=8, choices=Vetting.choices, default=Vetting.PENDING)
    vetting_reason = models.CharField(_("vetting reason"), max_length=300, blank=True)
    on_slate = models.BooleanField(_("on the slate"), default=False)
    elected = models.BooleanField(_("elected"), default=False)

    class Meta:
        ordering = ["election", "id"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="elections_candidate_name_uniq"),
        ]

    def __str__(self):
        return self.name


class RoundKind(models.TextChoices):
    FIRST = "first", _("First ballot")
    RUNOFF = "runoff", _("Further ballot for the seats left (另行选举)")
    TIE = "tie", _("Ballot among candidates tied at the cut")
    SECOND_MEETING = "second_meeting", _("Residents' representatives' meeting (两会票决)")


class RoundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the meeting")
    NO_QUORUM = "no_quorum", _("No quorum: no vote")
    OPEN = "open", _("Voting")
    CLOSED = "closed", _("Counted")


class Round(models.Model):
    """One ballot of an election, at one meeting: attendance, quorum, the candidates on it."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind.choices, default=RoundKind.FIRST)
    body = models.CharField(_("meeting"), max_length=32, default="party_member_meeting")
    seats = models.PositiveSmallIntegerField(_("seats"))
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.PENDING
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    entitled = models.PositiveIntegerField(_("entitled to vote"), default=0)
    present = models.PositiveIntegerField(_("present with the right to vote"), default=0)
    quorum_needed = models.PositiveIntegerField(_("quorum"), default=0)
    votes_needed = models.PositiveIntegerField(_("votes needed to be elected"), default=0)
    ballots = models.PositiveIntegerField(_("ballots counted"), default=0)
    blank = models.PositiveIntegerField(_("blank ballots"), default=0)
    invalid = models.PositiveIntegerField(_("invalid ballots"), default=0)
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        ordering = ["election", "number"]
        verbose_name = _("ballot round")
        verbose_name_plural = _("ballot rounds")
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="elections_round_number_uniq")
        ]

    def __str__(self):
        return f"{self.election} #{self.number}"

    @property
    def place_path(self) -> str:
        return self.election.place_path


class RoundOutcome(models.TextChoices):
    ELECTED = "elected", _("Elected")
    NOT_ELECTED = "not_elected", _("Not elected")
    TIE = "tie", _("Tied at the cut: ballot again")


class RoundCandidate(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="entries")
    votes_for = models.PositiveIntegerField(_("for"), default=0)
    votes_against = models.PositiveIntegerField(_("against"), default=0)
    abstain = models.PositiveIntegerField(_("abstaining"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=RoundOutcome.choices, blank=True)

    class Meta:
        ordering = ["round", "-votes_for", "candidate_id"]
        verbose_name = _("candidate in a round")
        verbose_name_plural = _("candidates in a round")
        constraints = [
            models.UniqueConstraint(fields=["round", "candidate"], name="elections_round_candidate_uniq")
        ]

    def __str__(self):
        return f"{self.candidate} {self.votes_for}"


class Ballot(models.Model):
    """One secret ballot: its round and whether it was blank or invalid. Nothing else, on purpose."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballot_rows")
    blank = models.BooleanField(default=False)
    invalid = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self):
        return f"ballot {self.pk}"


class Mark(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class BallotMark(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="+")
    mark = models.CharField(max_length=8, choices=Mark.choices)

    class Meta:
        verbose_name = _("ballot mark")
        verbose_name_plural = _("ballot marks")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "candidate"], name="elections_mark_once_uniq")
        ]

    def __str__(self):
        return self.mark


class CodeStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    USED = "used", _("Used")


class BallotCode(models.Model):
    """A one-time code handed out without a name at the meeting. Used or not; never which ballot."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=CodeStatus.choices, default=CodeStatus.ISSUED
    )

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("ballot code")
        verbose_name_plural = _("ballot codes")

    def __str__(self):
        return self.code


class EntryToken(models.Model):
    """A teller's form submission: a double-submitted form finds its token taken and adds nothing."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("entry token")
        verbose_name_plural = _("entry tokens")
        constraints = [models.UniqueConstraint(fields=["round", "token"], name="elections_entry_token_uniq")]

    def __str__(self):
        return self.token
