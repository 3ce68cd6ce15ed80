"""Fewer indexes written by each ballot (issue 11): the code's uniqueness becomes a constraint (no
LIKE index on PostgreSQL; added before the field's own is dropped, so codes are never unguarded), the
code's cycle is left to the (cycle, status) index, a mark's ballot to the unique (ballot, evaluee)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("performance", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="ballotcode",
            constraint=models.UniqueConstraint(fields=("code",), name="performance_code_once_uniq"),
        ),
        migrations.AlterField(
            model_name="ballotcode",
            name="code",
            field=models.CharField(max_length=32, verbose_name="code"),
        ),
        migrations.AlterField(
            model_name="ballotcode",
            name="cycle",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="codes",
                to="performance.evaluationcycle",
            ),
        ),
        migrations.AlterField(
            model_name="ballotmark",
            name="ballot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="marks",
                to="performance.ballot",
            ),
        ),
    ]
