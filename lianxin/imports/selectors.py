"""Reads of import jobs: a user sees the jobs they uploaded."""

from django.http import Http404

from .models import ImportJob


def import_job_list(*, actor):
    return ImportJob.objects.filter(created_by_id=getattr(actor, "pk", None)).defer("content")


def import_job_get(*, actor, pk) -> ImportJob:
    try:
        return import_job_list(actor=actor).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
