"""The categories of matters, with the six the 4+2 method makes mandatory (D8)."""

from django.db import migrations

CATEGORIES = [
    # code, name, mandatory, major (double ballot by default)
    ("land", "土地征收征用及调整", True, True),
    ("low_rent_housing", "廉租房申请", True, False),
    ("subsistence", "低保金发放", True, False),
    ("cadre_pay", "干部报酬", True, False),
    ("fundraising", "公益事业筹资筹劳", True, True),
    ("construction", "工程建设项目发包", True, True),
    ("facilities", "公共设施维护", False, False),
    ("environment", "环境整治", False, False),
    ("other", "其他事项", False, False),
]


def seed(apps, schema_editor):
    MatterCategory = apps.get_model("decisions", "MatterCategory")
    for position, (code, name, mandatory, major) in enumerate(CATEGORIES):
        MatterCategory.objects.update_or_create(
            code=code, defaults={"name": name, "mandatory": mandatory, "major": major, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("decisions", "MatterCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("decisions", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
