from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CaseOutcome, CommitmentKind, Criterion, MemberGroup, ScoreKind

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


def _text(label, rows=3, required=True):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), required=required)


class OrgChoiceForm(forms.Form):
    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        if "organization" in self.fields:
            self.fields["organization"].choices = [(str(o.pk), o.name) for o in organizations]


class GoalForm(OrgChoiceForm):
    organization = forms.ChoiceField(label=_("Organization"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200)
    letter_issued_by = forms.CharField(label=_("Letter issued by"), max_length=120, required=False)


class GoalItemForm(forms.Form):
    project = forms.CharField(label=_("Project"), max_length=200)
    target = _text(_("Target"), 2)
    lead = forms.CharField(label=_("Lead person"), max_length=60)
    due_on = forms.DateField(label=_("Due on"), **DATE)
    practical = forms.BooleanField(label=_("Practical matter (实事)"), required=False)
    milestones = _text(_("Milestones"), 2, required=False)
    milestones.help_text = _("One per line: date and title, e.g. 2026-03-31 完成设计.")

    def clean_milestones(self):
        import datetime as dt

        rows = []
        for n, line in enumerate(self.cleaned_data["milestones"].splitlines(), 1):
            if not line.strip():
                continue
            date_text, _sep, title = line.strip().partition(" ")
            try:
                rows.append((title.strip(), dt.date.fromisoformat(date_text)))
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: start with a date like 2026-03-31, then the title.") % {"n": n}
                ) from None
        return rows


class SignForm(forms.Form):
    signed_by = forms.CharField(label=_("Signed by"), max_length=120)
    signed_on = forms.DateField(label=_("Signed on"), **DATE)


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress in percent"), min_value=0, max_value=100)
    note = _text(_("What was done"), 2)
    evidence = forms.FileField(label=_("Evidence"), required=False)


class CommitmentForm(OrgChoiceForm):
    organization = forms.ChoiceField(label=_("Organization"))
    group = forms.ChoiceField(label=_("Who commits"), choices=MemberGroup.choices)
    member = forms.TypedChoiceField(
        label=_("Member"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "For a member's commitment: the member who makes it. Leave empty for the organization's."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CommitmentKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    period_start = forms.DateField(label=_("Period starts"), required=False, **DATE)
    period_end = forms.DateField(label=_("Period ends"), required=False, **DATE)
    target = _text(_("Target"), 2, required=False)
    items = _text(_("Items (one per line)"), 4, required=False)
    measures = _text(_("Measures"), 2, required=False)
    deadline = forms.DateField(label=_("Deadline"), required=False, **DATE)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—")] + [
            (m.pk, f"{m.resident.name} · {m.organization.name}") for m in members
        ]


class CommitmentEditForm(forms.Form):
    target = _text(_("Target"), 2, required=False)
    items = _text(_("Items (one per line)"), 4, required=False)
    measures = _text(_("Measures"), 2, required=False)
    deadline = forms.DateField(label=_("Deadline"), required=False, **DATE)


class NoteForm(forms.Form):
    note = _text(_("Note"), 2)
    done = forms.BooleanField(label=_("Commitment fulfilled"), required=False)


class CycleForm(forms.Form):
    place = forms.ChoiceField(label=_("Place"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(
        label=_("Half"), choices=[(1, _("First half")), (2, _("Second half"))], coerce=int
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    meeting_on = forms.DateField(label=_("Review meeting on"), required=False, **DATE)
    weight_self = forms.IntegerField(
        label=_("Self-evaluation weight"), min_value=0, max_value=100, initial=10
    )
    weight_peer = forms.IntegerField(
        label=_("Peer evaluation weight"), min_value=0, max_value=100, initial=20
    )
    weight_leader = forms.IntegerField(
        label=_("Leader review weight"), min_value=0, max_value=100, initial=30
    )
    weight_public = forms.IntegerField(
        label=_("Public evaluation weight"), min_value=0, max_value=100, initial=40
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), p.name) for p in places]


class EvalueeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    role = forms.CharField(label=_("Role"), max_length=60, required=False)


class ScoreForm(forms.Form):
    evaluee = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=ScoreKind.choices)
    score = forms.DecimalField(label=_("Score"), min_value=0, max_value=100, decimal_places=2)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class CodesForm(forms.Form):
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=200_000)


class VoidForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class NominateForm(OrgChoiceForm):
    place = forms.ChoiceField(label=_("Place"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    criterion = forms.ChoiceField(label=_("Criterion"), choices=Criterion.choices)
    organization = forms.ChoiceField(label=_("Organization"), required=False)
    member = forms.ChoiceField(label=_("Member"), required=False)
    post_name = forms.CharField(label=_("Post"), max_length=120, required=False)
    deeds = _text(_("Deeds"), 3)

    def __init__(self, *args, places=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), p.name) for p in places]
        self.fields["organization"].choices = [("", "—"), *self.fields["organization"].choices]
        self.fields["member"].choices = [("", "—")] + [(str(m.pk), m.resident.name) for m in members]


class CaseForm(forms.Form):
    review = _text(_("Review findings"), 2, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *CaseOutcome.choices], required=False)
    note = _text(_("Note"), 2, required=False)


class RhythmForm(forms.Form):
    place = forms.ChoiceField(label=_("Place"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), p.name) for p in places]


class ReportCompileForm(OrgChoiceForm):
    organization = forms.ChoiceField(label=_("Organization"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class ReportTextForm(forms.Form):
    text = _text(_("Report"), 16)
