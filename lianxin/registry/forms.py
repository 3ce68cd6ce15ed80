"""Forms of the registry pages (D2). They only parse: the services validate and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import idcard

from .models import Difficulty, MemberKind, MemberStatus, Relationship


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _place_choices(buildings):
    """Buildings named with their community and grid (many communities have a 1号楼)."""
    choices = []
    for building in buildings:
        grid = building.parent
        names = [grid.parent.name if grid and grid.parent else "", grid.name if grid else "", building.name]
        choices.append((str(building.pk), "".join(names)))
    return choices


class HouseholdForm(forms.Form):
    place = forms.ChoiceField(label=_("Building"))
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    room = forms.CharField(label=_("Room"), max_length=20)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = _place_choices(buildings)


class HouseholdNotesForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class ResidentForm(forms.Form):
    """A new person. With ``buildings`` the form asks where they live (no household yet);
    without, the person joins a household and the form asks the relationship to its head."""

    place = forms.ChoiceField(label=_("Building"))
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        help_text=_("18 characters; a lowercase x is accepted."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    relationship = forms.ChoiceField(label=_("Relationship to the head"), choices=Relationship.choices)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    health = forms.CharField(
        label=_("Health notes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Stored encrypted; shown only to those allowed, with a reason."),
    )
    disability = forms.CharField(
        label=_("Disability notes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Stored encrypted; shown only to those allowed, with a reason."),
    )

    def __init__(self, *args, buildings=None, **kwargs):
        super().__init__(*args, **kwargs)
        if buildings is None:
            del self.fields["place"]
        else:
            self.fields["place"].choices = _place_choices(buildings)
            del self.fields["relationship"]


class DifficultyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Difficulty"), choices=Difficulty.choices)
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}))
    since = _date(_("Since"), required=False)


class DifficultyEndForm(forms.Form):
    ended_on = _date(_("Ended on"))
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("What to show"),
        choices=[
            ("id_number", _("ID number")),
            ("health", _("Health notes")),
            ("disability", _("Disability notes")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("Kept in the audit log with your name.")
    )


class MemberForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number of the resident"),
        max_length=30,
        help_text=_("The person must already be registered as a resident in your area."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    organization = forms.ChoiceField(label=_("Party organization"))
    kind = forms.ChoiceField(label=_("Kind"), choices=MemberKind.choices)
    joined_on = _date(_("Joined on"))
    probation_ends_on = _date(_("Probation ends on"), required=False)
    mobile_destination = forms.CharField(label=_("Where they went"), max_length=120, required=False)
    mobile_contact = forms.CharField(label=_("Contact while away"), max_length=60, required=False)
    receiving_organization_name = forms.CharField(
        label=_("Receiving organization"), max_length=120, required=False
    )

    def __init__(self, *args, organizations=(), resident_known=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(str(o.pk), str(o)) for o in organizations]
        if resident_known:
            del self.fields["id_number"]

    def clean_id_number(self):
        # The same GB 11643 check as registration, so a typo is named before any lookup.
        return idcard.validate(self.cleaned_data["id_number"], today=timezone.localdate())


class MemberEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MemberKind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=MemberStatus.choices)
    joined_on = _date(_("Joined on"))
    probation_ends_on = _date(_("Probation ends on"), required=False)
    mobile_destination = forms.CharField(label=_("Where they went"), max_length=120, required=False)
    mobile_contact = forms.CharField(label=_("Contact while away"), max_length=60, required=False)
    receiving_organization_name = forms.CharField(
        label=_("Receiving organization"), max_length=120, required=False
    )
