"""Field encryption: AES-GCM with key ids, keyed-hash lookups, rotation, and the deploy check."""

import io

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from lianxin.core import crypto
from lianxin.core.checks import field_keys_configured

KEYS = {
    "keys": {
        "t1": "dGVzdC1rZXktb25lLW5vdC1zZWNyZXQtMzJieXRlcyE=",
        "t2": "dGVzdC1rZXktdHdvLW5vdC1zZWNyZXQtMzJieXRlcyE=",
    },
    "lookup": "dGVzdC1sb29rdXAta2V5LW5vdC1zZWNyZXQtMzJieXQ=",
}


@pytest.fixture
def ring():
    """Switch keyrings inside a test; the cached ring is dropped before and after."""

    def use(current, keys=None):
        crypto.keyring.cache_clear()
        config = {**KEYS, "current": current}
        if keys is not None:
            config["keys"] = {k: KEYS["keys"][k] for k in keys}
        return override_settings(LIANXIN_FIELD_KEYRING=config)

    yield use
    crypto.keyring.cache_clear()


def test_round_trip_and_key_id(ring):
    with ring("t1"):
        token = crypto.encrypt("11010519491231002X")
        assert token.startswith("t1$") and "1101051949" not in token
        assert crypto.decrypt(token) == "11010519491231002X"
        assert crypto.encrypt("x") != crypto.encrypt("x")  # fresh nonce every time


def test_one_encrypter_for_many_values_gives_fresh_nonces_under_the_current_key(ring):
    with ring("t1"):
        encrypt = crypto.encrypter()
        tokens = [encrypt("11010519491231002X") for _ in range(3)] + [encrypt("")]
        assert tokens[3] == "" and len(set(tokens[:3])) == 3
        assert all(t.startswith("t1$") and crypto.decrypt(t) == "11010519491231002X" for t in tokens[:3])


def test_tampered_ciphertext_is_refused(ring):
    with ring("t1"):
        token = crypto.encrypt("secret")
        kid, body = token.split("$")
        forged = f"t2${body}"  # the key id is authenticated data
    with ring("t2"):
        with pytest.raises(InvalidTag):
            crypto.decrypt(forged)


def test_lookup_hash_is_keyed_and_stable(ring):
    with ring("t1"):
        first = crypto.lookup_hash("11010519491231002X")
    with ring("t2"):
        assert crypto.lookup_hash("11010519491231002X") == first
    assert len(first) == 64 and "1101" not in first


@pytest.mark.parametrize("size", [16, 32, 64, 65, 200])
def test_lookup_hash_is_exactly_hmac_sha256_of_the_lookup_key(monkeypatch, size):
    import hashlib
    import hmac

    key = bytes(range(256))[:size]
    monkeypatch.setattr(crypto, "keyring", lambda: crypto.KeyRing({"k": b"0" * 32}, "k", key))
    for text in ["11010519491231002X", "", "张三", "x" * 300]:
        expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        assert crypto.lookup_hash(text) == crypto.lookup_hasher()(text) == expected


def test_missing_key_names_the_problem(ring):
    with ring("t1"):
        token = crypto.encrypt("x")
    with ring("t2", keys=["t2"]):
        with pytest.raises(ImproperlyConfigured, match="t1"):
            crypto.decrypt(token)


@pytest.mark.django_db
def test_rotation_reencrypts_every_row(ring, city, personas):
    from lianxin.registry import services
    from lianxin.registry.models import Resident

    with ring("t1"):
        household = services.household_create(actor=personas["staff"], place=city.happy_building, room="101")
        services.resident_create(
            actor=personas["staff"],
            name="张三",
            id_number="11010519491231002X",
            household=household,
            health="糖尿病",
        )
    with ring("t2"):
        out = io.StringIO()
        call_command("keys", "rotate", stdout=out)
        assert "registry.Resident: 1 rows re-encrypted" in out.getvalue()
        resident = Resident.objects.get()
        assert crypto.key_id(resident.id_number_enc) == "t2" and crypto.key_id(resident.health_enc) == "t2"
        out = io.StringIO()
        call_command("keys", "status", stdout=out)
        assert "registry.Resident: 0 rows" in out.getvalue()
    with ring("t2", keys=["t2"]):  # the old key can now be retired
        assert crypto.decrypt(Resident.objects.get().id_number_enc) == "11010519491231002X"


def test_deploy_check_requires_keys(ring):
    crypto.keyring.cache_clear()
    with override_settings(LIANXIN_FIELD_KEYRING=None, LIANXIN_FIELD_KEYS_FROM_FILE=False):
        errors = field_keys_configured(None)
        assert [e.id for e in errors] == ["lianxin.E001"]
    crypto.keyring.cache_clear()
    assert field_keys_configured(None) == []


@pytest.mark.django_db
def test_care_plan_text_is_encrypted_at_rest_and_read_back():
    """Care plans concern people in special groups: their text is stored encrypted (issue 9)."""
    from django.db import connection

    from lianxin.disputes.models import CarePlan

    plan = CarePlan(goals="稳定就业", measures="每月走访")
    assert plan.goals_enc and "稳定就业" not in plan.goals_enc
    assert (plan.goals, plan.measures) == ("稳定就业", "每月走访")
    assert "goals_enc" in CarePlan.encrypted_fields and "measures_enc" in CarePlan.encrypted_fields
    columns = {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "disputes_careplan")
    }
    assert "goals" not in columns and "measures" not in columns
