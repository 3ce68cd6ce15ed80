"""A community's or grid's open requests newest first (issue 11): the prefix indexes of 0005 again,
holding open work only. Small (open requests are a few percent of a city's year); building them
reads the table once each.
"""

from django.db import migrations, models

import lianxin.core.tree

OPEN = models.Q(("status__in", ("open", "in_progress")))


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0005_request_community_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                lianxin.core.tree.Prefix("place_path", 32),
                models.F("id"),
                condition=OPEN,
                name="appeals_request_community_open",
            ),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(
                lianxin.core.tree.Prefix("place_path", 40),
                models.F("id"),
                condition=OPEN,
                name="appeals_request_grid_open",
            ),
        ),
    ]
