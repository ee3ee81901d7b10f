"""Take-home methadone: the prescriber's decision and bottle schedule, a take-home day at the window, and
the ends of a plan, one module per subdomain (as `treatment/services/` is laid out):

- `prescribing`: a prescriber's decision (`decide_take_home`), over `eligibility` (the request read, the
  rule's decision, the bottle days, the supply a new plan may add) and `dates` (the dates a request names);
- `ending`: a prescriber's end (`end_take_home_plan`, its steps under the plan's lock) and the call-back
  list's bottles brought back (`record_bottles_brought_back`, never an end);
- `brought_back`: bottles brought back recorded on an ended plan, or at the window (`record_bottle_returned`);
- `holds`: the ends that are not a prescriber's (discharge, `end_take_home_plans`; a hold,
  `suspend_take_home_plans`);
- `reads`: a take-home day as the window reads it (`take_home_day_problem`).

Every name callers use is re-exported here. `_refuse_supply_problem` and `_supply_problem` too: a decision
looks them up here at call time, where the race tests (reviews 13e and 18a) replace them."""

from keel.treatment.services.take_homes.brought_back import record_bottle_returned
from keel.treatment.services.take_homes.eligibility import CRITERIA_KEYS, TakeHomeDecision, _supply_problem
from keel.treatment.services.take_homes.ending import (
    EndAsked,
    end_take_home_plan,
    record_bottles_brought_back,
)
from keel.treatment.services.take_homes.holds import (
    HOLD_SUSPENDS,
    end_take_home_plans,
    suspend_take_home_plans,
    unlocked_plans,
)
from keel.treatment.services.take_homes.prescribing import _refuse_supply_problem, decide_take_home
from keel.treatment.services.take_homes.reads import TAKE_HOME_DAY, take_home_day_problem

__all__ = [
    "CRITERIA_KEYS",
    "HOLD_SUSPENDS",
    "TAKE_HOME_DAY",
    "EndAsked",
    "TakeHomeDecision",
    "_refuse_supply_problem",
    "_supply_problem",
    "decide_take_home",
    "end_take_home_plan",
    "end_take_home_plans",
    "record_bottle_returned",
    "record_bottles_brought_back",
    "suspend_take_home_plans",
    "take_home_day_problem",
    "unlocked_plans",
]
