"""A community's or grid's requests newest first, from either side of a hand-off (issue 11).

The hand-off side's path becomes NULL when the request was never handed to a place ('' before), then
indexes on (the community's path prefix, id) on both sides and (the grid's path prefix, id) on the
requester's side. On a city's million requests the
UPDATE rewrites most rows: run it when the offices are closed.
"""

from django.db import migrations, models

import lianxin.core.tree


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0004_request_handler_place_path"),
    ]

    operations = [
        migrations.AlterField(
            model_name="request",
            name="handler_place_path",
            field=models.CharField(blank=True, editable=False, max_length=240, null=True),
        ),
        migrations.RunSQL(
            "UPDATE appeals_request SET handler_place_path = NULL WHERE handler_place_path = ''",
            "UPDATE appeals_request SET handler_place_path = '' WHERE handler_place_path IS NULL",
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                lianxin.core.tree.Prefix("place_path", 32),
                models.F("id"),
                name="appeals_request_community_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                lianxin.core.tree.Prefix("place_path", 40), models.F("id"), name="appeals_request_grid_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                lianxin.core.tree.Prefix("handler_place_path", 32),
                models.F("id"),
                condition=models.Q(("handler_place_path__isnull", False)),
                name="appeals_request_hcommunity_idx",
            ),
        ),
    ]
