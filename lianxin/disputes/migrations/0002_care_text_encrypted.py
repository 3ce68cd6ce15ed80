"""Care-plan goals and measures and the contact log's notes, about people in special groups, are
encrypted at rest (``*_enc``), like the registry's special-care details."""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from lianxin.core import crypto

    CarePlan = apps.get_model("disputes", "CarePlan")
    for plan in CarePlan.objects.all():
        plan.goals_enc, plan.measures_enc = crypto.encrypt(plan.goals), crypto.encrypt(plan.measures)
        plan.save(update_fields=["goals_enc", "measures_enc"])
    CareContact = apps.get_model("disputes", "CareContact")
    for contact in CareContact.objects.exclude(note=""):
        contact.note_enc = crypto.encrypt(contact.note)
        contact.save(update_fields=["note_enc"])


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="careplan",
            name="goals_enc",
            field=models.TextField(default="", editable=False, verbose_name="goals"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="careplan",
            name="measures_enc",
            field=models.TextField(default="", editable=False, verbose_name="measures"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="carecontact",
            name="note_enc",
            field=models.TextField(blank=True, editable=False, verbose_name="note"),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="careplan", name="goals"),
        migrations.RemoveField(model_name="careplan", name="measures"),
        migrations.RemoveField(model_name="carecontact", name="note"),
    ]
