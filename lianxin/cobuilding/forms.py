"""Forms of D11: they only parse; the services validate the rules."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .actions import CobuildingAction as A
from .models import (
    BookerKind,
    BookingStatus,
    Category,
    CommitmentStatus,
    Direction,
    FundKind,
    PairingKind,
    ProblemStatus,
    RoomKind,
    Side,
    UnitKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time", "step": 1800})


class _CommunityForm(forms.Form):
    """A form whose first field is the community, limited to those where the user may act."""

    action = A.MANAGE

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        places = selectors.communities(actor=actor, action=self.action)
        self.fields = {
            "place": forms.ModelChoiceField(label=_("Community"), queryset=places, empty_label=None),
            **self.fields,
        }


class UnitForm(_CommunityForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("Contact's post"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    party_members = forms.IntegerField(label=_("Party members"), min_value=0, initial=0, required=False)


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    ends_on = forms.DateField(label=_("Valid until"), widget=DATE, required=False)


class CommitmentForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("Due on"), widget=DATE, required=False)


class CommitmentCheckForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CommitmentStatus.choices)
    fulfilment = forms.CharField(label=_("Fulfilment"), max_length=2000, required=False)


class MeetingForm(_CommunityForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    units = forms.ModelMultipleChoiceField(
        label=_("Units present"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}))
    decisions = forms.CharField(
        label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["units"].queryset = selectors.unit_list(actor=actor).filter(active=True)


class PairingForm(_CommunityForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=PairingKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    post = forms.CharField(label=_("Post"), max_length=120, required=False)
    started_on = forms.DateField(label=_("Paired since"), widget=DATE)


class PairingVisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(
        label=_("Problems raised"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One problem per line."),
    )


class ProblemFollowForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(k, v) for k, v in ProblemStatus.choices if k != ProblemStatus.OPEN]
    )
    follow_up = forms.CharField(label=_("Follow-up"), max_length=2000)


class RoomForm(_CommunityForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=RoomKind.choices)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, initial=20)
    area = forms.IntegerField(label=_("Floor area (m²)"), min_value=1, required=False)
    opens_at = forms.TimeField(label=_("Opens at"), widget=TIME, initial=dt.time(8, 30))
    closes_at = forms.TimeField(label=_("Closes at"), widget=TIME, initial=dt.time(21, 0))
    open_days = forms.MultipleChoiceField(
        label=_("Open days"),
        choices=[
            ("1", _("Monday")),
            ("2", _("Tuesday")),
            ("3", _("Wednesday")),
            ("4", _("Thursday")),
            ("5", _("Friday")),
            ("6", _("Saturday")),
            ("7", _("Sunday")),
        ],
        initial=list("1234567"),
        widget=forms.CheckboxSelectMultiple,
    )
    public = forms.BooleanField(label=_("Residents may book"), required=False, initial=True)


def _half_hours(opens: dt.time, closes: dt.time) -> list[tuple[str, str]]:
    slots, minutes = [], opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    while minutes <= end:
        label = f"{minutes // 60:02d}:{minutes % 60:02d}"
        slots.append((label, label))
        minutes += 30
    return slots


class _SlotForm(forms.Form):
    """A day and a time range within the room's opening hours (half-hour steps: no JS needed)."""

    day = forms.DateField(label=_("Date"), widget=DATE)
    start = forms.ChoiceField(label=_("Start time"))
    end = forms.ChoiceField(label=_("End time"))

    def __init__(self, *args, room, day=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.room = room
        slots = _half_hours(room.opens_at, room.closes_at)
        self.fields["start"].choices = slots[:-1]
        self.fields["end"].choices = slots[1:]
        self.fields["day"].initial = day or timezone.localdate() + dt.timedelta(days=1)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start") and data.get("end"):
            tz = timezone.get_current_timezone()
            data["starts_at"] = timezone.make_aware(
                dt.datetime.combine(data["day"], dt.time.fromisoformat(data["start"])), tz
            )
            data["ends_at"] = timezone.make_aware(
                dt.datetime.combine(data["day"], dt.time.fromisoformat(data["end"])), tz
            )
        return data


class StaffBookingForm(_SlotForm):
    booker_kind = forms.ChoiceField(label=_("Booked by"), choices=BookerKind.choices)
    unit = forms.ModelChoiceField(label=_("Resident unit"), queryset=None, required=False)
    booker_name = forms.CharField(label=_("Name"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    people = forms.IntegerField(label=_("Number of people"), min_value=1, initial=10)

    def __init__(self, *args, room, actor, **kwargs):
        super().__init__(*args, room=room, **kwargs)
        self.fields["unit"].queryset = selectors.unit_list(actor=actor).filter(place_id=room.place_id)


class PortalBookingForm(_SlotForm):
    booker_kind = forms.ChoiceField(
        label=_("I am booking as"),
        choices=[(BookerKind.RESIDENT, _("A resident")), (BookerKind.UNIT, _("A resident unit"))],
        initial=BookerKind.RESIDENT,
    )
    unit = forms.ModelChoiceField(label=_("Resident unit"), queryset=None, required=False)
    booker_name = forms.CharField(label=_("Your name"), max_length=60)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        help_text=_("Only for the community to reach you; shown masked."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    people = forms.IntegerField(label=_("Number of people"), min_value=1, initial=1)

    def __init__(self, *args, room, day=None, **kwargs):
        from .models import ResidentUnit

        super().__init__(*args, room=room, day=day, **kwargs)
        self.fields["unit"].queryset = ResidentUnit.objects.filter(place_id=room.place_id, active=True)
        self.order_fields(
            ["day", "start", "end", "purpose", "people", "booker_kind", "unit", "booker_name", "phone"]
        )


class BookingCodeForm(forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=12)


class BookingDecideForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, s) for s in (BookingStatus.APPROVED, BookingStatus.REJECTED, BookingStatus.CANCELLED)]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class FundForm(_CommunityForm):
    action = A.FUND_RECORD
    kind = forms.ChoiceField(label=_("Fund"), choices=FundKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    budget = forms.CharField(
        label=_("Budget (yuan)"),
        max_length=20,
        required=False,
        help_text=_(
            "Leave empty for the default: 120,000 yuan for operating funds, 100 yuan per party member."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class EntryForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.EXPENSE)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    payee = forms.CharField(label=_("Payee or payer"), max_length=120, required=False)


class EntryDecideForm(forms.Form):
    approve = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class VoucherForm(forms.Form):
    file = forms.FileField(label=_("Voucher (photo or PDF)"))


class VolunteerForm(_CommunityForm):
    resident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    member = forms.ModelChoiceField(
        label=_("Party member"),
        queryset=None,
        required=False,
        help_text=_("Choose the member from the registry, or type the name of a volunteer who is not one."),
    )
    skills = forms.CharField(label=_("Skills"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        from lianxin.registry import selectors as registry_selectors

        super().__init__(*args, actor=actor, **kwargs)
        del self.fields["resident"]
        self.fields["member"].queryset = registry_selectors.member_list(
            actor=actor, status="active"
        ).select_related("resident")
        self.fields["member"].label_from_instance = lambda m: m.resident.name


class ActivityForm(_CommunityForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices], required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    volunteers = forms.ModelMultipleChoiceField(
        label=_("Volunteers"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    hours = forms.DecimalField(
        label=_("Hours each"), min_value=0.1, max_value=24, decimal_places=1, initial=2
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["volunteers"].queryset = selectors.volunteer_list(actor=actor).filter(active=True)


class TargetForm(_CommunityForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    party_members = forms.IntegerField(label=_("Party-member volunteers wanted"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
