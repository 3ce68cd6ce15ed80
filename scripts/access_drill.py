#!/usr/bin/env python
"""The cross-community access drill (issue 12 item 10): every /api/v1/ endpoint, object ids from
another community, zero leaks.

    python scripts/access_drill.py --database sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_drill python scripts/access_drill.py --database postgres

A throwaway database gets the demo city. For every role held in two communities (and the subdistrict
officers of two subdistricts), user B's lists are read through the API; the ids B sees that A does not
see in the same list are "foreign". As A, every foreign id is then asked for through the detail route
(GET, PUT, PATCH, DELETE) and every detail action (GET and POST with an empty body). Any 2xx answer is
a leak; any 5xx is an error; a 400 (the request was looked at before the object was refused) is
reported too. The routes are found by walking the URL resolver, so new modules are covered without
touching this script. Exit status 1 on any leak or error.
"""

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_support import throwaway_database, users_by_role_and_community  # noqa: E402

PER_LIST = 20  # foreign ids tried per list and role pair
ROLES = [
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "assistant",
    "supervisor",
    "party_member",
    "resident",
]


def public_by_design(name: str, pk) -> bool:
    """Objects every signed-in user may read because the public may: a published board item (the
    portal shows it to anyone; the API's detail route serves it too)."""
    if name == "notice-detail":
        from lianxin.disclosure.models import BoardItem

        return BoardItem.objects.public().filter(pk=pk).exists()
    return False


def api_routes():
    """(basename, list name, detail name or None, [detail action names]) for every router list."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    api = get_resolver().namespace_dict["api"][1]
    names = sorted(n for n in api.reverse_dict if isinstance(n, str))
    routes = []
    for name in names:
        if not name.endswith("-list"):
            continue
        base = name[: -len("-list")]
        detail = f"{base}-detail" if f"{base}-detail" in names else None
        actions = []
        for other in names:
            if other.startswith(base + "-") and other not in (name, detail):
                try:
                    reverse(f"api:{other}", kwargs={"pk": 1})
                except NoReverseMatch:
                    continue
                actions.append(other)
        routes.append((base, name, detail, actions))
    return routes


def visible_ids(client, list_name: str, pages: int = 3) -> set:
    from django.urls import reverse

    url, ids = reverse(f"api:{list_name}"), set()
    for _ in range(pages):
        response = client.get(url)
        if response.status_code != 200:
            break
        data = response.json()
        rows = data.get("results", data) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            break
        ids |= {row["id"] for row in rows if isinstance(row, dict) and "id" in row}
        url = data.get("next") if isinstance(data, dict) else None
        if not url:
            break
    return ids


def pairs():
    """(role, user A, user B) with A and B holding the same role in different communities."""
    users = users_by_role_and_community()
    result = []
    for role in [*ROLES, "subdistrict_officer"]:
        held = list(users.get(role, {}).items())
        if len(held) >= 2:
            (_pa, a), (_pb, b) = held[0], held[1]
            result.append((role, a, b))
            result.append((role, b, a))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import logging

    logging.disable(logging.ERROR)  # 4xx/5xx are counted below, not logged one by one
    throwaway_database(args.database, "access")
    from django.test import Client

    routes = api_routes()
    counts: collections.Counter = collections.Counter()
    leaks, errors, revealing = [], [], []
    requests = 0
    for role, user_a, user_b in pairs():
        a = Client(raise_request_exception=False, HTTP_HOST="localhost")
        b = Client(raise_request_exception=False, HTTP_HOST="localhost")
        a.force_login(user_a)
        b.force_login(user_b)
        for _base, list_name, detail, actions in routes:
            foreign = sorted(visible_ids(b, list_name) - visible_ids(a, list_name))[:PER_LIST]
            counts["foreign ids"] += len(foreign)
            for pk in foreign:
                tries = []
                if detail:
                    tries += [(detail, m) for m in ("get", "put", "patch", "delete")]
                tries += [(name, m) for name in actions for m in ("get", "post")]
                for name, method in tries:
                    from django.urls import reverse

                    url = reverse(f"api:{name}", kwargs={"pk": pk})
                    response = getattr(a, method)(url, {}, content_type="application/json")
                    requests += 1
                    counts[response.status_code] += 1
                    line = f"{role} {method.upper()} {name} {response.status_code}"
                    if 200 <= response.status_code < 300 and method == "get" and public_by_design(name, pk):
                        counts["public by design"] += 1
                    elif 200 <= response.status_code < 300:
                        leaks.append(line)
                    elif response.status_code >= 500:
                        errors.append(line)
                    elif response.status_code == 400:
                        revealing.append(line)
    from django.db import connection

    print(
        f"{connection.vendor}: {len(routes)} API lists, {len(pairs())} role pairs, {counts['foreign ids']} foreign ids, "
        f"{requests} requests in {time.perf_counter() - started:.0f} s"
    )
    looked_up = sum(n for code, n in counts.items() if code not in ("foreign ids", "public by design", 405))
    print(f"requests that reached the object lookup (not 405): {looked_up}")
    print(
        "answers:",
        ", ".join(f"{code}: {n}" for code, n in sorted(counts.items(), key=str) if code != "foreign ids"),
    )
    print(
        f"leaks (2xx): {len(leaks)}; server errors: {len(errors)}; 400 before the refusal: {len(revealing)}"
    )
    for line, n in collections.Counter(leaks + errors + revealing).most_common():
        print(f"   {n:5d} × {line}")
    return 1 if leaks or errors else 0


if __name__ == "__main__":
    sys.exit(main())
