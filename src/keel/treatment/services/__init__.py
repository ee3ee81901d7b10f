"""Medication treatment writes, one module per subdomain (as Zulip lays out `zerver/actions/`):

- `orders`: a prescriber's order (superseding the active one, its dose against the window's ceilings);
- `doses/`: the observed dose at the window (`window`, its `guards` and `rule`) and its corrections
  (`corrections`, `limits`);
- `overrides`: a prescriber's override for the day (past a guard rail, or a first buprenorphine dose);
- `last_use`: a prescriber's correction of a mistaken time of last use (issue #13);
- `start`: the buprenorphine start (the intake, the first dose's readiness gate, a low-dose schedule);
- `take_homes`: take-home methadone decisions and bottle days; `qtc`: QTc measurements;
- `injections`: extended-release naltrexone; `fills`: pharmacy fills; `care_plan`: naloxone and goals;
- `common`: the patient scoped for a write, the parsers, the guard rails and the dose's refusals.

Reads (the dose context, today's dosing list, the take-home review, the medication record, the start page,
an order as FHIR) live in `keel.treatment.queries`, where pages, the API and the schemas take them; four
that the writes' tests read beside them (`dose_context`, `take_home_concerns`, `take_home_days_in_treatment`,
`buprenorphine_readiness`) are still re-exported here. Every write takes the acting `User`, scopes the
patient through the access policy and writes its audit row in its transaction.
"""

from keel.access.errors import ClinicalNotAllowed as NotAllowed
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.queries import dose_context, take_home_concerns, take_home_days_in_treatment
from keel.treatment.readiness import buprenorphine_readiness
from keel.treatment.services.care_plan import add_goal, dispense_naloxone
from keel.treatment.services.common import (
    GUARD_RAILS,
    DoseBlocked,
    DoseConflict,
    DoseOutcome,
    HeldDoseNotAllowed,
    PlanAlreadyEnded,
    PlanStillRunning,
    TakeHomeEndNotAllowed,
)
from keel.treatment.services.doses.bottles import kept_back_today
from keel.treatment.services.doses.correction_versions import DoseCorrectionChanged
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.limits import amendment_ceilings
from keel.treatment.services.doses.rule import BLOCKING
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill, void_fill
from keel.treatment.services.injections import SITES, continuing_course, record_injection
from keel.treatment.services.last_use import correct_last_use, parse_last_use_report, record_last_use
from keel.treatment.services.orders import order_plausibility, prescribe
from keel.treatment.services.overrides import add_override, end_overrides
from keel.treatment.services.qtc import record_qtc
from keel.treatment.services.start import low_dose_problem, low_dose_step, record_intake
from keel.treatment.services.take_homes import (
    CRITERIA_KEYS,
    decide_take_home,
    end_take_home_plan,
    end_take_home_plans,
    record_bottles_brought_back,
    take_home_day_problem,
)

__all__ = [
    "BLOCKING",
    "CRITERIA_KEYS",
    "GUARD_RAILS",
    "SITES",
    "DoseBlocked",
    "DoseConflict",
    "DoseCorrectionChanged",
    "DoseOutcome",
    "HeldDoseNotAllowed",
    "NotAllowed",
    "PlanAlreadyEnded",
    "PlanStillRunning",
    "TakeHomeEndNotAllowed",
    "TreatmentInvalid",
    "add_goal",
    "add_override",
    "amend_dose",
    "amendment_ceilings",
    "buprenorphine_readiness",
    "continuing_course",
    "correct_last_use",
    "decide_take_home",
    "dispense_naloxone",
    "dose_context",
    "end_overrides",
    "end_take_home_plan",
    "end_take_home_plans",
    "kept_back_today",
    "low_dose_problem",
    "low_dose_step",
    "order_plausibility",
    "parse_last_use_report",
    "prescribe",
    "record_bottles_brought_back",
    "record_dose",
    "record_fill",
    "record_injection",
    "record_intake",
    "record_last_use",
    "record_qtc",
    "take_home_concerns",
    "take_home_day_problem",
    "take_home_days_in_treatment",
    "void_fill",
]
