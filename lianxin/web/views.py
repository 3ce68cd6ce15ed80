"""Pages. Each view gets its rows through a selector (scoped by lianxin.core.access), calls at most
one service, and renders."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts import selectors as account_selectors
from lianxin.accounts.models import User
from lianxin.accounts.services import role_grant, role_revoke, user_set_elderly_mode
from lianxin.core import access
from lianxin.core import selectors as core_selectors
from lianxin.core.access import Action, AdminAction, Role
from lianxin.core.calendar import CalendarFileError, add_working_days
from lianxin.core.models import AuditEntry, CalendarDay, CalendarYear, Notification, Todo
from lianxin.core.services import calendar_years_load, notification_mark_read, todo_close
from lianxin.places import selectors, services
from lianxin.places.models import ORG_LEVELS, PLACE_LEVELS, OrgKind, PlaceKind, Rating

from . import forms


def staff_required(view):
    """Staff pages: only people whose roles open the staff area (never residents)."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not access.can(request.user, Action.STAFF_AREA) and not access.is_system_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def healthz(request):
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": connection.vendor})
    except Exception:  # the point is to answer, whatever failed
        return JsonResponse({"status": "error"}, status=503)


def metrics(request):
    """Prometheus metrics for the operators' monitoring; internal addresses or a bearer token only."""
    from django.http import Http404, HttpResponse

    from lianxin.core import metrics as core_metrics

    if not core_metrics.may_read(request):
        raise Http404
    return HttpResponse(core_metrics.render(), content_type=core_metrics.CONTENT_TYPE)


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    todos = Todo.objects.open().filter(assignee=user)
    context = {
        "role": access.primary_role(user),
        "roles": sorted(access.roles_of(user)),
        "my_open_todos": todos.count(),
        "my_overdue_todos": todos.filter(due_on__lt=today).count(),
        "my_due_soon": list(todos.filter(due_on__gte=today).order_by("due_on")[:5]),
        "is_staff_user": access.can(user, Action.STAFF_AREA),
        "is_system_admin": access.is_system_admin(user),
    }
    if context["is_staff_user"] or context["is_system_admin"]:
        counts = selectors.place_counts(actor=user)
        context["place_counts"] = [(PlaceKind(k).label, n) for k, n in counts["places"].items() if n]
        context["org_counts"] = counts["orgs"]
        context["communities"] = selectors.place_list(actor=user, kind=PlaceKind.COMMUNITY).order_by("path")[
            :50
        ]
        context["scope_overdue"] = access.restrict(
            Todo.objects.overdue(today), user, Action.MANAGE_TODO
        ).count()
    if access.can(user, Action.VIEW_AUDIT):
        since = timezone.now() - dt.timedelta(days=30)
        context["audit_recent"] = access.restrict(
            AuditEntry.objects.filter(at__gte=since), user, Action.VIEW_AUDIT
        ).count()
    if context["is_system_admin"]:
        context["calendar_years"] = list(CalendarYear.objects.values_list("year", flat=True))
    return render(request, "web/home.html", context)


@require_POST
def elderly_mode(request):
    """Switch the elderly-friendly display on or off (remembered on the account and in a cookie)."""
    on = request.POST.get("on") == "1"
    if request.user.is_authenticated:
        user_set_elderly_mode(user=request.user, on=on)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        "lx_elderly", "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


# --- places -------------------------------------------------------------------------------------


@staff_required
def places(request):
    search = request.GET.get("q", "").strip()
    if search:
        results = selectors.place_list(actor=request.user, search=search)[:100]
        return render(request, "web/places.html", {"results": results, "q": search})
    return render(request, "web/places.html", {"roots": selectors.place_roots(actor=request.user)})


@staff_required
def place_detail(request, pk):
    place = selectors.place_get(actor=request.user, pk=pk)
    return render(
        request,
        "web/place_detail.html",
        {
            "place": place,
            "breadcrumbs": selectors.place_breadcrumbs(actor=request.user, place=place),
            "children": selectors.place_children(actor=request.user, place=place),
            "orgs": selectors.org_list(actor=request.user).filter(place=place),
            "can_manage": access.can(request.user, Action.MANAGE_PLACE, place),
            "can_add_child": place.kind != PlaceKind.BUILDING
            and access.can(request.user, Action.MANAGE_PLACE, place),
            "can_add_org": access.can(request.user, Action.MANAGE_ORG, place),
            "can_manage_roles": access.can(request.user, Action.MANAGE_ROLES, place),
            "can_move": place.parent_id is not None
            and access.can(request.user, Action.MANAGE_PLACE, place.parent),
        },
    )


def form_page(request, form, *, save, done, title, back, message=None):
    """The one shape of every form page: a valid POST calls the service; a ValidationError from the
    service shows on the form, each message on the field it names; success redirects to ``done(result)``."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, message or _("Saved."))
            return redirect(done(result))
    return render(request, "web/form.html", {"form": form, "title": title, "back": back})


@staff_required
def place_create(request, pk):
    parent = selectors.place_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_PLACE, parent)
    if parent.kind == PlaceKind.BUILDING:
        raise PermissionDenied
    kind = PLACE_LEVELS[PLACE_LEVELS.index(parent.kind) + 1]
    return form_page(
        request,
        forms.PlaceForm(request.POST or None),
        save=lambda data: services.place_create(actor=request.user, kind=kind, parent=parent, **data),
        done=lambda place: reverse("place_detail", args=[place.pk]),
        title=_("Add %(kind)s under %(parent)s") % {"kind": PlaceKind(kind).label, "parent": parent},
        back=reverse("place_detail", args=[parent.pk]),
    )


@staff_required
def place_edit(request, pk):
    place = selectors.place_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_PLACE, place)
    initial = {"name": place.name, "code": place.code, "address": place.address}
    return form_page(
        request,
        forms.PlaceForm(request.POST or None, initial=initial),
        save=lambda data: services.place_update(actor=request.user, place=place, **data),
        done=lambda place: reverse("place_detail", args=[place.pk]),
        title=_("Edit %(name)s") % {"name": place},
        back=reverse("place_detail", args=[pk]),
    )


@staff_required
def place_move(request, pk):
    place = selectors.place_get(actor=request.user, pk=pk)
    if place.parent is None:
        raise PermissionDenied
    access.require(request.user, Action.MANAGE_PLACE, place.parent)
    parents = access.restrict(
        selectors.place_list(actor=request.user, kind=place.parent.kind), request.user, Action.MANAGE_PLACE
    ).exclude(pk=place.parent_id)

    def save(data):
        new_parent = selectors.place_get(actor=request.user, pk=data["parent"])
        return services.place_move(
            actor=request.user, place=place, new_parent=new_parent, reason=data["reason"]
        )

    return form_page(
        request,
        forms.MoveForm(request.POST or None, parents=parents),
        save=save,
        done=lambda place: reverse("place_detail", args=[place.pk]),
        title=_("Move %(name)s") % {"name": place},
        back=reverse("place_detail", args=[pk]),
        message=_("Moved."),
    )


# --- party organizations ------------------------------------------------------------------------


@staff_required
def orgs(request):
    kind = request.GET.get("kind") or None
    rating = request.GET.get("rating") or None
    qs = selectors.org_list(actor=request.user, kind=kind if kind in ORG_LEVELS else None)
    if rating in {"1", "2", "3"}:
        qs = qs.filter(rating=int(rating))
    elif rating == "none":
        qs = qs.filter(rating__isnull=True)
    page = Paginator(qs.order_by("path"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "web/orgs.html",
        {"page": page, "kinds": OrgKind.choices, "ratings": Rating.choices, "kind": kind, "rating": rating},
    )


@staff_required
def org_detail(request, pk):
    org = selectors.org_get(actor=request.user, pk=pk)
    return render(
        request,
        "web/org_detail.html",
        {
            "org": org,
            "children": selectors.org_children(actor=request.user, org=org),
            "ratings": org.ratings.select_related("rated_by")[:10],
            "can_manage": access.can(request.user, Action.MANAGE_ORG, org.place_path),
            "can_rate": access.can(request.user, Action.RATE_ORG, org.place_path),
        },
    )


@staff_required
def org_create(request):
    places = access.restrict(
        selectors.place_list(actor=request.user).exclude(kind=PlaceKind.BUILDING),
        request.user,
        Action.MANAGE_ORG,
    ).order_by("path")[:500]
    if not places:
        raise PermissionDenied
    parent = None
    if request.GET.get("parent"):
        parent = selectors.org_get(actor=request.user, pk=request.GET["parent"])

    def save(data):
        data = dict(data)
        place = selectors.place_get(actor=request.user, pk=data.pop("place"))
        return services.org_create(actor=request.user, parent=parent, place=place, **data)

    return form_page(
        request,
        forms.OrgCreateForm(
            request.POST or None, places=places, initial={"place": request.GET.get("place", "")}
        ),
        save=save,
        done=lambda org: reverse("org_detail", args=[org.pk]),
        title=_("New party organization under %(parent)s") % {"parent": parent}
        if parent
        else _("New party organization"),
        back=reverse("orgs"),
    )


@staff_required
def org_edit(request, pk):
    org = selectors.org_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_ORG, org.place_path)
    initial = {k: getattr(org, k) for k in ("name", "field", "secretary_name", "founded_on", "dissolved_on")}
    return form_page(
        request,
        forms.OrgForm(request.POST or None, initial=initial),
        save=lambda data: services.org_update(actor=request.user, org=org, **data),
        done=lambda org: reverse("org_detail", args=[org.pk]),
        title=_("Edit %(name)s") % {"name": org},
        back=reverse("org_detail", args=[pk]),
    )


@staff_required
def org_rate(request, pk):
    org = selectors.org_get(actor=request.user, pk=pk)
    access.require(request.user, Action.RATE_ORG, org.place_path)
    return form_page(
        request,
        forms.RateForm(request.POST or None),
        save=lambda data: services.org_rate(actor=request.user, org=org, **data),
        done=lambda rating: reverse("org_detail", args=[org.pk]),
        title=_("Rate %(name)s") % {"name": org},
        back=reverse("org_detail", args=[pk]),
        message=_("Rating recorded."),
    )


@staff_required
def org_move(request, pk):
    org = selectors.org_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_ORG, org.place_path)
    higher = ORG_LEVELS[: ORG_LEVELS.index(org.kind) + (org.kind == "committee")]
    parents = (
        access.restrict(
            selectors.org_list(actor=request.user).filter(kind__in=higher), request.user, Action.MANAGE_ORG
        )
        .exclude(pk=org.parent_id)
        .exclude(pk=org.pk)
        .exclude(path__startswith=org.path)
    )
    form = forms.MoveForm(request.POST or None, parents=parents)
    form.fields["parent"].required = False

    def save(data):
        new_parent = selectors.org_get(actor=request.user, pk=data["parent"]) if data["parent"] else None
        return services.org_move(actor=request.user, org=org, new_parent=new_parent, reason=data["reason"])

    return form_page(
        request,
        form,
        save=save,
        done=lambda org: reverse("org_detail", args=[org.pk]),
        title=_("Move %(name)s") % {"name": org},
        back=reverse("org_detail", args=[pk]),
        message=_("Moved."),
    )


# --- personal: to-dos and messages ---------------------------------------------------------------


@login_required
def todos(request):
    show = request.GET.get("show", "open")
    qs = core_selectors.todo_list(actor=request.user).select_related("place")
    qs = qs.open() if show == "open" else qs.exclude(status="open")
    return render(request, "web/todos.html", {"todos": qs[:200], "show": show, "today": timezone.localdate()})


@login_required
@require_POST
def todo_done(request, pk):
    todo = core_selectors.todo_get(actor=request.user, pk=pk)
    try:
        todo_close(actor=request.user, todo=todo)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as done."))
    return redirect("todos")


@login_required
def inbox(request):
    page = Paginator(Notification.objects.filter(recipient=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "web/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notification_mark_read(user=request.user, ids=ids)
    return redirect("inbox")


# --- calendar ---------------------------------------------------------------------------------


@login_required
def calendar(request):
    form = forms.WorkingDaysForm(request.GET or None)
    result = (
        add_working_days(form.cleaned_data["start"], form.cleaned_data["days"]) if form.is_valid() else None
    )
    year = timezone.localdate().year
    return render(
        request,
        "web/calendar.html",
        {
            "form": form,
            "result": result,
            "years": CalendarYear.objects.all(),
            "days": CalendarDay.objects.filter(date__year__in=[year, year + 1]),
            "can_load": access.can(request.user, AdminAction.MANAGE_CALENDAR),
        },
    )


@login_required
def calendar_load(request):
    access.require(request.user, AdminAction.MANAGE_CALENDAR)
    form = forms.CalendarLoadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read(1_000_000).decode("utf-8-sig")
            result = calendar_years_load(
                actor=request.user, text=text, source=upload.name, replace=form.cleaned_data["replace"]
            )
        except UnicodeDecodeError:
            form.add_error("file", _("The file must be UTF-8 text."))
        except CalendarFileError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Loaded %(years)s; %(n)d provisional deadlines recomputed.")
                % {"years": ", ".join(map(str, result["years"])), "n": result["recomputed"]},
            )
            return redirect("calendar")
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("Load an official calendar"),
            "back": reverse("calendar"),
            "multipart": True,
        },
    )


# --- audit ------------------------------------------------------------------------------------


@login_required
def audit_log(request):
    access.require(request.user, Action.VIEW_AUDIT)
    action = request.GET.get("action", "").strip()
    qs = core_selectors.audit_entry_list(actor=request.user, action_prefix=action)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "action": action})


# --- roles --------------------------------------------------------------------------------------


@staff_required
def place_roles(request, pk):
    """Who holds which role on this place and below; grant and end roles (officers, secretaries)."""
    place = selectors.place_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_ROLES, place)
    places = (
        selectors.place_list(actor=request.user, within=place)
        .exclude(kind=PlaceKind.BUILDING)
        .order_by("path")[:300]
    )
    grantable = access.grantable_roles(request.user, place)
    roles = [(value, label) for value, label in Role.choices if value in grantable]
    form = forms.RoleGrantForm(request.POST or None, roles=roles, places=places)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(
            username__iexact=form.cleaned_data["username"].strip(), is_active=True
        ).first()
        target = selectors.place_get(actor=request.user, pk=form.cleaned_data["place"])
        if user is None:
            form.add_error("username", _("No active account with this login name."))
        else:
            try:
                role_grant(actor=request.user, user=user, role=form.cleaned_data["role"], place=target)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            else:
                messages.success(request, _("Role granted."))
                return redirect("place_roles", pk=place.pk)
    assignments = account_selectors.role_assignment_list(actor=request.user, place=place)
    return render(
        request,
        "web/place_roles.html",
        {"place": place, "form": form, "assignments": assignments, "reason_form": forms.ReasonForm()},
    )


@staff_required
@require_POST
def role_end(request, pk):
    assignment = account_selectors.role_assignment_get(actor=request.user, pk=pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason."))
    else:
        try:
            role_revoke(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Role ended."))
    return redirect("place_roles", pk=assignment.place_id)
