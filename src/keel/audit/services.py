"""Write and verify the audit trail.

Every record() runs in the caller's transaction: roll back, and the row is gone.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from keel.accounts.models import CLINICAL_ROLES
from keel.audit import chain, context, signing
from keel.audit.chain import GENESIS_HASH, HASHED_FIELDS
from keel.audit.models import Action, AuditChainHead, AuditEvent, Outcome
from keel.core.addresses import normal_address
from keel.db import rows

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.db.backends.utils import CursorWrapper

    Actor = AbstractBaseUser | AnonymousUser | None  # a User (the audit app imports no app), or no one known


class PatientRecord(Protocol):
    """What an event needs of a patient's record (keel.patients.models.Patient)."""

    @property
    def pk(self) -> int: ...

    @property
    def program_id(self) -> int: ...


SELF_GUIDED = "self_guided"  # keel.accounts.models.Role.SELF_GUIDED (the audit app imports no app)
AUDIT_CHAIN = "audit_chain"  # target_type of the events about the chain itself (re-sealing)


def audit_keys() -> tuple[tuple[str, bytes], ...]:
    """The configured HMAC keys, newest (sealing) first."""
    return chain.parse_keys(settings.KEEL_AUDIT_KEYS)


def compute_hash(fields: dict[str, Any], prev_hash: str, key_id: str | None = None) -> str:
    """The row's keyed hash under `key_id` (default: the sealing key)."""
    keys = dict(audit_keys())
    key_id = key_id or audit_keys()[0][0]
    return chain.seal(fields, prev_hash, key_id, keys[key_id])


_SELECT_HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s'
_SELECT_HEAD_FOR_UPDATE = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s FOR UPDATE'
_CREATE_HEAD = (
    'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") VALUES (%s, 0, %s) '
    'ON CONFLICT ("id") DO NOTHING'
)


def _lock_head(chain_id: int, cursor: CursorWrapper) -> str:
    """The chain's head hash, its row (and only its row) locked until the caller's transaction ends (on SQLite
    the write transaction already holds the only write lock). Creates the head row on the chain's first event:
    two writers racing to create it both land on the one row (ON CONFLICT DO NOTHING, then the locked
    read)."""
    select = _SELECT_HEAD_FOR_UPDATE if cursor.db.features.has_select_for_update else _SELECT_HEAD
    for _ in range(2):
        cursor.execute(select, [chain_id])
        row = cursor.fetchone()
        if row is not None:
            return str(row[0])
        cursor.execute(_CREATE_HEAD, [chain_id, chain.genesis(chain_id)])
    raise RuntimeError("the audit chain head row could not be created")


_CLINICAL = CLINICAL_ROLES  # the one definition (keel.accounts.models): who may break the glass


def _through_emergency(actor_id: int, patient_id: int) -> bool:
    """An open emergency-access grant of this clinician for this record, and not on its care team."""
    from keel.patients.models import CareTeamMember, EmergencyAccess

    on_team = CareTeamMember.objects.filter(user_id=actor_id).values("patient_id")
    return (
        EmergencyAccess.objects.filter(
            user_id=actor_id, patient_id=patient_id, expires_at__gt=timezone.now(), ended_at__isnull=True
        )
        .exclude(patient_id__in=on_team)
        .exists()
    )


def record(
    *,
    actor: Actor,
    action: Action | str,
    patient_id: int | None = None,
    program_id: int | None = None,
    target_type: str = "",
    target_id: str | int = "",
    outcome: Outcome | str = Outcome.SUCCESS,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
    through_emergency: bool | None = None,
) -> AuditEvent:
    """Append one event to its program's chain (chain 0: no program). `actor` is a User (or None for
    anonymous/unknown). `through_emergency`: whether the actor reaches the record only through emergency
    access, when the caller already knows it (the scoped getter's `keel_off_team`, asked in its own query):
    True marks the row (the sealed `through_emergency` field; a row with no reason of its own gets the reason
    "emergency access") and False leaves it unmarked, without a statement; None (unknown): asked
    (`_through_emergency`, one statement), whatever the reason.

    Three statements in hand-written SQL (`keel.db.rows`; on PostgreSQL two: the insert and the head's update
    in one): every audited request runs this, and the chain's head stays locked from here to the commit (other
    programs' chains are not)."""
    actor_id, actor_role, marked = _who(actor, actor_id, patient_id, through_emergency)
    fields = _event_fields(
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        patient_id=patient_id,
        program_id=program_id,
        target_type=target_type,
        target_id=target_id,
        outcome=outcome,
        reason=reason or (EMERGENCY_MARK if marked else ""),
        detail=detail,
        through_emergency=marked,
    )
    return _append(fields)


def _event_fields(
    *,
    actor_id: int | None,
    actor_role: str,
    action: Action | str,
    patient_id: int | None,
    program_id: int | None,
    target_type: str,
    target_id: str | int,
    outcome: Outcome | str,
    reason: str,
    detail: dict[str, Any] | None,
    through_emergency: bool = False,
) -> dict[str, Any]:
    """The event's columns, with the request's id, address and channel; a self-guided account's event names
    no one and no record."""
    ctx = context.current()
    # Sealed as the database gives it back (review 22q: a zone id or a long form was stored otherwise than
    # sealed, and the row failed its seal): the normal form, which both databases keep as written.
    ip_address = normal_address(ctx.ip_address)
    if actor_role == SELF_GUIDED:
        # A self-guided account's data is its own, not a program's record, and is deleted for good on request:
        # its events are kept (the chain and the counts stay whole) but name no one and no record.
        actor_id = patient_id = program_id = None
        target_id, detail, ip_address = "", {}, None
        through_emergency = False
    return {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "program_id": program_id,
        "patient_id": patient_id,
        "action": str(action),
        "target_type": target_type,
        "target_id": str(target_id),
        "outcome": str(outcome),
        "reason": reason[:500],
        "detail": detail or {},
        "request_id": ctx.request_id,
        "ip_address": ip_address,
        "channel": ctx.channel,
        "chain": chain.chain_of(program_id),
        "through_emergency": through_emergency,
    }


EMERGENCY_MARK = "emergency access"  # the reason of a marked row that has no reason of its own


def _who(
    actor: Actor, actor_id: int | None, patient_id: int | None, through_emergency: bool | None
) -> tuple[int | None, str, bool]:
    """The actor's id and role (an authenticated actor's own), and whether the row is made through emergency
    access (the actor, a clinician, reaches the record only through an emergency-access grant): its own
    sealed field, never text in the reason (review 18b: a typed reason could fake it). Known by the caller
    (`through_emergency` True or False: the scoped getter's `keel_off_team`, no statement), else asked,
    whatever the row's reason (review 18b holes 2 and 4: a service's own reason hid the mark). A row about
    no one patient (a list read: `policy.audit_list_read`) is marked only when its caller says so (True: the
    list shows people seen only through emergency access, review 19b); nothing is asked for it."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_role = str(getattr(actor, "role", ""))
    else:
        actor_role = ""
    clinical = actor_role in _CLINICAL  # only a clinician breaks the glass
    if actor_id is None or not clinical:
        return actor_id, actor_role, False
    if patient_id is None:
        return actor_id, actor_role, through_emergency is True
    if through_emergency is None:
        # Break-the-glass is accountable (issue #14, T12): on any route, an event about a record its actor
        # sees only through emergency access says so, decided in the one helper every app calls.
        through_emergency = _through_emergency(actor_id, patient_id)
    return actor_id, actor_role, through_emergency


def _append(fields: dict[str, Any]) -> AuditEvent:
    """Seal the event after the chain's head (locked) and insert it, advancing the head; inside a
    `deferred()` block, queue it for the block's end instead (the same row, sealed and inserted there)."""
    event = AuditEvent(**fields)
    queue = _DEFERRED.get()
    if queue is not None and queue.takes(event, fields):
        return event
    _write([(event, fields)])
    return event


def _write(events: list[tuple[AuditEvent, dict[str, Any]]]) -> None:
    """Seal each event after its chain's head and insert it, advancing the head: every chain's head locked
    first (in chain order, so two writers never wait for each other's heads in turn), then the rows in the
    order they were recorded, each linked to the one before it in its chain."""
    if not events:
        return
    key_id, key = audit_keys()[0]
    # Joins the caller's transaction (a failure undoes both); its statements share one cursor.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        heads = {
            chain_id: _lock_head(chain_id, cursor) for chain_id in sorted({f["chain"] for _, f in events})
        }
        postgres = cursor.db.vendor == "postgresql"
        for event, fields in events:
            prev_hash = heads[fields["chain"]]
            digest = chain.seal(fields, prev_hash, key_id, key)
            event.prev_hash, event.hash, event.key_id = prev_hash, digest, key_id
            if postgres:
                # One round trip for the row and the head (each statement is one to a server on the same
                # cores).
                rows.insert_then(event, _ADVANCE_HEAD_TO_INSERTED, [digest, fields["chain"]], cursor)
            else:
                rows.insert(event, cursor)
                cursor.execute(_ADVANCE_HEAD, [event.pk, digest, fields["chain"]])
            heads[fields["chain"]] = digest


def _open_savepoints(db: BaseDatabaseWrapper) -> tuple[str, ...]:
    """The savepoints open on the connection (an atomic block without one adds None: it has nothing of its
    own to roll back to, a failure in it undoes its enclosing block)."""
    return tuple(sid for sid in db.savepoint_ids if sid is not None)


class _Deferred:
    """The audit rows of one `deferred()` block, in the order recorded, waiting for its end."""

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.savepoints = _open_savepoints(db)
        self.events: list[tuple[AuditEvent, dict[str, Any]]] = []

    def takes(self, event: AuditEvent, fields: dict[str, Any]) -> bool:
        """Queue the event, or (False) leave it to be written now: a row recorded inside a savepoint opened
        within the block (or on another connection) is written at once, inside it, so that rolling the
        savepoint back takes the row with the write it records (a queued row would outlive it). The rows
        queued before it stay queued: they belong outside that savepoint."""
        if self.db is connections[DEFAULT_DB_ALIAS] and _open_savepoints(self.db) == self.savepoints:
            self.events.append((event, fields))
            return True
        return False


_DEFERRED: ContextVar[_Deferred | None] = ContextVar("keel_audit_deferred", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """A write's transaction (`transaction.atomic()`) whose audit rows are appended at its end, just before
    it commits: in the write's transaction still (SECURITY.md), but the program's chain head, which an
    append locks until the commit, is locked for the last statements only. A write that records an audit
    row before its other statements (a check-in raising a flag: the flag's row, then the key and the
    check-in's own row) would otherwise keep every other audited write of its program waiting meanwhile.

    Rows are recorded (`record`) as usual and returned unsealed: each gets its id, link and seal when the
    block ends without an error, in the order recorded (an error rolls the block back, rows and writes). A
    row recorded inside a savepoint opened within the block is written at once (it may be rolled back
    alone, with its write); a block inside another hands its rows to the outer one."""
    outer = _DEFERRED.get()
    with transaction.atomic():
        queue = _Deferred(connections[DEFAULT_DB_ALIAS])
        token = _DEFERRED.set(queue)
        try:
            yield
        finally:
            _DEFERRED.reset(token)
        if outer is None:
            _write(queue.events)
    if outer is not None:  # the inner block's savepoint released: the outer block's rows now, if it may
        for event, fields in queue.events:
            if not outer.takes(event, fields):
                _write([(event, fields)])


_ADVANCE_HEAD = 'UPDATE "audit_auditchainhead" SET "last_event_id" = %s, "last_hash" = %s WHERE "id" = %s'
_ADVANCE_HEAD_TO_INSERTED = (
    'UPDATE "audit_auditchainhead" SET "last_event_id" = (SELECT "id" FROM "inserted"), "last_hash" = %s '
    'WHERE "id" = %s RETURNING "last_event_id"'
)


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


# --- Checkpoints: the signed head, kept outside the database -----------------------------------------------


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


# --- PostgreSQL: the application's role cannot change audit rows --------------------------------------------

AUDIT_TABLE = "audit_auditevent"


def app_role_statements(role: str) -> list[str]:
    """The owner's grants to the application role: every table and sequence of the schema (now and, through
    default privileges, the tables later migrations create), then UPDATE, DELETE and TRUNCATE of the audit
    rows taken back. ValueError when `role` is not a plain role name."""
    if not (
        0 < len(role) <= 63 and role.replace("_", "").isalnum() and role.isascii() and not role[0].isdigit()
    ):
        raise ValueError(
            "app-role: a role name is letters, digits and _, at most 63, not starting with a digit"
        )
    name = f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {name}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {name}, PUBLIC",
    ]


def apply_app_role(role: str) -> None:
    """Run app_role_statements as the connected (owner) role, in one transaction."""
    statements = app_role_statements(role)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- Re-sealing the rows written before the keyed chain (migration 0003) -----------------------------------


@contextmanager
def _audit_rows_writable(conn: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the append-only trigger for the duration (migrations only: they run as the table's owner)."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update")
        elif conn.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
        yield
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_update")
        elif conn.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;"
            )


def reseal_unkeyed(event_model: Any, head_model: Any, conn: BaseDatabaseWrapper, *, head_id: int = 0) -> int:
    """Seal every row written before the keyed chain with the sealing key, in id order; say so in the trail.

    The unkeyed SHA-256 chain is checked first: where it was already broken, the re-sealing event records the
    row and the problem (re-sealing must not launder earlier tampering). Returns the count re-sealed.

    The unkeyed rows predate per-program chains: they are one chain, whose head row is `head_id` (0, chain 0's
    head; 1 when migration 0003 runs, before 0004 made the one head row chain 0's)."""
    if not event_model.objects.filter(key_id="").exists():
        return 0
    key_id, key = audit_keys()[0]
    legacy_prev = new_prev = GENESIS_HASH
    broken = ""
    count = 0
    last_id = 0
    with _audit_rows_writable(conn):
        for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
            fields = _fields_of(event)
            if not broken and (
                event.prev_hash != legacy_prev or chain.legacy_hash(fields, event.prev_hash) != event.hash
            ):
                broken = f"the unkeyed chain was already broken at row {event.pk}"
            legacy_prev = event.hash
            digest = chain.seal(fields, new_prev, key_id, key)
            event_model.objects.filter(pk=event.pk).update(prev_hash=new_prev, hash=digest, key_id=key_id)
            new_prev, last_id, count = digest, event.pk, count + 1
    fields = {
        "occurred_at": timezone.now(),
        "actor_id": None,
        "actor_role": "",
        "program_id": None,
        "patient_id": None,
        "action": str(Action.UPDATE),
        "target_type": AUDIT_CHAIN,
        "target_id": str(last_id),
        "outcome": str(Outcome.FAILURE if broken else Outcome.SUCCESS),
        "reason": f"{count} rows re-sealed with audit key {key_id}"
        + (f"; {broken}" if broken else "; the unkeyed chain verified"),
        "detail": {},
        "request_id": "",
        "ip_address": None,
        "channel": "cli",
    }
    digest = chain.seal(fields, new_prev, key_id, key)
    event = event_model.objects.create(prev_hash=new_prev, hash=digest, key_id=key_id, **fields)
    head_model.objects.update_or_create(id=head_id, defaults={"last_event_id": event.pk, "last_hash": digest})
    return count


class PatientEventExtras(TypedDict, total=False):
    """What `record_for_patient` passes on to `record` as it is."""

    outcome: Outcome | str
    reason: str
    detail: dict[str, Any] | None
    actor_id: int | None
    through_emergency: bool | None


def record_for_patient(
    actor: Actor,
    patient: PatientRecord,
    action: Action | str,
    target_type: str,
    target_id: str | int = "",
    **kw: Unpack[PatientEventExtras],
) -> AuditEvent:
    """One event about a patient's record: the patient and program ids come from the patient; the target
    defaults to the patient. A patient from the scoped getter carries `keel_off_team` (asked in its query):
    True, the row is marked emergency access whatever its reason; False, not (no statement of its own)."""
    kw.setdefault("through_emergency", getattr(patient, "keel_off_team", None))
    return record(
        actor=actor,
        action=action,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        target_id=target_id if target_id != "" else patient.pk,
        **kw,
    )
