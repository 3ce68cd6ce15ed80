"""The default programmes (D6), as data: seeded by migration 0002 and by ``ensure_defaults()``
(idempotent: an existing programme is left as an administrator edited it).

Step rows: (code, name, kind, roles, level, working days, required documents, public, sampled, four eyes).
低保 follows the sequence of the source: 申请 → 调查 → 评议 → 公示 → 初审 → 审核 → 审批 → 发证 → 发放;
the community investigates, deliberates and publishes, the subdistrict reviews first, the district
reviews (on samples; flagged cases in full) and approves (a second person).
"""

_COMMUNITY = ["community_secretary", "committee_member", "staff"]
_INVESTIGATORS = ["community_secretary", "committee_member", "staff", "grid_worker"]
_DELIBERATORS = ["community_secretary", "committee_member"]

DEFAULTS = [
    {
        "code": "dibao",
        "name": "最低生活保障",
        "description": "城乡居民最低生活保障（低保）：按月发放，每年复核。",
        "notice_days": 7,
        "pays_monthly": True,
        "steps": [
            (
                "apply",
                "申请",
                "apply",
                _COMMUNITY,
                "community",
                5,
                ["低保申请书", "户口簿", "身份证", "收入证明"],
                False,
                False,
                False,
            ),
            ("investigate", "调查", "investigate", _INVESTIGATORS, "community", 10, [], False, False, False),
            ("deliberate", "评议", "deliberate", _DELIBERATORS, "community", 5, [], False, False, False),
            ("notice", "公示", "notice", _COMMUNITY, "community", 10, [], True, False, False),
            (
                "first_review",
                "初审",
                "review",
                ["subdistrict_officer"],
                "subdistrict",
                10,
                [],
                False,
                False,
                False,
            ),
            ("review", "审核", "review", ["district_officer"], "district", 10, [], False, True, False),
            ("approve", "审批", "review", ["district_officer"], "district", 5, [], False, False, True),
            ("certify", "发证", "certify", ["district_officer"], "district", 5, [], False, False, False),
            ("pay", "发放", "pay", ["community_secretary", "staff"], "community", 5, [], False, False, False),
        ],
    },
    {
        "code": "lianzufang",
        "name": "廉租住房",
        "description": "住房困难的低收入家庭申请廉租住房或租赁补贴。",
        "notice_days": 7,
        "pays_monthly": True,
        "steps": [
            (
                "apply",
                "申请",
                "apply",
                _COMMUNITY,
                "community",
                5,
                ["申请表", "户口簿", "身份证", "住房证明", "收入证明"],
                False,
                False,
                False,
            ),
            ("investigate", "调查", "investigate", _INVESTIGATORS, "community", 10, [], False, False, False),
            ("deliberate", "评议", "deliberate", _DELIBERATORS, "community", 5, [], False, False, False),
            ("notice", "公示", "notice", _COMMUNITY, "community", 10, [], True, False, False),
            (
                "first_review",
                "初审",
                "review",
                ["subdistrict_officer"],
                "subdistrict",
                10,
                [],
                False,
                False,
                False,
            ),
            ("approve", "审批", "review", ["district_officer"], "district", 10, [], False, True, False),
            (
                "pay",
                "配租",
                "pay",
                ["community_secretary", "staff"],
                "community",
                10,
                [],
                False,
                False,
                False,
            ),
        ],
    },
    {
        "code": "zaijiuye",
        "name": "再就业培训",
        "description": "下岗失业人员报名参加免费再就业技能培训。",
        "notice_days": 7,
        "pays_monthly": False,
        "steps": [
            (
                "apply",
                "报名",
                "apply",
                _COMMUNITY,
                "community",
                5,
                ["报名表", "身份证", "失业证"],
                False,
                False,
                False,
            ),
            ("deliberate", "评议", "deliberate", _DELIBERATORS, "community", 5, [], False, False, False),
            ("notice", "公示", "notice", _COMMUNITY, "community", 10, [], True, False, False),
            ("approve", "审批", "review", ["subdistrict_officer"], "subdistrict", 5, [], False, False, False),
        ],
    },
]

STEP_FIELDS = (
    "code",
    "name",
    "kind",
    "roles",
    "level",
    "deadline_days",
    "required_documents",
    "is_public",
    "sampled",
    "four_eyes",
)


def seed(apps, schema_editor=None) -> int:
    """Create the default programmes that do not exist yet; return how many were made."""
    Programme = apps.get_model("assistance", "Programme")
    ProgrammeStep = apps.get_model("assistance", "ProgrammeStep")
    made = 0
    for spec in DEFAULTS:
        if Programme.objects.filter(code=spec["code"]).exists():
            continue
        programme = Programme.objects.create(
            code=spec["code"],
            name=spec["name"],
            description=spec["description"],
            notice_days=spec["notice_days"],
            pays_monthly=spec["pays_monthly"],
        )
        ProgrammeStep.objects.bulk_create(
            ProgrammeStep(programme=programme, order=order, **dict(zip(STEP_FIELDS, row, strict=True)))
            for order, row in enumerate(spec["steps"], start=1)
        )
        made += 1
    return made


def ensure_defaults() -> int:
    """Idempotent setup of the default programmes (tests and the demo call it after a flush)."""
    from django.apps import apps

    return seed(apps)
