from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import tree
from lianxin.core.models import PlaceScoped


class PlaceKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")


PLACE_LEVELS = list(PlaceKind.values)
# Every place of a kind sits at the same depth (places.services checks each parent's kind), so
# the first COMMUNITY_PATH characters of a path name its community, the first GRID_PATH its grid.
COMMUNITY_PATH = (PLACE_LEVELS.index(PlaceKind.COMMUNITY) + 1) * tree.SEGMENT
GRID_PATH = (PLACE_LEVELS.index(PlaceKind.GRID) + 1) * tree.SEGMENT


class TreeQuerySet(models.QuerySet):
    def under(self, *paths: str):
        return self.filter(tree.under_q("path", paths))

    def subtree(self, node):
        return self.under(node.path)


class TreeNode(models.Model):
    """A node of a materialized-path tree (lianxin.core.tree): parent, path and depth."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=tree.PATH_LENGTH, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)

    objects = TreeQuerySet.as_manager()

    class Meta:
        abstract = True


class Place(TreeNode):
    """A node of the place tree: city → district → subdistrict → community → grid → building (D1)."""

    kind = models.CharField(_("level"), max_length=12, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"), max_length=30, blank=True, help_text=_("Administrative code, optional.")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    scope_path_field = "path"

    class Meta:
        ordering = ["path"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="places_place_sibling_name_uniq"),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="places_place_kind_path_idx")]

    def __str__(self):
        return self.name

    @property
    def place_path(self) -> str:
        return self.path

    @property
    def level(self) -> int:
        return PLACE_LEVELS.index(self.kind)

    def ancestors(self):
        return Place.objects.filter(path__in=tree.ancestors_of(self.path)).order_by("depth")

    def full_name(self) -> str:
        return "".join(p.name for p in [*self.ancestors().filter(depth__gte=2), self])


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    GROUP = "group", _("Party group")


ORG_LEVELS = list(OrgKind.values)


class OrgField(models.TextChoices):
    """Where the organization is set up (D1, D3 branch standards differ by field)."""

    COMMUNITY = "community", _("Community")
    BUILDING = "building", _("Building")
    MARKET = "market", _("Market")
    MOBILE = "mobile", _("Mobile members")
    TEMPORARY = "temporary", _("Temporary (migrant workers)")
    FIRM = "firm", _("Private firm")
    SOCIAL = "social", _("Social organization")
    RETIRED = "retired", _("Retired members")
    OTHER = "other", _("Other")


class Rating(models.IntegerChoices):
    CLASS_1 = 1, _("Class 1 (advanced)")
    CLASS_2 = 2, _("Class 2 (average)")
    CLASS_3 = 3, _("Class 3 (lagging)")


class PartyOrganization(PlaceScoped, TreeNode):
    """A node of the party tree: committee → general branch → branch → group, attached to a place."""

    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    field = models.CharField(_("field"), max_length=12, choices=OrgField.choices, default=OrgField.COMMUNITY)
    name = models.CharField(_("name"), max_length=120)
    secretary_name = models.CharField(_("secretary"), max_length=60, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("class rating"), choices=Rating.choices, null=True, blank=True
    )

    objects = TreeQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="places_org_sibling_name_uniq"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None


class OrgRating(PlaceScoped):
    """One class rating of a party organization (三分类三升级); class 2 and 3 carry an upgrade plan."""

    organization = models.ForeignKey(
        PartyOrganization,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("party organization"),
    )
    rating = models.PositiveSmallIntegerField(_("class rating"), choices=Rating.choices)
    rated_on = models.DateField(_("rated on"), default=timezone.localdate)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis = models.TextField(_("basis"), help_text=_("What the rating rests on, item by item."))
    upgrade_plan = models.TextField(_("upgrade plan"), blank=True)
    upgrade_due = models.DateField(_("upgrade due"), null=True, blank=True)

    class Meta:
        ordering = ["-rated_on", "-id"]
        verbose_name = _("class rating")
        verbose_name_plural = _("class ratings")

    def __str__(self):
        return f"{self.organization} · {self.get_rating_display()}"
