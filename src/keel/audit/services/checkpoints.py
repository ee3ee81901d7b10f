"""Checkpoints: the chain heads signed with the checkpoint key, kept outside the database, and read back."""

from __future__ import annotations

import hmac
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from keel.audit import chain, signing
from keel.audit.models import AuditEvent
from keel.audit.services.verification import ChainReport, chain_name, verify_chain


class CheckpointInputError(ValueError):
    """The checkpoint file cannot be read as checkpoints (a CLI exit 2, not a finding about the chain)."""


def checkpoint() -> dict[str, Any]:
    """The chain heads signed with the checkpoint key (Ed25519, `KEEL_CHECKPOINT_KEY`, apart from the chain's
    HMAC keys, so their holder cannot forge one): {event_id, hash, rows, at, key_id, alg, chains, signature},
    `event_id` and `hash` the newest head's, `rows` the rows all heads cover, `chains` every chain's head
    ({"<chain>": {event_id, hash, rows}}).

    Refuses (ValueError) while the chain does not verify: a checkpoint must never bless a tampered chain."""
    report = verify_chain()
    if not report.ok:
        raise ValueError(f"the audit chain is broken at row {report.first_broken_id}: {report.problem}")
    key = signing.load_private(settings.KEEL_CHECKPOINT_KEY)
    head: dict[str, Any] = {
        "event_id": report.head_id,
        "hash": report.head_hash,
        "rows": report.head_rows,
        "at": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key_id": signing.key_id(key),
        "alg": signing.ALG,
        "chains": report.heads,
    }
    head["signature"] = signing.sign(head, key)
    return head


def checkpoint_public_key(path: Path | None = None) -> Ed25519PublicKey:
    """The key that verifies checkpoints: from a public key file (verifying elsewhere), else this
    installation's own checkpoint key. CheckpointInputError names a bad file."""
    try:
        if path is not None:
            return signing.load_public(path)
        return signing.load_private(settings.KEEL_CHECKPOINT_KEY).public_key()
    except signing.CheckpointKeyError as error:
        raise CheckpointInputError(str(error)) from None


def read_checkpoints(
    path: Path, public_key: Ed25519PublicKey | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(line number, checkpoint) for every non-blank line; CheckpointInputError names the file and line.

    Only Ed25519 checkpoints are accepted. A line signed the older way, with the chain's own HMAC key, is
    refused by name: whoever holds that key could have written it, so it proves nothing about them."""
    public_key = public_key or checkpoint_public_key()
    expected = signing.key_id(public_key)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointInputError(f"--checkpoints: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointInputError(
            f"--checkpoints: {path} cannot be read ({error.__class__.__name__})"
        ) from None
    found: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            point = chain.parse_checkpoint(line)
        except chain.CheckpointFormatError as error:
            raise CheckpointInputError(f"--checkpoints: {path} line {number} {error}") from None
        if point.get("alg") != signing.ALG:
            raise CheckpointInputError(
                f"--checkpoints: {path} line {number} is an older checkpoint signed with the chain's own "
                "HMAC key; it is refused, since that key's holder could have written it (keep only Ed25519 "
                "checkpoints: `keel audit checkpoint` writes them)"
            )
        if point["key_id"] != expected:
            raise CheckpointInputError(
                f"--checkpoints: {path} line {number} is signed with key {point['key_id']!r}, "
                f"not the checkpoint key {expected!r}"
            )
        found.append((number, point))
    if not found:
        raise CheckpointInputError(f"--checkpoints: {path} holds no checkpoint")
    return found


def verify_checkpoints(
    points: list[tuple[int, dict[str, Any]]], public_key: Ed25519PublicKey | None = None
) -> ChainReport:
    """The chain, then every checkpoint against it: its signature, its row still there with the same hash, the
    same number of rows up to it. Names a cut tail, a moved head, an emptied table or a rewritten row."""
    report = verify_chain()
    if not report.ok:
        return report
    public_key = public_key or checkpoint_public_key()
    total = AuditEvent.objects.count()
    for number, point in points:
        seen = f"the checkpoint of {point['at']} (line {number})"
        if point.get("alg") != signing.ALG or not signing.signature_ok(point, public_key):
            return ChainReport(
                False,
                report.checked,
                point["event_id"],
                f"{seen} does not match its signature (it was edited)",
            )
        heads: list[tuple[int | None, dict[str, Any]]]
        if "chains" in point:  # one head per chain (issue #21)
            heads = [
                (int(name), head) for name, head in sorted(point["chains"].items(), key=lambda i: int(i[0]))
            ]
        elif point["event_id"]:  # an older checkpoint: the one global chain, all of it up to its head
            heads = [(None, point)]
        else:
            heads = []
        for chain_id, head in heads:
            problem = _checkpoint_head_problem(chain_id, head, seen, total)
            if problem:
                where = "" if chain_id is None else f", in {chain_name(chain_id)}"
                return ChainReport(False, report.checked, head["event_id"], problem + where, chain=chain_id)
    return report


def _checkpoint_head_problem(chain_id: int | None, head: dict[str, Any], seen: str, total: int) -> str:
    """What no longer holds of one head a checkpoint saw (chain_id None: an older, one-chain checkpoint)."""
    if head["event_id"] == 0:
        return ""
    rows = AuditEvent.objects.all() if chain_id is None else AuditEvent.objects.filter(chain=chain_id)
    row = AuditEvent.objects.filter(pk=head["event_id"]).only("id", "hash", "chain").first()
    newest = rows.order_by("-id").only("id").first()
    if row is None and total == 0:
        return f"the audit table is empty, but {seen} saw {head['rows']} rows (the table was emptied)"
    if row is None and newest is None:
        return f"every row of the chain is gone, but {seen} saw {head['rows']} (the chain was deleted)"
    if row is None and newest is not None and head["event_id"] > newest.pk:
        return f"the rows after row {newest.pk} are gone, but {seen} saw this row (the tail was cut)"
    if row is None:
        return f"this row is gone, but {seen} saw it"
    if chain_id is not None and row.chain != chain_id:
        return f"this row is in another chain than {seen} saw it in (it was moved)"
    if not hmac.compare_digest(row.hash, head["hash"]):
        return f"its hash differs from {seen} (it or a row before it was rewritten)"
    if rows.filter(pk__lte=row.pk).count() != head["rows"]:
        return f"the rows up to it are not the {head['rows']} that {seen} saw"
    return ""
