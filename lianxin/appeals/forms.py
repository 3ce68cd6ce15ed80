from django import forms
from django.utils.translation import gettext_lazy as _

from lianxin.places.models import Place, PlaceKind

from .models import Channel, HandlerKind, LinkKind, Rating, RequestCategory, RequestStatus


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _category_field(required=True):
    return forms.ModelChoiceField(
        label=_("Category"),
        queryset=RequestCategory.objects.filter(active=True),
        required=required,
        empty_label="—",
    )


class IntakeForm(forms.Form):
    """The one intake screen for every channel (D4)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.DESK)
    place = forms.ModelChoiceField(label=_("Place"), queryset=Place.objects.none(), empty_label="—")
    category = _category_field()
    description = forms.CharField(
        label=_("What the resident asks"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    resident = forms.TypedChoiceField(
        label=_("Resident found in the registry"), required=False, coerce=int, empty_value=None
    )
    requester_name = forms.CharField(label=_("Requester's name"), max_length=60, required=False)
    requester_phone = forms.CharField(
        label=_("Requester's phone"),
        max_length=20,
        required=False,
        help_text=_("With the case number, the resident can check the status on the portal."),
    )
    attachments = MultipleFileField(
        label=_("Photos or PDF"), required=False, help_text=_("Up to 5 files, 5 MB each.")
    )

    def __init__(self, *args, places=(), residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.filter(pk__in=[p.pk for p in places]).order_by("path")
        self.fields["place"].label_from_instance = lambda p: f"{'　' * max(p.depth - 4, 0)}{p.name}"
        self.fields["resident"].choices = [("", _("— not in the registry / new —"))] + [
            (r.pk, f"{r.name} · {r.household or ''} · {mask_phone(r.phone)}") for r in residents
        ]


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone or "") >= 7 else (phone or "")


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open (received or handed off)")), *RequestStatus.choices],
    )
    category = _category_field(required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=60)


class HandoffForm(forms.Form):
    to_kind = forms.ChoiceField(label=_("Hand to"), choices=HandlerKind.choices)
    to_user = forms.TypedChoiceField(label=_("Colleague"), required=False, coerce=int, empty_value=None)
    to_place = forms.ModelChoiceField(
        label=_("Community or subdistrict"),
        queryset=Place.objects.filter(kind__in=[PlaceKind.COMMUNITY, PlaceKind.SUBDISTRICT]).order_by("path"),
        required=False,
        empty_label="—",
    )
    to_label = forms.CharField(label=_("Department"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].choices = [("", "—")] + [
            (u.pk, u.get_full_name() or u.get_username()) for u in colleagues
        ]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Answer given"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    channel = forms.ChoiceField(label=_("How it was given"), choices=Channel.choices, initial=Channel.PHONE)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What the resident said"), widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(label=_("How"), choices=Channel.choices, initial=Channel.PHONE)
    on = forms.DateField(
        label=_("Follow-up date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label=_("Resident's rating"), choices=Rating.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Case number to keep"), max_length=16)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Becomes"), choices=LinkKind.choices)
    target_id = forms.IntegerField(label=_("Its number (if already created)"), required=False, min_value=1)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class DashboardForm(forms.Form):
    group = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("place", _("Place")),
            ("month", _("Month")),
            ("category", _("Category")),
            ("owner", _("First-contact owner")),
        ],
    )
    within = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = _category_field(required=False)


class PortalFileForm(forms.Form):
    place = forms.ModelChoiceField(
        label=_("Your community"),
        queryset=Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("path"),
        empty_label="—",
    )
    category = _category_field()
    description = forms.CharField(
        label=_("Your request"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
    requester_name = forms.CharField(label=_("Your name"), max_length=60)
    requester_phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        help_text=_("Needed to check the status later, with the case number."),
    )


class PortalStatusForm(forms.Form):
    number = forms.CharField(
        label=_("Case number"), max_length=16, widget=forms.TextInput(attrs={"placeholder": "2026-000123"})
    )
    phone = forms.CharField(
        label=_("Phone given with the request"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
