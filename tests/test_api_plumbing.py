"""The API's plumbing made for speed (issue 11): the orjson renderer writes what DRF's renderer
writes, query serializers share their declared fields safely, URL sections resolve as includes do,
token authentication reads the user and their roles in one query, content negotiation's kept answers
are DRF's."""

import datetime as dt
import decimal
import json
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.urls import Resolver404, URLResolver, include, path, resolve, reverse
from django.utils.translation import gettext, gettext_lazy, override
from rest_framework import exceptions, negotiation, renderers, serializers
from rest_framework.authtoken.models import Token
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.settings import api_settings

from lianxin.accounts import services as accounts
from lianxin.api.appeals import RequestFilterSerializer
from lianxin.api.authentication import TokenAuthentication
from lianxin.api.negotiation import CACHE_SIZE, ContentNegotiation
from lianxin.api.pagination import Keyset
from lianxin.api.renderers import JSONRenderer
from lianxin.api.serializers import READ_CACHE_SIZE, QuerySerializer
from lianxin.core import access, urls
from lianxin.core.access import Role
from lianxin.core.urls import section

# --- the renderer ---------------------------------------------------------------------------------

PAYLOADS = {
    "a page": {
        "next": "http://127.0.0.1/api/v1/requests/?cursor=cD0xMjM%3D&page_size=20",
        "previous": None,
        "results": [
            {
                "id": 7,
                "number": "R2026000007",
                "description": "楼道灯坏了，老人晚上看不见",
                "anonymous": False,
            },
            {"id": 6, "rating": None, "reopen_count": 0, "share": 0.5, "tags": ("a", "b")},
        ],
    },
    "times": {
        "aware": dt.datetime(2026, 11, 30, 8, 5, 3, 123456, tzinfo=dt.UTC),
        "shanghai": dt.datetime(2026, 11, 30, 16, 5, 3, tzinfo=ZoneInfo("Asia/Shanghai")),
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5, 600),
        "date": dt.date(2026, 2, 17),
        "time": dt.time(9, 30, 0, 250000),
        "span": dt.timedelta(days=1, seconds=5),
    },
    "other types": {
        "money": decimal.Decimal("12.50"),
        "key": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "label": gettext_lazy("Open"),
        "bytes": b"abc",
        "int keys": {1: "one", 2: "two"},
        "nested": [[1, 2], {"x": [None, True]}],
    },
    "line separators": {"text": "第一行\u2028第二行\u2029完"},
    # Other characters whose UTF-8 starts with the separators' first byte (E2): quotation marks, an
    # ellipsis, a dash; with and without a separator beside them.
    "quotation marks": {"text": "他说“好的”……——完", "mixed": "“甲”\u2028…\u2029—"},
    "beyond 64 bits": {"big": 2**70, "also": "这里"},
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_renderer_writes_what_drf_writes(name):
    with override("zh-hans"):
        assert JSONRenderer().render(PAYLOADS[name]) == renderers.JSONRenderer().render(PAYLOADS[name])


def test_line_separators_are_escaped_and_chinese_is_not():
    rendered = JSONRenderer().render(PAYLOADS["line separators"])
    assert b"\\u2028" in rendered and b"\\u2029" in rendered
    assert "第一行".encode() in rendered
    assert json.loads(rendered) == PAYLOADS["line separators"]


def test_indented_output_is_drfs():
    ours = JSONRenderer().render(PAYLOADS["a page"], "application/json; indent=4")
    assert ours == renderers.JSONRenderer().render(PAYLOADS["a page"], "application/json; indent=4")
    assert b'\n    "next"' in ours


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


def test_a_float_that_is_not_a_number_is_null():
    """The one documented difference: DRF's strict encoder fails the whole request."""
    assert JSONRenderer().render({"x": float("nan")}) == b'{"x":null}'
    with pytest.raises(ValueError):
        renderers.JSONRenderer().render({"x": float("nan")})


def test_the_api_renders_with_it(city, personas):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(personas["community_secretary"])
    response = client.get(reverse("api:place-list"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert "幸福社区".encode() in response.content  # UTF-8, not \u escapes


# --- content negotiation ------------------------------------------------------------------------

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/*",
]


def _negotiate(negotiator, accept, asked=None):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(
        APIRequestFactory().get("/api/v1/places/", {"format": asked} if asked else {}, **headers)
    )
    renderers_ = [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]
    renderer, media_type = negotiator.select_renderer(request, renderers_)
    assert renderer in renderers_
    return type(renderer), media_type


def _outcome(negotiator, accept, asked):
    try:
        return _negotiate(negotiator, accept, asked)
    except exceptions.NotAcceptable:
        return "406"


@pytest.mark.parametrize("asked", [None, "json", "api"])
@pytest.mark.parametrize("accept", ACCEPTS)
def test_negotiation_answers_as_drf_does_first_time_and_after(accept, asked):
    drf = _outcome(negotiation.DefaultContentNegotiation(), accept, asked)
    assert _outcome(ContentNegotiation(), accept, asked) == drf
    assert _outcome(ContentNegotiation(), accept, asked) == drf  # the kept answer


def test_refusals_are_drfs_every_time():
    from django.http import Http404

    for _ in range(2):
        with pytest.raises(exceptions.NotAcceptable):
            _negotiate(ContentNegotiation(), "image/png")
        with pytest.raises(Http404):
            _negotiate(ContentNegotiation(), None, "xml")


def test_kept_answers_are_bounded(monkeypatch):
    monkeypatch.setattr(ContentNegotiation, "_answers", {})
    for n in range(CACHE_SIZE + 10):
        assert _negotiate(ContentNegotiation(), f"application/json; v={n}")[0] is JSONRenderer
    assert 0 < len(ContentNegotiation._answers) <= CACHE_SIZE


# --- query serializers --------------------------------------------------------------------------


def _context(user):
    return {"request": SimpleNamespace(user=user)}


def test_each_query_serializer_has_its_own_bound_fields():
    one, two = RequestFilterSerializer(data={}), RequestFilterSerializer(data={})
    for name, declared in RequestFilterSerializer._declared_fields.items():
        assert one.fields[name] is not two.fields[name] is not declared
        assert one.fields[name].parent is one and two.fields[name].parent is two
        assert one.fields[name].field_name == name
        assert declared.parent is None  # the declaration itself is never bound


def test_interleaved_query_serializers_keep_their_own_results():
    one = RequestFilterSerializer(data={"status": "open", "overdue": "true", "q": "灯"})
    two = RequestFilterSerializer(data={"status": "nonsense", "mine": "1"})
    assert not two.is_valid()
    assert one.is_valid(), one.errors
    assert set(two.errors) == {"status"}
    assert one.validated_data == {"status": "open", "overdue": True, "mine": False, "q": "灯"}


def test_a_scoped_field_reads_the_user_of_its_own_serializer(city, personas):
    """The copies share the declaration's arguments, never its context: the same place is in scope
    for one user and an invalid choice for another, in serializers alive at the same time."""
    happy = str(city.happy.pk)
    mine = RequestFilterSerializer(data={"within": happy}, context=_context(personas["community_secretary"]))
    theirs = RequestFilterSerializer(data={"within": happy}, context=_context(personas["outsider"]))
    assert mine.is_valid(), mine.errors
    assert not theirs.is_valid()
    assert set(theirs.errors) == {"within"}
    assert mine.validated_data["within"] == city.happy


@pytest.mark.parametrize(
    "field",
    [
        serializers.ListField(child=serializers.CharField()),
        serializers.DictField(),
        serializers.PrimaryKeyRelatedField(many=True, read_only=True),
        RequestFilterSerializer(),
    ],
    ids=["list", "dict", "many related", "serializer"],
)
def test_a_query_with_a_nested_field_is_refused_when_declared(field):
    with pytest.raises(TypeError, match="Nested.nested: a query's fields are flat"):
        type("Nested", (QuerySerializer,), {"nested": field})


def _query(text: str) -> QueryDict:
    return QueryDict(text)


@pytest.fixture
def counted(monkeypatch):
    """RequestFilterSerializer with an empty memory, counting the serializers made to validate."""
    made = []
    monkeypatch.setattr(RequestFilterSerializer, "_read_cache", {})
    original = RequestFilterSerializer.__init__

    def counting(self, *args, **kwargs):
        made.append(kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(RequestFilterSerializer, "__init__", counting)
    return made


def test_pure_filters_are_validated_once_whatever_else_the_query_holds(counted):
    first = RequestFilterSerializer.read(_query("status=open&page_size=20"), {})
    again = RequestFilterSerializer.read(_query("page_size=20&cursor=cD0xMjM%3D&status=open"), {})
    other = RequestFilterSerializer.read(_query("status=open&overdue=true"), {})
    assert first == again == {"status": "open", "overdue": False, "mine": False}
    assert other == {"status": "open", "overdue": True, "mine": False}
    assert len(counted) == 2  # the cursor and the page size are not filters
    again["status"] = "closed"  # each caller gets its own dict
    assert RequestFilterSerializer.read(_query("status=open"), {})["status"] == "open"
    assert RequestFilterSerializer.read({"status": "open"}, {})["status"] == "open"  # not a query string
    assert len(counted) == 3


def test_filters_that_read_the_database_or_the_caller_are_validated_every_time(city, personas, counted):
    """``within`` is a place the caller may see: the same text is valid for one user and not for
    another, and stops being valid when the place leaves the caller's scope."""
    query = _query(f"status=open&within={city.happy.pk}")
    secretary, outsider = personas["community_secretary"], personas["outsider"]
    assert RequestFilterSerializer.read(query, _context(secretary))["within"] == city.happy
    with pytest.raises(exceptions.ValidationError) as refused:
        RequestFilterSerializer.read(query, _context(outsider))
    assert set(refused.value.detail) == {"within"}
    assert RequestFilterSerializer.read(query, _context(secretary))["within"] == city.happy
    assert len(counted) == 3 and RequestFilterSerializer._read_cache == {}


def test_invalid_filters_are_refused_each_time_in_the_callers_language(counted):
    for language, message in (("zh-hans", "不是合法选项"), ("en", "is not a valid choice")):
        with override(language), pytest.raises(exceptions.ValidationError) as refused:
            RequestFilterSerializer.read(_query("status=nonsense"), {})
        assert message in str(refused.value.detail["status"][0])
    assert len(counted) == 2 and RequestFilterSerializer._read_cache == {}


def test_only_drf_validation_of_plain_fields_is_remembered():
    """A field or a serializer that validates in its own code may read anything (the clock, the
    caller, the database): its filters are validated every time."""

    class Own(serializers.CharField):
        def to_internal_value(self, data):  # pragma: no cover - classified, never run
            return data

    def later(value):  # pragma: no cover - classified, never run
        return value

    class Filters(QuerySerializer):
        plain = serializers.CharField(required=False)
        choice = serializers.ChoiceField(choices=["a", "b"], required=False)
        own = Own(required=False)
        checked = serializers.CharField(required=False, validators=[later])
        method = serializers.IntegerField(required=False)

        def validate_method(self, value):  # pragma: no cover - classified, never run
            return value

    class Dated(QuerySerializer):  # today's date when not given
        plain = serializers.CharField(required=False)
        day = serializers.DateField(required=False, default=dt.date.today)

    class Whole(QuerySerializer):
        plain = serializers.CharField(required=False)

        def validate(self, attrs):  # pragma: no cover - classified, never run
            return attrs

    assert Filters._pure_fields == {"plain", "choice"}
    assert Filters._key(_query("plain=x&page=2")) == (("plain", ("x",)),)
    assert Filters._key(_query("plain=x&own=y")) is None
    assert Dated._pure_fields == {"plain"} and Dated._key(_query("plain=x")) is None
    assert Whole._pure_fields == frozenset()


def test_the_remembered_filters_are_bounded(monkeypatch):
    monkeypatch.setattr(RequestFilterSerializer, "_read_cache", {})
    for n in range(READ_CACHE_SIZE + 10):
        assert RequestFilterSerializer.read(_query(f"q=n{n}"), {})["q"] == f"n{n}"
    assert 0 < len(RequestFilterSerializer._read_cache) <= READ_CACHE_SIZE


# --- URL sections -------------------------------------------------------------------------------


def _leaf(request):  # pragma: no cover - never called, only resolved
    raise AssertionError


def test_a_section_resolves_as_an_include_does():
    included = [path("items/<int:pk>/", _leaf, name="item")]
    plain = path("shop/", include((included, "shop"))).resolve("shop/items/3/")
    ours = section("shop/", include((included, "shop"))).resolve("shop/items/3/")
    assert (ours.route, ours.kwargs, ours.url_name, ours.namespaces, ours.func) == (
        plain.route,
        plain.kwargs,
        plain.url_name,
        plain.namespaces,
        plain.func,
    )


def test_a_section_remembers_what_a_path_resolves_to_and_hands_out_copies(monkeypatch):
    included = [path("items/<int:pk>/", _leaf, name="item")]
    plain = path("shop/", include((included, "shop"))).resolve("shop/items/3/")
    shop = section("shop/", include((included, "shop")))
    first = shop.resolve("shop/items/3/")
    first.kwargs["pk"] = 99  # a view changing its arguments
    calls = []
    monkeypatch.setattr(URLResolver, "resolve", lambda self, p: calls.append(p))  # Django's walk
    again = shop.resolve("shop/items/3/")
    assert calls == []  # remembered
    assert again is not first and again.kwargs == {"pk": 3}
    fields = ("func", "args", "kwargs", "url_name", "app_names", "namespaces", "route", "tried")
    assert [getattr(again, f) for f in fields] == [getattr(plain, f) for f in fields]
    assert (again.view_name, again.captured_kwargs, again.extra_kwargs) == (
        plain.view_name,
        plain.captured_kwargs,
        plain.extra_kwargs,
    )


def test_a_section_remembers_a_bounded_number_of_paths(monkeypatch):
    monkeypatch.setattr(urls, "REMEMBERED", 3)
    shop = section("shop/", include(([path("items/<int:pk>/", _leaf, name="item")], "shop")))
    for pk in range(1, 8):
        assert shop.resolve(f"shop/items/{pk}/").kwargs == {"pk": pk}
        assert len(shop._matches) <= 3
    assert shop.resolve("shop/items/1/").kwargs == {"pk": 1}


def test_a_section_answers_elsewhere_with_none_and_a_missing_page_is_still_404():
    shop = section("shop/", include(([path("items/", _leaf)], "shop")))
    assert shop.resolve("library/items/") is None  # not raised: the next pattern is tried
    for _ in range(2):  # a missing page is not remembered: Django's answer every time
        with pytest.raises(Resolver404):
            shop.resolve("shop/nothing/")
    with pytest.raises(Resolver404):
        resolve("/api/v1/no-such-resource/")


def test_the_project_urls_resolve_through_sections():
    match = resolve("/api/v1/requests/")
    assert (match.view_name, match.route) == ("api:request-list", "api/v1/requests/")
    assert resolve("/api/v1/requests/5/reply/").kwargs == {"pk": 5}
    assert reverse("api:request-detail", kwargs={"pk": 5}) == "/api/v1/requests/5/"
    assert resolve("/admin/").app_name == "admin"


# --- token authentication -----------------------------------------------------------------------


def _key(user) -> str:
    return Token.objects.create(user=user).key


def test_the_token_reads_the_user_and_their_active_roles_in_one_query(
    city, personas, django_assert_num_queries
):
    from .conftest import make_user

    user = make_user("two-hats", Role.STAFF, city.happy)
    accounts.role_grant(actor=None, user=user, role=Role.GRID_WORKER, place=city.unity_grid)
    ended = accounts.role_grant(actor=None, user=user, role=Role.STAFF, place=city.harmony)
    accounts.role_revoke(actor=None, assignment=ended, reason="调岗")
    key = _key(user)

    with django_assert_num_queries(1):
        found, auth = TokenAuthentication().authenticate_credentials(key)
        held = access._assignments(found)
        scope = access.scope_paths(found, access.Action.VIEW_REQUESTS)
    assert (found.pk, found.username, auth) == (user.pk, "two-hats", key)
    assert sorted(held) == sorted(
        [
            (Role.STAFF, city.happy.path, city.happy.pk),
            (Role.GRID_WORKER, city.unity_grid.path, city.unity_grid.pk),
        ]
    )
    assert scope == sorted([city.happy.path, city.unity_grid.path])


def test_a_token_of_a_user_without_roles_authenticates_with_none(city, django_assert_num_queries):
    from .conftest import make_user

    key = _key(make_user("no-roles"))
    with django_assert_num_queries(1):
        found, _auth = TokenAuthentication().authenticate_credentials(key)
        assert access._assignments(found) == []
    found.display_name = "改名"
    found.save(update_fields=["display_name"])  # a full model instance, saved where it was read
    assert found.__class__.objects.get(pk=found.pk).display_name == "改名"


def test_unknown_tokens_and_inactive_users_are_refused_as_drf_does(city, personas):
    user = personas["staff"]
    key = _key(user)
    with pytest.raises(exceptions.AuthenticationFailed) as unknown:
        TokenAuthentication().authenticate_credentials(key[:-1] + ("0" if key[-1] != "0" else "1"))
    assert unknown.value.detail == gettext("Invalid token.")
    # Deactivating through the model withdraws the tokens (accounts.security); one that survived a
    # change made elsewhere (SQL) is still refused.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed) as inactive:
        TokenAuthentication().authenticate_credentials(key)
    assert inactive.value.detail == gettext("User inactive or deleted.")


# --- keyset links ------------------------------------------------------------------------------------

LINK_URLS = [
    "http://testserver/api/v1/requests/",
    "http://testserver/api/v1/requests/?page_size=20&status=open",
    "http://testserver/api/v1/requests/?status=open&cursor=cD0xMjM%3D&page_size=20",
    "http://testserver/api/v1/requests/?zone=1&category=water&alpha=&beta=2&beta=1&cursor=old",
    "http://testserver/api/v1/requests/?q=%E6%BC%8F%E6%B0%B4+%E4%B8%89%E6%A5%BC&within=7&a%26b=c%3Dd",
    "https://example.org:8443/x/%E8%B7%AF/?cursorx=1&curso=2&cursor=&cursor=again",
]
LINK_CURSORS = [
    Cursor(offset=0, reverse=False, position="199231"),
    Cursor(offset=20, reverse=False, position=None),
    Cursor(offset=3, reverse=True, position="5"),
]


@pytest.mark.parametrize("url", LINK_URLS)
def test_keyset_links_are_drfs(url):
    ours, drfs = Keyset(), CursorPagination()
    ours.base_url = drfs.base_url = url
    for cursor in LINK_CURSORS:
        for _ in range(2):  # worked out, then remembered
            assert ours.encode_cursor(cursor) == drfs.encode_cursor(cursor)
