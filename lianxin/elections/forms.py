"""Forms of the election pages: they parse input; the services validate the rules."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules
from .models import MarkMode, NominationSource, Procedure


class _OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TermForm(forms.Form):
    organization = _OrgChoice(label=_("Organization"), queryset=None)
    started_on = forms.DateField(
        label=_("Term started on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    years = forms.IntegerField(label=_("Term in years"), min_value=1, max_value=10)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["years"].initial = rules.default_term_years()


class ElectionForm(forms.Form):
    organization = _OrgChoice(label=_("Organization"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=120)
    procedure = forms.ChoiceField(label=_("Procedure"), choices=Procedure.choices)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=50)
    mark_mode = forms.ChoiceField(label=_("Ballot marks"), choices=MarkMode.choices)
    min_extra_percent = forms.IntegerField(
        label=_("Minimum extra candidates (percent of seats)"), min_value=0, max_value=100
    )
    term_years = forms.IntegerField(label=_("Term in years"), min_value=1, max_value=10)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["min_extra_percent"].initial = rules.min_extra_percent()
        self.fields["term_years"].initial = rules.default_term_years()


class NominationForm(forms.Form):
    name = forms.CharField(label=_("Candidate's name"), max_length=60)
    source = forms.ChoiceField(label=_("Nominated by"), choices=NominationSource.choices)
    signers = forms.CharField(
        label=_("Signers (joint nomination)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One name a line."),
    )


class RoundOpenForm(forms.Form):
    held_on = forms.DateField(
        label=_("Meeting date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    entitled = forms.IntegerField(label=_("Members with voting rights (entitled)"), min_value=1)
    present = forms.IntegerField(label=_("Present with voting rights"), min_value=0)

    def __init__(self, *args, entitled_default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        if entitled_default:
            self.fields["entitled"].initial = entitled_default


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
