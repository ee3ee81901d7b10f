"""Today's check-in: saved once per idempotency key, its early-warning flags raised with it (the
hot path of the recovery companion)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.db import IntegrityError, connection
from django.utils import timezone

from keel import crypto
from keel.access.policy import Area
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.recovery import checkin as core_checkin
from keel.core.rules import early_warning
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.models import Patient, local_today
from keel.recovery.common import (
    HISTORY_DAYS,
    KEY_MAX,
    RecoveryInvalid,
    _aad,
    _audit,
    _patient,
)
from keel.recovery.models import (
    CheckIn,
    IdempotencyKey,
)
from keel.recovery.queries import _checkin_out, _series
from keel.recovery.schemas import CheckInIn
from keel.recovery.services.edited_checkin import note_on_open_flag
from keel.recovery.services.flags import _flags_for, _raise_once, _rule_checkins


class CheckInBody(TypedDict):
    """A saved check-in's reply (`CheckInSavedOut`'s shape), stored with its idempotency key to replay."""

    checkin: dict[str, object]  # `CheckInOut` dumped
    created: bool
    offers: list[str]
    nudges: list[str]


# A check-in's checked values, as stored: the core's one shape (`core.recovery.checkin.CheckIn`).
CheckInValues = core_checkin.CheckIn


@dataclass(frozen=True)
class CheckInOutcome:
    status_code: int  # 201 created, 200 edited today's check-in (or a replay of either)
    body: CheckInBody
    replay: bool


def record_checkin(
    *, by: User, data: Posted[CheckInIn], key: str, now: datetime | None = None
) -> CheckInOutcome:
    """Save today's check-in (create, or edit today's), exactly once per idempotency key.

    A replay of a key returns the first response; the same key with a different check-in is refused
    (RecoveryInvalid on `Idempotency-Key`). Raises RecoveryInvalid naming every bad field; writes nothing
    unless all is well. Two requests racing on one key or one day leave exactly one row.

    The reads and the early-warning run happen before the write transaction (`_read_for_checkin`, one
    statement), so the database's one writer (SQLite) or the chain head (PostgreSQL) is held only for the
    writes. Inside it, today's row is written only if it is still as read: inserted unless one exists by now,
    or updated only if its version is still the one read (one statement either way; earlier days never
    change). If another check-in of this patient landed in between (the only writer of check-ins),
    everything is read and decided again inside the transaction.
    """
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "checkin")
    key = (key or "").strip()
    errors = []
    if not key:
        errors.append(FieldError("Idempotency-Key", N_("missing: send a unique key for each new check-in")))
    elif len(key) > KEY_MAX or not key.isprintable():
        errors.append(
            FieldError.said(
                "Idempotency-Key", N_("at most %(key_max)s printable characters"), key_max=KEY_MAX
            )
        )
    values: CheckInValues | None = None
    try:
        values = _values_of(data.parse())
    except InvalidInput as exc:
        errors = exc.errors + errors
    if errors or values is None:
        raise RecoveryInvalid(errors)
    fingerprint = core_checkin.fingerprint(values)
    now = now or timezone.now()
    asked = _CheckInAsked(by, patient, key, values, fingerprint, now)
    for attempt in range(3):
        read = _read_for_checkin(asked)
        try:
            # The audit rows (a flag's, the check-in's) are appended last, just before the commit: the
            # program's chain head is locked for those statements only (audit.deferred).
            with audit.deferred():
                return _write_checkin(asked, read) or _record_checkin(asked)
        except IntegrityError:
            # A concurrent request won the race for this key or this day; the next attempt sees its row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _values_of(checkin: CheckInIn) -> CheckInValues:
    """The checked check-in's values, in the core's order (`checked_values`, typed)."""
    return {
        "craving": checkin.craving,
        "mood": checkin.mood,
        "used": checkin.used,
        "used_what": checkin.used_what,
        "used_how": checkin.used_how,
        "medication": checkin.medication,
        "meeting": checkin.meeting,
        "counseling": checkin.counseling,
        "triggers": checkin.triggers,
        "trigger_other": checkin.trigger_other,
        "sleep": checkin.sleep,
        "note": checkin.note,
    }


@dataclass(frozen=True)
class _CheckInAsked:
    """One check-in request, checked: who, for which patient, its key, its values and when."""

    by: User
    patient: Patient
    key: str
    values: CheckInValues
    fingerprint: str
    now: datetime


@dataclass(frozen=True)
class _CheckInRead:
    """What a check-in needs from the database, read before its write transaction."""

    today: date
    row: CheckIn | None  # today's check-in, to edit; None: this check-in creates it
    flags: list[early_warning.RaisedFlag]  # the early-warning flags the series with this check-in raises
    key_seen: bool  # the idempotency key is already used: the full path replays it or refuses


def _read_for_checkin(asked: _CheckInAsked) -> _CheckInRead:
    today = local_today(asked.patient, asked.now)
    key_seen, series = _key_seen_and_series(asked.by.pk, asked.key, asked.patient, today)
    if key_seen:
        return _CheckInRead(today, None, [], key_seen=True)
    return _CheckInRead(today, *_today_and_flags(asked.patient, today, asked.values, series), key_seen=False)


_KEY_SEEN = 'EXISTS (SELECT 1 FROM "recovery_idempotencykey" k WHERE k."user_id" = %s AND k."key" = %s)'
_SERIES_WITH_KEY = (
    'FROM (SELECT 1 AS "one") o LEFT JOIN "recovery_checkin" c ON c."patient_id" = %s '
    'AND c."local_date" > %s AND c."local_date" <= %s ORDER BY c."local_date"'
)


def _key_seen_and_series(user_id: int, key: str, patient: Patient, today: date) -> tuple[bool, list[CheckIn]]:
    """Whether this user already used the idempotency key, and the patient's check-ins of the last
    HISTORY_DAYS days up to today, oldest first (what `_series` reads): one statement, hand-written (the
    one-row derived table keeps the key's answer when there is no check-in; its ORM equivalent is tested)."""
    found = rows.fetch(
        _SERIES_WITH_KEY,
        [
            user_id,
            key,
            patient.pk,
            connection.ops.adapt_datefield_value(today - timedelta(days=HISTORY_DAYS)),
            connection.ops.adapt_datefield_value(today),
        ],
        (CheckIn, "c"),
        extra=(_KEY_SEEN,),
        prepared=True,  # the check-in's hot statements: prepared once per connection on PostgreSQL
    )
    series = [row for row, _seen in found if row is not None]
    for row in series:
        CheckIn.patient.field.set_cached_value(row, patient)
    return bool(found[0][1]), series


def _today_and_flags(
    patient: Patient, today: date, values: CheckInValues, series: list[CheckIn] | None = None
) -> tuple[CheckIn | None, list[early_warning.RaisedFlag]]:
    """Today's check-in as stored (None if there is none yet) and the flags this check-in raises (`series`:
    the last HISTORY_DAYS days as `_series` reads them, if already read)."""
    if series is None:
        series = _series(patient, today, HISTORY_DAYS)  # oldest first; today's row last, if there is one
    row = series.pop() if series and series[-1].local_date == today else None
    said = early_warning.Checkin(
        date=today,
        craving=values["craving"],
        mood=values["mood"],
        used=values["used"],
        medication=values["medication"],
    )
    recent = [*_rule_checkins(series), said]
    return row, _flags_for(today, recent)


def _write_checkin(asked: _CheckInAsked, read: _CheckInRead) -> CheckInOutcome | None:
    """The write transaction's part of a check-in read beforehand; None if what was read is out of date
    (the caller then reads and decides again inside the transaction)."""
    if read.key_seen:
        return None
    # The patient's row is locked first, as the full path below does and the writes that lock the person
    # before they audit: a take-home decision and a correction of a time of last use (`lock_person`), a
    # contact change, a readmission, a self-guided account's link. One lock order, so two check-ins, or a
    # check-in and one of those, never deadlock (review 21b: without it PostgreSQL found deadlocks between the
    # two check-in paths, and between a check-in and a take-home decision). Not every write of the record
    # takes it: a dose and a flag raised (`raise_flag`) do not lock the patient's row. On PostgreSQL the lock
    # is the first part of today's write (`_save_checkin(lock=True)`: one statement, one round trip fewer).
    # Today's row is written only if it is as read (`_save_checkin`), else None: another check-in of this
    # patient landed after the read. A concurrent request with the same key also wrote today's row, so it is
    # caught there; the unique (user, key) constraint backs this up (IntegrityError: the caller tries again
    # and replays).
    return _save_checkin(asked, read.today, read.row, read.flags, lock=True)


# The patient's row locked FOR NO KEY UPDATE (as `treatment.services.common.lock_person`, which says why not
# FOR UPDATE), hand-written: the ORM's `select_for_update()` of the same row costs about 2.4x as much per
# call on the check-in's hot path (`bench/patient_lock.py`, side by side; figures in bench/README.md).
# `tests/recovery/test_checkin_lock_sql.py` holds it to the ORM's lock (the same row, the same mode) and to
# the names and the feature flag of Django's it relies on, on both databases.
_LOCK_PATIENT_SQL = 'SELECT "id" FROM "patients_patient" WHERE "id" = %s FOR NO KEY UPDATE'


def _locking(patient: Patient) -> rows.Locked | None:
    """PostgreSQL: the patient's lock (`_LOCK_PATIENT_SQL`, the same statement) taken by today's write itself
    before it writes (`rows.Locked`: the row's patient is read from the locked row), one round trip instead
    of two. SQLite: None (nothing to lock, as `_lock_patient`)."""
    if connection.features.has_select_for_update:
        return rows.Locked(_LOCK_PATIENT_SQL, [patient.pk], "patient")
    return None


def _lock_patient(patient: Patient) -> None:
    """Lock the patient's row to the end of the write transaction: on PostgreSQL `SELECT ... FOR NO KEY
    UPDATE`, one statement (why not FOR UPDATE: `lock_person`'s docstring). SQLite has no row locks: the
    write transaction already holds the whole database from its start (BEGIN IMMEDIATE, behind
    `keel.db.sqlite3`'s writer queue), so nothing is sent there."""
    if connection.features.has_select_for_update:
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_PATIENT_SQL, [patient.pk])


def _record_checkin(asked: _CheckInAsked) -> CheckInOutcome:
    """The whole check-in inside the write transaction: reads, decision and writes."""
    # The hot path of the recovery companion: its statements are hand-written (keel.db.rows).
    by, patient, key = asked.by, asked.patient, asked.key
    _lock_patient(patient)
    seen = rows.fetch_one(
        'FROM "recovery_idempotencykey" k WHERE k."user_id" = %s AND k."key" = %s',
        [by.pk, key],
        IdempotencyKey,
        "k",
    )
    if seen is not None:
        if seen.scope != "checkin" or seen.fingerprint != asked.fingerprint:
            raise RecoveryInvalid(
                [
                    FieldError(
                        "Idempotency-Key", N_("was already used for a different check-in; make a new key")
                    )
                ]
            )
        first = crypto.decrypt_json(seen.response, aad=_aad("idempotency", patient.pk))
        _audit(by, patient, Action.READ, "checkin", first["checkin"]["id"], reason="idempotent replay")
        return CheckInOutcome(seen.status_code, first, replay=True)

    today = local_today(patient, asked.now)
    saved = _save_checkin(asked, today, *_today_and_flags(patient, today, asked.values))
    if saved is None:
        # A check-in of this patient read and written without the lock (`_write_checkin`) landed between this
        # read and this write: nothing is written; the caller tries again (as for a unique violation).
        raise IntegrityError("today's check-in changed while it was saved")
    return saved


def _write_row(
    asked: _CheckInAsked,
    today: date,
    row: CheckIn | None,
    fields: Mapping[str, object],
    blob: bytes | None,
    locked: rows.Locked | None,
) -> tuple[CheckIn, int, str] | None:
    """Today's row inserted (201, create) or edited at the version read (200, update); None, nothing written,
    when today's check-in exists by now or was edited (or is gone) since it was read."""
    patient, now = asked.patient, asked.now
    if row is None:
        created = rows.insert_unless_conflict(
            CheckIn(
                patient=patient, local_date=today, private=blob, created_at=now, updated_at=now, **fields
            ),
            ("patient", "local_date"),
            locked=locked,
            prepared=True,
        )
        if created is None:
            return None  # today's check-in exists by now
        return created, 201, Action.CREATE
    read_version = row.version
    for name, value in fields.items():
        setattr(row, name, value)
    row.private, row.updated_at, row.version = blob, now, row.version + 1
    if not rows.update(
        row,
        (*fields, "private", "updated_at", "version"),
        when=(("version", read_version),),
        locked=locked,
    ):
        return None  # edited (or gone) since it was read
    return row, 200, Action.UPDATE


def _save_checkin(
    asked: _CheckInAsked,
    today: date,
    row: CheckIn | None,
    flags: list[early_warning.RaisedFlag],
    *,
    lock: bool = False,
) -> CheckInOutcome | None:
    """Write today's check-in (new or edited), its flags, its idempotency key and its audit row; None, having
    written nothing, if today's row is no longer as read (`row`: one exists by now, or its version moved).
    `lock`: the patient's row is locked first by the same statement as today's row (`_locking`); an edit
    whose row moved may return None before it takes the lock (the caller's full path takes it)."""
    by, patient, now = asked.by, asked.patient, asked.now
    values: Mapping[str, object] = asked.values  # read by name: the private ones and the rest
    locked = _locking(patient) if lock else None
    private = {k: v for k in core_checkin.PRIVATE if isinstance(v := values[k], str) and v}  # words, all
    fields = {k: values[k] for k in values if k not in core_checkin.PRIVATE}
    blob = crypto.encrypt_json(private, aad=_aad("checkin", patient.pk)) if private else None
    was_used = None if row is None else row.used  # as read, before the edit (`note_on_open_flag`)
    written = _write_row(asked, today, row, fields, blob, locked)
    if written is None:
        return None
    row, status, action = written
    note_on_open_flag(by, row, was_used, now)
    raised = [
        flag["code"] for flag in flags if _raise_once(by, patient, flag["code"], flag, "checkin", row.pk, now)
    ]
    body: CheckInBody = {
        "checkin": _checkin_out(row, private).model_dump(),
        "created": status == 201,
        "offers": list(core_checkin.offers(values)),
        "nudges": raised,
    }
    rows.insert(
        IdempotencyKey(
            user=by,
            key=asked.key,
            scope="checkin",
            fingerprint=asked.fingerprint,
            status_code=status,
            response=crypto.encrypt_json(body, aad=_aad("idempotency", patient.pk)),
            created_at=now,
        ),
        prepared=True,
    )
    # Last (and, in `audit.deferred`, appended with the flags' rows at the transaction's end): the audit
    # chain's head row is locked from there to the commit, so the lock is held briefly.
    _audit(by, patient, action, "checkin", row.pk)
    return CheckInOutcome(status, body, replay=False)
