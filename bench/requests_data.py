"""Residents' requests made fast for the list-page and sweep benchmarks (bench/http_pages.py,
bench/appeals_sweep.py), on SQLite or PostgreSQL, inside a process where Django is set up.

The place tree and the people are made through the services: 1 district, ``subdistricts`` × 5
communities × 2 grids; per community a secretary and a staff member, per subdistrict an officer.
The requests are generated rows (one tuple per request, deterministic in its number ``g``) written by
COPY on PostgreSQL and by ``executemany`` on SQLite: no services, no audit — a database in the state a
busy city would have, made in seconds.
"""

import datetime as dt
import time

COLUMNS = (
    "place_id, place_path, due_from, due_days, due_on, due_provisional, year, serial, number, channel, "
    "category_id, description, anonymous, requester_name, requester_phone, phone_digits, owner_id, "
    "handler_id, handler_kind, handler_label, status, received_on, created_at, first_answered_at, "
    "first_answer_on_time, answered_at, answer_summary, rating, rated_at, closed_at, reopen_count, "
    "reminded_at, escalation_level, handler_place_id, handler_place_path"
).split(", ")


def build_places(subdistricts: int = 2) -> dict:
    from lianxin.accounts import services as accounts
    from lianxin.core.access import Role
    from lianxin.places import services as places
    from lianxin.places.models import PlaceKind

    root = accounts.user_create(
        actor=None, username="bench-root", display_name="root", password=None, is_system_admin=True
    )

    def place(kind, name, parent):
        return places.place_create(actor=root, kind=kind, name=name, parent=parent)

    def person(username, role, where):
        user = accounts.user_create(actor=None, username=username, display_name=username, password=None)
        accounts.role_grant(actor=None, user=user, role=role, place=where)
        return user

    city = place(PlaceKind.CITY, "基准市", None)
    district = place(PlaceKind.DISTRICT, "基准区", city)
    targets, staff = [], []
    for s in range(subdistricts):
        sub = place(PlaceKind.SUBDISTRICT, f"第{s + 1}街道", district)
        person(f"bench-sub-{s}", Role.SUBDISTRICT_OFFICER, sub)
        for c in range(5):
            community = place(PlaceKind.COMMUNITY, f"第{s + 1}-{c + 1}社区", sub)
            person(f"bench-secretary-{s}-{c}", Role.COMMUNITY_SECRETARY, community)
            staff.append(person(f"bench-staff-{s}-{c}", Role.STAFF, community))
            targets.append((community, staff[-1]))
            for g in range(2):
                targets.append((place(PlaceKind.GRID, f"第{g + 1}网格", community), staff[-1]))
    return {"district": district, "targets": targets, "staff": staff}


MIXED = ("open", "in_progress", "answered", "followed_up", "closed", "closed", "closed", "closed")
CITY_DONE = ("answered", "followed_up", "closed", "closed", "closed", "closed")


def rows(n: int, targets, categories, today: dt.date, mode: str):
    """``mode`` "mixed": every status, received over two years (the list page's data).
    ``mode`` "city": as a city's year looks — received over the last 365 days in the order of their
    ids, those of the last ten days still open or in progress, the older ones answered or closed; one
    in 50 handed to the next community.
    ``mode`` "sweep:<per_day>": every request open, ``per_day`` due on each calendar day up to 29 days
    ahead and over the years behind; the backlog before yesterday is already reminded and escalated to
    level 2; those due yesterday are overdue at level 0 and those due from today on are not reminded."""
    from lianxin.places.models import COMMUNITY_PATH

    tz = dt.UTC
    per_day = int(mode.split(":")[1]) if mode.startswith("sweep") else 0
    span = max(60, n // per_day) if per_day else 700
    yesterday = today - dt.timedelta(days=1)
    stamp = dt.datetime.combine(today, dt.time(6), tz)
    communities = [place for place, _owner in targets if place.kind == "community"]
    following = {c.path: communities[(i + 1) % len(communities)] for i, c in enumerate(communities)}
    for g in range(1, n + 1):
        place, owner = targets[g % len(targets)]
        handed_to = None
        if mode == "city" and g % 50 == 0:
            handed_to = following[place.path[:COMMUNITY_PATH]]
        if per_day:
            due_on = today + dt.timedelta(days=(g * 7919) % span - (span - 30))
            received = due_on - dt.timedelta(days=7)
            status = "open" if g % 3 else "in_progress"
            reminded = stamp if due_on < today else None
            level = 2 if due_on < yesterday else 0
        elif mode == "city":
            received = today - dt.timedelta(days=365 - (g * 365) // n)
            due_on = received + dt.timedelta(days=7)
            recent = (today - received).days <= 10
            status = (
                ("open", "in_progress")[g % 2] if recent else CITY_DONE[(g * 7919 // 13) % len(CITY_DONE)]
            )
            reminded, level = None, 0
        else:
            received = dt.date(2025, 1, 1) + dt.timedelta(days=(g * 7919) % span)
            due_on = received + dt.timedelta(days=7)
            status = MIXED[(g * 31) % len(MIXED)]
            reminded, level = None, 0
        answered = status not in ("open", "in_progress")
        at = dt.datetime.combine(received, dt.time(9), tz)
        done = at + dt.timedelta(days=3) if answered else None
        phone = f"139{g % 100_000_000:08d}"
        yield (
            place.pk,
            place.path,
            received,
            5,
            due_on,
            False,
            received.year,
            g,
            f"B{g:09d}",
            "phone",
            categories[g % len(categories)],
            "楼道堆放杂物，影响通行",
            False,
            f"居民{g % 1000}",
            phone,
            phone,
            owner.pk,
            owner.pk,
            "community" if handed_to else "colleague",
            handed_to.name if handed_to else "",
            status,
            received,
            at,
            done,
            True if answered else None,
            done,
            "已处理" if answered else "",
            "satisfied" if status == "closed" else "",
            done if status == "closed" else None,
            done if status == "closed" else None,
            0,
            reminded,
            level,
            handed_to.pk if handed_to else None,
            handed_to.path if handed_to else None,
        )


def load(n: int, mode: str, today: dt.date, subdistricts: int = 2) -> dict:
    """The places, the people and ``n`` requests; returns the places/people and the load time."""
    from django.db import connection, transaction

    from lianxin.appeals.models import RequestCategory

    built = build_places(subdistricts)
    categories = list(RequestCategory.objects.values_list("pk", flat=True))
    t0 = time.perf_counter()
    generated = rows(n, built["targets"], categories, today, mode)
    columns = ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY appeals_request ({columns}) FROM STDIN") as copy:
                for row in generated:
                    copy.write_row(row)
            cursor.execute("ANALYZE")  # every table, as autovacuum would have by the time anyone reads
    else:
        marks = ", ".join(["%s"] * len(COLUMNS))
        adapt = connection.ops.adapt_datetimefield_value
        generated = (tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row) for row in generated)
        with transaction.atomic(), connection.cursor() as cursor:
            batch = []
            for row in generated:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(f"INSERT INTO appeals_request ({columns}) VALUES ({marks})", batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO appeals_request ({columns}) VALUES ({marks})", batch)
            cursor.execute("ANALYZE")
    return built | {"load_seconds": time.perf_counter() - t0}
