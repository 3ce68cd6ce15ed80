"""Field encryption for sensitive personal data (ID numbers, health, disability, special groups).

AES-256-GCM with a key id stored beside each ciphertext, so keys can be rotated: new writes use the
current key, old rows stay readable while their key is configured, ``lianxin keys rotate`` re-encrypts.
Exact lookups (find a person by ID number) go through a keyed HMAC, never a plaintext column.
Keys come from the environment (or, in demo mode, a key file in the data directory) — never from
SECRET_KEY, never from the database.

    LIANXIN_FIELD_KEYS   "k1:<base64 32 bytes>,k2:<base64 32 bytes>"
    LIANXIN_FIELD_KEY_ID "k2"                      (the key new writes use; default: the last listed)
    LIANXIN_LOOKUP_KEY   "<base64 32 bytes>"       (HMAC key for lookups; rotating it means re-hashing)
"""

import base64
import binascii
import functools
import hashlib
import json
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    current: str
    lookup: bytes


def _decode(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not valid base64") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes (base64 of 32 random bytes)")
    return raw


def _from_environment() -> KeyRing | None:
    spec = os.environ.get("LIANXIN_FIELD_KEYS", "").strip()
    if not spec:
        return None
    keys = {}
    for item in spec.split(","):
        kid, _, value = item.strip().partition(":")
        if not kid or not value:
            raise ImproperlyConfigured("LIANXIN_FIELD_KEYS must look like k1:<base64>,k2:<base64>")
        keys[kid] = _decode(value, f"LIANXIN_FIELD_KEYS[{kid}]")
    current = os.environ.get("LIANXIN_FIELD_KEY_ID") or list(keys)[-1]
    if current not in keys:
        raise ImproperlyConfigured(f"LIANXIN_FIELD_KEY_ID {current} is not in LIANXIN_FIELD_KEYS")
    lookup = os.environ.get("LIANXIN_LOOKUP_KEY", "")
    if not lookup:
        raise ImproperlyConfigured("LIANXIN_LOOKUP_KEY must be set with LIANXIN_FIELD_KEYS")
    return KeyRing(keys, current, _decode(lookup, "LIANXIN_LOOKUP_KEY"))


def _from_demo_file() -> KeyRing:
    """Demo and test installs keep generated keys in the data directory (never in production)."""
    path = settings.DATA_DIR / "field-keys.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "keys": {"demo1": base64.b64encode(secrets.token_bytes(32)).decode()},
            "current": "demo1",
            "lookup": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
    data = json.loads(path.read_text())
    keys = {kid: _decode(value, kid) for kid, value in data["keys"].items()}
    return KeyRing(keys, data["current"], _decode(data["lookup"], "lookup"))


@functools.cache
def keyring() -> KeyRing:
    ring = _from_environment()
    if ring is not None:
        return ring
    fixed = getattr(settings, "LIANXIN_FIELD_KEYRING", None)  # the test suite's fixed keys
    if fixed:
        keys = {kid: _decode(value, kid) for kid, value in fixed["keys"].items()}
        return KeyRing(keys, fixed["current"], _decode(fixed["lookup"], "lookup"))
    if getattr(settings, "LIANXIN_FIELD_KEYS_FROM_FILE", False):
        return _from_demo_file()
    raise ImproperlyConfigured(
        "Field-encryption keys are not configured: set LIANXIN_FIELD_KEYS and LIANXIN_LOOKUP_KEY "
        "(see docs/operations.md)."
    )


def encrypt(text: str) -> str:
    """``kid$base64(nonce ‖ ciphertext)``; empty text stays empty."""
    return encrypter()(text)


def encrypter():
    """``encrypt`` with the current key looked up once: for loops over many values (an import's
    170,000 ID numbers, where the lookups and ``secrets``' wrapper were a third of the encryption)."""
    ring = keyring()
    kid = ring.current
    seal_with, prefix, aad = _aead(ring.keys[kid]).encrypt, f"{kid}$", kid.encode()
    urandom, b64 = os.urandom, binascii.b2a_base64  # what secrets.token_bytes and base64 call

    def encrypt_one(text: str) -> str:
        if not text:
            return ""
        nonce = urandom(12)
        return prefix + b64(nonce + seal_with(nonce, text.encode(), aad), newline=False).decode()

    return encrypt_one


def decrypt(token: str) -> str:
    if not token:
        return ""
    kid, _, body = token.partition("$")
    ring = keyring()
    if kid not in ring.keys:
        raise ImproperlyConfigured(f"field key {kid} is not configured; it is needed to read older rows")
    raw = base64.b64decode(body)
    return _aead(ring.keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()


def encrypted_text(column: str) -> property:
    """A model attribute whose text is kept encrypted in ``column``: reading it decrypts, assigning
    encrypts. A ``property`` so that ``Model(goals="…")`` and ``objects.create(goals="…")`` accept it.
    Declare the column in the model's ``encrypted_fields`` so ``lianxin keys rotate`` re-encrypts it."""

    def read(obj) -> str:
        return decrypt(getattr(obj, column))

    def write(obj, value) -> None:
        setattr(obj, column, encrypt(value or ""))

    return property(read, write)


def seal(data: bytes, context: str) -> bytes:
    """``kid$`` + nonce + AES-GCM(data), bound to ``context``: for stored blobs, not for columns."""
    ring = keyring()
    nonce = secrets.token_bytes(12)
    sealed = _aead(ring.keys[ring.current]).encrypt(nonce, data, f"{ring.current}:{context}".encode())
    return ring.current.encode() + b"$" + nonce + sealed


def unseal(blob: bytes, context: str) -> bytes:
    """The data of ``seal``; raises ``InvalidTag`` when the blob or its context was changed."""
    kid, _, body = bytes(blob).partition(b"$")
    kid = kid.decode()
    ring = keyring()
    if kid not in ring.keys:
        raise ImproperlyConfigured(f"field key {kid} is not configured; it is needed to read older rows")
    return _aead(ring.keys[kid]).decrypt(body[:12], body[12:], f"{kid}:{context}".encode())


def key_id(token: str) -> str:
    return token.partition("$")[0]


def lookup_hash(text: str) -> str:
    """Keyed hash for exact-match lookups of an encrypted value."""
    return lookup_hasher()(text)


def lookup_hasher():
    """``lookup_hash`` with the key read once: for loops over many values (an import's 170,000).

    HMAC-SHA256 (RFC 2104) from the two keyed SHA-256 states, copied for each value: the same bytes
    as ``hmac.digest`` (tested), in half its time — the one-shot call sets up the key every time."""
    key = keyring().lookup
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def lookup_one(text: str) -> str:
        digest = inner.copy()
        digest.update(text.encode())
        result = outer.copy()
        result.update(digest.digest())
        return result.hexdigest()

    return lookup_one


_SHA256_BLOCK = 64


# Key setup once per key, not once per value (an import encrypts and hashes 170,000 of them).
@functools.cache
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)
