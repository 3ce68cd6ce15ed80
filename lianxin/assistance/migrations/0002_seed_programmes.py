from django.db import migrations


def seed(apps, schema_editor):
    from lianxin.assistance.programmes import seed as seed_defaults

    seed_defaults(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
