"""Input parsing and output shapes. Serializers never save: views hand validated data to services.

Each resource uses one serializer for reading and writing (read-only fields are marked) so that
every choice set appears in one schema component and the OpenAPI enum names stay stable.
Related ids are resolved through scoped selectors: an id outside the caller's subtree is as
invalid as a missing one.
"""

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from lianxin.accounts import selectors as account_selectors
from lianxin.accounts.models import RoleAssignment, User
from lianxin.core.calendar import MAX_SPAN_DAYS
from lianxin.core.models import AuditEntry, Notification, Todo, TodoStatus
from lianxin.places import selectors as place_selectors
from lianxin.places.models import OrgKind, OrgRating, PartyOrganization, Place, PlaceKind, Rating

# --- related fields scoped to the caller ------------------------------------------------------


class SharedArguments:
    """A field whose copies share its declaration's arguments.

    DRF deep-copies every declared field for each serializer instance, re-creating it from deep
    copies of its arguments; for a queryset that is the most expensive part of a small serializer.
    Those arguments are never changed in place (a queryset is cloned with ``.all()`` where it is
    used), so the copies can share them. (Query serializers go further: ``QuerySerializer``.)
    """

    def __deepcopy__(self, memo):
        return self.__class__(*self._args, **self._kwargs)


# Fields whose validation depends on the submitted text alone (and on settings read at start-up):
# no database, no clock, no caller. Related fields read the database and are never among them.
PURE_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.IntegerField,
)
READ_CACHE_SIZE = 256  # distinct filter texts remembered per query serializer; emptied when full


class QuerySerializer(serializers.Serializer):
    """The filters of a list, read from the query string on every request.

    A serializer deep-copies its declared fields for each instance (DRF re-creates every field from
    deep copies of its arguments): about 0.15 ms of the requests list's 2 ms page. The fields of a
    query are flat (no nested serializer, list or many-related field, which is checked when the class
    is declared) and are not changed once declared: ``bind`` sets the name, parent and source on the
    copy, validation keeps its state in the serializer. So each instance gets shallow copies.

    ``read`` remembers what a query string's filters validated to, where that cannot change: when
    every filter given is a pure field (``PURE_FIELDS``, without validators, callable defaults or
    ``validate_<name>`` methods of its own) and the class adds no ``validate``. Clients page through
    the same filters over and over (``?status=open&cursor=…``), and DRF's validation of three or four
    fields was a tenth of the requests list's page. Invalid input is not remembered: it is answered
    by DRF each time, in the caller's language."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, field in cls._declared_fields.items():
            if (
                isinstance(field, serializers.BaseSerializer)
                or hasattr(field, "child")
                or hasattr(field, "child_relation")
            ):
                raise TypeError(f"{cls.__name__}.{name}: a query's fields are flat")
        cls._read_cache = {}
        pure = _drf_validation(cls) and not getattr(getattr(cls, "Meta", None), "validators", None)
        cls._pure_fields = frozenset(
            name for name, field in cls._declared_fields.items() if pure and _pure(cls, name, field)
        )

    @classmethod
    def read(cls, query, context) -> dict:
        """``query``'s valid filters (``validated_data``), or DRF's ValidationError (400)."""
        key = cls._key(query)
        if key is not None and (found := cls._read_cache.get(key)) is not None:
            return dict(found)
        serializer = cls(data=query, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if key is not None:
            if len(cls._read_cache) >= READ_CACHE_SIZE:
                cls._read_cache.clear()
            cls._read_cache[key] = dict(data)
        return data

    @classmethod
    def _key(cls, query):
        """The given filters' texts, or None when a filter given (or one with a default) is not pure,
        or the query is not a query string's (a QueryDict of texts)."""
        if not isinstance(query, QueryDict):
            return None
        given = []
        for name in cls._declared_fields:
            if name in query:
                if name not in cls._pure_fields:
                    return None
                given.append((name, tuple(query.getlist(name))))
            elif name not in cls._pure_fields and cls._declared_fields[name].default is not empty:
                return None
        return tuple(given)

    def get_fields(self):
        return {name: _shallow(field) for name, field in self._declared_fields.items()}


# The methods through which a field or a serializer validates: DRF's own, or a subclass's that may
# read anything (the database, the caller in its context, the clock).
VALIDATION = (
    "get_value",
    "validate_empty_values",
    "run_validation",
    "to_internal_value",
    "run_validators",
    "get_validators",
    "validate",
)


def _drf_validation(cls) -> bool:
    return all(
        getattr(cls, method).__module__.startswith("rest_framework.")
        for method in VALIDATION
        if hasattr(cls, method)
    )


def _pure(cls, name: str, field) -> bool:
    return (
        isinstance(field, PURE_FIELDS)
        and _drf_validation(type(field))
        and not field._kwargs.get("validators")
        and (field.default is empty or not callable(field.default))
        and not hasattr(cls, f"validate_{name}")
    )


def _shallow(field):
    """A shallow copy of a field: its attributes in a new instance. (``copy.copy`` goes through
    ``__reduce_ex__``, a third of a list page's query parsing.)"""
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied


class _ScopedRelatedField(SharedArguments, serializers.PrimaryKeyRelatedField):
    """A primary key resolved only among the rows the requesting user may see.

    ``queryset`` is a model hint for the schema; ``scoped`` returns the real choices.
    """

    def scoped(self, user):  # pragma: no cover - interface
        raise NotImplementedError

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return self.queryset.none()
        return self.scoped(request.user)


class ScopedPlaceField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Place.objects.none(), **kwargs)

    def scoped(self, user):
        return place_selectors.place_list(actor=user)


class ScopedOrgField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=PartyOrganization.objects.none(), **kwargs)

    def scoped(self, user):
        return place_selectors.org_list(actor=user, active_only=False)


class ScopedUserField(_ScopedRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.none(), **kwargs)

    def scoped(self, user):
        return account_selectors.user_list(actor=user)


# --- places and party organizations -----------------------------------------------------------


class PlaceSerializer(serializers.ModelSerializer):
    parent = ScopedPlaceField(allow_null=True, required=False)

    class Meta:
        model = Place
        fields = ["id", "kind", "name", "code", "parent", "depth", "address", "created_at"]
        read_only_fields = ["id", "depth", "created_at"]
        # Uniqueness is the service's call (and must not probe rows outside the caller's scope).
        validators = []


class PlaceFilterSerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=PlaceKind.choices, required=False, help_text=_("Level of place."))
    within = ScopedPlaceField(required=False, help_text=_("Only places in this place's subtree."))
    search = serializers.CharField(required=False, allow_blank=True, help_text=_("Part of the name."))


class PlaceMoveSerializer(serializers.Serializer):
    parent = ScopedPlaceField(help_text=_("The new parent place."))
    reason = serializers.CharField(help_text=_("Why the place moves (kept in the audit log)."))


class PartyOrganizationSerializer(serializers.ModelSerializer):
    place = ScopedPlaceField()
    parent = ScopedOrgField(allow_null=True, required=False)

    # Kind, place and parent are set at creation; afterwards the tree changes only by a move.
    fixed_after_create = ("kind", "place", "parent")

    class Meta:
        model = PartyOrganization
        fields = [
            "id",
            "kind",
            "field",
            "name",
            "place",
            "parent",
            "secretary_name",
            "founded_on",
            "dissolved_on",
            "rating",
            "is_active",
        ]
        read_only_fields = ["id", "rating", "is_active"]
        validators = []

    def validate(self, attrs):
        if self.partial:
            fixed = [name for name in self.fixed_after_create if name in self.initial_data]
            if fixed:
                raise serializers.ValidationError(
                    {name: [_("This cannot be changed here; use the move endpoint.")] for name in fixed}
                )
        return attrs


class OrgFilterSerializer(QuerySerializer):
    kind = serializers.ChoiceField(
        choices=OrgKind.choices, required=False, help_text=_("Kind of organization.")
    )
    within = ScopedPlaceField(required=False, help_text=_("Only organizations in this place's subtree."))
    include_dissolved = serializers.BooleanField(
        required=False, default=False, help_text=_("Also list dissolved organizations.")
    )


class OrgMoveSerializer(serializers.Serializer):
    parent = ScopedOrgField(
        allow_null=True, help_text=_("The new parent organization, or null for a top one.")
    )
    reason = serializers.CharField(help_text=_("Why the organization moves (kept in the audit log)."))


class OrgRatingSerializer(serializers.ModelSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)

    class Meta:
        model = OrgRating
        fields = [
            "id",
            "organization",
            "rating",
            "rated_on",
            "rated_by",
            "basis",
            "upgrade_plan",
            "upgrade_due",
        ]
        read_only_fields = ["id", "organization", "rated_on", "rated_by"]
        extra_kwargs = {"upgrade_plan": {"required": False}, "upgrade_due": {"required": False}}


# --- accounts ---------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    is_system_admin = serializers.BooleanField(source="is_superuser", required=False, default=False)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        help_text=_("Leave empty for an account that cannot sign in with a password."),
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "email",
            "is_active",
            "is_system_admin",
            "password",
        ]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"username": {"validators": []}}


class UserFilterSerializer(QuerySerializer):
    search = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Part of the login or name.")
    )


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = ScopedUserField()
    place = ScopedPlaceField()

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "place", "granted_by", "granted_at", "ended_at"]
        read_only_fields = ["id", "granted_by", "granted_at", "ended_at"]
        validators = []


class RoleAssignmentFilterSerializer(QuerySerializer):
    user = ScopedUserField(required=False, help_text=_("Only this user's roles."))
    include_ended = serializers.BooleanField(
        required=False, default=False, help_text=_("Also list ended roles.")
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("Why (kept in the audit log)."))


# --- calendar ---------------------------------------------------------------------------------


class _NamedParameterMixin:
    """Every error names the query parameter, so a wrong call explains itself."""

    named_messages = {
        "required": _("The “%(name)s” parameter is missing."),
        "null": _("The “%(name)s” parameter is missing."),
    }

    def fail(self, key, **kwargs):
        template = self.named_messages.get(key)
        if template is None:
            return super().fail(key, **kwargs)
        raise serializers.ValidationError(
            str(template) % {"name": self.field_name, "min": self.min_value, "max": self.max_value}, code=key
        )


class DateParameter(_NamedParameterMixin, serializers.DateField):
    min_value = max_value = None
    named_messages = {
        **_NamedParameterMixin.named_messages,
        "invalid": _("The “%(name)s” parameter must be a date written YYYY-MM-DD."),
        "datetime": _("The “%(name)s” parameter must be a date written YYYY-MM-DD."),
    }


class DaysParameter(_NamedParameterMixin, serializers.IntegerField):
    """The range check runs in ``to_internal_value`` so that it too names the parameter
    (DRF's own min/max validators would not); ``min_value``/``max_value`` still feed the schema."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = []

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.min_value is not None and value < self.min_value:
            self.fail("min_value")
        if self.max_value is not None and value > self.max_value:
            self.fail("max_value")
        return value

    named_messages = {
        **_NamedParameterMixin.named_messages,
        "invalid": _("The “%(name)s” parameter must be a whole number."),
        "max_string_length": _("The “%(name)s” parameter must be a whole number."),
        "min_value": _("The “%(name)s” parameter must be between %(min)s and %(max)s."),
        "max_value": _("The “%(name)s” parameter must be between %(min)s and %(max)s."),
    }


class WorkingDaysQuerySerializer(serializers.Serializer):
    start = DateParameter(help_text=_("Counting starts after this date (YYYY-MM-DD)."))
    days = DaysParameter(min_value=0, max_value=MAX_SPAN_DAYS // 2, help_text=_("Working days to add."))


class WorkingDaysSerializer(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.IntegerField()
    due = serializers.DateField(help_text=_("The date the given number of working days after the start."))
    provisional = serializers.BooleanField(
        help_text=_("True when a year without a loaded official calendar is involved (weekends only).")
    )


class BetweenQuerySerializer(serializers.Serializer):
    start = DateParameter(help_text=_("First date (YYYY-MM-DD), not counted."))
    end = DateParameter(help_text=_("Last date (YYYY-MM-DD), counted."))

    def validate(self, attrs):
        if abs((attrs["end"] - attrs["start"]).days) > MAX_SPAN_DAYS:
            raise serializers.ValidationError(
                {"end": [_("The “end” parameter is too far from “start” (at most ten years).")]}
            )
        return attrs


class BetweenSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    working_days = serializers.IntegerField(
        help_text=_("Working days in (start, end]; negative when end < start.")
    )


# --- inbox, to-dos, audit log -----------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationFilterSerializer(QuerySerializer):
    unread = serializers.BooleanField(required=False, default=False, help_text=_("Only unread messages."))


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many messages were marked read."))


class TodoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Todo
        fields = [
            "id",
            "title",
            "detail",
            "url",
            "place",
            "status",
            "due_from",
            "due_days",
            "due_on",
            "due_provisional",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class TodoFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(
        choices=TodoStatus.choices, required=False, help_text=_("Only this status.")
    )


class TodoCloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (TodoStatus.DONE, TodoStatus.DONE.label),
            (TodoStatus.CANCELLED, TodoStatus.CANCELLED.label),
        ],
        default=TodoStatus.DONE,
        help_text=_("Done (default) or cancelled."),
    )


class AuditEntrySerializer(serializers.ModelSerializer):
    place_id = serializers.IntegerField(source="place_id_snapshot", allow_null=True, read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "at",
            "actor",
            "actor_name",
            "role",
            "place_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "reason",
            "hash",
        ]
        read_only_fields = fields


class AuditFilterSerializer(QuerySerializer):
    action = serializers.CharField(required=False, allow_blank=True, help_text=_("e.g. place.move"))
    object_type = serializers.CharField(required=False, allow_blank=True, help_text=_("e.g. places.place"))
    object_id = serializers.CharField(required=False, allow_blank=True)


# --- auth -------------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
