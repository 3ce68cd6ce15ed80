from django.db import migrations

# code, name (Chinese: what staff see), working days to answer, order. Editable in the back office.
CATEGORIES = [
    ("environment", "环境卫生", 5, 10),
    ("property", "物业管理", 5, 20),
    ("facilities", "公共设施", 5, 30),
    ("safety", "治安安全", 3, 40),
    ("neighbours", "邻里纠纷", 5, 50),
    ("welfare", "社会保障与救助", 5, 60),
    ("employment", "就业创业", 5, 70),
    ("elderly", "养老助残", 5, 80),
    ("housing", "住房保障", 10, 90),
    ("other", "其他", 5, 100),
]


def add(apps, schema_editor):
    RequestCategory = apps.get_model("appeals", "RequestCategory")
    for code, name, days, sort in CATEGORIES:
        RequestCategory.objects.get_or_create(code=code, defaults={"name": name, "due_days": days, "sort": sort})


def remove(apps, schema_editor):
    apps.get_model("appeals", "RequestCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
