"""Methadone after missed doses: a prescriber's reassessment after `reassess_after_missed_days` missed in a row,
and, short of a new induction, at most half the last observed dose (capped from `missed_restart_days` on).

Sources: Australian guidelines 2003, 3.5 (correction 8); the reassessment's count is program policy (Keel
default 3; TIP 63 not retrieved).
"""

from __future__ import annotations

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.rules.methadone.dose_inputs import DoseInput
from keel.core.rules.methadone.dose_policy import DosePolicy
from keel.core.rules.methadone.overrides import _Limits
from keel.core.words import gettext_noop


def _missed_reassessment(
    name: str,
    v: DoseInput,
    p: DosePolicy,
    policy: DosePolicy,
    missed: int,
    limits: _Limits,
) -> Decision[DosePolicy, NoDetails] | None:
    """The missed-days guard: `reassess_after_missed_days` missed in a row (after the first day) need a
    prescriber's reassessment (the decision returned), or pass on the documented reason (logged); None:
    go on to the next checks."""
    if missed < p["reassess_after_missed_days"]:
        return None
    if not v["documented_rationale"]:
        return Decision(
            name,
            "1",
            "needs_reassessment",
            (
                Reason.said(
                    gettext_noop(
                        "%(n)s missed days in a row (the program reassesses after %(after)s): tolerance may "
                        "be lower. A prescriber must reassess before the usual dose."
                    ),
                    ("keel-policy", "anmg-2003-missed"),
                    n=missed,
                    after=p["reassess_after_missed_days"],
                ),
            ),
            policy,
            {},
        )
    limits.rationale = True
    limits.reasons.append(
        Reason.said(
            gettext_noop(
                "%(n)s missed days in a row; a prescriber reassessed and documented the dose (logged)."
            ),
            ("keel-policy", "anmg-2003-missed"),
            n=missed,
        )
    )
    return None


def _half_dose_check(p: DosePolicy, missed: int, comparison: float, total: float, limits: _Limits) -> None:
    """The missed-days guard short of a new induction: at most half the last observed dose (and at most
    `missed_restart_max_mg` from `missed_restart_days` on)."""
    cap = comparison / 2
    if missed >= p["missed_restart_days"]:
        cap = min(cap, p["missed_restart_max_mg"])
    if total > cap:
        limits.over(
            gettext_noop(
                "%(n)s missed days in a row: at most %(cap)s mg today (half the last observed dose of "
                "%(last)s mg, program policy); %(mg)s mg is more. %(then)s"
            ),
            ("anmg-2003-missed", "keel-policy"),
            n=missed,
            cap=cap,
            last=comparison,
            mg=total,
        )
