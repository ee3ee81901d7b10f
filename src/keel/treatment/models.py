"""Medication treatment records: program policy, orders (MedicationRequest-shaped), observed doses
(append-only, corrected by amendments), prescriber overrides, take-home plans and QTc measurements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import connection, models
from django.db.models import OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from keel.accounts.models import Program
from keel.core.decision import Reason
from keel.db.params import SQLParam
from keel.patients.models import Patient


class PolicySetting(models.Model):
    """A program's value for one policy field of one rule (absent: the rule's default)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="policy_settings")
    rule = models.CharField(max_length=60)
    field = models.CharField(max_length=60)
    value = models.JSONField(null=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "rule", "field"],
                name="policy_setting_unique",
                violation_error_message="This policy value is already set; change it instead.",
            )
        ]

    def __str__(self) -> str:
        return f"policy {self.rule}.{self.field}"


class PolicyChange(models.Model):
    """Append-only history of policy changes (also in the audit trail)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="policy_changes")
    rule = models.CharField(max_length=60)
    field = models.CharField(max_length=60)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"policy change {self.pk}"


class Medication(models.TextChoices):
    METHADONE = "methadone", _("Methadone")
    BUPRENORPHINE = "buprenorphine", _("Buprenorphine")
    NALTREXONE_XR = "naltrexone_xr", _("Extended-release naltrexone")


# RxNorm ingredient codes (reference 16.2, verified ones only).
RXNORM = {"methadone": "6813", "buprenorphine": "1819", "naltrexone_xr": "7243"}


class OrderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    STOPPED = "stopped", _("Stopped")
    SUPERSEDED = "superseded", _("Replaced by a newer order")


class MedicationOrder(models.Model):
    """A prescription (FHIR MedicationRequest-shaped). A dose change is a new order that supersedes the old;
    there is no maximum maintenance dose and no "target" (reference correction 1): doses are titrated."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medication_orders")
    medication = models.CharField(max_length=20, choices=Medication.choices)
    rxnorm = models.CharField(max_length=12)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    frequency = models.CharField(max_length=40, default="once daily")
    route = models.CharField(max_length=20, default="oral")
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=OrderStatus.ACTIVE)
    starts_on = models.DateField()
    note = models.TextField(blank=True)
    home_start = models.BooleanField(default=False)  # buprenorphine started at home with the SOWS check
    # A low-dose ("micro") start: the clinician's plan [{"day": 1, "mg": 0.5}, ...] (never hard-coded).
    schedule = models.JSONField(default=list, blank=True)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # written to start after the day it was written (the prescriber's next step): not in force before
    # `starts_on` (`IN_FORCE_SQL`); the order it supersedes stays in force until then
    deferred = models.BooleanField(default=False)
    # Methadone: the dose the prescriber's QTc gate compared this order with when it was written (review 20a:
    # the order in force then, else the last methadone across episodes, `services.qtc.last_methadone_mg`);
    # 0: a start. Kept so that a later supersession or a readmission cannot change what it raised from: at
    # the window a total above it, on a QTc of 500 ms or more recorded after the order was written and no
    # prescriber's QTc reason, is blocked (`guards.order_on_high_qtc`). None: buprenorphine, or written before
    # this column (a deferred one was filled from the order it superseded).
    raised_from_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # The prescriber's reason for a methadone raise or start on a QTc of 500 ms or more (`orders.qtc_gate`;
    # blank: none was needed or given). The one record the QTc gate and the window read (review 20a: a note
    # that merely held the words of the old marker counted as the reason); the note still says it in words.
    qtc_reason = models.TextField(blank=True, default="")
    # Methadone: the id of the person's newest QTc row when the prescriber's QTc gate read the QTc; 0: none on
    # file (review 21m: two clocks taken before either row was saved cannot say which came first; a QTc saved
    # after the gate's read, whatever its `recorded_at`, was never weighed: `qtc.qtc_unseen`). None:
    # buprenorphine, or written before this column (the QTc's `recorded_at` against `created_at` then).
    qtc_seen_id = models.BigIntegerField(null=True, blank=True)
    # Not a column: what `prescribe` warned of with this order (a QTc over 450 ms, Krantz 2009), the API's
    # answer's `warnings`; empty on an order read back.
    warnings: tuple[Reason, ...] = ()
    # Not a column: the version of all the person's orders (`queries.orders_version`) as `prescribe` left
    # them, read under the person's lock just after this order was written (session 24): the API's answer's
    # `orders_version`, so a client writes again without reading again; "" on an order read back.
    orders_version_after: str = ""
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # Lane switch39: an order of another medication that stopped this one (the prescriber's "stop" choice,
    # `keel.core.rules.switching`): status SUPERSEDED, kept; in force until `ends_on`, the new order's start
    # day (`IN_FORCE_SQL`). Both None for every other order.
    switched_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="switched_from"
    )
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "medication"],
                condition=Q(status="active"),
                name="order_one_active_per_medication",
                violation_error_message="This patient already has an active order for this medication.",
            ),
            models.CheckConstraint(
                condition=Q(dose_mg__gt=0),
                name="order_dose_positive",
                violation_error_message="A dose must be above 0.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "medication", "status"], name="order_patient_med")]

    def __str__(self) -> str:
        return f"order {self.pk}"


# The order in force on a day (review 19a: an order written today to start next Monday governed today's dose):
# of a person's orders of one medication, the one written last (the highest id; a clock passed to `prescribe`
# may say otherwise) among those started by that day (`starts_on` on or before it, or not `deferred`: written
# to start the day it was written, as every order before review 19a); none when that one is stopped
# (discharge). A new order supersedes the active one when it is written (status SUPERSEDED: "replaced by a
# newer order"), but the old one stays in force until the new one's start day; an order that starts later
# than a newer one never comes into force. `IN_FORCE_SQL` (alias o; `in_force_params`) and `in_force_q` are
# the one definition in SQL and in the ORM; `order_in_force` picks it from orders already read.
# tests/treatment/test_order_in_force.py holds them to each other.
MAY_BE_IN_FORCE_SQL = (  # in force on some day from the second date to the first (any status)
    '(o."starts_on" <= %s OR NOT o."deferred") AND NOT EXISTS (SELECT 1 FROM "treatment_medicationorder" n '
    'WHERE n."patient_id" = o."patient_id" AND n."medication" = o."medication" '
    'AND (n."starts_on" <= %s OR NOT n."deferred") '
    'AND n."id" > o."id")'
)
# lane switch39: an order a switch to another medication stopped is not in force from the new one's start
IN_FORCE_SQL = 'o."status" <> %s AND (o."ends_on" IS NULL OR o."ends_on" > %s) AND ' + MAY_BE_IN_FORCE_SQL


def in_force_params(day: date, *, stopped: bool = False) -> list[SQLParam]:
    """The parameters of `IN_FORCE_SQL` for a day. `stopped`: the order that was in force, stopped or not
    (only a discharge stops an order: a late entry of a dose given before today's discharge is given
    against the order it stopped, lane discharge39)."""
    on = connection.ops.adapt_datefield_value(day)
    return ["" if stopped else OrderStatus.STOPPED, on, on, on]


def in_force_q(day: date, *, newer_from: date | None = None) -> Q:
    """The orders in force on `day`, as a filter of MedicationOrder: the last written that has started (an
    order written to start later does not govern today). Every read of "the current order" goes through it
    (`IN_FORCE_SQL`, `order_in_force`). `newer_from` (people whose today differs
    by zone): the orders in force on some day from `newer_from` to `day` (pick each person's with
    `order_in_force`; stopped ones are among them, so that a stopped order stops the older ones too)."""
    later = MedicationOrder.objects.filter(
        Q(starts_on__lte=newer_from or day) | Q(deferred=False),
        patient=models.OuterRef("patient"),
        medication=models.OuterRef("medication"),
        id__gt=models.OuterRef("id"),
    )
    candidates = (Q(starts_on__lte=day) | Q(deferred=False)) & Q(~models.Exists(later))
    if newer_from is not None:
        return candidates
    return candidates & ~Q(status=OrderStatus.STOPPED) & (Q(ends_on__isnull=True) | Q(ends_on__gt=day))


def pending_successor(day: date) -> Q:
    """Superseded orders still in force after `day` (the newer order starts later): a discharge on `day`
    stops them with the active one, else one would govern a readmission's days."""
    return Q(
        status=OrderStatus.SUPERSEDED, superseded_by__deferred=True, superseded_by__starts_on__gt=day
    ) | Q(status=OrderStatus.SUPERSEDED, ends_on__gt=day)  # lane switch39: a switch that starts later


def order_in_force(orders: Iterable[MedicationOrder], day: date) -> MedicationOrder | None:
    """The order in force on `day` among one person's orders of one medication (all that could be)."""
    started = [o for o in orders if o.starts_on <= day or not o.deferred]
    if not started:
        return None
    last = max(started, key=lambda o: o.pk)
    ended = last.ends_on is not None and last.ends_on <= day  # lane switch39: stopped by a switch
    return None if last.status == OrderStatus.STOPPED or ended else last


class DoseStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    HELD = "held", _("Held")


class DoseRecord(models.Model):
    """One observed dose (or a hold) at the window. Append-only: corrections are DoseAmendment rows.

    `sequence` numbers the doses of one day (1 = the first); two nurses recording the same slot collide on the
    unique constraint, and the second is told so."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="doses")
    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="doses")
    medication = models.CharField(max_length=20, choices=Medication.choices)
    local_date = models.DateField()
    sequence = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=DoseStatus.choices)
    amount_mg = models.DecimalField(max_digits=7, decimal_places=2)
    site = models.CharField(max_length=20, blank=True)  # injections: left_gluteal / right_gluteal
    treatment_day = models.PositiveIntegerField()
    decision = models.JSONField()  # the dose check's decision, reasons and policy values
    override = models.ForeignKey(
        "DoseOverride", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The early re-dose override that lifted the re-dose interval for this dose (review 35f, lane fix36c): a
    # dose on both a limit override (`override`) and an early re-dose override names both.
    redose_override = models.ForeignKey(
        "DoseOverride", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # When the dose was given, if earlier than it was recorded (blank: given when recorded). FHIR's
    # MedicationAdministration.effective is this time, never the moment the row was typed (issue #16).
    given_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-local_date", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "medication", "local_date", "sequence"],
                name="dose_slot_unique",
                violation_error_message="This dose was already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(amount_mg__gte=0),
                name="dose_amount_not_negative",
                violation_error_message="A dose cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["medication", "local_date"], name="dose_med_day"),
            # The caseload's "no observed dose lately" (issue #21: who may have missed days) reads the doses
            # of a few days of everyone from the index alone, never the table (SQLite ignores INCLUDE).
            models.Index(
                fields=["medication", "local_date"],
                include=["patient", "id"],
                condition=Q(status="given", amount_mg__gt=0),
                name="dose_given_day",
            ),
        ]

    def __str__(self) -> str:
        return f"dose {self.pk}"


# The correction in force of a recorded dose (lane fix36d; fix35a's item 5a): its latest amendment in the
# order written, the highest id, never the app server's clock. Every correction of a dose is written under
# the dose's row lock (`correction_versions.check_correction_version`, fix34a), so the id order is the write
# order; `amended_at` only tells when (two in the same second, or a clock stepped back, ordered them
# otherwise, and screens disagreed). `AMENDMENT_ORDER` (oldest first: `DoseAmendment.Meta.ordering`, so
# `dose.amendments`), `in_written_order`, `newest_first`, `latest_amendment` (the ORM) and
# `latest_amendment_sql`, `amendment_order_sql` (hand-written SQL) are the one definition every read uses
# (the window's context and count, corrections, take-homes, readiness, the caseload, the measures, FHIR, the
# API and the pages); tests/treatment/test_correction_in_force_fix36d.py holds them to it.
AMENDMENT_ORDER = ("id",)


class DoseAmendment(models.Model):
    """A correction of a dose record: the corrected amount (or a void), with a reason. Never an edit. The one
    in force is the latest written (`AMENDMENT_ORDER`)."""

    dose = models.ForeignKey(DoseRecord, on_delete=models.PROTECT, related_name="amendments")
    corrected_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    voided = models.BooleanField(default=False)
    reason = models.TextField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField()
    # Not a column: what the correction changed of the take-home bottles (`redecide_bottles`' reasons: taken
    # back, kept back, handed out), what `amend_dose` tells the page and the API's answer (`warnings`); empty
    # on a correction read back.
    warnings: tuple[Reason, ...] = ()

    class Meta:
        ordering = list(AMENDMENT_ORDER)
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="amendment_has_reason",
                violation_error_message="An amendment needs a reason.",
            ),
            models.CheckConstraint(
                condition=Q(voided=True, corrected_mg__isnull=True) | Q(voided=False, corrected_mg__gte=0),
                name="amendment_corrects_or_voids",
                violation_error_message="An amendment either gives the corrected amount or voids the dose.",
            ),
        ]

    def __str__(self) -> str:
        return f"amendment {self.pk}"


def in_written_order(amendments: QuerySet[DoseAmendment]) -> QuerySet[DoseAmendment]:
    """`amendments` oldest first, in the order written (`AMENDMENT_ORDER`): the last is the one in force."""
    return amendments.order_by(*AMENDMENT_ORDER)


def newest_first(amendments: QuerySet[DoseAmendment]) -> QuerySet[DoseAmendment]:
    """`amendments` newest first, in the order written (`AMENDMENT_ORDER`): the first is the one in force."""
    return amendments.order_by(*(f"-{column}" for column in AMENDMENT_ORDER))


def latest_amendment() -> QuerySet[DoseAmendment]:
    """The outer row's dose's amendments (`OuterRef("pk")`), the one in force first (`[:1]`): a subquery."""
    return newest_first(DoseAmendment.objects.filter(dose=OuterRef("pk")))


def latest_amendment_sql(column: str, dose: str) -> str:
    """The hand-written `latest_amendment`: `column` of the correction in force of the dose whose id is the
    SQL expression `dose` (NULL: none), a scalar subquery (alias w)."""
    order = ", ".join(f'w."{c}" DESC' for c in AMENDMENT_ORDER)
    return (
        f'(SELECT w."{column}" FROM "treatment_doseamendment" w '  # noqa: S608 # nosec B608
        f'WHERE w."dose_id" = {dose} ORDER BY {order} LIMIT 1)'
    )


def amendment_order_sql(alias: str) -> str:
    """The hand-written `in_written_order` of amendments joined as `alias`: an ORDER BY's terms."""
    return ", ".join(f'{alias}."{c}"' for c in AMENDMENT_ORDER)


class OverrideKind(models.TextChoices):
    LIMIT = "limit", _("Past a dose limit")
    START = "start", _("A first buprenorphine dose before the verdict is ready")
    HOURS = "hours", _("A dose outside the dosing window's hours")
    INTERVAL = "interval", _("An XR-naltrexone injection before the program's minimum interval")
    SWITCH = "switch", _("Methadone the same day as buprenorphine (a switch)")
    # Lane meth35: a dose sooner than the re-dose interval (a split dose, a re-dose after reassessment); a
    # limit override covers the day's total only, never the interval (issue #13)
    REDOSE = "redose", _("A dose sooner than the re-dose interval (an early re-dose)")


class DoseOverride(models.Model):
    """A prescriber's documented reason to go past a guard rail for one patient on one day (a dose limit, the
    readiness gate of a first buprenorphine dose, the re-dose interval: `OverrideKind`, each kind lifting its
    own guard only); never past a hard bound; it ends with the day, or
    earlier with the episode it was written in (discharge sets `ended_at`; the row stays in the record)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="dose_overrides")
    medication = models.CharField(max_length=20, choices=Medication.choices)
    kind = models.CharField(max_length=8, choices=OverrideKind.choices, default=OverrideKind.LIMIT)
    local_date = models.DateField()
    max_total_mg = models.DecimalField(max_digits=7, decimal_places=2)
    reason = models.TextField()
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # the episode ended (discharge): no longer applies

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="override_has_reason",
                violation_error_message="An override needs a reason.",
            )
        ]
        indexes = [models.Index(fields=["patient", "medication", "local_date"], name="override_patient_day")]

    def __str__(self) -> str:
        return f"override {self.pk}"


class PlanEnd(models.TextChoices):
    """What ended a take-home plan (session 24, lane bot24): the one truth the bottle decisions read of its
    state (`services.doses.bottles`: a keep back or "nothing given" of today is the one end a dose later
    that day undoes), where they matched the English end reason with a regex before. The reason stays, for
    people to read."""

    PRESCRIBER = "prescriber", _("Ended by a prescriber")
    HOLD = "hold", _("A dose held for sedation or intoxication")
    DISCHARGE = "discharge", _("The episode of care ended")
    KEPT_BACK = "kept_back", _("The run kept back at the window")
    NOTHING_GIVEN = "nothing_given", _("No dose given today stands")
    VOIDED = "voided", _("The dose the run was to go home with was voided or corrected to 0 mg")
    TAKEN_BACK = "taken_back", _("The run's bottles from today taken back after a correction down")
    # an end the bottle decisions wrote over an earlier one, kept in the reason: never undone by a dose
    AFTER_EARLIER_END = "after_earlier_end", _("Ended again after an earlier end, kept in the reason")
    # lane end28: a "nothing given" end of an earlier day whose dose was later corrected back up: the end
    # stands (never undone, never read as a keep back), its bottles may be at home
    CORRECTED_BACK = "corrected_back", _("The dose of the day it ended on was corrected back up after 0 mg")
    # lane fix28d (review 28d holes 1 and 2): ended before a day dosed at the window (`never_over_window`):
    # never undone by a correction (a prescriber decides); its words follow the record (`window_end_words`)
    WINDOW_DOSED = "window_dosed", _("Ended before a day a dose was given at the window")


class TakeHomePlan(models.Model):
    """A take-home decision: the criteria the clinician documented, the rule's decision and the bottles."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="take_home_plans")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    days_in_treatment = models.PositiveIntegerField()
    criteria = models.JSONField()
    decision = models.JSONField()
    max_supply_days = models.PositiveSmallIntegerField()
    bottles = models.JSONField(default=list)  # ISO dates
    # The episode of care the plan belongs to (issue #13): a readmission never inherits it. Rows made before
    # this field belong to the episode in which they were decided. Discharge ends the plan: bottles after
    # `ended_on` cover nothing.
    enrollment = models.ForeignKey(
        "patients.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="take_home_plans"
    )
    ended_on = models.DateField(null=True, blank=True)  # the last day its bottles cover
    open_flags = models.JSONField(default=list, blank=True)  # what weighed against it, each acknowledged
    # A prescriber ended it early (issue #13: a mistaken plan, bottles lost or returned, a relapse): who, when
    # and why. The plan stays in the record; discharge ends plans without these.
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True, default="")
    returned_days = models.JSONField(default=list, blank=True)  # ISO dates of bottles brought back unopened
    # Session 22: the mg each bottle holds, by its ISO day, recorded when it is handed out (at the observed
    # dose the day before its run, or at the decision for a run starting that day): the dose of the order in
    # force on its day, once the window's verdict today allows it (`services.doses.bottles`). A day not here
    # was not handed out yet, or the plan was decided before this was kept (its bottles held the order's
    # dose, as the FHIR export still reads them).
    bottle_mg = models.JSONField(default=dict, blank=True)
    # Session 23 (review 22t holes 1 and 2): the bottles the record said were handed out and then took back
    # (ISO day -> the mg it had been recorded with): the dose they went home with was corrected or voided, so
    # the window's verdict no longer covers them (`services.doses.bottles.redecide_bottles`). A day handed
    # out again since is in `bottle_mg` only. What the FHIR export reads to never call such a bottle handed
    # over (`interop.fhir.treatment`).
    bottles_taken_back = models.JSONField(default=dict, blank=True)
    # Lane bottle39 (re-attack 38t finding 1): the earliest moment she was told she may drink a bottle whose
    # day follows an observed dose (ISO day -> ISO instant, UTC): that day's last counted dose plus the
    # program's same_day_hours, when that falls inside the bottle's day (`core.take_home_bottles.not_before`).
    # Written when it is handed out, decided again at every change of that day's total (a void removes it).
    bottle_not_before = models.JSONField(default=dict, blank=True)
    # Session 24 (lane bot24): what ended it (`PlanEnd`; blank: it stands, or an end written before this was
    # kept and read from its reason by migration 0023), beside `end_reason`, the words people read.
    end_kind = models.CharField(max_length=24, choices=PlanEnd.choices, blank=True, default="")
    # Session 27 (review 27a hole 4): the end an `AFTER_EARLIER_END` was written over (its `ended_on`,
    # `ended_by` id, `ended_at`, `end_reason`, `end_kind`, and `over`: the kind the bottle decision wrote),
    # so a correction back up that undoes a voided end restores a prescriber's end exactly (blank: none).
    earlier_end = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"take-home plan {self.pk}"


class QtcRecord(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="qtc_records")
    qtc_ms = models.PositiveSmallIntegerField()
    measured_on = models.DateField()
    decision = models.JSONField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-measured_on", "-id"]

    def __str__(self) -> str:
        return f"QTc {self.pk}"


class Intake(models.Model):
    """A structured intake (substance-use history, risks). Append-only: a new intake is a new row; the latest
    is current. `overdose_risk` keeps the overdose-risk decision made when it was recorded."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="intakes")
    values = models.JSONField()
    overdose_risk = models.JSONField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "recorded_at"], name="intake_patient_time")]

    def __str__(self) -> str:
        return f"intake {self.pk}"


class UseReportSource(models.TextChoices):
    CARE_TEAM = "care_team", _("The care team")
    PERSON = "person", _("The person, on their home-start page")


class LastUseReport(models.Model):
    """Times of last use reported after an intake: by the care team on the start page, or by the person at
    home before a home start. Append-only. `opioids` is a list of {opioid, last_use_at}; an empty list says
    "no opioid since". Readiness reads the latest intake and every report made after it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="last_use_reports")
    opioids = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=16, choices=UseReportSource.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["patient", "reported_at"], name="last_use_patient_time")]

    def __str__(self) -> str:
        return f"last-use report {self.pk}"


# The opioids Keel asks about (`keel.core.opioids.OPIOIDS`), spelled out here so that a migration does not
# change when the core's tuple is reordered.
_OPIOID_CODES = ("heroin", "fentanyl", "rx_short", "rx_long", "methadone", "buprenorphine")


class LastUseCorrection(models.Model):
    """A prescriber strikes a mistaken time of last use of one opioid (issue #13: 22:00 typed for 02:00, or
    the wrong day), with a reason of substance. Append-only: a correction is never edited or deleted.

    Readiness (`keel.treatment.readiness.read_last_uses`) reads every time of last use of `opioid` reported
    (an intake or a report of last use) at exactly `struck_at` and recorded at or before `recorded_at` as
    `corrected_at` instead, or as not reported when `corrected_at` is null ("that time was wrong and that
    record gives no other"). A time reported again after the correction counts again (a new answer). The
    program's own records (doses, take-home days, fills) are never struck. A later time is never a
    correction (it is a new report of last use), so `corrected_at` is earlier than `struck_at`."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="last_use_corrections")
    opioid = models.CharField(max_length=16)
    struck_at = models.DateTimeField()
    corrected_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "recorded_at"], name="last_use_fix_patient_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(opioid__in=_OPIOID_CODES),
                name="last_use_fix_opioid_known",
                violation_error_message="The opioid is not one Keel asks about.",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="last_use_fix_has_reason",
                violation_error_message="A correction needs a reason.",
            ),
            models.CheckConstraint(
                condition=Q(corrected_at__isnull=True) | Q(corrected_at__lt=models.F("struck_at")),
                name="last_use_fix_moves_earlier",
                violation_error_message="A corrected time is earlier than the time it strikes.",
            ),
        ]

    def __str__(self) -> str:
        return f"last-use correction {self.pk}"


class FillSource(models.TextChoices):
    PHARMACY = "pharmacy", _("The pharmacy")
    PDMP = "pdmp", _("The state prescription monitoring program")
    PATIENT = "patient", _("The patient (bottle or receipt seen)")


class MedicationFill(models.Model):
    """An order filled at a pharmacy, with its days' supply: how medication taken at home (buprenorphine from
    a pharmacy, above all) counts as covered days in the quality measures. Append-only; a wrong row is
    voided by a new one with a reason, never edited."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="fills")
    order = models.ForeignKey(MedicationOrder, on_delete=models.PROTECT, related_name="fills")
    filled_on = models.DateField()
    days_supply = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=10, choices=FillSource.choices)
    voids = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="voided_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-filled_on", "-id"]
        indexes = [models.Index(fields=["patient", "filled_on"], name="fill_patient_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(days_supply__gte=1, days_supply__lte=365),
                name="fill_days_supply_1_365",
                violation_error_message="A days' supply runs from 1 to 365.",
            ),
            models.CheckConstraint(
                condition=Q(voids__isnull=True) | ~Q(reason=""),
                name="fill_void_has_reason",
                violation_error_message="Voiding a fill needs a reason.",
            ),
        ]

    def __str__(self) -> str:
        return f"fill {self.pk}"


class NaloxoneProduct(models.TextChoices):
    NASAL_4 = "nasal_4mg", _("Nasal spray 4 mg")
    NASAL_8 = "nasal_8mg", _("Nasal spray 8 mg")
    INJECTION = "injection", _("Injection")


class NaloxoneKit(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="naloxone_kits")
    product = models.CharField(max_length=20, choices=NaloxoneProduct.choices)
    quantity = models.PositiveSmallIntegerField(default=1)
    dispensed_on = models.DateField()
    dispensed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-dispensed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=10),
                name="naloxone_quantity_1_10",
                violation_error_message="Between 1 and 10 kits.",
            )
        ]

    def __str__(self) -> str:
        return f"naloxone kit {self.pk}"


class CareArea(models.TextChoices):
    MEDICATION = "medication", _("Medication")
    COUNSELING = "counseling", _("Counseling (CBT)")
    PEER_SUPPORT = "peer_support", _("Peer support and meetings")
    OTHER = "other", _("Other")


class CareGoal(models.Model):
    """One goal of the care plan: what, who is responsible, when it is reviewed."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_goals")
    area = models.CharField(max_length=20, choices=CareArea.choices)
    goal = models.CharField(max_length=300)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_on = models.DateField()
    status = models.CharField(max_length=10, default="active")  # active | met | stopped
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["area", "review_on", "id"]

    def __str__(self) -> str:
        return f"care goal {self.pk}"


class PatientPolicyOverride(models.Model):
    """A prescriber's change of one policy value for one patient, with a written reason (reference preface).
    Bounded like program policy (the federal limits are the fields' own bounds). Revoked, never edited."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="policy_overrides")
    rule = models.CharField(max_length=60)
    field = models.CharField(max_length=60)
    value = models.JSONField(null=True)
    reason = models.TextField()
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule", "field"],
                condition=Q(revoked_at__isnull=True),
                name="patient_policy_one_active",
                violation_error_message="This value already has an override for this patient.",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="patient_policy_has_reason",
                violation_error_message="A reason is required.",
            ),
        ]

    def __str__(self) -> str:
        return f"patient policy {self.rule}.{self.field}"
