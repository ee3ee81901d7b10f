"""The keyed audit chain and its signed checkpoints (SECURITY.md T2b, T15). Standard library only.

Each audit row's `hash` is an HMAC-SHA256, under a key that lives outside the database and its backups
(`KEEL_AUDIT_KEYS`: `id:base64key,...`, the first seals new rows, every key verifies), over the row's key id,
the previous row's hash and a canonical JSON of the row's fields. Someone who can write to the database but
does not hold the key cannot rewrite a row and recompute the chain: the MACs would not match.

One chain per program (issue #21), so that audited writes of different programs never wait for each other:
each row names its `chain` (the program id; 0 for events of no program: sign-ins of people in no program,
system events, self-guided accounts) and links to the previous row OF THAT CHAIN; each chain has its own
head row, locked only by writers of that chain. The chain id is sealed into the HMAC (a LATER_FIELD: hashed
when not 0), so a row moved from one program's chain into another no longer matches its MAC. Chain 0 is the
legacy global chain continued: the rows written before per-program chains were all chain 0 (the column was
added with that default, no row was rewritten), so they keep their MACs and links, and the chain-0 head
still reveals their cut tail. `through_emergency` (the row was made through emergency access, review 18b)
is a LATER_FIELD too: sealed when True, so the mark cannot be added to or taken off a row. A program's chain
starts from its own genesis, `genesis(chain)` (a hash that names the chain), so a chain cannot be spliced onto
another's start. Within a chain, row ids grow in chain order: the head row is locked before the row's id is
drawn and until the commit.

A checkpoint is the chain heads (the newest row's id and hash, the row count, and the same for every chain)
signed with the Ed25519 checkpoint key, written outside the database; it later shows a cut tail, a moved head,
a whole chain deleted (its head row and its rows) or an emptied table.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

GENESIS_HASH = "0" * 64
VARIABLE = "KEEL_AUDIT_KEYS"
KEY_ID_MAX = 32
HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_role",
    "program_id",
    "patient_id",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "reason",
    "detail",
    "request_id",
    "ip_address",
    "channel",
)
# A field added to AuditEvent later goes here, not in HASHED_FIELDS: it is hashed only when it holds a value
# (not None, "", False, {} or []), so every row written before it existed keeps its MAC.
LATER_FIELDS: tuple[str, ...] = ("chain", "through_emergency")
CHECKPOINT_FIELDS = ("event_id", "hash", "rows", "at", "key_id")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def genesis(chain: int) -> str:
    """The `prev_hash` of a chain's first row: the legacy GENESIS_HASH for chain 0 (the global chain that
    existed before per-program chains), else a hash naming the chain."""
    if chain == 0:
        return GENESIS_HASH
    return hashlib.sha256(f"keel-audit-chain-genesis\n{chain}".encode()).hexdigest()


def chain_of(program_id: int | None) -> int:
    """The chain an event of this program goes to (0: no program)."""
    return int(program_id) if program_id else 0


class AuditKeyError(ValueError):
    """KEEL_AUDIT_KEYS is missing or malformed."""


def valid_key_id(key_id: str) -> bool:
    return 0 < len(key_id) <= KEY_ID_MAX and key_id.replace("-", "").replace("_", "").isalnum()


@cache
def parse_keys(spec: str) -> tuple[tuple[str, bytes], ...]:
    """`id:base64key,...` → ((id, key), ...), newest (sealing) first; AuditKeyError names the problem."""
    keys: list[tuple[str, bytes]] = []
    for part in spec.split(","):
        key_id, sep, b64 = part.strip().partition(":")
        if not sep or not valid_key_id(key_id):
            raise AuditKeyError(
                f"{VARIABLE}: each entry is id:base64-of-32-bytes, the id letters, digits, - or _ "
                f"(at most {KEY_ID_MAX}); make one with `keel audit key new ID`"
            )
        try:
            raw = base64.urlsafe_b64decode(b64.encode())
        except (ValueError, binascii.Error):
            raw = b""
        if len(raw) != 32:
            raise AuditKeyError(f"{VARIABLE}: key {key_id!r} must be base64 of 32 bytes")
        if any(key_id == seen for seen, _ in keys):
            raise AuditKeyError(f"{VARIABLE}: key id {key_id!r} appears twice")
        keys.append((key_id, raw))
    if not keys:
        raise AuditKeyError(f"{VARIABLE} holds no key")
    return tuple(keys)


def new_key_spec(key_id: str) -> str:
    """A fresh `id:base64key` entry for KEEL_AUDIT_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def _body(fields: Mapping[str, object]) -> str:
    payload = {name: _canonical(fields[name]) for name in HASHED_FIELDS}
    payload.update({name: _canonical(fields[name]) for name in LATER_FIELDS if fields.get(name)})
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def legacy_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    """The unkeyed SHA-256 of rows written before the keyed chain (checked once, when they are re-sealed)."""
    return hashlib.sha256((prev_hash + "\n" + _body(fields)).encode()).hexdigest()


def seal(fields: Mapping[str, object], prev_hash: str, key_id: str, key: bytes) -> str:
    """HMAC-SHA256 over the key id, the previous hash and the row's canonical fields."""
    message = f"keel-audit-v2\n{key_id}\n{prev_hash}\n{_body(fields)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _checkpoint_message(head: Mapping[str, object]) -> bytes:
    payload = {name: head[name] for name in CHECKPOINT_FIELDS}
    return (
        "keel-audit-checkpoint-v1\n" + json.dumps(payload, sort_keys=True, separators=(",", ":"))
    ).encode()


def sign_checkpoint(head: Mapping[str, object], key: bytes) -> str:
    return hmac.new(key, _checkpoint_message(head), hashlib.sha256).hexdigest()


def checkpoint_signature_ok(head: Mapping[str, object], key: bytes) -> bool:
    return hmac.compare_digest(sign_checkpoint(head, key), str(head.get("signature", "")))


class CheckpointFormatError(ValueError):
    """A checkpoint line that is not a checkpoint (bad JSON, a missing or mistyped field)."""


def parse_checkpoint(line: str) -> dict[str, Any]:
    """One JSON line of a checkpoint log → its fields, each checked for type; raises CheckpointFormatError."""
    try:
        value = json.loads(line)
    except ValueError:
        raise CheckpointFormatError("is not JSON") from None
    if not isinstance(value, dict):
        raise CheckpointFormatError("is not a JSON object")
    types: dict[str, type] = {
        "event_id": int,
        "hash": str,
        "rows": int,
        "at": str,
        "key_id": str,
        "signature": str,
    }
    for name, kind in types.items():
        field = value.get(name)
        if not isinstance(field, kind) or isinstance(field, bool):
            raise CheckpointFormatError(f"has no valid {name!r}")
    if value["event_id"] < 0 or value["rows"] < 0:
        raise CheckpointFormatError("has a negative 'event_id' or 'rows'")
    if not _HEX64.fullmatch(value["hash"]):
        raise CheckpointFormatError("has no valid 'hash' (64 hexadecimal digits)")
    if "alg" in value and value["alg"] != "ed25519":
        raise CheckpointFormatError("has no valid 'alg' (ed25519)")
    digits = 128 if value.get("alg") == "ed25519" else 64  # Ed25519's 64 bytes; an HMAC-SHA256's 32
    if not re.fullmatch(f"[0-9a-f]{{{digits}}}", value["signature"]):
        raise CheckpointFormatError(f"has no valid 'signature' ({digits} hexadecimal digits)")
    if not _UTC_TIME.fullmatch(value["at"]):
        raise CheckpointFormatError("has no valid 'at' (a UTC time like 2026-12-01T18:00:00Z)")
    if not valid_key_id(value["key_id"]):
        raise CheckpointFormatError("has no valid 'key_id'")
    if "chains" in value:
        _check_chains(value["chains"])
    return value


def _check_chains(chains: Any) -> None:
    """A checkpoint's `chains`: {"<chain id>": {"event_id": int, "hash": hex64, "rows": int}, ...}."""
    if not isinstance(chains, dict):
        raise CheckpointFormatError("has no valid 'chains' (a JSON object)")
    for name, head in chains.items():
        if not (name.isascii() and name.isdigit()) or not isinstance(head, dict):
            raise CheckpointFormatError(f"has no valid 'chains' entry {name!r}")
        for field in ("event_id", "rows"):
            number = head.get(field)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise CheckpointFormatError(f"has no valid {field!r} for chain {name}")
        if not isinstance(head.get("hash"), str) or not _HEX64.fullmatch(head["hash"]):
            raise CheckpointFormatError(f"has no valid 'hash' for chain {name}")
