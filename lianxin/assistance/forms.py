from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.accounts.models import User
from lianxin.registry.models import Household, PartyMember

from .models import Investigation, PanelRole, Programme, ReasonCategory, Relation, VoteChoice


class CaseOpenForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.filter(active=True))
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none())
    applicant_name = forms.CharField(
        label=_("Assistance applicant"),
        max_length=60,
        help_text=_("A member of the household, as registered."),
    )
    reason_category = forms.ChoiceField(label=_("Reason category"), choices=ReasonCategory.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    amount = forms.DecimalField(label=_("Monthly amount"), max_digits=9, decimal_places=2, required=False)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households

    def clean(self):
        data = super().clean()
        household, name = data.get("household"), (data.get("applicant_name") or "").strip()
        if household and name:
            applicant = household.members.filter(name=name, moved_out_on__isnull=True).first()
            if applicant is None:
                self.add_error("applicant_name", _("Nobody of that name lives in the household."))
            data["applicant"] = applicant
        return data


class AdvanceForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    review_note = forms.CharField(
        label=_("Full review findings"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents seen"), widget=forms.CheckboxSelectMultiple, required=False
    )
    amount = forms.DecimalField(label=_("Monthly amount"), max_digits=9, decimal_places=2, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        names = case.step.required_documents if case.step else []
        self.fields["documents"].choices = [(n, n) for n in names]
        if not names:
            del self.fields["documents"]
        if not (case.step and case.step.sampled and case.full_review):
            del self.fields["review_note"]
        self.fields["version"].initial = case.version


class ReturnForm(forms.Form):
    to_step = forms.ChoiceField(label=_("Back to"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        earlier = case.programme.steps.filter(order__lt=case.step.order) if case.step else []
        self.fields["to_step"].choices = [(s.code, s.name) for s in earlier]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class VoteForm(forms.Form):
    voter_name = forms.CharField(label=_("Panel member"), max_length=60)
    panel_role = forms.ChoiceField(label=_("Panel role"), choices=PanelRole.choices)
    choice = forms.ChoiceField(label=_("Vote"), choices=VoteChoice.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), max_length=200, required=False)


class PublishForm(forms.Form):
    starts_on = forms.DateField(
        label=_("Notice starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}))
    upheld = forms.BooleanField(label=_("The objection is upheld"), required=False)


class InvestigationForm(forms.Form):
    first_investigator = forms.ModelChoiceField(label=_("First investigator"), queryset=User.objects.none())
    second_investigator = forms.ModelChoiceField(label=_("Second investigator"), queryset=User.objects.none())
    visited_on = forms.DateField(label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}))
    household_size = forms.IntegerField(label=_("People in the household"), min_value=1, max_value=30)
    composition = forms.CharField(
        label=_("Household composition"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    income = forms.CharField(label=_("Monthly household income"), max_length=200, required=False)
    health = forms.CharField(label=_("Health"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    findings = forms.CharField(label=_("Investigation findings"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = forms.FileField(
        label=_("Photos"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_investigator"].queryset = users
        self.fields["second_investigator"].queryset = users


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Sensitive field"),
        choices=[
            ("composition", _("Household composition")),
            ("income", _("Monthly household income")),
            ("health", _("Health")),
            ("findings", _("Investigation findings")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_field(self):
        value = self.cleaned_data["field"]
        assert value in Investigation.SENSITIVE_FIELDS
        return value


class RelativeForm(forms.Form):
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none())
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households


class PairingForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Party member"), queryset=PartyMember.objects.none())
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none())
    plan = forms.CharField(
        label=_("Assistance plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    action_text = forms.CharField(label=_("First action"), max_length=200)
    action_due = forms.DateField(label=_("Action due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["household"].queryset = households


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    """The portal's objection form: anonymous unless a name is given."""

    text = forms.CharField(
        label=_("Your objection"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    anonymous = forms.BooleanField(label=_("File anonymously"), required=False, initial=True)
    name = forms.CharField(label=_("Your name (optional)"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone (optional, not shown to anyone but the community)"), max_length=20, required=False
    )
