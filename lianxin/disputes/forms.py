import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.appeals.forms import MultipleFileField
from lianxin.places.models import Place

from .models import (
    CheckResult,
    ContactMethod,
    DisputeType,
    IncidentType,
    MediationType,
    Mediator,
    Mode,
    PartySide,
    PatrolMember,
    Risk,
    Severity,
    Source,
    TeamKind,
)

DATE = forms.DateInput(attrs={"type": "date"})


class _PlaceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DisputeForm(forms.Form):
    place = _PlaceChoice(label=_("Place"), queryset=Place.objects.none(), empty_label="—")
    dispute_type = forms.ChoiceField(label=_("Type"), choices=DisputeType.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    location = forms.CharField(label=_("Where"), max_length=120, required=False)
    risk = forms.ChoiceField(label=_("Risk level"), choices=Risk.choices, initial=Risk.LOW)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[c for c in Source.choices if c[0] != Source.SCREENING],
        initial=Source.DIRECT,
    )
    source_request = forms.IntegerField(label=_("Request no. (internal id)"), required=False, min_value=1)
    source_visit = forms.IntegerField(label=_("Visit no. (internal id)"), required=False, min_value=1)
    police_reference = forms.CharField(label=_("Police referral number"), max_length=60, required=False)
    reported_on = forms.DateField(label=_("Reported on"), widget=DATE, initial=timezone.localdate)
    party1_resident = forms.IntegerField(label=_("First party: resident (registry id)"), required=False)
    party1_name = forms.CharField(label=_("First party: name (outsider)"), max_length=60, required=False)
    party1_phone = forms.CharField(label=_("First party: phone"), max_length=20, required=False)
    party2_resident = forms.IntegerField(label=_("Second party: resident (registry id)"), required=False)
    party2_name = forms.CharField(label=_("Second party: name (outsider)"), max_length=60, required=False)
    party2_phone = forms.CharField(label=_("Second party: phone"), max_length=20, required=False)

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()

    def parties(self) -> list[dict]:
        data, rows = self.cleaned_data, []
        for n, side in ((1, PartySide.APPLICANT), (2, PartySide.RESPONDENT)):
            resident, name = data.get(f"party{n}_resident"), data.get(f"party{n}_name")
            if resident or name:
                rows.append(
                    {
                        "resident": resident,
                        "name": name,
                        "phone": data.get(f"party{n}_phone", ""),
                        "side": side,
                    }
                )
        return rows


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class _UsersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ArrangeForm(forms.Form):
    mode = forms.ChoiceField(label=_("Handling mode"), choices=Mode.choices)
    mediation_type = forms.ChoiceField(label=_("Mediation type"), choices=MediationType.choices)
    leader = _UserChoice(label=_("Leader"), queryset=get_user_model().objects.none(), empty_label="—")
    team = _UsersChoice(label=_("Team"), queryset=get_user_model().objects.none(), required=False)
    mediators = forms.ModelMultipleChoiceField(
        label=_("Mediators"), queryset=Mediator.objects.none(), required=False
    )
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 4}))
    due_days = forms.IntegerField(
        label=_("Deadline (working days from today)"), min_value=1, max_value=60, initial=15
    )

    def __init__(self, *args, people=None, mediators=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["leader"].queryset = people
            self.fields["team"].queryset = people
        if mediators is not None:
            self.fields["mediators"].queryset = mediators


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("agreement", _("Settled by agreement")),
            ("court", _("Referred to court")),
            ("withdrawn", _("Withdrawn")),
        ],
    )
    note = forms.CharField(label=_("What was agreed or decided"), widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(
        label=_("Signed agreement (photo or PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    closed_on = forms.DateField(label=_("Closed on"), widget=DATE, initial=timezone.localdate)


class FollowUpForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE, initial=timezone.localdate)
    kept = forms.BooleanField(label=_("The agreement is being kept"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class MediatorForm(forms.Form):
    place = _PlaceChoice(label=_("Community"), queryset=Place.objects.none(), empty_label="—")
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    speciality = forms.CharField(label=_("Speciality"), max_length=100, required=False)
    elected_on = forms.DateField(label=_("Elected on"), widget=DATE)
    election_reference = forms.CharField(
        label=_("Election reference"),
        max_length=120,
        help_text=_("The residents' representatives' meeting and its resolution number."),
    )
    term_start = forms.DateField(label=_("Term starts"), widget=DATE)
    term_end = forms.DateField(label=_("Term ends"), widget=DATE)

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()


class ScreeningForm(forms.Form):
    place = _PlaceChoice(label=_("Area"), queryset=Place.objects.none(), empty_label="—")
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    screeners = _UsersChoice(label=_("Screeners"), queryset=get_user_model().objects.none())
    units = forms.CharField(
        label=_("Units to screen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One unit located here per line."),
    )

    def __init__(self, *args, places=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()
        if people is not None:
            self.fields["screeners"].queryset = people


class CheckForm(forms.Form):
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit_name = forms.CharField(label=_("Unit"), max_length=120, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=CheckResult.choices, widget=forms.RadioSelect)
    finding = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    dispute_type = forms.ChoiceField(label=_("Type"), choices=DisputeType.choices, initial=DisputeType.OTHER)
    risk = forms.ChoiceField(label=_("Risk level"), choices=Risk.choices, initial=Risk.LOW)


class IncidentForm(forms.Form):
    """The one-screen report from the scene."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    incident_type = forms.ChoiceField(label=_("Type"), choices=IncidentType.choices, widget=forms.RadioSelect)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect, initial=Severity.GENERAL
    )
    place = _PlaceChoice(label=_("Place"), queryset=Place.objects.none(), empty_label="—")
    location = forms.CharField(label=_("Where exactly"), max_length=120, required=False)
    people_affected = forms.IntegerField(
        label=_("People affected"),
        min_value=0,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex
            only = list(places[:2]) if places is not None else []
            if len(only) == 1:
                self.initial["place"] = only[0].pk


class LogForm(forms.Form):
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))
    close = forms.BooleanField(label=_("Close the incident"), required=False)


class PlanForm(forms.Form):
    place = _PlaceChoice(label=_("Kept at"), queryset=Place.objects.none(), empty_label="—")
    incident_type = forms.ChoiceField(label=_("Type"), choices=IncidentType.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Steps"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()


class TeamForm(forms.Form):
    place = _PlaceChoice(label=_("Community"), queryset=Place.objects.none(), empty_label="—")
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    members = forms.CharField(
        label=_("Members"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line: name, phone."),
    )

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places if places is not None else Place.objects.none()

    def member_rows(self) -> list[dict]:
        rows = []
        for line in self.cleaned_data.get("members", "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if parts and parts[0]:
                rows.append({"name": parts[0], "phone": parts[1] if len(parts) > 1 else ""})
        return rows


class ShiftForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE)
    start_hour = forms.IntegerField(label=_("From hour"), min_value=0, max_value=23)
    end_hour = forms.IntegerField(label=_("To hour"), min_value=1, max_value=24)
    members = forms.ModelMultipleChoiceField(
        label=_("On duty"),
        queryset=PatrolMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["members"].queryset = members


class PatrolLogForm(forms.Form):
    patrolled_on = forms.DateField(label=_("Patrolled on"), widget=DATE, initial=timezone.localdate)
    start_hour = forms.IntegerField(label=_("From hour"), min_value=0, max_value=23)
    end_hour = forms.IntegerField(label=_("To hour"), min_value=1, max_value=24)
    patrollers = forms.CharField(label=_("Patrollers"), max_length=200)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CarePlanForm(forms.Form):
    leader = _UserChoice(label=_("Group leader"), queryset=get_user_model().objects.none(), empty_label="—")
    helpers = _UsersChoice(label=_("Helpers"), queryset=get_user_model().objects.none(), required=False)
    helpers_outside = forms.CharField(
        label=_("Other helpers"),
        max_length=200,
        required=False,
        help_text=_("Police officer, relatives, volunteers."),
    )
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}))
    contact_every_days = forms.IntegerField(
        label=_("Contact every (days)"), min_value=1, max_value=365, initial=30
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["leader"].queryset = people
            self.fields["helpers"].queryset = people


class ContactForm(forms.Form):
    contacted_on = forms.DateField(label=_("Contacted on"), widget=DATE, initial=timezone.localdate)
    method = forms.ChoiceField(label=_("How"), choices=ContactMethod.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
