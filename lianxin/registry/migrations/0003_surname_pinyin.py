"""Recompute the pinyin keys of residents whose name starts with a polyphonic surname (曾 zeng, 单 shan …).

The keys were made by pypinyin's phrase-based reading before lianxin.core.pinyin; only those names
read differently now. Reversible as a no-op: the old keys were the less correct ones.
"""

from django.db import migrations
from django.db.models import Q


def forwards(apps, schema_editor):
    from lianxin.core import pinyin

    Resident = apps.get_model("registry", "Resident")
    starts = Q()
    for surname in pinyin.SURNAME_READINGS:
        starts |= Q(name__startswith=surname)
    changed = []
    for resident in (
        Resident.objects.filter(starts).only("id", "name", "name_pinyin", "name_initials").iterator()
    ):
        keys = pinyin.keys(resident.name)
        if keys != (resident.name_pinyin, resident.name_initials):
            resident.name_pinyin, resident.name_initials = keys
            changed.append(resident)
    Resident.objects.bulk_update(changed, ["name_pinyin", "name_initials"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_transfers_special_care")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
