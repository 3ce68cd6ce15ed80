"""Demo data of this module, added to the demo city by lianxin.core.demo.build_demo_city.

Each community gets a board across the five sections (long-term rules, periodic reports, immediate
notices, policies, service guides and news), one correction, one item published after its due date,
one periodic report still unpublished past its due date, and a few comments, most of them answered.
Deterministic from the seed; everything goes through the services (audited)."""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import demo
from lianxin.core.access import Role
from lianxin.places.models import Place, PlaceKind

from . import services
from .models import BoardItem

BOARD = [
    # (section, kind, topic, title, body)
    (
        "party",
        "long_term",
        "",
        "{c}党委班子成员及分工",
        "党委书记：全面负责党委工作。\n党委副书记：协助书记抓好党建和居民自治工作。\n组织委员：负责党员教育管理、发展党员。\n宣传委员：负责理论学习和宣传工作。",
    ),
    (
        "party",
        "periodic",
        "",
        "{y}年第{q}季度党费收缴情况",
        "本季度应缴党费党员{n}名，已全部按时足额缴纳，合计{amount}元。\n党费收缴情况接受全体党员监督。",
    ),
    (
        "government",
        "long_term",
        "",
        "{c}居民委员会工作职责",
        "一、宣传宪法、法律、法规和国家的政策。\n二、办理本居住地区居民的公共事务和公益事业。\n三、调解民间纠纷。\n四、协助维护社会治安。\n五、向人民政府反映居民的意见、要求和提出建议。",
    ),
    (
        "affairs",
        "immediate",
        "",
        "关于小区二次供水设施清洗的通知",
        "为保障居民用水安全，{d}上午8:00至12:00对小区二次供水水箱进行清洗消毒，期间暂停供水，请居民提前储水。\n给您带来的不便，敬请谅解。",
    ),
    (
        "finance",
        "periodic",
        "",
        "{y}年第{q}季度社区财务收支公开",
        "一、收入\n社区运转经费：30,000元\n党组织活动经费：{fund}元\n二、支出\n办公用品：2,150元\n走访慰问困难群众：6,800元\n环境卫生整治：4,300元\n结余：{rest}元",
    ),
    (
        "service",
        "long_term",
        "guide",
        "办理居住证明的程序",
        "1. 携带本人身份证、户口簿（或租房合同）到社区服务站。\n2. 填写《居住证明申请表》。\n3. 网格员核实居住情况（一般1个工作日）。\n4. 社区出具居住证明。\n办理时间：工作日 8:30—17:30。",
    ),
    (
        "government",
        "long_term",
        "policy",
        "城乡居民最低生活保障政策问答",
        "问：哪些家庭可以申请低保？\n答：共同生活的家庭成员人均收入低于当地低保标准，且财产状况符合规定的家庭。\n问：到哪里申请？\n答：向户籍所在地街道办事处提出申请，也可委托社区代为提交。",
    ),
    (
        "service",
        "immediate",
        "news",
        "社区开展“邻里守望”志愿服务活动",
        "上周六，社区党员志愿者、居民代表共40余人开展“邻里守望”志愿服务活动，为高龄独居老人上门打扫卫生、检查用电安全。",
    ),
]

COMMENTS = [
    (
        "楼道灯不亮",
        "3号楼2单元楼道灯坏了一个多星期了，晚上老人上下楼很不方便。",
        True,
        "已通知物业，灯已于次日更换。",
    ),
    (
        "建议增设休息座椅",
        "小区中心花园能不能多放几张长椅？老人散步累了没地方坐。",
        True,
        "已列入本季度微实事项目，预计下月安装4张长椅。",
    ),
    (
        "反映停车收费问题",
        "物业停车费上涨没有公示，请社区核实。",
        False,
        "经核实，物业调价未履行公示程序，已责令其重新公示并征求业主意见。",
    ),
    ("垃圾清运不及时", "东门垃圾站周末经常满溢。", True, None),
]


def _secretary(place):
    assignment = (
        RoleAssignment.objects.filter(place=place, role=Role.COMMUNITY_SECRETARY, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    return assignment.user if assignment else None


@transaction.atomic
def populate(*, scale: str = "demo", seed: int = demo.DEFAULT_SEED, actor=None) -> dict:
    """Add this module's demo data; return counts of what was made."""
    rng = random.Random(seed + 9)
    today = timezone.localdate()
    city = demo.demo_city()
    communities = list(Place.objects.under(city.path).filter(kind=PlaceKind.COMMUNITY).order_by("path"))
    quarter = (today.month - 1) // 3  # the last full quarter
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    counts = {"board_items": 0, "board_corrections": 0, "comments": 0, "comment_answers": 0}
    for community in communities:
        writer = _secretary(community) or actor
        values = {
            "c": community.name,
            "y": year,
            "q": quarter,
            "n": rng.randrange(40, 200),
            "amount": rng.randrange(2000, 9000),
            "fund": rng.randrange(3000, 12000),
            "d": (today + dt.timedelta(days=3)).strftime("%-m月%-d日"),
        }
        values["rest"] = 30000 + values["fund"] - 13250
        items = []
        for index, (section, kind, topic, title, body) in enumerate(BOARD):
            due_on = None
            if kind == "periodic":
                # Periodic reports have due dates: this one is on time, the finance one is published late.
                due_on = today + dt.timedelta(days=rng.randrange(3, 12))
                if section == "finance":
                    due_on = today - dt.timedelta(days=rng.randrange(3, 12))
            item = services.publish(
                actor=writer,
                place=community,
                section=section,
                kind=kind,
                topic=topic,
                title=title.format(**values),
                body=body.format(**values),
                due_on=due_on,
                starts_on=today - dt.timedelta(days=rng.randrange(1, 20)),
                ends_on=(today + dt.timedelta(days=7)) if kind == "immediate" and not topic else None,
                source_key=f"demo:{index}",
            )
            items.append(item)
        counts["board_items"] += len(items)
        finance = next(i for i in items if i.section == "finance")
        services.correct(
            actor=writer,
            item=finance,
            title=finance.title,
            body=finance.body.replace("环境卫生整治：4,300元", "环境卫生整治：4,030元"),
            reason="环境卫生整治支出金额录入有误（应为4,030元），予以更正。",
        )
        counts["board_corrections"] += 1
        # The next periodic report: due already, still a draft (shows in the late report).
        BoardItem.objects.create(
            place=community,
            section="affairs",
            kind="periodic",
            title=f"{year}年第{quarter}季度社区“微实事”项目进展",
            body="（草稿）",
            due_on=today - dt.timedelta(days=2),
            created_by=writer,
        )
        for subject, text, agreed, answer in COMMENTS:
            comment = services.comment_submit(
                place=community,
                subject=subject,
                text=text,
                anonymous=rng.random() < 0.5,
                name=demo.person_name(rng),
                phone=demo.phone_number(rng),
                publish_agreed=agreed,
            )
            counts["comments"] += 1
            if answer and _secretary(community) is not None:
                services.comment_answer(actor=writer, comment=comment, answer=answer)
                counts["comment_answers"] += 1
    return counts
