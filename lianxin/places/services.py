"""Writes to the place tree and the party-organization tree (D1).

Each service: check access → validate → write → audit, in one transaction.
"""

import uuid

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, tree
from lianxin.core.access import Action
from lianxin.core.models import PlaceScoped

from .models import ORG_LEVELS, PLACE_LEVELS, OrgKind, OrgRating, PartyOrganization, Place, PlaceKind, Rating

PLACE_FIELDS = ["kind", "name", "code", "parent", "address"]
ORG_FIELDS = ["kind", "field", "name", "parent", "place", "secretary_name", "founded_on", "dissolved_on"]


def _placeholder() -> str:
    # Unique, and '~' sorts after every digit so it never falls inside a subtree range.
    return f"~{uuid.uuid4().hex}"


def _check_place_parent(kind: str, parent: Place | None) -> None:
    level = PLACE_LEVELS.index(kind)
    if parent is None:
        if kind != PlaceKind.CITY:
            raise ValidationError({"parent": _("Only a city may stand at the top of the place tree.")})
        return
    if PLACE_LEVELS.index(parent.kind) != level - 1:
        raise ValidationError(
            {
                "parent": _("A %(kind)s must sit directly under a %(parent_kind)s.")
                % {
                    "kind": PlaceKind(kind).label,
                    "parent_kind": PlaceKind(PLACE_LEVELS[level - 1]).label,
                }
            }
        )


def _check_root_name(place: Place) -> None:
    # The sibling-name constraint cannot see roots: NULL parents never compare equal in SQL.
    if (
        place.parent_id is None
        and Place.objects.filter(parent__isnull=True, name=place.name).exclude(pk=place.pk).exists()
    ):
        raise ValidationError({"name": _("A place with this name already exists here.")})


def _save_unique(obj, field_errors: dict):
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError(field_errors) from None


@transaction.atomic
def place_create(
    *, actor, kind: str, name: str, parent: Place | None, code: str = "", address: str = ""
) -> Place:
    """Add a place under ``parent``; the actor must manage places at the parent (or be a system admin)."""
    access.require(actor, Action.MANAGE_PLACE, parent.path if parent else "")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Please enter a name.")})
    _check_place_parent(kind, parent)
    place = Place(
        kind=kind,
        name=name,
        code=code.strip(),
        address=address.strip(),
        parent=parent,
        path=_placeholder(),
        depth=(parent.depth + 1) if parent else 1,
    )
    _check_root_name(place)
    _save_unique(place, {"name": _("A place with this name already exists here.")})
    place.path = tree.child_path(parent.path if parent else "", place.pk)
    Place.objects.filter(pk=place.pk).update(path=place.path)
    audit.record(actor=actor, action="place.create", obj=place, after=audit.snapshot(place))
    return place


@transaction.atomic
def place_update(*, actor, place: Place, name: str, code: str = "", address: str = "") -> Place:
    access.require(actor, Action.MANAGE_PLACE, place)
    place = Place.objects.select_for_update().get(pk=place.pk)
    before = audit.snapshot(place, PLACE_FIELDS)
    place.name, place.code, place.address = name.strip(), code.strip(), address.strip()
    if not place.name:
        raise ValidationError({"name": _("Please enter a name.")})
    _check_root_name(place)
    _save_unique(place, {"name": _("A place with this name already exists here.")})
    old, new = audit.changes(before, audit.snapshot(place, PLACE_FIELDS))
    if new:
        audit.record(actor=actor, action="place.update", obj=place, before=old, after=new)
    return place


def _rewrite_paths(model, field: str, old_root: str, new_root: str) -> int:
    """Replace the prefix ``old_root`` by ``new_root`` on every row in that subtree, in one UPDATE."""
    updates = {field: Concat(Value(new_root), Substr(field, len(old_root) + 1))}
    if field == "path" and hasattr(model, "depth"):
        updates["depth"] = F("depth") + (tree.depth_of(new_root) - tree.depth_of(old_root))
    return model._base_manager.filter(tree.under_q(field, [old_root])).update(**updates)


def place_scoped_models() -> list[type[PlaceScoped]]:
    return [m for m in apps.get_models() if issubclass(m, PlaceScoped) and not m._meta.abstract]


@transaction.atomic
def place_move(*, actor, place: Place, new_parent: Place, reason: str) -> Place:
    """Move a subtree (e.g. a community to another subdistrict). Every path below follows:
    places, and the place path of every place-scoped row in every module."""
    place = Place.objects.select_for_update().get(pk=place.pk)
    new_parent = Place.objects.get(pk=new_parent.pk)
    access.require(actor, Action.MANAGE_PLACE, place)
    access.require(actor, Action.MANAGE_PLACE, new_parent)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for the move.")})
    if new_parent.path.startswith(place.path):
        raise ValidationError({"parent": _("A place cannot be moved under itself or its own subtree.")})
    _check_place_parent(place.kind, new_parent)
    if new_parent.pk == place.parent_id:
        return place
    if Place.objects.filter(parent=new_parent, name=place.name).exists():
        raise ValidationError({"parent": _("A place with this name already exists here.")})
    old_root = place.path
    new_root = tree.child_path(new_parent.path, place.pk)
    before = {"parent": place.parent_id, "path": old_root}
    Place.objects.filter(pk=place.pk).update(parent=new_parent)
    _rewrite_paths(Place, "path", old_root, new_root)
    for model in place_scoped_models():
        for field in ("place_path", *model.extra_place_paths):
            _rewrite_paths(model, field, old_root, new_root)
    place.refresh_from_db()
    audit.record(
        actor=actor,
        action="place.move",
        obj=place,
        before=before,
        after={"parent": new_parent.pk, "path": new_root},
        reason=reason.strip(),
    )
    return place


def _check_org_parent(kind: str, parent: PartyOrganization | None, place: Place) -> None:
    if parent is None:
        return
    # A community party committee sits under the subdistrict's committee (党工委): committees nest;
    # every other kind sits under a higher kind.
    nests = kind == OrgKind.COMMITTEE and parent.kind == OrgKind.COMMITTEE
    if ORG_LEVELS.index(parent.kind) >= ORG_LEVELS.index(kind) and not nests:
        raise ValidationError({"parent": _("A party organization must sit under a higher-level one.")})
    if parent.dissolved_on:
        raise ValidationError({"parent": _("The parent organization has been dissolved.")})
    if not place.path.startswith(parent.place_path):
        raise ValidationError({"place": _("The place must lie within the parent organization's area.")})


@transaction.atomic
def org_create(
    *, actor, kind: str, name: str, place: Place, parent: PartyOrganization | None = None, **extra
):
    """Set up a party organization attached to ``place`` (D1)."""
    # Re-read the place: a caller's copy may predate a move, and its path decides who sees the row.
    place = Place.objects.get(pk=place.pk)
    access.require(actor, Action.MANAGE_ORG, place)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Please enter a name.")})
    if kind not in ORG_LEVELS:
        raise ValidationError({"kind": _("Choose a kind of organization.")})
    _check_org_parent(kind, parent, place)
    org = PartyOrganization(
        kind=kind,
        name=name,
        place=place,
        parent=parent,
        path=_placeholder(),
        depth=(parent.depth + 1) if parent else 1,
        **{k: v for k, v in extra.items() if k in ORG_FIELDS},
    )
    org.full_clean(exclude=["path", "place_path", "parent", "place"])
    _save_unique(org, {"name": _("An organization with this name already exists here.")})
    org.path = tree.child_path(parent.path if parent else "", org.pk)
    PartyOrganization.objects.filter(pk=org.pk).update(path=org.path)
    audit.record(actor=actor, action="org.create", obj=org, after=audit.snapshot(org, ORG_FIELDS))
    return org


@transaction.atomic
def org_update(*, actor, org: PartyOrganization, **fields) -> PartyOrganization:
    """Change an organization's name, secretary, dates or field; moving it is ``org_move``."""
    org = PartyOrganization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Action.MANAGE_ORG, org.place_path)
    before = audit.snapshot(org, ORG_FIELDS)
    for key in ("name", "field", "secretary_name", "founded_on", "dissolved_on"):
        if key in fields:
            setattr(org, key, fields[key].strip() if isinstance(fields[key], str) else fields[key])
    if not org.name:
        raise ValidationError({"name": _("Please enter a name.")})
    if org.dissolved_on and org.founded_on and org.dissolved_on < org.founded_on:
        raise ValidationError(
            {"dissolved_on": _("An organization cannot be dissolved before it was founded.")}
        )
    org.full_clean(exclude=["path", "place_path", "parent", "place"])
    _save_unique(org, {"name": _("An organization with this name already exists here.")})
    old, new = audit.changes(before, audit.snapshot(org, ORG_FIELDS))
    if new:
        audit.record(actor=actor, action="org.update", obj=org, before=old, after=new)
    return org


@transaction.atomic
def org_move(*, actor, org: PartyOrganization, new_parent: PartyOrganization | None, reason: str):
    org = PartyOrganization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Action.MANAGE_ORG, org.place_path)
    if new_parent is not None:
        new_parent = PartyOrganization.objects.get(pk=new_parent.pk)
        access.require(actor, Action.MANAGE_ORG, new_parent.place_path)
        if new_parent.path.startswith(org.path):
            raise ValidationError(
                {"parent": _("An organization cannot be moved under itself or its own subtree.")}
            )
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for the move.")})
    _check_org_parent(org.kind, new_parent, org.place)
    if (new_parent.pk if new_parent else None) == org.parent_id:
        return org
    if (
        new_parent is not None
        and PartyOrganization.objects.filter(parent=new_parent, name=org.name).exclude(pk=org.pk).exists()
    ):
        raise ValidationError({"parent": _("An organization with this name already exists here.")})
    old_root = org.path
    new_root = tree.child_path(new_parent.path if new_parent else "", org.pk)
    before = {"parent": org.parent_id, "path": old_root}
    PartyOrganization.objects.filter(pk=org.pk).update(parent=new_parent)
    _rewrite_paths(PartyOrganization, "path", old_root, new_root)
    org.refresh_from_db()
    audit.record(
        actor=actor,
        action="org.move",
        obj=org,
        before=before,
        after={"parent": new_parent.pk if new_parent else None, "path": new_root},
        reason=reason.strip(),
    )
    return org


@transaction.atomic
def org_rate(
    *, actor, org: PartyOrganization, rating: int, basis: str, upgrade_plan: str = "", upgrade_due=None
) -> OrgRating:
    """Rate an organization class 1/2/3 (三分类三升级). The rater works above it: the rating of a
    community's organizations is the subdistrict's or district's call. Class 2 and 3 need an
    upgrade plan with a date."""
    org = PartyOrganization.objects.select_for_update().get(pk=org.pk)
    access.require(actor, Action.RATE_ORG, org.place_path)
    errors = {}
    if rating not in Rating.values:
        errors["rating"] = _("Choose class 1, 2 or 3.")
    if not basis.strip():
        errors["basis"] = _("Please state what the rating rests on.")
    if rating in (Rating.CLASS_2, Rating.CLASS_3):
        if not upgrade_plan.strip():
            errors["upgrade_plan"] = _("A class 2 or class 3 organization needs an upgrade plan.")
        if upgrade_due is None:
            errors["upgrade_due"] = _("Please give the date the upgrade is due.")
        elif upgrade_due <= timezone.localdate():
            errors["upgrade_due"] = _("The upgrade date must be in the future.")
    if errors:
        raise ValidationError(errors)
    before = {"rating": org.rating}
    record = OrgRating.objects.create(
        organization=org,
        place=org.place,
        rating=rating,
        rated_by=actor,
        basis=basis.strip(),
        upgrade_plan=upgrade_plan.strip(),
        upgrade_due=upgrade_due if rating != Rating.CLASS_1 else None,
    )
    PartyOrganization.objects.filter(pk=org.pk).update(rating=rating)
    audit.record(
        actor=actor,
        action="org.rate",
        obj=org,
        before=before,
        after={
            "rating": rating,
            "basis": record.basis,
            "upgrade_plan": record.upgrade_plan,
            "upgrade_due": upgrade_due,
        },
    )
    return record
