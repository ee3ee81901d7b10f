"""Verify the audit chains: each row's link, key and keyed hash, and every chain's head (`verify_chain`)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from keel.audit import chain
from keel.audit.chain import GENESIS_HASH, HASHED_FIELDS
from keel.audit.models import AuditChainHead, AuditEvent
from keel.audit.services.sealing import audit_keys


@dataclass(frozen=True)
class ChainReport:
    """The verifier's finding: how many rows it checked and the first broken one, if any (and its chain)."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""
    # the newest chain head as read before the rows (rows appended meanwhile are checked but lie past it), and
    # the rows every chain's head covers
    head_id: int = 0
    head_hash: str = GENESIS_HASH
    head_rows: int = 0
    chain: int | None = None  # the broken chain (a program's id, 0: no program)
    # every chain's head: {"<chain>": {"event_id", "hash", "rows"}} (what a checkpoint signs)
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)


def chain_name(chain_id: int) -> str:
    """How a report names a chain."""
    return f"the chain of program {chain_id}" if chain_id else "the chain of events of no program"


def _fields_of(event: object) -> dict[str, Any]:
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields.update({name: getattr(event, name, None) for name in chain.LATER_FIELDS})
    return fields


@dataclass
class _Walk:
    """One chain's state while the verifier walks the rows in id order."""

    prev_hash: str
    prev_rank: int
    head_id: int
    head_hash: str
    head_seen: bool
    checked: int = 0
    head_rows: int = 0
    last_id: int = 0


def _broken(checked: int, event_id: int | None, chain_id: int, problem: str) -> ChainReport:
    return ChainReport(False, checked, event_id, f"{problem}, in {chain_name(chain_id)}", chain=chain_id)


def _row_problem(
    event: AuditEvent, walk: _Walk, rank: dict[str, int], secret: dict[str, bytes]
) -> str | None:
    """What is wrong with one row, the first of: its link to the row before it in its chain, its key (one
    KEEL_AUDIT_KEYS holds, never older than the row before's), its keyed hash, and for the row the chain head
    names, the head's hash. None when the row holds."""
    if event.prev_hash != walk.prev_hash:
        return "its link to the previous row is broken (a row was deleted, changed or moved between chains)"
    if event.key_id not in rank:
        return (
            f"it is sealed with key {event.key_id!r}, which KEEL_AUDIT_KEYS does not hold"
            if event.key_id
            else "it is not sealed with a key (it was written or rewritten without the audit key)"
        )
    if rank[event.key_id] > walk.prev_rank:
        return "it is sealed with an older key than the row before it"
    expected = chain.seal(_fields_of(event), event.prev_hash, event.key_id, secret[event.key_id])
    if not hmac.compare_digest(expected, event.hash):
        return "its content does not match its keyed hash (it was changed)"
    if event.pk == walk.head_id and not hmac.compare_digest(event.hash, walk.head_hash):
        return "the newest row does not match the chain head"
    return None


def _step(walk: _Walk, event: AuditEvent, rank: dict[str, int]) -> None:
    """Past a row that holds: the next row must link to it, with a key no older; the rows up to the head's row
    are the rows the head covers."""
    if event.pk == walk.head_id:
        walk.head_seen = True
    walk.prev_hash = event.hash
    walk.prev_rank = rank[event.key_id]
    walk.last_id = event.pk
    walk.checked += 1
    if event.pk <= walk.head_id:
        walk.head_rows = walk.checked


def _ends_problem(
    walks: dict[int, _Walk], heads: dict[int, tuple[int, str]], late: set[int], checked: int
) -> ChainReport | None:
    """After the walk, each chain's ends, the first that does not hold: a chain with rows has a head, which
    names a row (unless the chain began during the check), and that row was among the rows; a head that names
    a row has rows."""
    for chain_id, walk in sorted(walks.items()):
        if chain_id not in heads:
            return _broken(
                checked,
                walk.last_id,
                chain_id,
                "the chain head is gone (its row was deleted), yet rows exist",
            )
        if walk.head_id == 0 and chain_id not in late:
            return _broken(
                checked, walk.last_id, chain_id, "the chain head was reset (it names no row, yet rows exist)"
            )
        if not walk.head_seen:
            return _broken(
                checked,
                walk.head_id,
                chain_id,
                "the newest rows are missing (the chain head points past the last row)",
            )
    for chain_id, (head_id, _hash) in sorted(heads.items()):
        if head_id and chain_id not in walks:
            return _broken(
                checked, head_id, chain_id, "every row is missing (the chain head names a row that is gone)"
            )
    return None


def _verified(walks: dict[int, _Walk], checked: int) -> ChainReport:
    """The report of a chain that holds: every chain's head (a head that names no row aside), the newest of
    them, and the rows they cover."""
    covered = sorted(
        (walk.head_id, walk.head_hash, walk.head_rows, chain_id) for chain_id, walk in walks.items()
    )
    covered = [head for head in covered if head[0]]
    newest_id, newest_hash = (covered[-1][0], covered[-1][1]) if covered else (0, GENESIS_HASH)
    return ChainReport(
        True,
        checked,
        head_id=newest_id,
        head_hash=newest_hash,
        head_rows=sum(head[2] for head in covered),
        heads={
            str(chain_id): {"event_id": head_id, "hash": head_hash, "rows": head_rows}
            for head_id, head_hash, head_rows, chain_id in sorted(covered, key=lambda head: head[3])
        },
    )


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Check every chain: each row's keyed hash and its link to the row before it in its chain, in id order;
    name the first row that does not hold, and its chain.

    A row must be sealed with a configured key, and never with an older key than the row before it in its
    chain (a retired key cannot be used to append rows later). The heads are read first: rows appended while
    the check runs lie past them and are checked too, and the row each names must be there with its hash."""
    heads = {head.id: (head.last_event_id, head.last_hash) for head in AuditChainHead.objects.all()}
    keys = audit_keys()
    rank = {key_id: index for index, (key_id, _) in enumerate(keys)}
    secret = dict(keys)
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    walks: dict[int, _Walk] = {}
    checked = 0
    for event in rows:
        chain_id = int(getattr(event, "chain", 0) or 0)
        walk = walks.get(chain_id)
        if walk is None:
            head_id, head_hash = heads.get(chain_id, (0, chain.genesis(chain_id)))
            walk = walks[chain_id] = _Walk(
                chain.genesis(chain_id), len(keys), head_id, head_hash, head_seen=head_id == 0
            )
        problem = _row_problem(event, walk, rank, secret)
        if problem is not None:
            return _broken(checked, event.pk, chain_id, problem)
        _step(walk, event, rank)
        checked += 1
    late = set(walks) - set(heads)
    if late:  # chains begun while the check ran have a head now
        heads.update((head.id, (0, head.last_hash)) for head in AuditChainHead.objects.filter(id__in=late))
    broken = _ends_problem(walks, heads, late, checked)
    return broken if broken is not None else _verified(walks, checked)
