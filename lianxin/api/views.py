"""The REST API, version 1. Each view parses input, calls ONE selector or service, and renders.

Reads go through scoped selectors (an object outside the caller's subtree answers 404 exactly
like a missing one); writes go through the domain services, which check access again, validate,
write and audit in one transaction.
"""

import functools

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from lianxin.accounts import security, two_factor
from lianxin.accounts import selectors as account_selectors
from lianxin.accounts import services as account_services
from lianxin.core import calendar, notifications
from lianxin.core import selectors as core_selectors
from lianxin.core import services as core_services
from lianxin.core.access import Action
from lianxin.core.middleware import client_ip
from lianxin.places import selectors as place_selectors
from lianxin.places import services as place_services

from . import serializers as s
from .pagination import Pages
from .permissions import IsSystemAdmin, ScopedAction


def _release(view, request, response) -> None:
    """Called when the response has been sent (``HttpResponse.close``). DRF links a viewset, its
    request and its response in cycles: the viewset keeps its own bound methods (``view.get`` is
    ``view.list``), its request and its response; ``request.parser_context`` holds the request itself
    and the view; ``response.renderer_context`` the response itself, the view and the request. So none
    of them, nor the page of rows the view's paginator keeps, is freed when the response is done:
    Python's cycle collector frees them later (on the requests list, a pass every five pages of about
    0.6 ms). Nothing reads them once the response is closed; dropping these references lets reference
    counting free the request's objects at once."""
    view.__dict__.clear()
    request.parser_context = None
    response.renderer_context = None


def _valid(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _ApiViewSet(viewsets.GenericViewSet):
    lookup_value_converter = "int"
    pagination_class = Pages

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._resource_closers.append(functools.partial(_release, self, request, response))
        return response

    def _query(self, serializer_class) -> dict:
        if issubclass(serializer_class, s.QuerySerializer):
            return serializer_class.read(self.request.query_params, self.get_serializer_context())
        return _valid(serializer_class(data=self.request.query_params, context=self.get_serializer_context()))

    def _body(self, serializer_class=None, **kwargs) -> dict:
        serializer_class = serializer_class or self.get_serializer_class()
        return _valid(
            serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        )

    def _page(self, queryset, serializer_class=None, context=None) -> Response:
        """A page of ``queryset``; ``context(rows)`` adds to the serializer's context what the page's rows
        need read at once (figures per row computed for the whole page, not one query per row)."""
        serializer_class = serializer_class or self.get_serializer_class()
        page = self.paginate_queryset(queryset)
        extra = context(page) if context is not None else {}
        return self.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context() | extra).data
        )

    def _render(self, obj, serializer_class=None, status_code=status.HTTP_200_OK) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        return Response(serializer_class(obj, context=self.get_serializer_context()).data, status=status_code)


# --- auth -------------------------------------------------------------------------------------


class LoginRateThrottle(AnonRateThrottle):
    # Password guessing costs time; generous enough for a whole office behind one address.
    scope = "login"
    rate = "30/minute"


class LockoutAuthTokenSerializer(AuthTokenSerializer):
    """The password check of the login page, lockout included; plus the authenticator code for
    those who need one (lianxin.accounts.two_factor)."""

    code = serializers.CharField(required=False, allow_blank=True, max_length=6, label="code")

    def validate(self, attrs):
        request = self.context.get("request")
        try:
            attrs = super().validate(attrs)
        except serializers.ValidationError:
            until = getattr(request, "lianxin_locked_until", None)
            if until is not None:
                raise serializers.ValidationError(
                    _("Too many failed attempts. Please try again after %(time)s.")
                    % {"time": timezone.localtime(until).strftime("%H:%M")},
                    code="locked",
                ) from None
            raise
        user = attrs["user"]
        if two_factor.required_for(user):
            device = two_factor.device_for(user)
            if device is None or device.confirmed_at is None:
                raise serializers.ValidationError(
                    _("Set up two-factor sign-in on the website first."), code="two_factor"
                )
            ip = client_ip(request)
            if security.locked_until(user.get_username(), ip) or not two_factor.verify(
                device=device, code=attrs.get("code", "")
            ):
                security.register_failure(user.get_username(), ip, user=user, reason="code")
                raise serializers.ValidationError(
                    _("The authenticator code is not correct."), code="two_factor"
                )
        return attrs


@extend_schema(request=LockoutAuthTokenSerializer, responses=s.TokenSerializer, tags=["auth"])
class TokenObtainView(ObtainAuthToken):
    """Exchange a login name and password (and, where required, an authenticator code) for an API
    token (send it as ``Authorization: Token …``). Failures count toward the sign-in lockout."""

    throttle_classes = [LoginRateThrottle]
    serializer_class = LockoutAuthTokenSerializer


# --- places and party organizations -----------------------------------------------------------


@extend_schema(tags=["places"])
class PlaceViewSet(_ApiViewSet):
    """The place tree (D1), as far as the caller may see it."""

    serializer_class = s.PlaceSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_PLACE, "create": Action.MANAGE_PLACE}
    object_actions = {"retrieve": Action.VIEW_PLACE, "move": Action.MANAGE_PLACE}

    def get_queryset(self):
        return place_selectors.place_list(actor=self.request.user)

    def get_object(self):
        place = place_selectors.place_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, place)
        return place

    @extend_schema(parameters=[s.PlaceFilterSerializer])
    def list(self, request):
        filters = self._query(s.PlaceFilterSerializer)
        return self._page(place_selectors.place_list(actor=request.user, **filters))

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = self._body()
        place = place_services.place_create(
            actor=request.user,
            kind=data["kind"],
            name=data["name"],
            parent=data.get("parent"),
            code=data.get("code", ""),
            address=data.get("address", ""),
        )
        return self._render(place, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.PlaceMoveSerializer, responses=s.PlaceSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk):
        """Move a place and its whole subtree under another parent; the reason is audited."""
        place = self.get_object()
        data = self._body(s.PlaceMoveSerializer)
        moved = place_services.place_move(
            actor=request.user, place=place, new_parent=data["parent"], reason=data["reason"]
        )
        return self._render(moved)


@extend_schema(tags=["party organizations"])
class PartyOrganizationViewSet(_ApiViewSet):
    """The party-organization tree (D1): committee → general branch → branch → group."""

    serializer_class = s.PartyOrganizationSerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_ORG, "create": Action.MANAGE_ORG}
    object_actions = {
        "retrieve": Action.VIEW_ORG,
        "partial_update": Action.MANAGE_ORG,
        "rate": Action.RATE_ORG,
        "move": Action.MANAGE_ORG,
    }

    def get_queryset(self):
        return place_selectors.org_list(actor=self.request.user)

    def get_object(self):
        org = place_selectors.org_get(actor=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, org)
        return org

    @extend_schema(parameters=[s.OrgFilterSerializer])
    def list(self, request):
        filters = self._query(s.OrgFilterSerializer)
        orgs = place_selectors.org_list(
            actor=request.user,
            kind=filters.get("kind"),
            within=filters.get("within"),
            active_only=not filters["include_dissolved"],
        )
        return self._page(orgs)

    def retrieve(self, request, pk):
        return self._render(self.get_object())

    def create(self, request):
        data = dict(self._body())
        org = place_services.org_create(
            actor=request.user,
            kind=data.pop("kind"),
            name=data.pop("name"),
            place=data.pop("place"),
            parent=data.pop("parent", None),
            **data,
        )
        return self._render(org, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk):
        org = self.get_object()
        data = self._body(partial=True)
        return self._render(place_services.org_update(actor=request.user, org=org, **data))

    @extend_schema(request=s.OrgRatingSerializer, responses={201: s.OrgRatingSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk):
        """Rate an organization class 1, 2 or 3 (三分类三升级); class 2 and 3 need an upgrade plan."""
        org = self.get_object()
        data = self._body(s.OrgRatingSerializer)
        rating = place_services.org_rate(
            actor=request.user,
            org=org,
            rating=data["rating"],
            basis=data["basis"],
            upgrade_plan=data.get("upgrade_plan", ""),
            upgrade_due=data.get("upgrade_due"),
        )
        return self._render(rating, s.OrgRatingSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=s.OrgMoveSerializer, responses=s.PartyOrganizationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk):
        """Put an organization under another one (or at the top); the reason is audited."""
        org = self.get_object()
        data = self._body(s.OrgMoveSerializer)
        moved = place_services.org_move(
            actor=request.user, org=org, new_parent=data["parent"], reason=data["reason"]
        )
        return self._render(moved)


# --- accounts (system administrators only) ----------------------------------------------------


@extend_schema(tags=["accounts"])
class UserViewSet(_ApiViewSet):
    """User accounts. System administrators only."""

    serializer_class = s.UserSerializer
    permission_classes = [IsSystemAdmin]

    def get_queryset(self):
        return account_selectors.user_list(actor=self.request.user)

    @extend_schema(parameters=[s.UserFilterSerializer])
    def list(self, request):
        filters = self._query(s.UserFilterSerializer)
        return self._page(account_selectors.user_list(actor=request.user, **filters))

    def retrieve(self, request, pk):
        return self._render(account_selectors.user_get(actor=request.user, pk=pk))

    def create(self, request):
        data = self._body()
        user = account_services.user_create(
            actor=request.user,
            username=data["username"],
            display_name=data.get("display_name", ""),
            password=data.get("password") or None,
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            is_system_admin=data.get("is_superuser", False),
        )
        return self._render(user, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class RoleAssignmentViewSet(_ApiViewSet):
    """Who holds which role on which place. System administrators only."""

    serializer_class = s.RoleAssignmentSerializer
    permission_classes = [IsSystemAdmin]

    def get_queryset(self):
        return account_selectors.role_assignment_list_all(actor=self.request.user)

    @extend_schema(parameters=[s.RoleAssignmentFilterSerializer])
    def list(self, request):
        filters = self._query(s.RoleAssignmentFilterSerializer)
        assignments = account_selectors.role_assignment_list_all(
            actor=request.user, user=filters.get("user"), active_only=not filters["include_ended"]
        )
        return self._page(assignments)

    def retrieve(self, request, pk):
        return self._render(account_selectors.role_assignment_get_any(actor=request.user, pk=pk))

    def create(self, request):
        data = self._body()
        assignment = account_services.role_grant(
            actor=request.user, user=data["user"], role=data["role"], place=data["place"]
        )
        return self._render(assignment, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.RoleAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk):
        """End a role assignment; the reason is audited."""
        assignment = account_selectors.role_assignment_get_any(actor=request.user, pk=pk)
        data = self._body(s.ReasonSerializer)
        return self._render(account_services.role_revoke(actor=request.user, assignment=assignment, **data))


# --- calendar ---------------------------------------------------------------------------------


class WorkingDaysView(APIView):
    """The date a number of official working days after a start date."""

    @extend_schema(
        parameters=[s.WorkingDaysQuerySerializer], responses=s.WorkingDaysSerializer, tags=["calendar"]
    )
    def get(self, request):
        query = _valid(s.WorkingDaysQuerySerializer(data=request.query_params))
        deadline = calendar.add_working_days(query["start"], query["days"])
        result = {**query, "due": deadline.due, "provisional": deadline.provisional}
        return Response(s.WorkingDaysSerializer(result).data)


class WorkingDaysBetweenView(APIView):
    """The number of official working days between two dates."""

    @extend_schema(parameters=[s.BetweenQuerySerializer], responses=s.BetweenSerializer, tags=["calendar"])
    def get(self, request):
        query = _valid(s.BetweenQuerySerializer(data=request.query_params))
        count = calendar.working_days_between(query["start"], query["end"])
        return Response(s.BetweenSerializer({**query, "working_days": count}).data)


# --- the caller's own inbox and to-dos --------------------------------------------------------


@extend_schema(tags=["inbox"])
class NotificationViewSet(_ApiViewSet):
    """The caller's own in-app messages."""

    serializer_class = s.NotificationSerializer

    def get_queryset(self):
        return core_selectors.notification_list(actor=self.request.user)

    @extend_schema(parameters=[s.NotificationFilterSerializer])
    def list(self, request):
        filters = self._query(s.NotificationFilterSerializer)
        return self._page(core_selectors.notification_list(actor=request.user, unread_only=filters["unread"]))

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk):
        """Mark one message read."""
        notification = core_selectors.notification_get(actor=request.user, pk=pk)
        core_services.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return self._render(notification)

    @extend_schema(request=None, responses=s.MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every unread message read."""
        marked = core_services.notification_mark_read(user=request.user)
        return Response(s.MarkedSerializer({"marked": marked}).data)

    @extend_schema(responses=s.UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """How many messages are unread."""
        return Response(
            s.UnreadCountSerializer({"unread_count": notifications.unread_count(request.user)}).data
        )


@extend_schema(tags=["to-dos"])
class TodoViewSet(_ApiViewSet):
    """The caller's own to-dos, soonest deadline first."""

    serializer_class = s.TodoSerializer

    def get_queryset(self):
        return core_selectors.todo_list(actor=self.request.user)

    @extend_schema(parameters=[s.TodoFilterSerializer])
    def list(self, request):
        filters = self._query(s.TodoFilterSerializer)
        return self._page(core_selectors.todo_list(actor=request.user, **filters))

    @extend_schema(request=s.TodoCloseSerializer, responses=s.TodoSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk):
        """Mark a to-do done (or cancelled)."""
        todo = core_selectors.todo_get(actor=request.user, pk=pk)
        data = self._body(s.TodoCloseSerializer)
        return self._render(core_services.todo_close(actor=request.user, todo=todo, status=data["status"]))


# --- audit log --------------------------------------------------------------------------------


@extend_schema(tags=["audit"])
class AuditEntryViewSet(_ApiViewSet):
    """The audit log: supervisors see their subtree, system administrators everything."""

    serializer_class = s.AuditEntrySerializer
    permission_classes = [ScopedAction]
    collection_actions = {"list": Action.VIEW_AUDIT}

    def get_queryset(self):
        return core_selectors.audit_entry_list(actor=self.request.user)

    @extend_schema(parameters=[s.AuditFilterSerializer])
    def list(self, request):
        filters = self._query(s.AuditFilterSerializer)
        return self._page(core_selectors.audit_entry_list(actor=request.user, **filters))
