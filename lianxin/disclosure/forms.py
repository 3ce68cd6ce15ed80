from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.places.models import Place, PlaceKind

from .models import CommentKind, CommentStatus, ItemKind, ItemStatus, Section, Topic

DATE = forms.DateInput(attrs={"type": "date"})


class ItemForm(forms.Form):
    place = forms.ModelChoiceField(label=_("Community"), queryset=Place.objects.none(), empty_label=None)
    section = forms.ChoiceField(label=_("Section"), choices=Section.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices, initial=ItemKind.IMMEDIATE)
    topic = forms.ChoiceField(
        label=_("Also show on the portal as"),
        choices=Topic.choices,
        required=False,
        help_text=_("Policies, service guides and news also appear on the portal's own pages."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Only what may be public: no ID numbers, phone numbers or health details."),
    )
    starts_on = forms.DateField(label=_("Shown from"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("Shown until"), required=False, widget=DATE)
    due_on = forms.DateField(
        label=_("Due by"),
        required=False,
        widget=DATE,
        help_text=_("The date by which this item must be published (for the late-disclosure report)."),
    )

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        if places is None:
            del self.fields["place"]
        else:
            self.fields["place"].queryset = places


class CorrectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text=_("Shown to residents with the new version."),
    )


class BoardFilterForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), choices=[("", "—"), *Section.choices], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *ItemStatus.choices], required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class LateFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Due from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Due until"), required=False, widget=DATE)


class CommentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", "—"), ("open", _("Open")), *CommentStatus.choices],
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Handled by"), queryset=None, empty_label=None)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (result of the investigation)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PortalCommentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=CommentKind.choices,
        widget=forms.RadioSelect,
        initial=CommentKind.COMMENT,
    )
    subject = forms.CharField(label=_("Subject"), max_length=120)
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    anonymous = forms.BooleanField(
        label=_("Stay anonymous"),
        required=False,
        initial=True,
        help_text=_("Leave the name and phone empty; nobody can call you back."),
    )
    name = forms.CharField(label=_("Your name"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Stored encrypted; used only to call you back."),
    )
    publish_agreed = forms.BooleanField(
        label=_("The answer may be published on the portal"),
        required=False,
        help_text=_("Your name and phone are never published."),
    )


class PortalCommunityForm(forms.Form):
    place = forms.ModelChoiceField(
        label=_("Your community"),
        queryset=Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("path"),
        empty_label="—",
    )
