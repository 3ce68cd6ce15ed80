"""The handling place's path on the request: scoping without a join (issue 11)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0003_request_escalation_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="handler_place_path",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=240
            ),
        ),
        # Requests already handed to a community or subdistrict get that place's path.
        migrations.RunSQL(
            "UPDATE appeals_request SET handler_place_path = "
            "(SELECT path FROM places_place WHERE places_place.id = appeals_request.handler_place_id) "
            "WHERE handler_place_id IS NOT NULL",
            migrations.RunSQL.noop,
        ),
    ]
