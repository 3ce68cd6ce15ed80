from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianxin.places.models import OrgField, OrgKind, PlaceKind, Rating


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, each message on its field when it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class PlaceCreateForm(PlaceForm):
    kind = forms.ChoiceField(label=_("Level"), choices=PlaceKind.choices)


class MoveForm(forms.Form):
    parent = forms.ChoiceField(label=_("New parent"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—")] + [(str(p.pk), str(p)) for p in parents]


class OrgForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    field = forms.ChoiceField(label=_("Field"), choices=OrgField.choices)
    secretary_name = forms.CharField(label=_("Secretary"), max_length=60, required=False)
    founded_on = forms.DateField(
        label=_("Founded on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    dissolved_on = forms.DateField(
        label=_("Dissolved on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class OrgCreateForm(OrgForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    place = forms.ChoiceField(label=_("Place"))

    field_order = ["kind", "name", "place", "field", "secretary_name", "founded_on"]

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), str(p)) for p in places]
        del self.fields["dissolved_on"]


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Class"), choices=Rating.choices, coerce=int)
    basis = forms.CharField(label=_("Basis"), widget=forms.Textarea(attrs={"rows": 3}))
    upgrade_plan = forms.CharField(
        label=_("Upgrade plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    upgrade_due = forms.DateField(
        label=_("Upgrade due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CalendarLoadForm(forms.Form):
    file = forms.FileField(
        label=_("Calendar file"),
        help_text=_(
            "A text file with one line per special day: 2027-10-01,holiday,National Day or 2027-09-26,workday,make-up day."
        ),
    )
    replace = forms.BooleanField(label=_("Replace years already loaded"), required=False)


class WorkingDaysForm(forms.Form):
    start = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=250, initial=5)


class RoleGrantForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"))
    place = forms.ChoiceField(label=_("Place"))

    def __init__(self, *args, roles=(), places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = list(roles)
        self.fields["place"].choices = [(str(p.pk), f"{p.name}（{p.get_kind_display()}）") for p in places]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
