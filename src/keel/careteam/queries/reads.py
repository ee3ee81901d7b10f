"""What the caseload's statements read per person, built once for all of them (issue #21's set-based reads):
the medication whose missed days count (`OBSERVED`), the columns a listed person shows (`SHOWN`), the size
past which a list is long (`HEAD_ABOVE`: the head read first, no JIT, `_is_long`, `_planner`), the ORM
expressions the statements annotate the people with (an order of methadone in force, `_on_methadone`;
the doses with an amount in some days, `_dosed_lately`, or on one day after its amendments, `_dosed_on`,
`_on_the_day_before`; the last check-in, `_last_checkin`), the one read of plain values (`_read_rows`,
`_places`) and the open flags (`_open_flags`). Every other module of the caseload builds on these."""

from __future__ import annotations

import contextlib
from collections.abc import Container, Iterable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from keel.core.rules.caseload import OpenFlag
from keel.db.planner import without_jit
from keel.patients.models import Patient, PatientFlag, deceased_ids
from keel.recovery.models import CheckIn, silence_over
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    MedicationOrder,
    OrderStatus,
    in_force_q,
    latest_amendment,
)

# The medication dosed at the window every day, whose missed days the caseload counts.
OBSERVED = "methadone"

# Above this many people the caseload ranks the people who may have a signal first (`Caseload`, issue #21);
# a display and cost choice, not a clinical one (the order is the same either way). Its reads then run
# without PostgreSQL's JIT (`_planner`). Read at call time (`_is_long`): the tests set it here.
HEAD_ABOVE = 250
# A listed person's name parts and record number, read with the signals (`_read_rows`).
SHOWN = ("preferred_name", "given_name", "family_name", "record_number")


def _is_long(size: int) -> bool:
    """Whether a list of `size` people is long (above HEAD_ABOVE): its head is read first and its reads run
    without the JIT."""
    return size > HEAD_ABOVE


def _planner(size: int) -> AbstractContextManager[None]:
    """The planner setting of a read over a list of `size` people: a subquery per person, at thousands of
    people estimated costly enough to be compiled, and compiling costs more than the read (`without_jit`);
    a short list is never compiled (no statements to turn it off)."""
    return without_jit() if _is_long(size) else contextlib.nullcontext()


def _last_checkin(person: OuterRef) -> Case:
    """The day of the person's last check-in (None: none yet), a subquery of the caseload's one read. Lane
    fix35e (review 35e H1): None too when her death is recorded (`deceased_ids`): a death is no silence, so
    no read of the caseload (the head, the ranking, the tail, the database's page) counts one."""
    last = Subquery(CheckIn.objects.filter(patient=person).order_by("-local_date").values("local_date")[:1])
    return Case(When(_died(), then=Value(None)), default=last, output_field=DateField())


def _died() -> Q:
    """The people (a filter on Patient) whose death is recorded (`keel.patients.models.deceased_ids`, the
    one definition): the caseload asks none of them to be reached (review 35e H1)."""
    return Q(pk__in=deceased_ids())


def _read_rows(who: QuerySet[Patient], reads: Iterable[str], size: int) -> list[tuple[Any, ...]]:
    """The caseload's one read: each person's id, `SHOWN` and the `reads` annotated on `who`, as plain values
    (`_planner`: a subquery per person, no JIT for a long list)."""
    with _planner(size):
        return list(who.order_by().values_list("pk", *SHOWN, *reads))


def _places(reads: Iterable[str]) -> dict[str, int]:
    """Each read's place in a row of `_read_rows`."""
    return {name: 1 + len(SHOWN) + n for n, name in enumerate(reads)}


def _open_flags(scope: QuerySet[Patient], among: Container[int], seen: Q) -> dict[int, list[OpenFlag]]:
    """The open flags of the people of `scope` (a queryset) who are `among` these ids, each person's in the
    model's order, of the kinds the caller sees (`seen`: `policy.flags_visible`). `scope`
    may hold more people (the status is not asked of everyone again, issue #21)."""
    kinds = dict(PatientFlag._meta.get_field("kind").flatchoices)
    labels: dict[str, str] = {}
    flags: dict[int, list[OpenFlag]] = {}
    open_flags = _ranking_flags().filter(seen, patient_id__in=scope.values("pk"))
    for pk, kind, priority, raised_at in open_flags.values_list(  # the model's order, as before
        "patient_id", "kind", "priority", "raised_at"
    ):
        if pk not in among:
            continue
        if kind not in labels:
            labels[kind] = str(kinds.get(kind, kind))  # get_kind_display
        flags.setdefault(pk, []).append(OpenFlag(kind, labels[kind], priority, raised_at))
    return flags


def _ranking_flags() -> QuerySet[PatientFlag]:
    """The flags the caseload ranks by, of every path (`_open_flags`, the head's and the database page's
    flagged): open ones, but (lane fix35e) none of a person whose death is recorded (`deceased_ids`, review
    35e H1) and no silence flag whose silence is over (`silence_over`, H7). Both stay open on her record."""
    open_flags = PatientFlag.objects.filter(resolved_at__isnull=True)
    return open_flags.exclude(patient_id__in=deceased_ids()).exclude(silence_over())


def _on_methadone(days: dict[str, date]) -> Case:
    """An order of observed methadone in force on the person's today (their program zone's day, `days`):
    whose missed days count (`count_missed`). In force is `keel.treatment.models.in_force_q`, Keel's one
    definition: an order written to start later (`deferred`) is not in force before its start day, and the
    order it supersedes stays in force until then."""
    person = OuterRef("pk")
    return Case(
        *[
            When(
                Q(program__time_zone=zone)
                & ~_died()  # lane fix35e: no missed dose is counted after her recorded death
                & Q(
                    Exists(
                        MedicationOrder.objects.filter(in_force_q(day), patient=person, medication=OBSERVED)
                    )
                ),
                then=True,
            )
            for zone, day in sorted(days.items())
        ],
        default=False,
        output_field=BooleanField(),
    )


def _ordered(person: OuterRef) -> Exists:
    """Whether the person has an order of observed methadone not stopped: one probe of the orders' index, a
    superset of an order in force (`_on_methadone`: the last written that has started, not stopped), to
    gate a costlier read on without asking the order in force again (issue #21)."""
    return Exists(
        MedicationOrder.objects.filter(patient=person, medication=OBSERVED).exclude(
            status=OrderStatus.STOPPED
        )
    )


def _dosed_lately(since: date, before: date) -> Any:
    """The ids of the people with an observed dose with an amount on a day in [since, before) (a given dose
    above 0 never amended: `count_missed` counts its day), as a subquery: one read of the given days' index
    for everyone, not a read per person (issue #21)."""
    return DoseRecord.objects.filter(
        ~Exists(DoseAmendment.objects.filter(dose=OuterRef("pk"))),
        medication=OBSERVED,
        status=DoseStatus.GIVEN,
        amount_mg__gt=0,
        local_date__gte=since,
        local_date__lt=before,
    ).values("patient_id")


def _dosed_on(day: date) -> Q:
    """The people with an observed dose of an amount above 0 on `day` after its latest amendment
    (`newest_dosed_day`'s rule: a given dose above 0 never amended, or one whose latest amendment corrects
    it to an amount, held or not), as a filter on the people: one hashed read of the day's given doses (the
    `dose_given_day` index) and one of the day's amended doses (read from the amendments, a few), not a
    read per person (issue #21)."""
    latest = latest_amendment()  # the correction in force (`AMENDMENT_ORDER`)
    of_the_day = DoseAmendment.objects.filter(dose__medication=OBSERVED, dose__local_date=day)
    amended = (
        DoseRecord.objects.filter(pk__in=of_the_day.values("dose_id"))
        .annotate(
            latest_voided=Subquery(latest.values("voided")[:1]),
            latest_corrected=Subquery(latest.values("corrected_mg")[:1]),
        )
        .filter(latest_voided=False, latest_corrected__gt=0)
        .values("patient_id")
    )
    return Q(pk__in=_dosed_lately(day, day + timedelta(days=1))) | Q(pk__in=amended)


def _on_the_day_before(days: dict[str, date], back: int) -> Case:
    """Whether each person was dosed (`_dosed_on`) `back` days before their today (their zone's)."""
    return Case(
        *[
            When(Q(program__time_zone=zone) & _dosed_on(day - timedelta(days=back)), then=True)
            for zone, day in sorted(days.items())
        ],
        default=False,
        output_field=BooleanField(),
    )
