from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.places.models import Place, PlaceKind

from .models import AuditResult, DecisionBody, MatterCategory, VoteChoice

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
COUNT = forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})


class CommunityField(forms.ModelChoiceField):
    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(
            queryset if queryset is not None else Place.objects.none(),
            *args,
            label=kwargs.pop("label", _("Community")),
            empty_label=None,
            **kwargs,
        )


class MatterForm(forms.Form):
    place = CommunityField()
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=MatterCategory.objects.all(), empty_label=None
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    decision_body = forms.ChoiceField(label=_("Decided by"), choices=DecisionBody.choices)
    double_ballot = forms.ChoiceField(
        label=_("Double ballot"),
        choices=[("", _("As the category says")), ("1", _("Yes")), ("0", _("No"))],
        required=False,
        help_text=_("With the double ballot the household tally decides the residents' vote."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = communities

    def clean_double_ballot(self):
        value = self.cleaned_data["double_ballot"]
        return None if value == "" else value == "1"


class StageForm(forms.Form):
    held_on = forms.DateField(label=_("Date of the meeting"), widget=DATE)
    location = forms.CharField(label=_("Place of the meeting"), max_length=120, required=False)
    entitled = forms.IntegerField(label=_("Entitled to attend"), min_value=1, widget=COUNT)
    present = forms.IntegerField(label=_("Present"), min_value=0, widget=COUNT)
    votes_for = forms.IntegerField(label=_("For"), min_value=0, widget=COUNT)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, initial=0, widget=COUNT)
    abstain = forms.IntegerField(label=_("Abstaining"), min_value=0, initial=0, widget=COUNT)
    notes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class PublishForm(forms.Form):
    text = forms.CharField(label=_("Text to publish"), widget=forms.Textarea(attrs={"rows": 6}))
    published_on = forms.DateField(label=_("Published on"), widget=DATE)


class ResolutionForm(PublishForm):
    posted_days = forms.IntegerField(label=_("Days on the board"), min_value=1, max_value=90, initial=7)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class RecategorizeForm(ReasonForm):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=MatterCategory.objects.all(), empty_label=None
    )


class DraftForm(forms.Form):
    draft = forms.CharField(label=_("Draft"), widget=forms.Textarea(attrs={"rows": 8}))
    until = forms.DateField(label=_("Comments open until"), widget=DATE)


class CastForm(forms.Form):
    representative = forms.ModelChoiceField(label=_("Representative"), queryset=None, empty_label=None)
    choice = forms.ChoiceField(label=_("Vote"), choices=VoteChoice.choices)

    def __init__(self, *args, representatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["representative"].queryset = representatives


class RepresentativeForm(forms.Form):
    place = CommunityField()
    name = forms.CharField(label=_("Name"), max_length=60)
    started_on = forms.DateField(label=_("Since"), widget=DATE, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = communities


class LinkForm(forms.Form):
    households = forms.ModelMultipleChoiceField(
        label=_("Households represented"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A household has one representative: ticking it here moves it from another."),
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].queryset = households


class DayPlanForm(forms.Form):
    place = CommunityField()
    held_on = forms.DateField(
        label=_("Date"),
        widget=DATE,
        required=False,
        help_text=_("Empty: the community's next deliberation day."),
    )
    location = forms.CharField(label=_("Place"), max_length=120, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = communities


class DayRecordForm(forms.Form):
    attendees = forms.IntegerField(label=_("Residents attending"), min_value=0, widget=COUNT)
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}))


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("What is to be done"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, empty_label=None)
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=120, initial=10)
    agenda_item = forms.ModelChoiceField(label=_("Topic"), queryset=None, required=False)

    def __init__(self, *args, owners, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["agenda_item"].queryset = items


class AgendaForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=200)
    detail = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class PortalAgendaForm(AgendaForm):
    place = forms.ModelChoiceField(
        label=_("Your community"),
        queryset=Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("path"),
        empty_label="—",
    )
    name = forms.CharField(label=_("Your name"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        required=False,
        help_text=_("Optional: for the community to reply."),
    )

    field_order = ["place", "title", "detail", "name", "phone"]


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)
    name = forms.CharField(label=_("Your name"), max_length=60, required=False, help_text=_("Optional."))


class BallotForm(forms.Form):
    code = forms.CharField(
        label=_("Ballot code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_("The code on the ballot slip your household received."),
    )
    choice = forms.ChoiceField(
        label=_("Your household's vote"), choices=VoteChoice.choices, widget=forms.RadioSelect
    )


class DepartureAuditForm(forms.Form):
    place = CommunityField()
    cadre_name = forms.CharField(label=_("Cadre"), max_length=60)
    post = forms.CharField(label=_("Post"), max_length=60)
    period_start = forms.DateField(label=_("In office from"), widget=DATE)
    period_end = forms.DateField(label=_("In office until"), widget=DATE)
    auditor = forms.CharField(label=_("Audited by"), max_length=120)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 5}))
    result = forms.ChoiceField(label=_("Result"), choices=AuditResult.choices)
    summary = forms.CharField(
        label=_("Published summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only this summary and the result are published on the board."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = communities


class CharterForm(forms.Form):
    place = CommunityField()
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    adopted_by = forms.CharField(
        label=_("Adopted by"), max_length=120, help_text=_("The meeting that adopted it.")
    )
    adopted_on = forms.DateField(label=_("Adopted on"), widget=DATE)
    effective_from = forms.DateField(label=_("In effect from"), widget=DATE, required=False)
    change_note = forms.CharField(
        label=_("What changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = communities
