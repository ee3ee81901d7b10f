"""Medication orders: a new order supersedes the active one; its dose meets the window's ceilings; it names
the version of the orders its writer read (`order_version`), and one written since refuses it.

Optimistic concurrency (session 22: one prescriber lowers the methadone dose after a high QTc, another saves
from the page they opened before, undoing the lowering): `order_version` is the version of this medication's
orders the writer read (`queries.orders.order_version`: the newest order's id, 0 for none), required of every
adapter (the API's body, the pages' hidden field); missing or not a whole number is TreatmentInvalid naming
`order_version`. An order written since that read is StaleEdit naming `order_version` and saying which order
is now the newest (409 on the API, the page shown again with the current orders), nothing written and not
audited (as every stale-edit refusal: nothing was done). The version is compared once before the checks and
again under the person's lock (`lock_person`) just before the write, so of two submits at once one writes and
the other is refused; the QTc gate's and the ceilings' reads are then those of the order the writer read. A
caller that showed no order to anyone (a test's setup) passes none (`NOT_READ`); the service's own read is
then the one compared under the lock (an order written meanwhile still refuses it). Every adapter passes what
it was sent, None when nothing was (refused): tests/treatment/test_order_versions.py holds every call in
`keel` to it.

`other_versions` (review 22n hole 2): the versions of the other medications the writer's page showed (the
medication page shows them all); each is compared as `order_version` is, so a page read before another
medication's order was written (a switch nobody saw) or stopped is stale. Under the lock every medication's
version is compared with the first read.

`orders_version` (session 23, lane api23): the version of all the person's orders an API client read
(`queries.orders_version`: `order_versions`, the page's one definition, in one text with the person's id),
required of the API: its per-medication `order_version` alone let a client that read before another
medication's order was written (naltrexone added at 09:01, methadone written at 09:02 from the 09:00 read)
write unwarned. Not one it gave (`versions_in`) or of another person: TreatmentInvalid naming
`orders_version`; any medication's part not the version now: StaleEdit naming `orders_version` (409). Why
`order_version` stays, optional, beside it: it is one part of what `orders_version` says (that medication's
version, the same definition), so sending both is still a true statement of what the client read and
refusing it would break a client for nothing; sent, it is read and compared as before (422/409 naming
`order_version`), left out (NOT_READ) `orders_version` covers it. Why it no longer suffices alone: it would
keep serving the weaker guarantee silently; an old client that sends only `order_version` is told, 422 naming
`orders_version` (the API's schema requires it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, cast

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Reason
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.buprenorphine import ScheduleStep, parse_schedule
from keel.core.rules.inputs import EARLIEST_DAY, FURTHEST_DAYS, FieldError, InvalidInput
from keel.core.rules.methadone import DosePolicy as MethadoneDosePolicy
from keel.core.rules.qtc import NEEDS_REASON, order_on_qtc, prescribing_warnings
from keel.core.rules.window import REFUSED, ceilings
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.recovery.common import StaleEdit
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import RXNORM, Medication, MedicationOrder, OrderStatus
from keel.treatment.order_words import discharge_day, order_changed_text
from keel.treatment.queries.orders import episode_open, newest_order, versions_in
from keel.treatment.queries.orders import order_versions as order_versions_of
from keel.treatment.queries.orders import orders_version as orders_version_of
from keel.treatment.queries.qtc import recent_qtc_ms
from keel.treatment.queries.take_home_plans import bottles_at_home_above
from keel.treatment.services.common import (
    GUARD_RAILS,
    QTC_REASON_NOTE,
    _audit,
    _decimal,
    _scoped_for,
    guard_rail_policy,
    lock_person,
)
from keel.treatment.services.qtc import (
    last_methadone,
    newest_qtc_id,
    person_restart_day,
    start_on_high_qtc,
)
from keel.treatment.services.start import low_dose_problem


class _NotRead:
    """The type of `NOT_READ`."""

    def __repr__(self) -> str:
        return "NOT_READ"


# `prescribe` from a caller that read no order (a test's setup), never an adapter; and `order_version` left
# out of an API body that sent `orders_version`, which covers it (session 23)
NOT_READ = _NotRead()


def prescribe(
    *,
    by: User,
    patient_id: int,
    medication: str,
    dose_mg: object,  # raw: the service reads "30.5" or 30.5 with its own words
    starts_on: date | None = None,
    note: str = "",
    home_start: bool = False,
    schedule: object = None,  # raw JSON steps, parsed by the core (`parse_schedule`) with its own words
    now: datetime | None = None,
    override_reason: object = "",  # any JSON value: only text of substance is a reason
    order_version: object = NOT_READ,  # the version of this medication's orders the writer read
    other_versions: Mapping[str, object] | None = None,  # the other medications' versions a page showed
    orders_version: object = NOT_READ,  # the API's: the version of all the person's orders
) -> MedicationOrder:
    """A new order; an active order for the same medication is superseded (kept, never edited). A dose above
    the program's check against entry errors (the window's single-dose and day-total ceilings) needs the
    prescriber's reason of substance (`override_reason`); above the hard bound it is refused. A person with no
    open episode of care in their program (`queries.orders.episode_open`, read under the episode's lock) gets
    no order (review 20a: 422 naming `patient`, in the dose's words; the refusal audited, nothing else
    written). Optimistic concurrency: `order_version`, `other_versions` and `orders_version`, each a version
    of the orders the writer read, are compared with the versions now (before the checks, and again under
    the person's lock just before the write): an order written since is StaleEdit naming the field it came
    in (409), nothing written (the module's docstring says why each and how).

    In order, one step each: the person (`_scoped_for`), the versions read (`_versions_read`), the order's
    fields, ceilings and QTc gate (`_checked_order`), the reasons kept in the note (`_noted`), then under the
    person's lock the versions again, the episode and the write (`_write_order`), and the warnings of bottles
    already at home (`_bottles_at_home`)."""
    patient = _scoped_for(
        by, patient_id, "medication_order", policy.can_prescribe(by), "prescribe", emergency_access=False
    )
    now = now or timezone.now()
    currents, field = _versions_read(patient, medication, order_version, other_versions, orders_version)
    _refuse_start_off_the_calendar(starts_on, local_today(patient, now))
    checked = _checked_order(patient, medication, dose_mg, home_start, schedule, override_reason, now)
    note = _noted(note, checked.why, checked.qtc_why)
    order = _write_order(
        by, patient, medication, (currents, field), checked, starts_on, note, home_start, now
    )
    order.warnings = (*checked.warnings, *_bottles_at_home(patient, order, local_today(patient, now)))
    return order


def _versions_read(
    patient: Patient,
    medication: str,
    order_version: object,
    other_versions: Mapping[str, object] | None,
    orders_version: object,
) -> tuple[dict[str, int], str]:
    """The versions of the person's orders now, each medication's (`queries.orders.order_versions`), the ones
    `_write_order` compares again under the lock, and the field a change found there names (`orders_version`
    when the writer sent it, else `order_version`). Every version the writer sent is read before any is
    compared, so a bad one is a 422 (TreatmentInvalid naming it) whatever changed: `order_version`
    (`_read_version`: missing or not a whole number; left out only beside `orders_version`, NOT_READ), each
    of `other_versions` the page sent (review 22n hole 2), and `orders_version` (`_read_orders_version`). Then
    each is compared with the version now (StaleEdit, `order_changed`, naming the field it came in: an order
    written or stopped since would be undone): `order_version`, then `orders_version`'s parts (the
    medication written first), then the page's others. Not compared for a caller that showed no order
    (`order_version` and `orders_version` NOT_READ) nor for a medication that is not one (the checks name
    `medication`)."""
    currents = order_versions_of(patient)
    field = "order_version" if orders_version is NOT_READ else "orders_version"
    if medication not in Medication.values:  # the checks name the medication
        return currents, field
    sent: list[tuple[str, str, int]] = []  # (field, medication, version read)
    if order_version is not NOT_READ:
        sent.append(("order_version", medication, _read_version(order_version)))
    if orders_version is not NOT_READ:
        whole = _read_orders_version(patient, orders_version)
        sent += [("orders_version", m, whole[m]) for m in [medication, *sorted(set(whole) - {medication})]]
    for other, raw in sorted((other_versions or {}).items()):
        if other in Medication.values and other != medication:
            sent.append(("order_version", other, _read_version(raw)))
    for named, of, read in sent:
        if read != currents[of]:
            raise order_changed(patient, of, read, field=named)
    return currents, field


def _noted(note: str, why: str, qtc_why: str) -> str:
    """The order's note with the prescriber's reasons appended: for a dose above the program's check (`why`)
    and for a raise on a QTc of 500 ms or more (`qtc_why`, also kept in its own column). Refuses nothing."""
    if why:
        note = f"{note or ''}\nAbove the program's check, prescriber's reason: {why}".strip()
    if qtc_why:
        note = f"{note or ''}\n{QTC_REASON_NOTE}{qtc_why}".strip()
    return note


def _write_order(
    by: User,
    patient: Patient,
    medication: str,
    read: tuple[dict[str, int], str],
    checked: _Checked,
    starts_on: date | None,
    note: str,
    home_start: bool,
    now: datetime,
) -> MedicationOrder:
    """In one transaction under the person's lock (`lock_person`: of two submits of one person, the second
    waits there, then sees the first's order): the episode read under its lock (`episode_open(lock=True)`,
    the row `discharge` locks first). An order written or stopped since the versions were read (`read`:
    each medication's and the field a change names) refuses it (StaleEdit, `order_changed`, nothing
    written: the checks read another order). No open episode (review 20a): nothing written but the
    refusal's audit row, which commits, then TreatmentInvalid naming `patient`. Otherwise the order and its
    audit row (`_order_audited`), and the version of the orders it left (`orders_version_after`, session
    24: read before the lock is let go, so it stands for the client's read and this order only)."""
    currents, field = read
    with transaction.atomic():
        lock_person(patient)  # two submits of one person: the second waits here, then sees the first's order
        ended = not episode_open(patient, lock=True)
        if not ended and (now_read := order_versions_of(patient)) != currents:  # written meanwhile
            changed = next(m for m in [medication, *sorted(currents)] if now_read.get(m) != currents.get(m))
            raise order_changed(patient, changed, currents[changed], field=field)  # nothing written here
        if ended:  # review 20a: nothing written but the refusal's audit row, which commits
            _audit(
                by,
                patient,
                Action.DENIED,
                "medication_order",
                outcome=Outcome.DENIED,
                reason=EPISODE_ENDED_REASON,
            )
        else:
            order = _order_audited(by, patient, medication, checked, starts_on, note, home_start, now)
            # session 24: the version this write left, read under the same lock (no other order written
            # between): what the client read plus this order, never a colleague's it did not see
            order.orders_version_after = orders_version_of(patient)
    if ended:
        raise TreatmentInvalid([FieldError("patient", EPISODE_ENDED)])
    return order


def _order_audited(
    by: User,
    patient: Patient,
    medication: str,
    checked: _Checked,
    starts_on: date | None,
    note: str,
    home_start: bool,
    now: datetime,
) -> MedicationOrder:
    """The order (`_superseding_order`) and its audit row, with the prescriber's reason it was written on
    (`_order_reason`) and whether it overrode the QTc gate; in `_write_order`'s transaction. Refuses
    nothing: every check was made before."""
    order = _superseding_order(
        by,
        patient,
        medication,
        checked.dose,
        starts_on,
        note,
        home_start,
        checked.steps,
        now,
        checked.raised_from,
        qtc_reason=checked.qtc_why,
        qtc_seen_id=checked.seen,
    )
    _audit(
        by,
        patient,
        Action.CREATE,
        "medication_order",
        order.pk,
        reason=_order_reason(checked.why, checked.qtc_why),
        detail={"medication": medication, **({"qtc_override": True} if checked.qtc_why else {})},
    )
    return order


BOTTLES_AT_HOME = N_(
    "Take-home bottles already at home hold more than this order gives: %(bottles)s. Call the person back "
    "to swap them, or tell them not to take them, before those days."
)


def _bottles_at_home(patient: Patient, order: MedicationOrder, today: date) -> tuple[Reason, ...]:
    """Review 22n hole 6: a new order (a lowering, or another medication) while methadone bottles at a
    higher dose are at home for its days (`bottles_at_home_above`) warns its prescriber, naming each bottle's
    day and mg (the API's `warnings`, the page's message)."""
    found = bottles_at_home_above(patient, order.medication, max(today, order.starts_on), order.dose_mg)
    if not found:
        return ()
    shown = "; ".join(f"{day.isoformat()} {mg.normalize():f} mg" for day, mg in found)
    return (Reason.said(BOTTLES_AT_HOME, ("42cfr8.12-2024",), bottles=shown),)


MISSING_VERSION = N_(
    "the version of the orders you read is missing or not a whole number: read the current orders and "
    "write the order again"
)


def _read_version(raw: object) -> int:
    """The version the writer read (`order_version`): a whole number, 0 or more (a page sends text)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw.strip(), re.ASCII):
        return int(raw.strip())
    raise TreatmentInvalid([FieldError("order_version", MISSING_VERSION)])


MISSING_ORDERS_VERSION = N_(
    "the version of this person's orders you read is missing or not one Keel gave: read their medication "
    "record again and send its orders_version as it is"
)
ANOTHER_PERSONS_VERSION = N_(
    "this is the version of another person's orders: read this person's medication record and send its "
    "orders_version"
)


def _read_orders_version(patient: Patient, raw: object) -> dict[str, int]:
    """Each medication's version in the `orders_version` an API client sent (`queries.versions_in`: exactly
    as `queries.orders_version` writes it), of this person's orders; else TreatmentInvalid naming it."""
    found = versions_in(raw)
    if found is None:
        raise TreatmentInvalid([FieldError("orders_version", MISSING_ORDERS_VERSION)])
    person, versions = found
    if person != patient.pk:
        raise TreatmentInvalid([FieldError("orders_version", ANOTHER_PERSONS_VERSION)])
    return versions


class OrderChanged(StaleEdit):
    """StaleEdit of an order: its message in the reader's words (`order_words.order_changed_text`: the same
    on the API and the pages, lane words25: no version, order id or status word), what the API's 409 adds
    as fields (`answer`, `order_changed`), and the medication whose orders changed and its newest order now
    (None: no order now)."""

    def __init__(
        self,
        message: str,
        *,
        field: str,
        medication: str,
        newest: MedicationOrder | None,
        answer: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, answer=answer)
        self.medication = medication
        self.newest = newest


def order_changed(
    patient: Patient, medication: str, read: int, *, field: str = "order_version"
) -> OrderChanged:
    """StaleEdit naming `field` (the version the writer sent: `order_version`, or the API's
    `orders_version`): this medication's orders changed since the writer read version `read`. Its words
    (`order_words.order_changed_text`, in the request's language) say who wrote the newest order, when, and
    what it is now; the API's 409 adds the machine-readable fields (`changed_answer`)."""
    newest = newest_order(patient, medication)
    return OrderChanged(
        order_changed_text(patient, medication, newest),
        field=field,
        medication=medication,
        newest=newest,
        answer=changed_answer(patient, medication, read, newest),
    )


def changed_answer(
    patient: Patient, medication: str, read: int, newest: MedicationOrder | None
) -> dict[str, object]:
    """What the API's 409 for a stale order carries beside its words (lane words25), so an integration acts
    on fields, not on text: `changed`, the medication whose orders changed, the version of them the writer
    sent (`read`), and its newest order now (null: none): id, dose, first day, status code, when and by whom
    it was written, and for a stopped one the day of the discharge that stopped it. No version now (lane
    api24's decision, kept): a client reads the orders again (GET /patients/{id}/medication) before it
    writes, so a refusal is never a token to re-send the same write blindly."""
    order: dict[str, object] | None = None
    if newest is not None:
        stopped = newest.status == OrderStatus.STOPPED
        order = {
            "id": newest.pk,
            "dose_mg": str(newest.dose_mg),
            "starts_on": newest.starts_on.isoformat(),
            "status": newest.status,
            "written_at": newest.created_at.isoformat(),
            "written_by": newest.prescriber.get_full_name() or newest.prescriber.get_username(),
            "stopped_on": _iso(discharge_day(patient, newest)) if stopped else None,
        }
    return {"changed": {"medication": medication, "version_read": read, "newest_order": order}}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# Session 25 (lane fix25a): the days an order may start on. Floor: 1900, as a person's dates
# (`patients.checks`); ceiling: two years ahead, as an appointment (`appointments.services.FURTHEST_DAYS`): a
# start beyond is a typing slip. Outside them an order stored at 0001-01-01 broke every read of the orders
# (the day before a later order's start overflowed): the medication API, the FHIR MedicationRequest search,
# the person's record file.
EARLIEST_START = EARLIEST_DAY  # lane tok26: the one bound of every date input (keel.core.rules.inputs)
FURTHEST_START_DAYS = FURTHEST_DAYS


def _refuse_start_off_the_calendar(starts_on: date | None, today: date) -> None:
    """An order's start day from 1900 to two years ahead (422 naming `starts_on`, nothing written)."""
    if starts_on is None:
        return
    if starts_on < EARLIEST_START:
        raise TreatmentInvalid([FieldError("starts_on", N_("cannot be before 1900"))])
    if (starts_on - today).days > FURTHEST_START_DAYS:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "starts_on",
                    N_("within the next %(furthest_days)s days"),
                    furthest_days=FURTHEST_START_DAYS,
                )
            ]
        )


# Review 20a: an order for a person with no open episode of care (discharged, transferred, died) is refused as
# the dose and the injection refuse them (the same words); the refusal's audit reason, fixed words.
EPISODE_ENDED = N_("this person's episode of care has ended: no medication order can be written")
EPISODE_ENDED_REASON = "no open episode of care"


def _order_reason(why: str, qtc_why: str) -> str:
    if qtc_why:
        return "raised on a QTc of 500 ms or more: prescriber's reason"
    return "above the program's check: prescriber's reason" if why else ""


class _Checked(NamedTuple):
    """What `_checked_order` read of the order: its dose, its low-dose schedule's steps, the prescriber's
    reasons (`why`: above the program's check; `qtc_why`: a raise on a QTc of 500 ms or more), the QTc's
    warnings, the dose the QTc gate compared it with and the newest QTc row it saw (`qtc_gate`)."""

    dose: Decimal
    steps: list[ScheduleStep]
    why: str
    qtc_why: str
    warnings: tuple[Reason, ...]
    raised_from: Decimal | None
    seen: int | None


def _checked_order(
    patient: Patient,
    medication: str,
    dose_mg: object,
    home_start: bool,
    schedule: object,
    override_reason: object,
    now: datetime,
) -> _Checked:
    """The order's dose, its low-dose schedule's steps, the prescriber's reason for a dose above the
    program's check and for a methadone increase on a recent QTc of 500 ms or more ("" when none is needed),
    the QTc's warnings, and the dose the QTc gate compared it with and the newest QTc row it saw (`qtc_gate`);
    raises TreatmentInvalid naming every bad field."""
    errors: list[FieldError] = []
    if medication not in Medication.values:
        errors.append(
            FieldError.said("medication", N_("one of %(items)s"), items=", ".join(Medication.values))
        )
    dose = _decimal(dose_mg, "dose_mg", errors)
    steps: list[ScheduleStep] = []
    if (home_start or schedule) and medication != Medication.BUPRENORPHINE:
        errors.append(FieldError("medication", N_("home and low-dose starts are for buprenorphine")))
    try:
        steps = parse_schedule(schedule)
    except InvalidInput as exc:
        errors += exc.errors
    if steps and low_dose_problem(patient, steps):
        errors.append(FieldError("schedule", low_dose_problem(patient, steps)))
    why = order_plausibility(patient, medication, dose, override_reason, errors)
    today = local_today(patient, now)
    qtc_why, warnings, raised_from, seen = qtc_gate(patient, medication, dose, override_reason, errors, today)
    if errors:
        raise TreatmentInvalid(errors)
    return _Checked(dose, steps, why, qtc_why, warnings, raised_from, seen)


def _superseding_order(
    by: User,
    patient: Patient,
    medication: str,
    dose: Decimal,
    starts_on: date | None,
    note: str,
    home_start: bool,
    steps: list[ScheduleStep],
    now: datetime,
    raised_from: Decimal | None = None,
    *,
    qtc_reason: str = "",
    qtc_seen_id: int | None = None,
) -> MedicationOrder:
    """The new order, under a lock on the active order of the same medication, which it supersedes (kept).
    The superseded order stays in force until the new one's start day (`deferred`, `models.IN_FORCE_SQL`).
    `raised_from`: what the QTc gate compared a methadone order with (`MedicationOrder.raised_from_mg`).
    `qtc_reason`: the prescriber's reason on a QTc of 500 ms or more (`qtc_gate`), kept in its own column
    (review 20a: the note's words are for people to read, never what the gate reads). `qtc_seen_id`: the
    newest QTc row the gate saw (`MedicationOrder.qtc_seen_id`, review 21m)."""
    current = (
        MedicationOrder.objects.select_for_update()
        .filter(patient=patient, medication=medication, status=OrderStatus.ACTIVE)
        .first()
    )
    if current is not None:
        current.status = OrderStatus.SUPERSEDED
        current.save(update_fields=["status"])
    return MedicationOrder.objects.create(
        patient=patient,
        medication=medication,
        rxnorm=RXNORM[medication],
        dose_mg=dose,
        starts_on=starts_on or local_today(patient, now),
        deferred=starts_on is not None and starts_on > local_today(patient, now),
        note=(note or "")[:2000],
        home_start=bool(home_start),
        schedule=steps,
        prescriber=by,
        created_at=now,
        supersedes=current,
        raised_from_mg=raised_from,
        qtc_reason=qtc_reason,
        qtc_seen_id=qtc_seen_id,
    )


def order_plausibility(
    patient: Patient, medication: str, dose: Decimal, reason: object, errors: list[FieldError]
) -> str:
    """An order's dose against the window's ceilings against entry errors (issue #13: the same LIMITS):
    above the hard bound refused (naming dose_mg); above the program's value it needs a reason of substance
    (naming override_reason). Returns the reason when one was needed and given."""
    rule = GUARD_RAILS.get(medication)
    if rule is None or errors:
        return ""
    settings = guard_rail_policy(patient, rule)
    verdict, reasons = ceilings(rule, float(dose), float(dose), settings, documented=False)
    if verdict == REFUSED:
        errors.append(FieldError("dose_mg", reasons[0].text))
    elif verdict is not None:
        text = reason_text(reason)  # kept as measured (review 24r)
        problem = reason_problem(text)
        if problem:
            errors.append(
                FieldError.said(
                    "override_reason",
                    N_("%(text)s An order this high needs the prescriber's reason: %(problem)s"),
                    text=reasons[0].text,
                    problem=problem,
                )
            )
        return text
    return ""


def qtc_gate(
    patient: Patient, medication: str, dose: Decimal, reason: object, errors: list[FieldError], today: date
) -> tuple[str, tuple[Reason, ...], Decimal | None, int | None]:
    """A raise of the methadone order on the person's latest QTc within the program's recent window
    (`methadone-dose-check`'s `qtc_recent_days`; `keel.core.rules.qtc.order_increase`, review 18a): on 500 ms
    or more it needs the prescriber's reason of substance (naming override_reason with the QTc's reasons and
    sources), audited as an override. Returns the reason when one was needed and given, and what the order
    is warned of on a QTc over 450 ms (`keel.core.rules.qtc.prescribing_warnings`), and the dose it compared
    the order with (0: a start; None: not methadone), kept on the order (review 20a: the window's check of a
    QTc recorded after the order was written measures the raise from it, whatever happens to the orders
    and episodes in between), and the newest QTc row of the person when it read the QTc (0: none; None: not
    methadone), kept on the order (review 21m: a QTc saved after this read was never weighed)."""
    if medication != Medication.METHADONE or errors:
        return "", (), None, None
    settings = guard_rail_policy(patient, GUARD_RAILS[medication])
    since = today - timedelta(days=int(cast(MethadoneDosePolicy, settings)["qtc_recent_days"]))
    seen = newest_qtc_id(patient)  # before the QTc's read: a row saved between the two counts as unseen
    qtc = recent_qtc_ms(patient, today)  # the one read of the recent QTc (never one dated after today)
    restart = person_restart_day(patient, today)  # review 22m: a new induction after missed days is a start
    last = last_methadone(patient, since, today, restart=restart)  # across episodes (review 19a)
    current = None if last is None else last.mg
    before = float(current) if current else None  # 0: a start never given, still a start
    verdict, reasons, sources = order_on_qtc(qtc, before, float(dose))
    warnings = prescribing_warnings(qtc, before, float(dose))
    raised_from = current or Decimal(0)
    if verdict != NEEDS_REASON:
        return "", warnings, raised_from, seen
    text = reason_text(reason)  # kept as measured (review 24r)
    problem = reason_problem(text)
    if problem and last is not None and last.carried(dose):  # review 22m: the reason carried forward
        return last.reason, warnings, raised_from, last.seen_id
    if problem and not current:
        errors.append(start_on_high_qtc(reasons, sources, problem))
    elif problem:
        params = dict(reasons[0].params)
        errors.append(
            FieldError.said(
                "override_reason",
                N_(
                    "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower "
                    "methadone dose or stopping, not raising it (%(current)s to %(new)s mg/day). Sources: "
                    "%(sources)s. A raise needs the prescriber's reason: %(problem)s"
                ),
                **params,
                sources=", ".join(sources),
                problem=problem,
            )
        )
    return text, warnings, raised_from, seen
