"""Buprenorphine start: readiness (time since last use of every opioid, and a fresh COWS), the home start
(the same waits, and a fresh SOWS) and day-1/day-2 dose limits.

Sources (Keel clinical reference sections 9, Corrections 1, 5 and 11): waits of >= 12 h after short-acting
opioids, >= 24 h after extended-release, >= 72 h after methadone [S: ASAM/TIP summaries]; COWS >= 8 to start,
re-scored every 1-2 h [S]; first dose 2-4 mg, re-score 1-2 h after [S; PCSS-MAT form]; day-1 8 mg and day-2
16 mg label figures [S]; no maintenance ceiling or target (FDA notice 89 FR 105613, Dec 2024) [V]. Illicit
fentanyl has no agreed wait (correction 11): by default not a standard start, with a longer wait and a
low-dose start named as the alternatives; the program may choose either as its fentanyl profile.
All numbers are program policy with these defaults, inside the bounds of `keel.core.rules.policy.LIMITS`.

Every opioid counts: the input lists each opioid used with the hours since its last use; each one used within
the lookback is checked against its own wait, and the strictest verdict wins. The COWS must be scored after
the last use of any opioid and be fresh (program policy).

Readiness verdicts (`Decision.decision`): READY ("ready") is the only value that allows a standard first dose;
"wait" (a wait not met, or the COWS below the threshold, stale or scored before the last use), "not_standard"
(illicit fentanyl under the default profile: the prescriber chooses a longer wait or a low-dose start) and
"low_dose" (illicit fentanyl under a low-dose profile) do not.

The package, one module a subdomain (moving code only, issue #17):
- `verdicts`: the verdicts (READY and the others) and the words for a start verdict that is not ready;
- `uses`: the input of every opioid used (`opioids`) shared by readiness and the home start;
- `timing`: the waits, the withdrawal score's use and the verdict from both (shared);
- `readiness`: the rule buprenorphine-readiness (the clinic's start, a COWS);
- `home_start`: the rule buprenorphine-home-start (a SOWS);
- `dose_limit`: the rule buprenorphine-dose-limit (holds, the start gate, the amount);
- `day_limits`: the day-1/day-2 limits, maintenance and the sedation hold;
- `low_dose`: a low-dose start's schedule and its step.
"""

from __future__ import annotations

from keel.core.rules.buprenorphine.day_limits import day_limit_mg, induction_total_over
from keel.core.rules.buprenorphine.dose_limit import DOSE_INPUTS, DOSE_LIMIT, DOSE_POLICY, StartGate
from keel.core.rules.buprenorphine.home_start import HOME_INPUTS, HOME_POLICY, HOME_START
from keel.core.rules.buprenorphine.low_dose import (
    SCHEDULE_MAX_RISE,
    LowDoseStep,
    ScheduleStep,
    low_dose_total_over,
    parse_schedule,
    schedule_rise_problem,
)
from keel.core.rules.buprenorphine.readiness import READINESS, READINESS_INPUTS, READINESS_POLICY
from keel.core.rules.buprenorphine.timing import TIMING_POLICY
from keel.core.rules.buprenorphine.uses import USE_FIELDS, parse_uses
from keel.core.rules.buprenorphine.verdicts import (
    HOME_READY,
    NOT_READY,
    NOT_READY_TO_DOSE,
    READY,
    START_VERDICT_WORDS,
)

__all__ = [
    "DOSE_INPUTS",
    "DOSE_LIMIT",
    "DOSE_POLICY",
    "HOME_INPUTS",
    "HOME_POLICY",
    "HOME_READY",
    "HOME_START",
    "NOT_READY",
    "NOT_READY_TO_DOSE",
    "READINESS",
    "READINESS_INPUTS",
    "READINESS_POLICY",
    "READY",
    "SCHEDULE_MAX_RISE",
    "START_VERDICT_WORDS",
    "TIMING_POLICY",
    "USE_FIELDS",
    "LowDoseStep",
    "ScheduleStep",
    "StartGate",
    "day_limit_mg",
    "induction_total_over",
    "low_dose_total_over",
    "parse_schedule",
    "parse_uses",
    "schedule_rise_problem",
]
