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

from collections.abc import Mapping
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Reason
from keel.core.rules import switching
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.queries.orders import episode_open
from keel.treatment.queries.orders import order_versions as order_versions_of
from keel.treatment.queries.orders import orders_version as orders_version_of
from keel.treatment.queries.take_home_plans import bottles_at_home_above
from keel.treatment.services.agonists import blockade_warning
from keel.treatment.services.common import (
    QTC_REASON_NOTE,
    _audit,
    _scoped_for,
    lock_person,
)
from keel.treatment.services.order_checks import EARLIEST_START as EARLIEST_START
from keel.treatment.services.order_checks import (
    EPISODE_ENDED,
    EPISODE_ENDED_REASON,
    _Checked,
    _checked_order,
    _order_reason,
    _refuse_start_off_the_calendar,
    _superseding_order,
)
from keel.treatment.services.order_checks import FURTHEST_START_DAYS as FURTHEST_START_DAYS
from keel.treatment.services.order_checks import order_plausibility as order_plausibility
from keel.treatment.services.order_checks import qtc_gate as qtc_gate
from keel.treatment.services.order_versions import ANOTHER_PERSONS_VERSION as ANOTHER_PERSONS_VERSION
from keel.treatment.services.order_versions import MISSING_ORDERS_VERSION as MISSING_ORDERS_VERSION
from keel.treatment.services.order_versions import MISSING_VERSION as MISSING_VERSION
from keel.treatment.services.order_versions import OrderChanged as OrderChanged
from keel.treatment.services.order_versions import _read_orders_version, _read_version, order_changed
from keel.treatment.services.order_versions import changed_answer as changed_answer
from keel.treatment.services.switching import NOT_ASKED as NOT_ASKED
from keel.treatment.services.switching import follow_the_switch, stop_the_others, switch_choice


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
    other_order: object = NOT_ASKED,  # "stop" or "keep" another medication's active order (`switching`)
) -> MedicationOrder:
    """A new order; an active order for the same medication is superseded (kept, never edited). A dose above
    the program's check against entry errors (the window's single-dose and day-total ceilings) needs the
    prescriber's reason of substance (`override_reason`); above the hard bound it is refused. A person with no
    open episode of care in their program (`queries.orders.episode_open`, read under the episode's lock) gets
    no order (review 20a: 422 naming `patient`, in the dose's words; the refusal audited, nothing else
    written). Optimistic concurrency: `order_version`, `other_versions` and `orders_version`, each a version
    of the orders the writer read, are compared with the versions now (before the checks, and again under the
    person's lock just before the write): an order written since is StaleEdit naming the field it came in
    (409), nothing written (the module's docstring says why each and how).

    In order, one step each: the person (`_scoped_for`), the versions read (`_versions_read`), the order's
    fields, ceilings and QTc gate (`_checked_order`), the reasons kept in the note (`_noted`), then under the
    person's lock the versions again, the episode and the write (`_write_order`), and the warnings of bottles
    already at home (`_bottles_at_home`) and of an XR-naltrexone injection's blockade (`blockade_warning`)."""
    patient = _scoped_for(
        by, patient_id, "medication_order", policy.can_prescribe(by), "prescribe", emergency_access=False
    )
    now = now or timezone.now()
    currents, field = _versions_read(patient, medication, order_version, other_versions, orders_version)
    _refuse_start_off_the_calendar(starts_on, local_today(patient, now))
    checked = _checked_order(patient, medication, dose_mg, home_start, schedule, override_reason, now)
    choice = switch_choice(patient, medication, bool(checked.steps), other_order)  # lane switch39
    note = _noted(note, checked.why, checked.qtc_why)
    order = _write_order(
        by, patient, medication, (currents, field), checked, starts_on, note, home_start, now, choice
    )
    today = local_today(patient, now)
    order.warnings = (
        *checked.warnings,
        *_bottles_at_home(patient, order, today),
        *blockade_warning(patient, medication, max(today, order.starts_on)),  # review 36f hole 3
    )
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
    choice: str = "",
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
            if choice == switching.STOP:  # lane switch39: the other medications' orders end at its start
                stop_the_others(by, order)
            follow_the_switch(by, order)  # re-attack 39m finding 3
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
