"""Authenticated encryption (AEAD, AES-256-GCM) for the most sensitive free text (SECURITY.md).

Keys live outside the database (`KEEL_DATA_KEYS`: `id:base64key,...`; the first key encrypts, every key
decrypts, so a new key can be put first and `keel data-key rotate` re-encrypts old rows). Each value is
bound to its purpose and patient through the associated data, so a ciphertext copied into another
patient's row or another column does not decrypt.

Blob layout: b"K1" | len(key id) (1 byte) | key id | 12-byte nonce | ciphertext with tag.
"""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"K1"


class KeyConfigError(ValueError):
    pass


class DecryptError(ValueError):
    """A stored value could not be decrypted (wrong key, or the row was tampered with)."""


@cache
def _keys(spec: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    order = []
    for part in spec.split(","):
        key_id, sep, b64 = part.strip().partition(":")
        if not sep or not key_id or len(key_id) > 32:
            raise KeyConfigError("KEEL_DATA_KEYS entries look like id:base64key")
        try:
            raw = base64.urlsafe_b64decode(b64.encode())
        except ValueError:
            raise KeyConfigError(f"KEEL_DATA_KEYS key {key_id!r} is not base64") from None
        if len(raw) != 32:
            raise KeyConfigError(f"KEEL_DATA_KEYS key {key_id!r} must be 32 bytes")
        keys[key_id] = raw
        order.append(key_id)
    if not order:
        raise KeyConfigError("KEEL_DATA_KEYS holds no key")
    return order[0], keys


def new_key_spec(key_id: str) -> str:
    """A fresh `id:base64key` entry for KEEL_DATA_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def current_key_id() -> str:
    return _keys(settings.KEEL_DATA_KEYS)[0]


def key_id_of(blob: bytes) -> str:
    blob = bytes(blob)
    return blob[3 : 3 + blob[2]].decode()


def encrypt(plaintext: bytes, *, aad: str) -> bytes:
    key_id, keys = _keys(settings.KEEL_DATA_KEYS)
    nonce = os.urandom(12)
    kid = key_id.encode()
    return (
        MAGIC + bytes([len(kid)]) + kid + nonce + AESGCM(keys[key_id]).encrypt(nonce, plaintext, aad.encode())
    )


def decrypt(blob: bytes, *, aad: str) -> bytes:
    blob = bytes(blob)
    if blob[:2] != MAGIC:
        raise DecryptError("not an encrypted value")
    n = blob[2]
    key_id = blob[3 : 3 + n].decode()
    nonce, ciphertext = blob[3 + n : 15 + n], blob[15 + n :]
    _, keys = _keys(settings.KEEL_DATA_KEYS)
    if key_id not in keys:
        raise DecryptError(f"key {key_id!r} is not configured")
    try:
        return AESGCM(keys[key_id]).decrypt(nonce, ciphertext, aad.encode())
    except InvalidTag:
        raise DecryptError("the value does not match its key or its row") from None


def encrypt_json(value: Any, *, aad: str) -> bytes:
    return encrypt(json.dumps(value, separators=(",", ":")).encode(), aad=aad)


def decrypt_json(blob: bytes | memoryview | None, *, aad: str, default: Any = None) -> Any:
    if blob is None:
        return default
    return json.loads(decrypt(bytes(blob), aad=aad))
