"""Forms of the governance pages: they parse input only; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.appeals.models import RequestCategory
from lianxin.places.models import OrgField

from .models import ChainLevel, ContactKind, ItemReview, StandardArea

DATE = forms.DateInput(attrs={"type": "date"})


def _member_label(member) -> str:
    return f"{member.resident.name}（{member.organization.name}）"


class DelegateForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    member = forms.ModelChoiceField(label=_("Party member"), queryset=None)
    term_start = forms.DateField(label=_("Term starts"), widget=DATE)
    term_end = forms.DateField(label=_("Term ends"), widget=DATE, required=False)

    def __init__(self, *args, organizations, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = _member_label


class LinkForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    level = forms.ChoiceField(label=_("Level"), choices=ChainLevel.choices)
    contact = forms.ModelChoiceField(label=_("Contact person"), queryset=None)
    target_member = forms.ModelChoiceField(
        label=_("Member or delegate to contact"), queryset=None, required=False
    )
    target_household = forms.ModelChoiceField(label=_("Household to contact"), queryset=None, required=False)

    def __init__(self, *args, organizations, members, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        for name in ("contact", "target_member"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = _member_label
        self.fields["target_household"].queryset = households
        self.fields["target_household"].label_from_instance = lambda h: h.address_label()


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("How"), choices=ContactKind.choices)
    contacted_on = forms.DateField(label=_("Date"), widget=DATE)
    problems = forms.CharField(
        label=_("Problems raised"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("A problem can be turned into a residents' request afterwards, without typing it again."),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EntryRequestForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=RequestCategory.objects.filter(active=True)
    )


class OpenMeetingForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Committee meeting"), queryset=None)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=200, initial=5)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = lambda m: (
            f"{m.planned_on:%Y-%m-%d} · {m.organization.name} · {m.topic}"
        )


class CheckStartForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class CheckItemForm(forms.Form):
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 4}))
    self_score = forms.IntegerField(label=_("Self-assessed score"), min_value=0)
    attachment = forms.FileField(label=_("Attachment (photo, scan)"), required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ItemReview.ACCEPTED, _("Accept with the score")),
            (ItemReview.RETURNED, _("Return for rework")),
        ],
        widget=forms.RadioSelect,
    )
    score = forms.IntegerField(label=_("Score"), min_value=0, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class StandardItemForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=OrgField.choices)
    area = forms.ChoiceField(label=_("Area"), choices=StandardArea.choices)
    code = forms.SlugField(label=_("Code"), max_length=40)
    text = forms.CharField(label=_("Requirement"), widget=forms.Textarea(attrs={"rows": 3}))
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100)
    position = forms.IntegerField(label=_("Order"), min_value=0, required=False)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class UpgradeItemForm(forms.Form):
    task = forms.CharField(label=_("Task"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("Owner"), max_length=60)
    due_on = forms.DateField(label=_("Due on"), widget=DATE, required=False)
    due_days = forms.IntegerField(
        label=_("Or: working days from today"), min_value=1, max_value=250, required=False
    )


class ProgressForm(forms.Form):
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    done_on = forms.DateField(label=_("Done on"), widget=DATE, required=False)
