"""Import a spreadsheet from the command line through the same services as the pages and the API."""

import json
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lianxin.accounts.models import User
from lianxin.imports import services
from lianxin.imports.models import ImportJob, ImportKind, ImportStatus


class _Rehearsal(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Upload a file (dry run) and optionally commit it, or commit an existing job with --job. "
        "--rehearse runs the whole commit and then rolls it back (used to time the kill -9 drill)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.MEMBERS)
        parser.add_argument("--user", required=True, help="username of the importer")
        parser.add_argument("--commit", action="store_true", help="commit after a clean dry run")
        parser.add_argument("--job", type=int, help="commit this existing job")
        parser.add_argument("--rehearse", action="store_true")

    def handle(self, *args, path=None, kind, user, commit, job, rehearse, **options):
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user}")
        if job is None:
            if not path:
                raise CommandError("give a file path or --job")
            data = Path(path).read_bytes()
            upload = services.import_upload(
                actor=actor, kind=kind, file=SimpleUploadedFile(Path(path).name, data)
            )
            self.stdout.write(
                json.dumps(
                    {
                        "job": upload.pk,
                        "status": upload.status,
                        "counts": upload.report.get("counts"),
                        "problem_count": upload.report.get("problem_count"),
                    },
                    ensure_ascii=False,
                )
            )
            if not commit or upload.status != ImportStatus.READY:
                return
            job = upload.pk
        target = ImportJob.objects.defer("content").get(pk=job)
        if rehearse:
            try:
                with transaction.atomic():
                    result = services.import_commit(actor=actor, job=target)
                    self.stdout.write(
                        json.dumps({"job": result.pk, "status": result.status, "rehearsal": True})
                    )
                    raise _Rehearsal
            except _Rehearsal:
                return
        result = services.import_commit(actor=actor, job=target)
        self.stdout.write(
            json.dumps({"job": result.pk, "status": result.status, "counts": result.report.get("counts")})
        )
