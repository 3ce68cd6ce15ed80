import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Contact, DutyKind, VisitKind


class BigRadioSelect(forms.RadioSelect):
    """Radio buttons laid out as large tap targets (see app.css, visits section)."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "taps", **(attrs or {})}, choices=choices)


class VisitForm(forms.Form):
    """One screen on a phone: when, how, what was found, whether to come back."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=VisitKind.choices, initial=VisitKind.VISIT, widget=BigRadioSelect
    )
    contact = forms.ChoiceField(
        label=_("Contact"), choices=Contact.choices, initial=Contact.MET, widget=BigRadioSelect
    )
    visited_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    companion = forms.TypedChoiceField(label=_("Went with"), required=False, coerce=int, empty_value=None)
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("What did you see and hear? Any difficulty?")}
        ),
    )
    needs_followup = forms.BooleanField(label=_("A follow-up visit is needed"), required=False)

    def __init__(self, *args, companions=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {"idempotency_key": uuid.uuid4(), "visited_on": timezone.localdate()},
        )
        super().__init__(*args, **kwargs)
        self.companions = {user.pk: user for user in companions}
        self.fields["companion"].choices = [("", _("Nobody"))] + [(user.pk, str(user)) for user in companions]

    def clean_companion(self):
        pk = self.cleaned_data.get("companion")
        if pk and pk not in self.companions:
            raise forms.ValidationError(_("Choose someone from the list."))
        return self.companions.get(pk) if pk else None


class ScheduleForm(forms.Form):
    visit_days = forms.CharField(
        label=_("Visit days"), max_length=40, help_text=_("Days of the month, separated by commas, e.g. 5,6.")
    )
    followup_days = forms.CharField(
        label=_("Follow-up days"),
        max_length=40,
        help_text=_("e.g. 29,30. In a short month they move back to its last days (February: 27,28)."),
    )


class AssignmentForm(forms.Form):
    place = forms.TypedChoiceField(label=_("Grid or building"), coerce=int)
    first = forms.TypedChoiceField(label=_("First member"), coerce=int)
    second = forms.TypedChoiceField(label=_("Second member"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, places=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [
            (p.pk, f"{p.parent.name if p.parent else ''} {p.name}") for p in places
        ]
        people_choices = [("", "—")] + [(u.pk, f"{u}（{u.username}）") for u in people]
        self.fields["first"].choices = people_choices
        self.fields["second"].choices = people_choices


class DutyForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was done"), choices=DutyKind.choices, widget=BigRadioSelect)
    done_on = forms.DateField(
        label=_("Done on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
