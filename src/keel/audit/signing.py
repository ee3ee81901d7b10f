"""Checkpoints signed with a key apart from the chain's (SECURITY.md T15): an Ed25519 private key named by
`KEEL_CHECKPOINT_KEY` (a PEM file; generated owner-only in the data dir in development, required in
production). Whoever holds the chain's HMAC key (KEEL_AUDIT_KEYS) can reseal rows but cannot sign a
checkpoint; the public key (`keel audit checkpoint-key public`) verifies them anywhere."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "ed25519"
FIELDS = ("event_id", "hash", "rows", "at", "key_id", "alg")


class CheckpointKeyError(ValueError):
    """The checkpoint key file is missing or not an Ed25519 key (named, never its content)."""


def generate(path: Path) -> None:
    """A new private key at `path`, owner-only from the start; an existing file is kept."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fresh = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        os.link(fresh, path)  # processes starting together share one key
    except FileExistsError:
        pass
    finally:
        fresh.unlink()


def load_private(path: str | Path) -> Ed25519PrivateKey:
    """The private key at `path`. A file that the group or others may read or write is refused, as ssh
    refuses such keys: any local account could otherwise sign checkpoints (`chmod 600` fixes it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise CheckpointKeyError(
            f"KEEL_CHECKPOINT_KEY: {path} is not a readable PEM private key ({error.__class__.__name__})"
        ) from None
    if os.name == "posix" and mode & 0o077:
        raise CheckpointKeyError(
            f"KEEL_CHECKPOINT_KEY: {path} has mode {mode & 0o777:04o}: other accounts can read it; "
            "make it owner-only (chmod 600)"
        )
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointKeyError(
            f"KEEL_CHECKPOINT_KEY: {path} is not a readable PEM private key ({error.__class__.__name__})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"KEEL_CHECKPOINT_KEY: {path} is not an Ed25519 key")
    return key


def load_public(path: str | Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointKeyError(
            f"--public-key: {path} is not a readable PEM public key ({error.__class__.__name__})"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointKeyError(f"--public-key: {path} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """`ed25519-` and 16 hex digits of the SHA-256 of the raw public key: names the key in each line."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519-" + hashlib.sha256(raw).hexdigest()[:16]


def _message(head: Mapping[str, object]) -> bytes:
    payload = {name: head[name] for name in FIELDS}
    if "chains" in head:  # every chain's head (issue #21); older checkpoints have none
        payload["chains"] = head["chains"]
    return (
        "keel-audit-checkpoint-ed25519\n" + json.dumps(payload, sort_keys=True, separators=(",", ":"))
    ).encode()


def sign(head: Mapping[str, object], key: Ed25519PrivateKey) -> str:
    return key.sign(_message(head)).hex()


def signature_ok(head: Mapping[str, object], key: Ed25519PublicKey) -> bool:
    try:
        key.verify(bytes.fromhex(str(head.get("signature", ""))), _message(head))
    except (InvalidSignature, ValueError):
        return False
    return True
