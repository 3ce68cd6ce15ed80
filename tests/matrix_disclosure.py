"""Permission-matrix entries of this module (see tests/matrix_modules.py).

Samples (tests/test_disclosure_pages.py disclosure_sample): on 幸福社区's board a published notice, a
draft and a comment; the outsider is 团结社区's secretary (sees their own board, 404 on ours)."""

from .matrix_roles import OFFICERS, POST_ONLY, PUBLIC, ROLES, only

BOARD_VIEWERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
PUBLISHERS = {"community_secretary", "committee_member", "staff"}
COMMENT_VIEWERS = BOARD_VIEWERS


def _sample(key):
    def kwargs(city):
        from .test_disclosure_pages import disclosure_sample

        value = disclosure_sample(city)[key]
        return {"number": value.number} if key == "comment_number" else {"pk": value.pk}

    return kwargs


def _place(city):
    return {"place_id": city.happy.pk}


def _code(city):
    from .test_disclosure_pages import disclosure_sample

    return {"code": disclosure_sample(city)["notice"].code}


def _number(city):
    from .test_disclosure_pages import disclosure_sample

    return {"number": disclosure_sample(city)["comment"].number}


WEB: dict = {
    **{
        name: (None, only(BOARD_VIEWERS | {"outsider"}))
        for name in ("disclosure", "disclosure_late", "disclosure_comments")
    },
    "disclosure_item_new": (None, only(PUBLISHERS | {"outsider"})),
    "disclosure_item": (_sample("notice"), only(BOARD_VIEWERS, hidden={"outsider"})),
    # Officers do not see drafts (404); the supervisors read drafts but do not write (403).
    "disclosure_item_edit": (_sample("draft"), only(PUBLISHERS, hidden=OFFICERS | {"outsider"})),
    "disclosure_item_correct": (_sample("notice"), only(PUBLISHERS, hidden={"outsider"})),
    "disclosure_comment": (_sample("comment"), only(COMMENT_VIEWERS, hidden={"outsider"})),
    **{
        name: (_sample(key), POST_ONLY)
        for name, key in (
            ("disclosure_item_publish", "draft"),
            ("disclosure_item_delete", "draft"),
            ("disclosure_comment_assign", "comment"),
            ("disclosure_comment_answer", "comment"),
            ("disclosure_comment_close", "comment"),
            ("disclosure_comment_reveal", "comment"),
        )
    },
    "disclosure_late_export": (None, POST_ONLY),
    # The public portal (D12): everyone, signed in or not.
    "disclosure_portal_home": (None, PUBLIC),
    "disclosure_portal_community": (_place, PUBLIC),
    "disclosure_portal_item": (_sample("notice"), PUBLIC),
    "disclosure_portal_item_pdf": (_sample("notice"), PUBLIC),
    "disclosure_portal_short": (_code, {role: 302 for role in ROLES}),
    "disclosure_portal_comment": (_place, PUBLIC),
    "disclosure_portal_comment_status": (_number, PUBLIC),
    "disclosure_portal_answers": (_place, PUBLIC),
}
API_COVERED: set[str] = {
    "notice-list",
    "notice-detail",
    "notice-publish",
    "notice-correct",
    "comment-list",
    "comment-detail",
    "comment-assign",
    "comment-answer",
    "comment-close",
}
