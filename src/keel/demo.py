"""Synthetic demo data: two programs, staff in every role, patients with care teams. Never real people.

Deterministic for a seed and idempotent: running it again creates only what is missing. Demo accounts
use DEMO_PASSWORD and a TOTP secret derived from the username, both documented in README.md.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keel.accounts import services as accounts
from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.core.discharge import start_of_day
from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus, Patient, local_today

if TYPE_CHECKING:
    from keel.treatment.models import DoseRecord, MedicationOrder

# The check of a dose in the demo's history (written directly, never through the window's guard rails): a
# catalogue entry, so that the medication page says it in the reader's language.
DEMO_DOSE_REASON = gettext_noop("Demo history: written directly, not checked at the window.")
DEMO_PASSWORD = "keel-demo-password"  # demo only; `keel demo` is the only thing that uses it

PROGRAMS = [("riverside", "Riverside Recovery", "RR"), ("lakeside", "Lakeside Health Center", "LH")]
STAFF = [
    ("prescriber", Role.PRESCRIBER, "Rosa", "Alvarez"),
    ("nurse", Role.NURSE, "Sam", "Okafor"),
    ("nurse2", Role.NURSE, "Jordan", "Lee"),
    ("counselor", Role.COUNSELOR, "Priya", "Shah"),
    ("peer", Role.PEER_SPECIALIST, "Marcus", "Bell"),
    ("admin", Role.PROGRAM_ADMIN, "Dana", "Whitfield"),
    ("auditor", Role.AUDITOR, "Lee", "Nakamura"),
]
GIVEN = [
    "Alex",
    "Maria",
    "James",
    "Tanya",
    "Luis",
    "Keisha",
    "Ryan",
    "Ana",
    "Devon",
    "Grace",
    "Omar",
    "Kayla",
    "Miguel",
    "Hannah",
    "Tyrone",
    "Sofia",
    "Ethan",
    "Rosa",
    "Caleb",
    "Jasmine",
    "Noah",
    "Elena",
    "Wyatt",
    "Mia",
]
FAMILY = [
    "Garcia",
    "Johnson",
    "Nguyen",
    "Smith",
    "Martinez",
    "Brown",
    "Lopez",
    "Davis",
    "Wilson",
    "Hernandez",
    "Clark",
    "Young",
    "Reyes",
    "Walker",
    "Torres",
    "Hall",
    "Flores",
    "Allen",
    "Rivera",
    "King",
]
PRONOUNS = ["she/her", "he/him", "they/them", ""]


def demo_totp_key(username: str) -> str:
    """A fixed 20-byte TOTP key per demo username, so the README can list the secrets."""
    return hashlib.sha1(f"keel-demo-totp:{username}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str
    program: str
    totp_secret: str | None
    patient_id: int | None


def _staff_user(program: Program, suffix: str, role: str, first: str, last: str) -> User:
    username = f"{program.slug}.{suffix}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user, _ = accounts.create_user(
            username=username,
            role=role,
            password=DEMO_PASSWORD,
            program_slug=program.slug,
            first_name=first,
            last_name=last,
            totp_key_hex=demo_totp_key(username),
        )
    ProgramMembership.objects.get_or_create(user=user, program=program)
    return user


@transaction.atomic
def load(*, patients_per_program: int = 12, seed: int = 7, today: date | None = None) -> list[DemoAccount]:
    """Create (or complete) the demo data and return every demo account."""
    if patients_per_program < 2:
        raise ValueError("patients: at least 2 per program (two of them have logins)")
    today = today or timezone.localdate()
    accounts_out: list[DemoAccount] = []
    for slug, name, prefix in PROGRAMS:
        rng = random.Random(f"{seed}:{slug}")  # noqa: S311 - synthetic demo data, not security
        program, _ = Program.objects.get_or_create(slug=slug, defaults={"name": name})
        staff = {
            suffix: _staff_user(program, suffix, role, first, last) for suffix, role, first, last in STAFF
        }
        accounts_out += _staff_accounts(slug)
        for i in range(patients_per_program):
            patient = _patient(program, prefix, i, rng, today)
            _patient_care(patient, staff, i, rng, today)
            if i < 2:
                accounts_out.append(_patient_login(patient, slug, i))
                if episode_ended_on(patient) is None:  # a discharge cancels the coming visits
                    _appointments(patient, staff, i, today)
    from keel.directory import samples

    samples.load()  # sample meetings and clinics around the programs, and a real public feed (issue #20)
    return accounts_out


def _staff_accounts(slug: str) -> list[DemoAccount]:
    """The program's demo staff accounts, each with its TOTP secret."""
    accounts_out: list[DemoAccount] = []
    for suffix, role, _first, _last in STAFF:
        username = f"{slug}.{suffix}"
        accounts_out.append(
            DemoAccount(
                username,
                DEMO_PASSWORD,
                role,
                slug,
                accounts.totp_secret_base32_of_key(demo_totp_key(username)),
                None,
            )
        )
    return accounts_out


def _patient_care(patient: Patient, staff: dict[str, User], i: int, rng: random.Random, today: date) -> None:
    """The person's care team, recovery history, methadone (two in three) with its history, and BAM."""
    team = [staff["prescriber"], staff["nurse"], staff["counselor"], staff["peer"]]
    if i % 2 == 1:  # nurse2 is a teammate on only some care teams: "same program, not my patient"
        team.append(staff["nurse2"])
    for member in team:
        CareTeamMember.objects.get_or_create(patient=patient, user=member)
    # The care team's morning (journey 6) needs someone to reach: person 6 reported use last night,
    # person 7 has missed the window three days running, person 8 stopped checking in 9 days ago.
    _recovery_history(patient, rng, today, used_last=i == 6, quiet_days=9 if i == 8 else 0)
    ended = episode_ended_on(patient)
    if i % 3 != 2:  # two in three are on methadone at the window (or were, up to their discharge)
        _methadone(
            patient,
            staff["prescriber"],
            staff["nurse"],
            rng,
            today if ended is None else ended,
            first_day=i == 3,
            missed=3 if i == 7 else 0,
            stopped=ended is not None,
        )
        if i != 3:
            _treatment_history(
                patient, staff["prescriber"], staff["nurse"], rng, today if ended is None else ended
            )
    _bam_history(patient, staff["counselor"], rng, today)
    if i in (6, 8):
        from keel.recovery.services import review_history

        review_history(patient)


def episode_ended_on(patient: Patient) -> date | None:
    """The day the person's last episode of care ended, if they have no open one (None: in care). Their
    treatment history runs up to that day, as `discharge` leaves it: the orders stopped with the episode (no
    order in force without an open episode), no dose after the day it ended."""
    episodes = list(patient.enrollments.all())
    if not episodes or any(e.status == EnrollmentStatus.ACTIVE for e in episodes):
        return None
    return max((e.ended_on for e in episodes if e.ended_on), default=None)


def _patient_login(patient: Patient, slug: str, i: int) -> DemoAccount:
    """The login of one of the program's first two people (created if missing, linked to the record)."""
    username = f"{slug}.patient{i + 1}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user, _ = accounts.create_user(
            username=username,
            role=Role.PATIENT,
            password=DEMO_PASSWORD,
            program_slug=slug,
            first_name=patient.given_name,
            last_name=patient.family_name,
        )
    if patient.user_id is None:
        patient.user = user
        patient.save(update_fields=["user"])
    return DemoAccount(username, DEMO_PASSWORD, Role.PATIENT, slug, None, patient.pk)


def _appointments(patient: Patient, staff: dict[str, User], i: int, today: date) -> None:
    """A coming appointment or two for the patients with logins (issue #19): on their page, and on the care
    team's. Local times in the program's zone, days after today."""
    from keel.appointments.models import Appointment, Kind

    plans = [(Kind.COUNSELING, staff["counselor"], 2, 10), (Kind.PRESCRIBER, staff["prescriber"], 6, 14)]
    for kind, who, days, hour in plans[: 2 - i]:
        if Appointment.objects.filter(patient=patient, kind=kind).exists():
            continue
        start = _on(patient, today + timedelta(days=days), hour)
        Appointment.objects.create(
            patient=patient,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            kind=kind,
            with_user=who,
            created_by=who,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )


def _on(patient: Patient, day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on `day` in the patient's program's time zone: history happens on its own days, not at the
    moment `keel demo` runs (issue #12: the demo looks right on any date)."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(patient.program.time_zone))


BAM_MONTHS_AGO = (0, 1, 2, 3)  # a BAM a month (journey 6 shows the trends), the latest this week


def _bam_history(patient: Patient, counselor: User, rng: random.Random, today: date) -> None:
    """Monthly BAMs by the counselor, each on its own day (about 30 days apart, the latest 2 days ago), for
    the BAM trends: use falling and protective factors rising for most. Answers are always consistent
    (heavy-drinking days never above drinking days) and scored by the one scorer."""
    from keel.assessments.models import SCORER_VERSION, Assessment
    from keel.core.instruments.scoring import score

    if Assessment.objects.filter(patient=patient, instrument="bam").exists():
        return
    admitted = patient.enrollments.order_by("started_on").values_list("started_on", flat=True).first()
    for months_ago in sorted(BAM_MONTHS_AGO, reverse=True):
        day = today - timedelta(days=2 + 30 * months_ago)
        if admitted is not None and day < admitted:
            continue
        better = 3 - months_ago  # 0 (first) to 3 (latest)
        drinking = max(0, min(4, rng.randint(0, 3) - better // 2))
        answers = {
            "bam_1": max(0, min(4, rng.randint(1, 3) - better // 2)),
            "bam_2": rng.randint(0, 3),
            "bam_3": rng.randint(0, 2),
            "bam_4": drinking,
            "bam_5": rng.randint(0, drinking),
            "bam_6": max(0, rng.randint(0, 3) - better),
            "bam_8": max(0, min(4, rng.randint(1, 4) - better)),
            "bam_9": min(4, rng.randint(1, 2) + better // 2),
            "bam_10": min(4, rng.randint(0, 2) + better // 2),
            "bam_11": max(0, rng.randint(0, 3) - better),
            "bam_12": min(4, rng.randint(1, 2) + better // 2),
            "bam_13": min(4, rng.randint(0, 2) + better),
            "bam_14": 4 if better >= 2 or rng.random() < 0.5 else 0,
            "bam_15": max(0, rng.randint(0, 3) - better // 2),
            "bam_16": min(4, rng.randint(0, 1) + better),
            "bam_17": min(4, rng.randint(1, 2) + better // 2),
        }
        result = score("bam", answers, {})
        Assessment.objects.create(
            patient=patient,
            program_id=patient.program_id,
            instrument="bam",
            instrument_version=result.version,
            scorer_version=SCORER_VERSION,
            answers=answers,
            total=result.total,
            band=result.band.code if result.band else "",
            result=result.as_dict(),
            filled_by=counselor,
            filled_at=_on(patient, day, 14, 30),
        )


def _recovery_history(
    patient: Patient, rng: random.Random, today: date, *, used_last: bool = False, quiet_days: int = 0
) -> None:
    """Three weeks of synthetic check-ins up to yesterday (one return to use for some), for the charts.
    `used_last`: yesterday's reports use. `quiet_days`: the latest check-in is that many days ago."""
    from datetime import timedelta

    from keel.recovery.models import CheckIn

    if CheckIn.objects.filter(patient=patient).exists():
        return
    craving, mood = rng.randint(2, 6), rng.randint(2, 4)
    use_day = rng.choice([None, None, 9, 12])
    rows = []
    if used_last:
        use_day = 1
    for n in range(21, quiet_days - 1 if quiet_days else 0, -1):
        craving = min(10, max(0, craving + rng.choice([-2, -1, 0, 0, 1, 2])))
        mood = min(5, max(1, mood + rng.choice([-1, 0, 0, 1])))
        rows.append(
            CheckIn(
                patient=patient,
                local_date=today - timedelta(days=n),
                craving=craving,
                mood=mood,
                used=n == use_day,
                used_what=["heroin"] if n == use_day else [],
                medication="missed" if rng.random() < 0.1 else "taken",
                meeting=rng.random() < 0.4,
                counseling=n % 7 == 3,
                triggers=rng.sample(["stress", "people", "lonely", "tired"], k=rng.randint(0, 2)),
                created_at=_on(patient, today - timedelta(days=n), 20, 15),
                updated_at=_on(patient, today - timedelta(days=n), 20, 15),
            )
        )
    CheckIn.objects.bulk_create(rows)


def _methadone(
    patient: Patient,
    prescriber: User,
    nurse: User,
    rng: random.Random,
    today: date,
    first_day: bool,
    missed: int = 0,
    stopped: bool = False,
) -> None:
    """An active methadone order and (unless it is their first day) two weeks of observed doses up to
    yesterday, written directly as history (the guard rails apply to doses recorded from now on). `stopped`
    (someone discharged on `today`, the day their episode ended): the order as the discharge left it,
    stopped, and its doses before that day."""
    from datetime import timedelta
    from decimal import Decimal

    from keel.treatment.models import DoseRecord, MedicationOrder

    if MedicationOrder.objects.filter(patient=patient).exists():
        return
    dose = Decimal(30 if first_day else rng.choice([40, 50, 60, 70, 80, 90]))
    starts_on = today - timedelta(days=0 if first_day else 14)
    order = MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=dose,
        starts_on=starts_on,
        prescriber=prescriber,
        created_at=min(_on(patient, starts_on, 6, 45), timezone.now()),
        status="stopped" if stopped else "active",
    )
    if first_day:
        return
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=patient,
            order=order,
            medication="methadone",
            local_date=today - timedelta(days=n),
            sequence=1,
            status="given",
            amount_mg=dose,
            treatment_day=15 - n,
            decision={"decision": "allowed", "reasons": [{"text": DEMO_DOSE_REASON, "sources": []}]},
            recorded_by=nurse,
            given_at=_on(patient, today - timedelta(days=n), 7, 30),
            recorded_at=_on(patient, today - timedelta(days=n), 7, 31),
        )
        for n in range(14, missed, -1)
    )


def _treatment_history(
    patient: Patient, prescriber: User, nurse: User, rng: random.Random, today: date
) -> None:
    """What came before the current order, for the director's measures: a DSM-5 diagnosis at admission, an
    earlier order (now superseded) with observed doses from a few days after admission, a missed day here
    and there and for some a long gap, up to the current order's start; a naloxone kit for most. `today`:
    the day the history runs up to (for someone discharged, the day their episode ended: their current order
    is the one the discharge stopped)."""
    from keel.treatment.models import MedicationOrder, OrderStatus, in_force_q

    if episode_ended_on(patient) is None:
        # the order in force on the person's today (a deferred order is not yet; the one it supersedes
        # still is)
        current = MedicationOrder.objects.filter(in_force_q(local_today(patient)), patient=patient).first()
    else:  # discharged: the last order written, stopped with the episode
        current = (
            MedicationOrder.objects.filter(patient=patient, status=OrderStatus.STOPPED)
            .order_by("-id")
            .first()
        )
    enrollment = patient.enrollments.order_by("started_on").first()
    if current is None or enrollment is None or current.supersedes_id is not None:
        return  # no order, or the history is there already
    admitted = enrollment.started_on
    _admission_diagnosis(patient, prescriber, rng, admitted)
    _naloxone_kit(patient, nurse, rng, admitted, today)
    first = admitted + timedelta(days=rng.choice([0, 0, 1, 2, 3, 5, 8]))
    last = min(current.starts_on, enrollment.ended_on or current.starts_on) - timedelta(days=1)
    if last < first:
        return
    earlier, current = _earlier_order(patient, prescriber, current, first)
    _earlier_doses(patient, nurse, rng, earlier, current, first, last)
    _number_treatment_days(patient)


def _number_treatment_days(patient: Patient) -> None:
    """Each demo dose's treatment day as the window counts it (`core.episodes.treatment_day` from the
    episode's first dose), once the history before the current order is written: the two weeks under the
    current order were numbered from that order's start, which made yesterday "day 14" beside today's
    "day 337" at the window."""
    from keel.core import episodes
    from keel.treatment.models import DoseRecord

    doses = list(DoseRecord.objects.filter(patient=patient).order_by("local_date", "sequence"))
    if not doses:
        return
    first = doses[0].local_date
    for dose in doses:
        dose.treatment_day = episodes.treatment_day(first, dose.local_date)
    DoseRecord.objects.bulk_update(doses, ["treatment_day"], batch_size=500)


def _admission_diagnosis(patient: Patient, prescriber: User, rng: random.Random, admitted: date) -> None:
    """A DSM-5 opioid use disorder assessment on the day of admission, 4-9 criteria met."""
    from keel.assessments.models import SCORER_VERSION, Assessment
    from keel.core.instruments.scoring import score

    met = rng.randint(4, 9)
    answers = {f"dsm5_{n}": int(n <= met) for n in range(1, 12)}
    result = score("dsm5-oud", answers, {})
    Assessment.objects.create(
        patient=patient,
        program_id=patient.program_id,
        instrument="dsm5-oud",
        instrument_version=result.version,
        scorer_version=SCORER_VERSION,
        answers=answers,
        total=result.total,
        band=result.band.code if result.band else "",
        result=result.as_dict(),
        filled_by=prescriber,
        filled_at=_on(patient, admitted, 10),
    )


def _naloxone_kit(patient: Patient, nurse: User, rng: random.Random, admitted: date, today: date) -> None:
    """For most (7 in 10), a naloxone kit within 20 days of admission."""
    from keel.treatment.models import NaloxoneKit

    if rng.random() < 0.7:
        dispensed_on = min(admitted + timedelta(days=rng.randint(0, 20)), today)
        NaloxoneKit.objects.create(
            patient=patient,
            product="nasal_4mg",
            dispensed_on=dispensed_on,
            dispensed_by=nurse,
            recorded_at=_on(patient, dispensed_on, 11),
        )


def _earlier_order(
    patient: Patient, prescriber: User, current: MedicationOrder, first: date
) -> tuple[MedicationOrder, MedicationOrder]:
    """The earlier methadone order from `first`, superseded by the current one, and the current one. The
    order in force is the one written last (the highest id, `in_force_q`), as `prescribe` writes them: the
    current order is written again after the earlier one, its doses moved to it (written first, the earlier
    30 mg order governed the window and the current dose was refused as above the order)."""
    from decimal import Decimal

    from keel.treatment.models import DoseRecord, MedicationOrder

    earlier = MedicationOrder.objects.create(
        patient=patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(30),
        starts_on=first,
        status="superseded",
        prescriber=prescriber,
        created_at=_on(patient, first, 9),
    )
    stale = current.pk
    MedicationOrder.objects.filter(pk=stale).update(status="superseded")  # one active order at a time
    rewritten = MedicationOrder.objects.create(
        patient=patient,
        status=current.status,  # active, or stopped with a discharge
        medication=current.medication,
        rxnorm=current.rxnorm,
        dose_mg=current.dose_mg,
        starts_on=current.starts_on,
        prescriber=current.prescriber,
        created_at=current.created_at,
        supersedes=earlier,
    )
    DoseRecord.objects.filter(order_id=stale).update(order=rewritten)
    MedicationOrder.objects.filter(pk=stale).delete()
    return earlier, rewritten


def _earlier_doses(
    patient: Patient,
    nurse: User,
    rng: random.Random,
    earlier: MedicationOrder,
    current: MedicationOrder,
    first: date,
    last: date,
) -> None:
    """The earlier order's observed doses from `first` to `last`, rising to the current dose: a missed day
    now and then, for some one long gap."""

    from keel.treatment.models import DoseRecord

    stop_for = rng.choice([0, 0, 0, 12, 30])  # some have one long gap
    stop_at = first + timedelta(days=rng.randint(20, 200))
    rows, day, n = [], first, 0
    while day <= last:
        n += 1
        if stop_for and day == stop_at:
            day += timedelta(days=stop_for)
            continue
        if rng.random() > 0.06:  # a missed day now and then
            rows.append(_earlier_dose(patient, nurse, earlier, current, first, day, n))
        day += timedelta(days=1)
    DoseRecord.objects.bulk_create(rows, batch_size=500)


def _earlier_dose(
    patient: Patient,
    nurse: User,
    earlier: MedicationOrder,
    current: MedicationOrder,
    first: date,
    day: date,
    n: int,
) -> DoseRecord:
    """One observed dose of the earlier order on `day` (the `n`th day from `first`), 30 mg rising by 5 mg
    every third day to the current dose."""
    from decimal import Decimal

    from keel.treatment.models import DoseRecord

    return DoseRecord(
        patient=patient,
        order=earlier,
        medication="methadone",
        local_date=day,
        sequence=1,
        status="given",
        amount_mg=Decimal(min(30 + 5 * (n // 3), int(current.dose_mg))),
        treatment_day=(day - first).days + 1,
        decision={"decision": "allowed", "reasons": [{"text": DEMO_DOSE_REASON, "sources": []}]},
        recorded_by=nurse,
        given_at=_on(patient, day, 7, 30),
        recorded_at=_on(patient, day, 7, 31),
    )


_GENDER_AND_BIRTH_SEX = (("female", "F"), ("male", "M"), ("female", "F"), ("male", "M"), ("other", "UNK"))


def _patient(program: Program, prefix: str, i: int, rng: random.Random, today: date) -> Patient:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    age_days = rng.randint(19 * 365, 64 * 365)
    start_offset = rng.randint(3, 420)
    pronouns = rng.choice(PRONOUNS)
    # about one in seven left care; never the first two, whose logins the demo hands out (a person signing
    # in to try the patient's journeys is in care)
    ended = rng.random() < 0.15 and i >= 2
    record_number = f"{prefix}-{1001 + i}"
    patient, created = Patient.objects.get_or_create(
        program=program,
        record_number=record_number,
        defaults={
            "given_name": given,
            "family_name": family,
            "pronouns": pronouns,
            "date_of_birth": today - timedelta(days=age_days),
            # issue #16: administrative gender and birth sex (FHIR, US Core), without drawing from rng
            "gender": _GENDER_AND_BIRTH_SEX[i % len(_GENDER_AND_BIRTH_SEX)][0],
            "birth_sex": _GENDER_AND_BIRTH_SEX[i % len(_GENDER_AND_BIRTH_SEX)][1],
        },
    )
    if created:
        started = today - timedelta(days=start_offset)
        if ended and start_offset > 60:
            Enrollment.objects.create(
                patient=patient,
                program=program,
                started_on=started,
                ended_on=started + timedelta(days=start_offset // 2),
                # lane discharge39: a discharge written for its day ends at that day's end
                ended_at=start_of_day(
                    started + timedelta(days=start_offset // 2 + 1), ZoneInfo(program.time_zone)
                ),
                status=EnrollmentStatus.ENDED,
                end_reason=EndReason.LEFT,
            )
        else:
            Enrollment.objects.create(patient=patient, program=program, started_on=started)
    return patient


class DemoJson(TypedDict):
    """What `keel demo --json` prints: a note and each account's fields (`DemoAccount`)."""

    password_note: str
    accounts: list[dict[str, str | int | None]]


def as_json(accounts_list: list[DemoAccount]) -> DemoJson:
    return {
        "password_note": "demo-only credentials created by `keel demo`",
        "accounts": [a.__dict__ for a in accounts_list],
    }
