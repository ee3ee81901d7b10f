"""Medication treatment reads, one module per subdomain (as `keel.treatment.services` and `.api` are):

- `doses`: what a dose context is made of (`DoseContext`, the doses taken, the hours since the last dose,
  each person's current episode);
- `contexts`: the dosing window's context per person (`dose_context` for one, `dose_contexts` for many: the
  one place doses, amendments, the episode, take-home days and holds are read together);
- `missed`: the observed days missed in a row, for everyone at once (the caseload), read in the statement
  that lists the people;
- `window`: today's dosing list and one person's row of it;
- `hours`: each program's dosing window now, as the dosing page shows it, and a program's closure days;
- `take_home_plans`: the take-home plans of the current episode and the days they cover (a run that never
  left the clinic ends its plan on read, `as_handed_out`);
- `take_homes`: the take-home review (days in treatment, concerns, the federal supply);
- `qtc`: the person's recent QTc (the gate on a raise, a day's override and a dose above the order; the
  warnings and the record's notice);
- `record`: the medication record; `start`: the buprenorphine start page; `care_plan`: the patient's own care
  plan; `orders`: the order in force on a day and the day's overrides (every dose reads them), a low-dose
  schedule and an order as FHIR.

Functions taking `user` read through the access policy (one audit row); the others take a patient already
scoped by their caller. Every public name is re-exported here, so `from keel.treatment.queries import X`
serves every caller; a test that patches a name patches it on the module that uses it.
"""

from keel.treatment.queries.care_plan import latest_kit, my_care_plan
from keel.treatment.queries.contexts import (
    context_after_dose,
    dose_context,
    dose_context_and_reads,
    dose_contexts,
)
from keel.treatment.queries.doses import (
    MISS_LOOKBACK,
    DoseContext,
    correction_version,
    effective_mg,
    episode_firsts,
    hours_since,
    hours_since_last_dose,
    is_taken,
    last_dose_day_before,
    slot_recorded,
    taken_doses,
)
from keel.treatment.queries.hours import WindowNote, closure_dates, window_notes
from keel.treatment.queries.missed import (
    MISSED_READS,
    MissedReads,
    count_missed,
    in_chunks,
    missed_days,
    with_missed_day_reads,
)
from keel.treatment.queries.orders import (
    active_order,
    active_others,
    day_overrides,
    newest_order,
    order_fhir,
    order_version,
    order_versions,
    orders_version,
    schedule_rows,
    versions_in,
)
from keel.treatment.queries.qtc import dose_review_qtc, recent_qtc, recent_qtc_ms
from keel.treatment.queries.record import MedicationRecord, medication_record
from keel.treatment.queries.start import StartView, latest_intake, start_view
from keel.treatment.queries.take_home_plans import (
    EpisodePlan,
    PlanCover,
    as_handed_out,
    bottle_days,
    bottles_at_home,
    bottles_not_before,
    call_back,
    episode_plans,
    episode_take_home_plans,
    held_bottles,
    plan_days,
)
from keel.treatment.queries.take_homes import (
    MISSED_CONCERN_DAYS,
    TakeHomeConcern,
    TakeHomeReview,
    take_home_concerns,
    take_home_days_in_treatment,
    take_home_review,
    take_home_review_for,
)
from keel.treatment.queries.window import (
    WINDOW_MEDICATIONS,
    DosingRow,
    RecordedDose,
    dosing_list,
    dosing_row,
    row_after_dose,
    still_due,
)

__all__ = [
    "MISSED_CONCERN_DAYS",
    "MISSED_READS",
    "MISS_LOOKBACK",
    "WINDOW_MEDICATIONS",
    "DoseContext",
    "DosingRow",
    "EpisodePlan",
    "MedicationRecord",
    "MissedReads",
    "PlanCover",
    "RecordedDose",
    "StartView",
    "TakeHomeConcern",
    "TakeHomeReview",
    "WindowNote",
    "active_order",
    "active_others",
    "as_handed_out",
    "bottle_days",
    "bottles_at_home",
    "bottles_not_before",
    "call_back",
    "closure_dates",
    "context_after_dose",
    "correction_version",
    "count_missed",
    "day_overrides",
    "dose_context",
    "dose_context_and_reads",
    "dose_contexts",
    "dose_review_qtc",
    "dosing_list",
    "dosing_row",
    "effective_mg",
    "episode_firsts",
    "episode_plans",
    "episode_take_home_plans",
    "held_bottles",
    "hours_since",
    "hours_since_last_dose",
    "in_chunks",
    "is_taken",
    "last_dose_day_before",
    "latest_intake",
    "latest_kit",
    "medication_record",
    "missed_days",
    "my_care_plan",
    "newest_order",
    "order_fhir",
    "order_version",
    "order_versions",
    "orders_version",
    "plan_days",
    "recent_qtc",
    "recent_qtc_ms",
    "row_after_dose",
    "schedule_rows",
    "slot_recorded",
    "start_view",
    "still_due",
    "take_home_concerns",
    "take_home_days_in_treatment",
    "take_home_review",
    "take_home_review_for",
    "taken_doses",
    "versions_in",
    "window_notes",
    "with_missed_day_reads",
]
