from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.registry.models import MemberKind

from .models import Appraisal, Education, MeetingType, VisitCause

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _types_for(organization):
    return [
        (str(t.pk), t.name)
        for t in MeetingType.objects.filter(active=True)
        if organization.kind in t.org_kinds
    ]


class MeetingPlanForm(forms.Form):
    meeting_type = forms.ChoiceField(label=_("Meeting type"))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    planned_on = forms.DateField(label=_("Planned for"), widget=DATE)
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    chair = forms.CharField(label=_("Chair"), max_length=60, required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting_type"].choices = _types_for(organization)

    def clean_meeting_type(self):
        return MeetingType.objects.get(pk=self.cleaned_data["meeting_type"])


class MeetingRecordForm(forms.Form):
    """The meeting itself; attendance comes as present_<member id> / reason_<member id> fields."""

    meeting_type = forms.ChoiceField(label=_("Meeting type"))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    chair = forms.CharField(label=_("Chair"), max_length=60, required=False)
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    decisions = forms.CharField(
        label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    late_reason = forms.CharField(
        label=_("Reason for late entry"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Needed when the meeting was held more than %(days)s days ago."),
    )

    def __init__(self, *args, organization, members, late_days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting_type"].choices = _types_for(organization)
        self.fields["late_reason"].help_text = self.fields["late_reason"].help_text % {"days": late_days}
        self.members = list(members)

    def clean_meeting_type(self):
        return MeetingType.objects.get(pk=self.cleaned_data["meeting_type"])

    def attendance(self) -> dict:
        data = self.data
        return {
            member.pk: (data.get(f"present_{member.pk}") == "1", data.get(f"reason_{member.pk}", ""))
            for member in self.members
        }

    def rows(self):
        """(member, present, reason) for the template, from the posted data or all present."""
        posted = self.is_bound
        for member in self.members:
            present = self.data.get(f"present_{member.pk}") == "1" if posted else True
            yield member, present, self.data.get(f"reason_{member.pk}", "") if posted else ""


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ConditionReportForm(forms.Form):
    cause = forms.ChoiceField(
        label=_("What happened"),
        choices=[(c.value, c.label) for c in (VisitCause.ILL, VisitCause.DIFFICULTY, VisitCause.DECEASED)],
    )
    note = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class VisitCloseForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE)
    visitors = forms.CharField(label=_("Visited by"), max_length=200)
    findings = forms.CharField(label=_("What we found"), widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.CharField(
        label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RecruitCreateForm(forms.Form):
    resident = forms.ChoiceField(label=_("Person"))
    organization = forms.ChoiceField(label=_("Branch"))
    applied_on = forms.DateField(label=_("Applied on"), widget=DATE)

    def __init__(self, *args, residents=(), organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [
            (str(r.pk), f"{r.name}（{r.id_number_masked}）") for r in residents
        ]
        self.fields["organization"].choices = [(str(o.pk), o.name) for o in organizations]


class RecruitAdvanceForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    member_kind = forms.ChoiceField(
        label=_("Member kind (when becoming a full member)"),
        choices=[("", "—")] + [(k.value, k.label) for k in MemberKind if k != MemberKind.PROBATIONARY],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RecruitDocumentForm(forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    received_on = forms.DateField(label=_("Received on"), widget=DATE)


class RecruitStopForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


# --- posts, reserve cadres, hardship fund ---------------------------------------------------------


def _choices(rows, label=str):
    return [(str(row.pk), label(row)) for row in rows]


class PostDefineForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Post"), max_length=100)
    duties = forms.CharField(label=_("Duties"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = _choices(organizations, lambda o: o.name)


class PostsPublishForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = _choices(organizations, lambda o: o.name)


class PostVolunteerForm(forms.Form):
    member = forms.ChoiceField(label=_("Member"))
    on = forms.DateField(label=_("Volunteered on"), widget=DATE)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = _choices(members, lambda m: m.resident.name)


class PostAppraiseForm(forms.Form):
    appraisal = forms.ChoiceField(label=_("Appraisal"), choices=Appraisal.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    on = forms.DateField(label=_("Date"), widget=DATE)


class ReserveSignupForm(forms.Form):
    resident = forms.ChoiceField(label=_("Person"))
    education = forms.ChoiceField(label=_("Education"), choices=Education.choices)
    on = forms.DateField(label=_("Signed up on"), widget=DATE)

    def __init__(self, *args, residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = _choices(residents, lambda r: f"{r.name}（{r.id_number_masked}）")


class ReserveAdvanceForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Passed: move to the next step")), ("0", _("Not passed: end here"))],
        coerce=lambda value: value == "1",
    )
    score = forms.DecimalField(
        label=_("Score (written test and interview)"), max_digits=5, decimal_places=1, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class HardshipApplyForm(forms.Form):
    member = forms.ChoiceField(label=_("Member"))
    amount = forms.DecimalField(label=_("Amount requested (yuan)"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = _choices(
            members, lambda m: f"{m.resident.name} · {m.organization.name}"
        )


class HardshipDecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda value: value == "1",
    )
    amount = forms.DecimalField(
        label=_("Amount approved (yuan)"), max_digits=10, decimal_places=2, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class HardshipPayForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount paid (yuan)"), max_digits=10, decimal_places=2)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
