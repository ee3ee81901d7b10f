"""`missed_days`' set-based read (issue #21, `treatment.queries.with_missed_day_reads`: ORM subqueries per
person, the caseload's signals statement reads the same, counted by `count_missed`) held to the dosing
window's count (`dose_contexts`: the one definition) person by person, over histories chosen for its edges:
no doses; doses only before the look-back;
voided, zeroed and re-corrected doses (amendments at the same moment: the newer id wins); a given dose of
0 mg as the episode's first; held doses, one corrected to an amount; take-home days of this episode and of
an earlier one; discharge, readmission (on the day of the discharge: that day's dose of the old episode is
not this one's first), no episode; another medication only; a dose after "today". Each is read alone and
all together, by ids and through a subquery (`among`, as the caseload reads), for several "todays", and
the caseload's figure is compared too. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.careteam import queries
from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus, Patient
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder, TakeHomePlan
from keel.treatment.queries import dose_contexts, missed_days
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 in New York
TODAY = date(2026, 11, 25)


class _Maker:
    def __init__(self, world: World) -> None:
        self.world = world
        self.count = 0

    def person(self, started: int | None = 60, *, ended: tuple[int, int] | None = None) -> Patient:
        """A person on the nurse's team with a methadone and a buprenorphine order; `started`: the active
        episode began that many days before TODAY (None: none); `ended`: an earlier episode (start, end)."""
        self.count += 1
        program = self.world.riverside
        p = Patient.objects.create(
            program=program,
            record_number=f"MS-{self.count:03d}",
            given_name="Missed",
            family_name=f"Sql{self.count:03d}",
            date_of_birth=date(1980, 1, 1),
        )
        CareTeamMember.objects.create(patient=p, user=self.world.staff["nurse"])
        if ended is not None:
            Enrollment.objects.create(
                patient=p,
                program=program,
                started_on=TODAY - timedelta(days=ended[0]),
                ended_on=TODAY - timedelta(days=ended[1]),
                status=EnrollmentStatus.ENDED,
                end_reason=EndReason.COMPLETED,
            )
        if started is not None:
            Enrollment.objects.create(
                patient=p,
                program=program,
                started_on=TODAY - timedelta(days=started),
                consented_at=NOW - timedelta(days=started, hours=2),
            )
        for medication in ("methadone", "buprenorphine"):
            MedicationOrder.objects.create(
                patient=p,
                medication=medication,
                rxnorm="6813" if medication == "methadone" else "1010600",
                dose_mg=Decimal(40 if medication == "methadone" else 16),
                starts_on=TODAY - timedelta(days=90),
                prescriber=self.world.staff["prescriber"],
                created_at=NOW - timedelta(days=90),
            )
        return p

    def dose(
        self,
        p: Patient,
        ago: int,
        *,
        mg: str = "40",
        held: bool = False,
        medication: str = "methadone",
        sequence: int = 1,
        recorded_ago: float | None = None,
    ) -> DoseRecord:
        return DoseRecord.objects.create(
            patient=p,
            order=MedicationOrder.objects.get(patient=p, medication=medication),
            medication=medication,
            local_date=TODAY - timedelta(days=ago),
            sequence=sequence,
            status=DoseStatus.HELD if held else DoseStatus.GIVEN,
            amount_mg=Decimal(mg),
            treatment_day=1,
            decision={},
            recorded_by=self.world.staff["nurse"],
            recorded_at=NOW - timedelta(days=ago if recorded_ago is None else recorded_ago),
        )

    def daily(self, p: Patient, days: range, **kw: Any) -> None:
        for ago in days:
            self.dose(p, ago, **kw)

    def amend(self, dose: DoseRecord, *steps: tuple[bool, str | None], same_moment: bool = False) -> None:
        for n, (voided, mg) in enumerate(steps):
            DoseAmendment.objects.create(
                dose=dose,
                voided=voided,
                corrected_mg=None if mg is None else Decimal(mg),
                reason="Recorded in error",
                amended_by=self.world.staff["prescriber"],
                amended_at=NOW - timedelta(hours=5 if same_moment else 5 - n),
            )

    def bottles(self, p: Patient, days_ago: list[int], *, enrollment: Enrollment | None) -> None:
        TakeHomePlan.objects.create(
            patient=p,
            decided_by=self.world.staff["prescriber"],
            decided_at=NOW - timedelta(days=max(days_ago) + 1),
            days_in_treatment=30,
            criteria={},
            decision={},
            max_supply_days=len(days_ago),
            bottles=[(TODAY - timedelta(days=d)).isoformat() for d in days_ago],
            enrollment=enrollment,
        )


def _no_doses(m: _Maker) -> Patient:
    return m.person()


def _doses_only_before_the_look_back(m: _Maker) -> Patient:
    p = m.person(90)
    m.daily(p, range(35, 80))
    return p


def _dosed_yesterday(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(1, 50))
    return p


def _gap_of_four(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(5, 50))
    return p


def _new_episode_first_dose_three_days_ago(m: _Maker) -> Patient:
    p = m.person(5)
    m.dose(p, 3)
    return p


def _new_episode_no_dose(m: _Maker) -> Patient:
    return m.person(5)


def _first_dose_zero_mg(m: _Maker) -> Patient:
    p = m.person(8)
    m.dose(p, 4, mg="0")  # given, 0 mg, not amended: the episode's first dose, not a day with an amount
    return p


def _voided_newest(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(3, 40))
    m.amend(m.dose(p, 2), (True, None))
    m.amend(m.dose(p, 1), (False, "0"))
    return p


def _all_window_doses_voided(m: _Maker) -> Patient:
    p = m.person(70)
    m.daily(p, range(40, 60))
    for ago in range(1, 30):
        m.amend(m.dose(p, ago), (True, None))
    return p


def _corrected_back_to_an_amount(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(4, 40))
    m.amend(m.dose(p, 2), (False, "0"), (False, "20"))
    m.amend(m.dose(p, 1), (False, "20"), (False, "0"))
    return p


def _two_amendments_at_one_moment(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(6, 40))
    m.amend(m.dose(p, 3), (True, None), (False, "30"), same_moment=True)  # the later id corrects it
    m.amend(m.dose(p, 2), (False, "30"), (True, None), same_moment=True)  # the later id voids it
    return p


def _held_and_held_corrected(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(6, 40))
    m.dose(p, 1, held=True)
    m.amend(m.dose(p, 3, held=True), (False, "10"))  # a held dose corrected to an amount counts
    return p


def _only_held_since_episode_start(m: _Maker) -> Patient:
    p = m.person(10)
    m.dose(p, 6, held=True)
    m.dose(p, 2, held=True)
    return p


def _two_doses_a_day(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(7, 30))
    m.dose(p, 6)
    m.amend(m.dose(p, 6, sequence=2), (True, None))
    return p


def _take_home_days_of_this_episode(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(6, 40))
    m.bottles(p, [5, 4, 3], enrollment=Enrollment.objects.get(patient=p, status="active"))
    return p


def _take_home_days_of_an_earlier_episode(m: _Maker) -> Patient:
    p = m.person(12, ended=(50, 20))
    m.daily(p, range(8, 12))
    old = Enrollment.objects.get(patient=p, status="ended")
    m.bottles(p, [7, 6, 5], enrollment=old)
    return p


def _take_home_plan_without_episode_decided_in_this_one(m: _Maker) -> Patient:
    p = m.person(20)
    m.daily(p, range(6, 20))
    m.bottles(p, [5, 4], enrollment=None)
    return p


def _discharged(m: _Maker) -> Patient:
    p = m.person(None, ended=(60, 3))
    m.daily(p, range(10, 50))
    return p


def _readmitted_after_a_gap(m: _Maker) -> Patient:
    p = m.person(6, ended=(60, 15))
    m.daily(p, range(16, 50))  # the old episode's doses, in the look-back
    m.dose(p, 4)
    return p


def _readmitted_no_dose_yet(m: _Maker) -> Patient:
    p = m.person(6, ended=(60, 15))
    m.daily(p, range(16, 50))  # doses in the look-back, none of this episode
    return p


def _readmitted_on_the_discharge_day_old_dose_only(m: _Maker) -> Patient:
    p = m.person(6, ended=(40, 6))
    m.daily(p, range(6, 30), recorded_ago=8)  # recorded before the readmission's consent
    return p


def _readmitted_on_the_discharge_day_dosed_after_consent(m: _Maker) -> Patient:
    p = m.person(6, ended=(40, 6))
    m.daily(p, range(7, 30))
    m.dose(p, 6, recorded_ago=5.5)  # recorded after the readmission's consent: this episode's first
    return p


def _other_medication_only(m: _Maker) -> Patient:
    p = m.person()
    m.daily(p, range(1, 40), medication="buprenorphine", mg="16")
    return p


def _dose_after_today_only(m: _Maker) -> Patient:
    p = m.person(10)
    m.dose(p, -1)
    return p


def _dose_today_only(m: _Maker) -> Patient:
    p = m.person(10)
    m.dose(p, 0)
    return p


def _gap_longer_than_the_look_back(m: _Maker) -> Patient:
    p = m.person(90)
    m.daily(p, range(31, 80))
    m.dose(p, 0)
    return p


HISTORIES: list[Callable[[_Maker], Patient]] = [
    _no_doses,
    _doses_only_before_the_look_back,
    _dosed_yesterday,
    _gap_of_four,
    _new_episode_first_dose_three_days_ago,
    _new_episode_no_dose,
    _first_dose_zero_mg,
    _voided_newest,
    _all_window_doses_voided,
    _corrected_back_to_an_amount,
    _two_amendments_at_one_moment,
    _held_and_held_corrected,
    _only_held_since_episode_start,
    _two_doses_a_day,
    _take_home_days_of_this_episode,
    _take_home_days_of_an_earlier_episode,
    _take_home_plan_without_episode_decided_in_this_one,
    _discharged,
    _readmitted_after_a_gap,
    _readmitted_no_dose_yet,
    _readmitted_on_the_discharge_day_old_dose_only,
    _readmitted_on_the_discharge_day_dosed_after_consent,
    _other_medication_only,
    _dose_after_today_only,
    _dose_today_only,
    _gap_longer_than_the_look_back,
]


def _window(pairs: list[tuple[Patient, date]], medication: str) -> dict[int, int]:
    return {pk: c.missed_days_in_a_row for pk, c in dose_contexts(pairs, medication).items()}


@pytest.fixture
def everyone(world: World) -> list[Patient]:
    m = _Maker(world)
    return [history(m) for history in HISTORIES]


@pytest.mark.parametrize("history", HISTORIES, ids=lambda h: h.__name__.strip("_"))
def test_each_history_alone_is_the_dosing_windows_count(world: World, history: Any) -> None:
    p = history(_Maker(world))
    for shift in (0, 1, 5):
        pairs = [(p, TODAY - timedelta(days=shift))]
        expected = _window(pairs, "methadone")
        assert missed_days(pairs, "methadone") == expected, shift
        among = Patient.objects.filter(pk=p.pk)
        assert missed_days(pairs, "methadone", among=among) == expected, shift


@pytest.mark.parametrize("medication", ["methadone", "buprenorphine"])
@pytest.mark.parametrize("shift", [0, 2, 7])
def test_all_histories_together_by_ids_and_through_a_subquery(
    everyone: list[Patient], medication: str, shift: int
) -> None:
    pairs = [(p, TODAY - timedelta(days=shift)) for p in everyone]
    expected = _window(pairs, medication)
    assert missed_days(pairs, medication) == expected
    among = Patient.objects.filter(pk__in=[p.pk for p in everyone])
    assert missed_days(pairs, medication, among=among) == expected
    # a subquery holding more people than asked: only those asked are answered
    assert missed_days(pairs[::2], medication, among=among) == _window(pairs[::2], medication)


def test_several_todays_in_one_call(everyone: list[Patient]) -> None:
    pairs = [(p, TODAY - timedelta(days=i % 3)) for i, p in enumerate(everyone)]
    assert missed_days(pairs, "methadone") == _window(pairs, "methadone")


def test_the_histories_reach_the_edges(everyone: list[Patient]) -> None:
    """The expected counts themselves, so that the comparison is not between two answers of nothing."""
    got = missed_days([(p, TODAY) for p in everyone], "methadone")
    by_name = {h.__name__.strip("_"): got[p.pk] for h, p in zip(HISTORIES, everyone, strict=True)}
    assert by_name["doses_only_before_the_look_back"] == 30
    assert by_name["all_window_doses_voided"] == 30
    assert by_name["gap_of_four"] == 4
    assert by_name["new_episode_first_dose_three_days_ago"] == 2
    assert by_name["first_dose_zero_mg"] == 4
    assert by_name["readmitted_on_the_discharge_day_old_dose_only"] == 0
    assert by_name["readmitted_on_the_discharge_day_dosed_after_consent"] == 5
    assert by_name["take_home_days_of_this_episode"] == 2
    assert by_name["take_home_days_of_an_earlier_episode"] == 7
    assert by_name["dosed_yesterday"] == 0


def test_the_caseload_shows_the_dosing_windows_count(world: World, everyone: list[Patient]) -> None:
    with time_machine.travel(NOW, tick=False):
        rows = queries.caseload(world.staff["nurse"], status="all")
    expected = _window([(p, TODAY) for p in everyone], "methadone")
    ours = {p.pk for p in everyone}
    assert {row.id: row.missed_dose_days for row in rows if row.id in ours} == expected


def test_people_dosed_in_the_look_back_cost_no_statement_each(world: World) -> None:
    """The statements do not grow with the people: one set-based read for everyone (per distinct today),
    then one of the take-home plans of those with one and a day missed."""
    m = _Maker(world)
    few = [_dosed_yesterday(m), _gap_of_four(m), _doses_only_before_the_look_back(m)]
    many = few + [h(m) for h in (_dosed_yesterday, _gap_of_four, _doses_only_before_the_look_back) * 4]

    def statements(people: list[Patient]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            missed_days([(p, TODAY) for p in people], "methadone")
        return len(ctx.captured_queries)

    assert statements(few) == statements(many)
