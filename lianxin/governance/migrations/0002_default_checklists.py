"""Default branch-standards checklists (支部标准化, D3): five areas per field, 100 points each.
District officers edit them afterwards; fields without a list of their own use the community list."""

from django.db import migrations

# area, code, requirement (Chinese: what the organizations read), points
COMMUNITY = [
    ("team", "secretary", "书记政治素质好、带头作用强，支部委员配备齐全、分工明确", 10),
    ("team", "members", "党员底数清，组织关系及时接转，流动党员动态管理", 10),
    ("activities", "meetings", "按规定落实“三会一课”，记录完整", 10),
    ("activities", "service", "党员设岗定责、联系群众，“五个必访”落实到位", 10),
    ("premises", "room", "有固定的党员活动室，标识规范、设施齐全", 10),
    ("premises", "disclosure", "党务公开栏定期更新，内容真实完整", 10),
    ("rules", "system", "组织生活、民主评议、党务公开等制度健全并上墙", 10),
    ("rules", "records", "台账资料规范，档案齐全", 10),
    ("funding", "fees", "党费按时足额收缴、使用公开", 10),
    ("funding", "activity_funds", "党建活动经费有保障、专款专用", 10),
]
FIRM = [
    ("team", "secretary", "企业党组织书记由党性强、懂经营的党员担任，委员配备齐全", 10),
    ("team", "members", "党员底数清，新进员工中的党员及时接转组织关系", 10),
    ("activities", "meetings", "结合生产经营落实“三会一课”", 10),
    ("activities", "service", "党员示范岗、先锋岗发挥作用", 10),
    ("premises", "room", "有党员活动场所，阵地标识规范", 10),
    ("premises", "disclosure", "党务公开栏或线上公开定期更新", 10),
    ("rules", "system", "党组织参与企业重大事项的制度健全", 10),
    ("rules", "records", "台账资料规范", 10),
    ("funding", "fees", "党费按时足额收缴", 10),
    ("funding", "activity_funds", "企业支持党建工作经费列入管理费用", 10),
]
SOCIAL = [
    ("team", "secretary", "社会组织党组织书记、委员配备齐全", 10),
    ("team", "members", "党员底数清，组织关系规范", 10),
    ("activities", "meetings", "落实“三会一课”，结合业务开展活动", 10),
    ("activities", "service", "党员带头参与公益服务", 10),
    ("premises", "room", "有活动场所（可与社区共享）", 10),
    ("premises", "disclosure", "党务公开及时", 10),
    ("rules", "system", "党建工作写入组织章程", 10),
    ("rules", "records", "台账资料规范", 10),
    ("funding", "fees", "党费按时足额收缴", 10),
    ("funding", "activity_funds", "党建活动经费有来源、有保障", 10),
]
DEFAULTS = {"community": COMMUNITY, "firm": FIRM, "social": SOCIAL}


def seed(apps, schema_editor):
    StandardItem = apps.get_model("governance", "StandardItem")
    for field, rows in DEFAULTS.items():
        for position, (area, code, text, points) in enumerate(rows, start=1):
            StandardItem.objects.get_or_create(
                field=field, code=code, defaults={"area": area, "text": text, "points": points, "position": position}
            )


def unseed(apps, schema_editor):
    apps.get_model("governance", "StandardItem").objects.filter(field__in=list(DEFAULTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
