"""Forms of the transfer and special care pages (D2). They only parse: the services validate and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import idcard

from .models import SpecialCareGroup


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def organization_choices(organizations):
    """Organizations named with their place (many communities have a 第一党支部)."""
    return [("", "—")] + [(str(org.pk), f"{org.place.name} · {org.name}") for org in organizations]


class TransferRequestForm(forms.Form):
    to_organization = forms.ChoiceField(
        label=_("Receiving organization"),
        required=False,
        help_text=_("Leave empty when the organization is outside the city, and write its name below."),
    )
    external_organization_name = forms.CharField(
        label=_("Receiving organization outside the city"), max_length=120, required=False
    )
    letter_number = forms.CharField(
        label=_("Letter number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to number the letter automatically."),
    )
    issued_on = _date(_("Issued on"), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, organizations=(), **kwargs):
        kwargs.setdefault("initial", {"issued_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["to_organization"].choices = organization_choices(organizations)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False
    )


class SpecialCareRevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("Kept in the audit log with your name.")
    )


class SpecialCareRecordForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number of the resident"),
        max_length=30,
        help_text=_("The person must already be registered as a resident in your area."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    group = forms.ChoiceField(label=_("Group"), choices=SpecialCareGroup.choices)
    details = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Stored encrypted; shown only to those assigned, with a reason."),
    )
    since = _date(_("Since"), required=False)

    def __init__(self, *args, resident_known=False, **kwargs):
        super().__init__(*args, **kwargs)
        if resident_known:
            del self.fields["id_number"]

    def clean_id_number(self):
        return idcard.validate(self.cleaned_data["id_number"], today=timezone.localdate())


class SpecialCareEndForm(forms.Form):
    ended_on = _date(_("Ended on"))
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class AssignmentGrantForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150)
    group = forms.ChoiceField(label=_("Group"), choices=SpecialCareGroup.choices)
    place = forms.ChoiceField(label=_("Place"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), p.name) for p in places]
