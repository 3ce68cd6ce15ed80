"""The commit writes the rows its clean dry run validated and kept, sealed (issue 3: import speed)."""

import datetime as dt

import pytest
from cryptography.exceptions import InvalidTag

from lianxin.core import bulk, crypto, idcard
from lianxin.imports import services
from lianxin.imports.models import ImportJob, ImportStatus
from lianxin.places.models import PartyOrganization
from lianxin.registry import services as registry
from lianxin.registry.models import PartyMember, Resident
from tests.test_imports import BRANCH, MEMBER_HEADER, member_row, pid, problems, upload
from tests.test_spreadsheets import xlsx

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


def _file(*rows):
    return xlsx([MEMBER_HEADER, *rows])


def test_dry_run_keeps_sealed_rows_and_the_commit_writes_exactly_them(secretary):
    job = upload(
        secretary,
        "members",
        _file(
            member_row("曾小明", pid("19800101", "001"), joined="1980.7.1"),
            member_row(
                "吕 方", pid("19900101", "003"), kind="预备", joined="2025-01-01", probation="2026-01-01"
            ),
            member_row("王五", pid("19700101", "005"), kind="流动", dest="深圳"),
        ),
    )
    assert job.status == ImportStatus.READY
    sealed = bytes(ImportJob.objects.values_list("prepared", flat=True).get(pk=job.pk))
    assert sealed.partition(b"$")[0].decode() == crypto.keyring().current
    assert "曾小明".encode() not in sealed and pid("19800101", "001").encode() not in sealed
    job = services.import_commit(actor=secretary, job=job)
    assert job.status == ImportStatus.COMMITTED
    assert job.report["counts"] == {"residents_created": 3, "members_created": 3}
    assert bytes(ImportJob.objects.values_list("prepared", flat=True).get(pk=job.pk)) == b""
    zeng = Resident.objects.get(name="曾小明")
    assert (zeng.name_pinyin, zeng.name_initials) == ("zengxiaoming", "zxm")
    assert crypto.decrypt(zeng.id_number_enc) == pid("19800101", "001")
    assert zeng.id_number_hash == registry.id_lookup_hash(pid("19800101", "001"))
    assert zeng.id_number_masked == idcard.mask(pid("19800101", "001"))
    assert (zeng.birth_date, zeng.sex) == (dt.date(1980, 1, 1), "M")
    lv = PartyMember.objects.get(resident__name="吕 方")
    assert (lv.kind, lv.joined_on, lv.probation_ends_on) == (
        "probationary",
        dt.date(2025, 1, 1),
        dt.date(2026, 1, 1),
    )
    assert lv.resident.name_pinyin == "lvfang"
    wang = PartyMember.objects.get(resident__name="王五")
    assert (wang.kind, wang.mobile_destination, wang.organization.name) == ("mobile", "深圳", BRANCH)
    assert PartyMember.objects.get(resident=zeng).joined_on == dt.date(1980, 7, 1)


def test_an_altered_payload_is_never_trusted_the_file_is_validated_again(secretary, monkeypatch):
    job = upload(secretary, "members", _file(member_row("张三", pid())))
    sealed = bytearray(ImportJob.objects.values_list("prepared", flat=True).get(pk=job.pk))
    sealed[-1] ^= 1
    ImportJob.objects.filter(pk=job.pk).update(prepared=bytes(sealed))
    reads = []
    real = services.registry_sheets.run_import
    monkeypatch.setattr(
        services.registry_sheets, "run_import", lambda **kw: reads.append(kw["write"]) or real(**kw)
    )
    job = services.import_commit(actor=secretary, job=job)
    assert reads == [True] and job.status == ImportStatus.COMMITTED
    assert Resident.objects.get().name == "张三"


def test_a_payload_is_bound_to_its_file_and_uploader(secretary, personas):
    job = upload(secretary, "members", _file(member_row("张三", pid())))
    sealed = bytes(ImportJob.objects.values_list("prepared", flat=True).get(pk=job.pk))
    context = services._prepared_context(secretary, job)
    assert crypto.unseal(sealed, context)
    with pytest.raises(InvalidTag):
        crypto.unseal(sealed, context.replace(job.file_sha256, "0" * 64))
    with pytest.raises(InvalidTag):
        crypto.unseal(sealed, services._prepared_context(personas["staff"], job))


def test_commit_rechecks_the_database_an_organization_dissolved_since_the_dry_run(secretary):
    job = upload(secretary, "members", _file(member_row("张三", pid()), member_row("李四", pid(seq="003"))))
    assert job.status == ImportStatus.READY
    PartyOrganization.objects.filter(name=BRANCH).update(dissolved_on=dt.date(2026, 1, 1))
    job = services.import_commit(actor=secretary, job=job)
    assert job.status == ImportStatus.INVALID
    assert [p[1:] for p in problems(job)] == [
        (2, "所在党组织", "unknown_organization"),
        (3, "所在党组织", "unknown_organization"),
    ]
    assert not Resident.objects.exists() and not PartyMember.objects.exists()


def test_commit_rechecks_the_database_a_person_registered_since_the_dry_run(secretary, city, personas):
    job = upload(secretary, "members", _file(member_row("张三", pid()), member_row("李四", pid(seq="003"))))
    assert job.report["counts"] == {"residents_created": 2, "members_created": 2}
    resident = registry.resident_create(
        actor=personas["staff"], name="张三", id_number=pid(), place=city.happy
    )
    job = services.import_commit(actor=secretary, job=job)
    assert job.status == ImportStatus.COMMITTED
    assert job.report["counts"] == {
        "residents_created": 1,
        "members_created": 2,
        "residents_unchanged": 1,
        "changes": 1,
    }
    assert (
        Resident.objects.count() == 2
        and PartyMember.objects.get(resident=resident).organization.name == BRANCH
    )


def test_households_have_no_payload_and_are_validated_again(personas):
    from tests.test_imports import HOUSE_HEADER

    job = upload(
        personas["community_secretary"],
        "households",
        xlsx([HOUSE_HEADER, ["1号楼", "1", "101", "张三", pid(), "户主", "", "", ""]]),
    )
    assert job.status == ImportStatus.READY, job.report["problems"]
    assert bytes(ImportJob.objects.values_list("prepared", flat=True).get(pk=job.pk)) == b""


def test_insert_values_fills_defaults_and_refuses_unknown_columns(city):
    with pytest.raises(ValueError, match="no columns"):
        bulk.insert_values(Resident, [], columns=["nope"])
    assert bulk.values_in(Resident, "id_number_hash", [], ["id"]) == []


def test_reserved_keys_are_above_every_key_ever_used_and_the_next_row_follows_them(city, personas):
    from django.db import transaction

    staff = personas["staff"]
    registry.resident_create(actor=staff, name="张三", id_number=pid(), place=city.happy)
    highest = registry.resident_create(actor=staff, name="李四", id_number=pid(seq="003"), place=city.happy)
    gone = highest.pk
    Resident.objects.filter(pk=gone).delete()  # the highest key so far is never handed out again
    with transaction.atomic():
        keys = bulk.reserve_ids(Resident, 3)
        assert len(set(keys)) == 3 and min(keys) > gone
        bulk.insert_values(
            Resident,
            [
                (pk, city.happy.pk, city.happy.path, f"批量{n}", f"hash-{n}", dt.date(1980, 1, 1))
                for n, pk in enumerate(keys)
            ],
            columns=["id", "place_id", "place_path", "name", "id_number_hash", "birth_date"],
        )
    assert sorted(Resident.objects.filter(name__startswith="批量").values_list("pk", flat=True)) == sorted(
        keys
    )
    after = registry.resident_create(actor=staff, name="王五", id_number=pid(seq="005"), place=city.happy)
    assert after.pk > max(keys)
    assert bulk.reserve_ids(Resident, 0) == []
