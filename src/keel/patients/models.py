"""A person in care, their episodes of care (enrollments) and their care team."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keel.accounts.models import Program
from keel.audit.models import Action, AuditEvent, Outcome
from keel.core.discharge import start_of_day
from keel.core.names import sort_key

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


class AdministrativeGender(models.TextChoices):
    """FHIR R4 administrative gender (required binding: male | female | other | unknown)."""

    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class BirthSex(models.TextChoices):
    """Sex assigned at birth as US Core's Birth Sex value set codes it (F, M, UNK); blank: never asked."""

    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "UNK", _("Unknown")


def default_language() -> str:
    """A new record's language: the program's (LANGUAGE_CODE), until the desk sets another."""
    return settings.LANGUAGE_CODE[:2]


NAME_FIELDS = ("preferred_name", "given_name", "family_name")


class SortNameField(models.TextField):  # type: ignore[type-arg]
    """The person's shown name as lists order it (`Patient.sort_key_from`, `core.names.sort_key`: case and
    the accents of Latin letters folded, "ñ" kept after "n"; review 35e hole 3), the caseload's order by name
    in SQL (issue #21: a page past the signalled people is cut by the database, `ORDER BY ... LIMIT`).
    Neither SQLite's `lower()` (ASCII only) nor PostgreSQL's collations fold a name as Python does, so the
    key is computed here, on every insert (`save` and `bulk_create` both call `pre_save`) and on every save
    that writes a name (`Patient.save`), and read in code-point order (the "C" collation; SQLite's BINARY):
    the order of Python's own string comparison, which the ranking in Python uses on the same key. Rows
    written before the fold were recomputed by migration `patients/0018_sort_name_folded`."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        patient: Any = model_instance  # a Patient, or the migrations' historical model of one
        key = Patient.sort_key_from(patient.preferred_name, patient.given_name, patient.family_name)
        setattr(patient, self.attname, key)
        return key


class CodePointOrder(Collate):
    """A text column compared code point by code point, as Python compares strings: PostgreSQL's "C"
    collation, SQLite's BINARY (its default). The order of `SortNameField` wherever a list of people is
    ordered by the database: the model's default ordering (lane fix38c) and the caseload's page."""

    def __init__(self, expression: str) -> None:
        super().__init__(expression, "C")

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> _AsSqlType:
        return super().as_sql(compiler, connection, collation="BINARY", **extra_context)


class Patient(models.Model):
    """A person in care at one program. Part 2 records belong to the program that holds them."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="patient"
    )
    record_number = models.CharField(max_length=32)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)  # a self-guided account gives none
    # Administrative gender and birth sex as FHIR R4 and US Core carry them (issue #16).
    gender = models.CharField(
        max_length=8, choices=AdministrativeGender.choices, default=AdministrativeGender.UNKNOWN
    )
    birth_sex = models.CharField(max_length=3, choices=BirthSex.choices, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Where the person lives, an email and an emergency contact (issue #18): protected fields of the field
    # policy (keel.access.policy.PROTECTED_FIELDS), never shown to peer specialists or auditors.
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)  # state or region
    postal_code = models.CharField(max_length=20, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    emergency_contact_name = models.CharField(max_length=100, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    # The language messages to the patient are written in (reminders, activation codes): en or es.
    preferred_language = models.CharField(
        max_length=8, choices=[("en", "English"), ("es", "Español")], default=default_language
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency for edits
    sort_name = SortNameField(blank=True, editable=False)  # `display_name` as lists order it

    class Meta:
        # Lists that do not order people themselves: by the shown name as every list orders it (the folded
        # `sort_name`, in code-point order on both databases), then id (lane fix38c; before, the raw family
        # name: "Álvarez" after "Zapata").
        ordering = [CodePointOrder("sort_name").asc(), "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "record_number"],
                name="patient_record_number_unique_in_program",
                violation_error_message="Another patient in this program already has this record number.",
            )
        ]

    def __str__(self) -> str:
        return f"Patient {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A save that writes a name part writes the sort key too (`SortNameField`)."""
        fields = kwargs.get("update_fields")
        if fields is not None and set(fields) & set(NAME_FIELDS) and "sort_name" not in fields:
            kwargs["update_fields"] = [*fields, "sort_name"]
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.name_from(self.preferred_name, self.given_name, self.family_name)

    @staticmethod
    def name_from(preferred_name: str, given_name: str, family_name: str) -> str:
        """`display_name` from the three fields read as values (the caseload's ranking pass, issue #21)."""
        return f"{preferred_name or given_name} {family_name}"

    @staticmethod
    def sort_key_from(preferred_name: str, given_name: str, family_name: str) -> str:
        """`display_name` as lists order it (`core.names.sort_key`): the stored `sort_name` and the
        caseload's ranking in Python read this one key."""
        return sort_key(Patient.name_from(preferred_name, given_name, family_name))


def zone_of(patient: Patient) -> ZoneInfo:
    """The patient's time zone: their program's."""
    return ZoneInfo(patient.program.time_zone)


def family_first(patient: Patient) -> tuple[str, str, int]:
    """A list ordered by family name, then given name, then id (the window's list), each name as lists order
    it (`core.names.sort_key`: "Ávila" with the A names; review 35e hole 3, lane fix36c)."""
    return sort_key(patient.family_name), sort_key(patient.given_name), patient.pk


def local_today(patient: Patient, now: datetime | None = None) -> date:
    """The patient's calendar day, in their program's time zone."""
    return day_in(patient.program.time_zone, now)


def day_in(time_zone: str, now: datetime | None = None) -> date:
    """The calendar day in a program's time zone (`local_today` for a program's time zone read as a value)."""
    return (now or timezone.now()).astimezone(ZoneInfo(time_zone)).date()


# Whether a death is recorded for the patient row aliased `p` (an episode ended `deceased`), one parameter:
# EndReason.DECEASED. A column of the own-record reads (`user_for_token`, `policy.own_patient_or_404`): after
# a death nothing is read or written by the person's own account (lane dead27), even when the episode was
# ended by another path than `episodes.discharge` (which turns the account off as well).
DEATH_RECORDED_SQL = (
    'EXISTS (SELECT 1 FROM "patients_enrollment" e WHERE e."patient_id" = p."id" AND e."end_reason" = %s)'
)
DEATH_RECORDED = "keel_death_recorded"  # the attribute the own-record reads set on the Patient


def death_recorded(patient_id: int) -> bool:
    """Whether a death is recorded for this person (an episode ended `deceased`): `DEATH_RECORDED_SQL` asked
    of one record, the one Python answer every path asks (lane fix27b): no activation, link or password reset
    code is given or used for her, and no account is made or joined to her record. Asked after the caller
    locked the record (`lock_for_account_change`), it sees a death committed while it waited."""
    return _deaths().filter(patient_id=patient_id).exists()


def _deaths() -> models.QuerySet[Enrollment]:
    """The episodes that record a death (ended `deceased`): the rows `death_recorded`, `death_day` and their
    annotations (`with_death_day`) read."""
    return Enrollment.objects.filter(end_reason=EndReason.DECEASED)


def deceased_ids() -> models.QuerySet[Enrollment, int]:
    """Lane fix35e: the ids of the people whose death is recorded (`_deaths`, the rows `death_recorded`
    reads), as a subquery for a read of many people (`pk__in=deceased_ids()`): the caseload ranks no one of
    them for outreach and the silence scan flags none of them (review 35e)."""
    return _deaths().values_list("patient_id", flat=True)


def _death_days() -> models.QuerySet[Enrollment]:
    """The days a death was recorded as happening, earliest first (`death_day`, `with_death_day`)."""
    return _deaths().filter(ended_on__isnull=False).order_by("ended_on", "id")


def death_day(patient_id: int) -> date | None:
    """The day the death was recorded as happening (the earliest episode ended `deceased`: its `ended_on`,
    which every ended episode holds), or None when `death_recorded` is False: the same rows, read for the
    FHIR Patient's `deceasedDateTime` (review 28a H1). A read of many people asks it in its own statement
    (`with_death_day`)."""
    found: date | None = (
        _death_days().filter(patient_id=patient_id).values_list("ended_on", flat=True).first()
    )
    return found


# Lane fhir29: the attributes `with_death_day` sets on each Patient it reads (`death_recorded` and
# `death_day` of that person, as of the read).
DIED = "keel_died"
DIED_ON = "keel_died_on"


def with_death_day(patients: models.QuerySet[Patient]) -> models.QuerySet[Patient]:
    """Lane fhir29: `patients` with `death_recorded` (`DIED`) and `death_day` (`DIED_ON`) of each person
    asked in the same statement (the same rows: `_deaths`, `_death_days`), so a read of many people (a FHIR
    Patient search) costs no statement a person; `died_of` reads them back. Lane fix30b: and when her death
    was last recorded or undone (`DEATH_CHANGES`, `death_changed`), in the same statement."""
    return patients.annotate(
        **{
            DIED: models.Exists(_deaths().filter(patient_id=models.OuterRef("pk"))),
            DIED_ON: death_day_of_row(),
            **_death_changes(),
        }
    )


def death_day_of_row() -> models.Subquery:
    """`death_day` of the Patient row of the query, asked in its statement (the same rows: `_death_days`):
    `with_death_day`, and the director's measures, where her care ends on that day (review 35c hole 1)."""
    return models.Subquery(_death_days().filter(patient_id=models.OuterRef("pk")).values("ended_on")[:1])


# Lane fix30b (review 30b H1): the attributes `with_death_day` sets on each Patient for when her death was
# last recorded (the latest audited write of an episode that records it) and last undone (`DeathUndone.at`).
DEATH_RECORDED_AT = "keel_death_recorded_at"
DEATH_UNDONE_AT = "keel_death_undone_at"
DEATH_CHANGES = (DEATH_RECORDED_AT, DEATH_UNDONE_AT)


def _death_changes() -> dict[str, models.Subquery]:
    """When the person's death last changed, as annotations of a Patient query (`DEATH_CHANGES`): the
    latest successful audited write (create or update, `target_type` "enrollment") of an episode that
    records her death (`_deaths`: its discharge, `episodes._end_episode`), and the latest undo of one
    (`DeathUndone.at`). The same rows `record._changes` reads for an EpisodeOfCare's `meta.lastUpdated`
    (session 24): an episode keeps no time of its own changes, the audit trail does."""
    outer = models.OuterRef("pk")
    episodes = _deaths().filter(patient_id=models.OuterRef(outer))
    named = episodes.values(named=Cast("pk", models.CharField(max_length=64)))
    recorded = AuditEvent.objects.filter(
        patient_id=outer,
        target_type="enrollment",
        target_id__in=named,
        outcome=Outcome.SUCCESS,
        action__in=[Action.CREATE, Action.UPDATE],
    ).order_by("-occurred_at", "-id")
    undone = DeathUndone.objects.filter(patient_id=outer).order_by("-at", "-id")
    return {
        DEATH_RECORDED_AT: models.Subquery(recorded.values("occurred_at")[:1]),
        DEATH_UNDONE_AT: models.Subquery(undone.values("at")[:1]),
    }


def death_changed(patient: Patient) -> list[datetime]:
    """The instants the person's death was last recorded and last undone (`_death_changes`; none when
    neither happened): as the read that fetched the row asked them (`with_death_day`), else asked now in
    one statement. A FHIR Patient changes with them (`active`, `deceased[x]`): its `meta.lastUpdated` is at
    or after each (FHIR R4 Meta.lastUpdated; review 30b H1)."""
    if all(hasattr(patient, name) for name in DEATH_CHANGES):
        found: tuple[Any, ...] | None = tuple(getattr(patient, name) for name in DEATH_CHANGES)
    else:
        rows = Patient.objects.filter(pk=patient.pk).annotate(**_death_changes())
        found = rows.values_list(*DEATH_CHANGES).first()
    return [at for at in found or () if isinstance(at, datetime)]


def died_of(patient: Patient) -> tuple[bool, date | None]:
    """Whether a death is recorded for this person and its day (`death_recorded`, `death_day`): as the read
    that fetched the row asked them (`with_death_day`), else asked now."""
    if hasattr(patient, DIED) and hasattr(patient, DIED_ON):
        return bool(getattr(patient, DIED)), getattr(patient, DIED_ON)
    if not death_recorded(patient.pk):
        return False, None
    return True, death_day(patient.pk)


def lock_for_account_change(patient_id: int) -> int | None:
    """Inside the caller's transaction: the record's row locked (no key) and its own account's id read under
    the lock. A death's discharge (`episodes.discharge`) and every path that makes or joins an account
    to the record take it: an account made while a death is recorded is either seen and turned off by the
    discharge, or waits for it and then sees the death (`death_recorded`)."""
    found: int | None = (
        Patient.objects.select_for_update(no_key=True)
        .filter(pk=patient_id)
        .values_list("user_id", flat=True)
        .first()
    )
    return found


def died_under_lock(patient_id: int) -> bool:
    """Inside the caller's transaction: the record's row locked (`lock_for_account_change`, the lock a
    death's discharge takes first) and then whether a death is recorded (`death_recorded`), so a death
    committed while the caller waited is seen. The one second look every write that a death refuses takes
    before it writes: emergency access, a disclosure, a consent (review 29b H2)."""
    lock_for_account_change(patient_id)
    return death_recorded(patient_id)


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class EndReason(models.TextChoices):
    COMPLETED = "completed", _("Completed treatment")
    TRANSFERRED = "transferred", _("Transferred to another program")
    LEFT = "left", _("Left care")
    ADMINISTRATIVE = "administrative", _("Administrative discharge")
    DECEASED = "deceased", _("Died")
    OTHER = "other", _("Other")


class EpisodeKind(models.TextChoices):
    """The kind of care an episode is, chosen at admission (issue #18)."""

    OTP = "otp", _("Opioid treatment program")
    OBOT = "obot", _("Office-based buprenorphine")
    COUNSELING = "counseling", _("Counseling")


class Enrollment(models.Model):
    """An episode of care at a program: from its start date to an end date with a reason. At admission the
    desk records its kind and two confirmations, each with who and when: the patient received the Part 2
    patient notice (42 CFR 2.22) and consented to treatment (blank on episodes from before issue #18)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrollments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    # Lane discharge39: the moment the discharge ended the episode (`core.discharge.discharge_moment`: when a
    # discharge of today was recorded, the end of an earlier day's), the one definition of "after the
    # discharge" (`discharged_before`); an episode ended before this column: the start of its end day on the
    # program's clock (migration 0020). None while the episode is open (an undone death clears it).
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    kind = models.CharField(max_length=16, choices=EpisodeKind.choices, blank=True)
    notice_given_at = models.DateTimeField(null=True, blank=True)
    notice_given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Not a column: the version of all the person's medication orders (`treatment.queries.orders_version`) as
    # a discharge left them (its orders stopped), read in the discharge's transaction under the episode's
    # lock (session 24): the API's discharge answer's `orders_version`; "" on an episode read back.
    orders_version_after: str = ""
    # Not a column: whether the discharge that ended this episode (a death recorded) turned the person's own
    # account off (lane dead27): the staff member is told; False on an episode read back.
    ended_own_account: bool = False

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="enrollment_ends_after_start",
                violation_error_message="An enrollment cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=(Q(status="active", ended_on__isnull=True, end_reason=""))
                | (Q(status="ended", ended_on__isnull=False) & ~Q(end_reason="")),
                name="enrollment_status_matches_end",
                violation_error_message=(
                    "An active enrollment has no end; an ended one has an end date and reason."
                ),
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="enrollment_one_active_per_patient",
                violation_error_message="This patient already has an active enrollment.",
            ),
        ]

    def __str__(self) -> str:
        return f"enrollment {self.pk} ({self.status})"


def episode_ended_on(patient: Patient, day: date) -> Enrollment | None:
    """The person's latest episode of care when a discharge ended it on `day` (her program's calendar) and
    she is not in care again (lane discharge39: a late entry of that day is judged by its moment,
    `discharge_moment_of`); None otherwise (in care, never admitted, or ended on another day)."""
    latest = Enrollment.objects.filter(patient=patient).order_by("-started_on", "-id").first()
    if latest is None or latest.status != EnrollmentStatus.ENDED or latest.ended_on != day:
        return None
    return latest


def discharge_moment_of(episode: Enrollment) -> datetime:
    """When the discharge ended `episode` (an ended one): its `ended_at`; an ended row without one (written
    by another path than `episodes.discharge`) the start of its end day on the program's clock, as migration
    0020 filled the old rows (`core.discharge.start_of_day`: it refuses every dose of that day after it)."""
    if episode.ended_at is not None:
        return episode.ended_at
    assert episode.ended_on is not None  # an ended episode holds its end day (the model's constraint)
    return start_of_day(episode.ended_on, ZoneInfo(episode.program.time_zone))


class CareTeamMember(models.Model):
    """A staff member assigned to a patient's care. Clinical staff see only their team's patients."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_assignments"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user"],
                name="care_team_unique",
                violation_error_message="This person is already on the care team.",
            )
        ]
        indexes = [models.Index(fields=["user", "patient"], name="care_team_user_patient")]

    def __str__(self) -> str:
        return f"care team {self.patient_id}: {self.user_id}"


class FlagKind(models.TextChoices):
    SUICIDE_RISK = "suicide_risk", _("Positive suicide screen")
    REPORTED_USE = "reported_use", _("Reported use")
    RISING_CRAVING = "rising_craving", _("Rising craving")
    MISSED_MEDICATION = "missed_medication", _("Missed medication")
    WORSENING_MOOD = "worsening_mood", _("Worsening mood")
    SILENCE = "silence", _("No check-in after a daily habit")
    CONTACT_REQUEST = "contact_request", _("Asked the care team to reach out")
    DOSE_HELD = "dose_held", _("Dose held: a prescriber must assess")
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access to this record")
    FIRST_DOSE_COWS = "first_dose_cows", _("The COWS of a first dose was corrected: a prescriber must check")


class PatientFlag(models.Model):
    """Something the care team must see on the patient's record, with its reasons; resolved by staff."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=40, choices=FlagKind.choices)
    priority = models.PositiveSmallIntegerField(default=1)  # 0 = highest
    reasons = models.JSONField(default=list)  # English, as the API and the audit carry them
    # Each reason as the rule said it, to show in the reader's language: {"template", "params"} (a template
    # marked for the catalogue in the core; params: numbers, words, or lists of words); [] for older rows
    said = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list)
    source_type = models.CharField(max_length=40)
    source_id = models.BigIntegerField()
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["priority", "-raised_at", "-id"]  # ties said in one order (review 21)
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"],
                name="flag_once_per_source",
                violation_error_message="This flag was already raised for this record.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(resolution_note=""),
                name="flag_resolution_has_note",
                violation_error_message="Resolving a flag needs a note.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "resolved_at"], name="flag_patient_open")]

    def __str__(self) -> str:
        return f"flag {self.kind} for patient {self.patient_id}"

    @property
    def version(self) -> int:
        """The flag as read (lane fix38n, re38r finding 3): the count of its reasons. Every change a reader
        must see before resolving it (a note added as its result is corrected, a reopening) adds a reason;
        a resolve names the version it read (`patients.services.flags.resolve_flag`)."""
        return len(self.reasons or [])


class EmergencyAccess(models.Model):
    """Break-the-glass: a clinician of the patient's program who is not on the care team opens the record for
    a medical emergency, with a reason, for a limited time (SECURITY.md T12). Raising it flags the record for
    the care team and writes an `emergency_access` audit row; it is never edited, only ended early."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="emergency_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_grants"
    )
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("started_at")),
                name="emergency_expires_after_start",
                violation_error_message="Emergency access must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="emergency_has_reason",
                violation_error_message="Emergency access needs a reason.",
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"], name="emergency_user_expiry")]

    def __str__(self) -> str:
        return f"emergency access {self.pk}"


class ActivationCode(models.Model):
    """A one-time code handed to a patient at the desk (issue #18) to make their own account on their phone.
    Only a SHA-256 digest is stored; the code is shown once. A newer code replaces any unused older one."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="activation_codes")
    # "activate": makes the patient's account; "reset": sets a new password on it (a desk reset, issue #18)
    purpose = models.CharField(
        max_length=8, choices=[("activate", "activate"), ("reset", "reset")], default="activate"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="activation_expires_after_creation",
                violation_error_message="An activation code must expire after it is made.",
            )
        ]

    def __str__(self) -> str:
        return f"activation code {self.pk}"


class SecondFactorReset(models.Model):
    """A patient's second factor removed by a clinician of their care team (issue #18), with the reason they
    typed. The typed reason is kept here, never on the audit row (review 19d): the `mfa` audit row says the
    reason is kept on the reset."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="second_factor_resets")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField()
    devices_removed = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"second factor reset {self.pk}"


class PatientPhoto(models.Model):
    """The one current photo of a patient, to know them at the dosing window (issue #18).

    Kept in the database (app processes keep no local files): the bytes as Keel re-encoded them (JPEG, at most
    480 px a side, no metadata), never the file as uploaded. A new photo replaces the row; nothing of the old
    one is kept."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="photo")
    data = models.BinaryField()
    content_type = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"PatientPhoto {self.pk}"


class DeathUndone(models.Model):
    """A death recorded by mistake, undone by a program admin of the episode's program
    (`patients.services.deaths.undo_death`), with the reason she typed: kept here, never on the audit row (as
    `SecondFactorReset`). `ended_on` is the day the episode had been ended as a death; `recorded_at` when the
    death was recorded (the window `KEEL_DEATH_UNDO_DAYS` is counted from it); `own_account` the person's
    own account the undo left off and unjoined from her record (None when she had none)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="deaths_undone")
    episode = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField()
    ended_on = models.DateField()
    recorded_at = models.DateTimeField()
    own_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"death undone {self.pk}"
