"""Helpers for the caseload attacks: a caseload of people with awkward data, made directly."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

NOW = datetime(2026, 6, 10, 3, 30, tzinfo=UTC)  # 23:30 the day before in New York, 17:30 in Honolulu


def person(
    program: Any, n: int, given: str, family: str, preferred: str = "", team: tuple[Any, ...] = ()
) -> Any:
    from keel.patients.models import CareTeamMember, Enrollment, Patient

    p = Patient.objects.create(
        program=program,
        record_number=f"RV-{n:04d}",
        given_name=given,
        family_name=family,
        preferred_name=preferred,
        date_of_birth=date(1980, 1, 1),
    )
    Enrollment.objects.create(patient=p, program=program, started_on=date(2026, 1, 5))
    for user in team:
        CareTeamMember.objects.create(patient=p, user=user)
    return p


def order(p: Any, prescriber: Any, medication: str = "methadone", status: str = "active") -> Any:
    from keel.treatment.models import MedicationOrder

    return MedicationOrder.objects.create(
        patient=p,
        medication=medication,
        rxnorm="6813",
        dose_mg=Decimal("60"),
        status=status,
        starts_on=date(2026, 1, 5),
        prescriber=prescriber,
        created_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
    )


def dose(
    p: Any, o: Any, day: date, nurse: Any, *, status: str = "given", mg: str = "60", seq: int = 1
) -> Any:
    from keel.treatment.models import DoseRecord

    return DoseRecord.objects.create(
        patient=p,
        order=o,
        medication=o.medication,
        local_date=day,
        sequence=seq,
        status=status,
        amount_mg=Decimal(mg),
        treatment_day=1,
        decision={},
        recorded_by=nurse,
        recorded_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14),
    )


def amend(
    d: Any, nurse: Any, *, voided: bool = False, mg: str | None = None, at: datetime | None = None
) -> Any:
    from keel.treatment.models import DoseAmendment

    return DoseAmendment.objects.create(
        dose=d,
        voided=voided,
        corrected_mg=None if voided else Decimal(mg or "0"),
        reason="typo",
        amended_by=nurse,
        amended_at=at
        or datetime.combine(d.local_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15),
    )


def flag(p: Any, kind: str, priority: int, raised_at: datetime, source_id: int) -> Any:
    from keel.patients.models import PatientFlag

    return PatientFlag.objects.create(
        patient=p,
        kind=kind,
        priority=priority,
        reasons=["x"],
        sources=["x"],
        source_type="rev21",
        source_id=source_id,
        raised_at=raised_at,
    )


def checkin(p: Any, day: date) -> Any:
    from keel.recovery.models import CheckIn

    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    return CheckIn.objects.create(
        patient=p,
        local_date=day,
        craving=2,
        mood=3,
        used=False,
        medication="methadone",
        created_at=at,
        updated_at=at,
    )


def take_home(p: Any, by: Any, bottles: list[date], ended_on: date | None = None) -> Any:
    from keel.patients.models import Enrollment
    from keel.treatment.models import TakeHomePlan

    episode = Enrollment.objects.filter(patient=p, status="active").first()
    return TakeHomePlan.objects.create(
        patient=p,
        decided_by=by,
        decided_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
        days_in_treatment=100,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=[d.isoformat() for d in bottles],
        # Session 24 (set-up only): the bottles recorded as handed out, as the dose path records them; a
        # bottle day the record is silent on, with no dose on its hand-out day, never left (lane bot24).
        bottle_mg={d.isoformat(): "80" for d in bottles},
        enrollment=episode,
        ended_on=ended_on,
    )


def discharge_and_readmit(p: Any, ended: date, readmitted: date | None) -> None:
    from keel.patients.models import Enrollment

    e = Enrollment.objects.get(patient=p, status="active")
    e.status, e.ended_on, e.end_reason = "ended", ended, "completed"
    e.save()
    if readmitted is not None:
        Enrollment.objects.create(patient=p, program=p.program, started_on=readmitted)


FAMILIES = [
    "Álvarez",
    "alvarez",
    "ALVAREZ",
    "Alvarez",
    "Ñúñez",
    "Nunez",
    "Østergaard",
    "Zed",
    "de la Cruz",
    "ß",
]
GIVEN = ["ana", "Ana", "ÁNA", "Bo", "bo", "Ze", "Émile", "emile", "Li", "li"]


def build(
    world: Any, count: int = 70, seed: int = 21, zones: tuple[str, ...] = ("Pacific/Honolulu", "Asia/Tokyo")
) -> dict[str, Any]:
    """`count` people on the riverside nurse's and peer specialist's teams (and `zones` programs the nurse and
    peer are members of), each with a random mix of the signals' edge cases; plus a Lakeside person with every
    signal (never to be seen) and one Riverside person seen only through the nurse's emergency access."""
    from keel.accounts.models import Program, ProgramMembership
    from keel.patients.models import EmergencyAccess

    rnd = random.Random(seed)
    nurse, peer, prescriber = world.staff["nurse"], world.staff["peer_specialist"], world.staff["prescriber"]
    programs = [world.riverside]
    for i, zone in enumerate(zones):
        prog = Program.objects.create(slug=f"rev21-{i}", name=f"Rev21 {zone}", time_zone=zone)
        for user in (nurse, peer, prescriber):
            ProgramMembership.objects.create(
                user=user, program=prog, role=user.role
            ) if _has_role_field() else ProgramMembership.objects.create(user=user, program=prog)
        programs.append(prog)
    instants = [datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 5, 9, tzinfo=UTC)]
    made = []
    sid = 1000
    for n in range(count):
        prog = programs[n % len(programs)]
        p = person(
            prog,
            n,
            rnd.choice(GIVEN),
            rnd.choice(FAMILIES),
            rnd.choice(["", "", "Ana", "ana"]),
            (nurse, peer),
        )
        made.append(p)
        from keel.patients.models import day_in

        today = day_in(prog.time_zone, NOW)
        if rnd.random() < 0.3:
            for _ in range(rnd.randint(1, 3)):
                sid += 1
                flag(
                    p,
                    rnd.choice(
                        ["silence", "reported_use", "rising_craving", "missed_medication", "suicide_risk"]
                    ),
                    rnd.choice([0, 1, 2, 3, 4]),
                    rnd.choice(instants),
                    sid,
                )
        if rnd.random() < 0.7:
            o = order(
                p,
                prescriber,
                status=rnd.choice(["active", "active", "active", "stopped"]) if _has_stopped() else "active",
            )
            start = today - timedelta(days=rnd.randint(1, 45))
            d = start
            while d < today + timedelta(days=1):
                if rnd.random() < 0.6:
                    status = "held" if rnd.random() < 0.1 else "given"
                    mg = "0" if rnd.random() < 0.05 else "60"
                    rec = dose(p, o, d, nurse, status=status, mg=mg)
                    r = rnd.random()
                    if r < 0.08:
                        amend(rec, nurse, voided=True)
                    elif r < 0.14:
                        amend(rec, nurse, mg=rnd.choice(["0", "30"]))
                    elif r < 0.17:
                        amend(rec, nurse, voided=True)
                        amend(
                            rec,
                            nurse,
                            mg="45",
                            at=datetime.combine(d, datetime.min.time(), tzinfo=UTC) + timedelta(hours=16),
                        )
                d += timedelta(days=rnd.choice([1, 1, 1, 2, 3, 5]))
            if rnd.random() < 0.2:
                take_home(p, prescriber, [today - timedelta(days=k) for k in range(1, rnd.randint(2, 5))])
        if rnd.random() < 0.4:
            for k in rnd.sample(range(1, 20), rnd.randint(1, 3)):
                checkin(p, today - timedelta(days=k))
        if rnd.random() < 0.12:
            ended = today - timedelta(days=rnd.randint(3, 10))
            discharge_and_readmit(p, ended, rnd.choice([None, ended + timedelta(days=1), today]))
    # a person only reached through the nurse's emergency access
    ea = person(world.riverside, 900, "Emma", "Glass")
    sid += 1
    flag(ea, "suicide_risk", 0, instants[0], sid)
    EmergencyAccess.objects.create(
        patient=ea,
        user=nurse,
        reason="overdose in the lobby",
        started_at=datetime(2026, 6, 10, 3, tzinfo=UTC),
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    # a Lakeside person with every signal (never in a Riverside caseload)
    lk = person(world.lakeside, 901, "Luca", "Away", team=(world.lakeside_nurse,))
    sid += 1
    flag(lk, "suicide_risk", 0, instants[0], sid)
    return {"people": made, "emergency": ea, "other_program": lk}


def _has_role_field() -> bool:
    from keel.accounts.models import ProgramMembership

    return any(f.name == "role" for f in ProgramMembership._meta.get_fields())


def _has_stopped() -> bool:
    from keel.treatment.models import OrderStatus

    return "stopped" in OrderStatus.values
