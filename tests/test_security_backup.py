"""Issue 12 item 9: `lianxin backup` / `lianxin restore` (the full drill is scripts/backup_drill.py)."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lianxin.accounts.models import User
from lianxin.core.models import AuditEntry


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite online backup path")
def test_backup_uses_the_online_api_and_restore_brings_rows_back(personas, tmp_path):
    target = tmp_path / "lianxin.sqlite3"
    call_command("backup", str(target), stdout=open("/dev/null", "w"))
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM accounts_user").fetchone()[0] == User.objects.count()
    copy.close()
    User.objects.filter(username="resident").update(display_name="changed after the backup")
    call_command("restore", str(target), "--yes", stdout=open("/dev/null", "w"))
    assert User.objects.get(username="resident").display_name == "居民"
    assert AuditEntry.objects.filter(action="backup.restore").exists()


def test_restore_needs_yes(tmp_path):
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "x"))
