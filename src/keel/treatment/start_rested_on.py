"""What a first buprenorphine dose rested on (lane fix36d; fix35a's item 3): when the window's start gate
passed on readiness ("ready"), the dose records, in its stored decision under `start_rested_on`, the COWS
the verdict read (its id and its score then) and the program's COWS threshold in force then. Written once, in
the dose's insert (`services.doses.window`), from the readiness read the gate made at the dose's time
(`readiness.readiness_for_dose`, nothing of the dose recorded yet); read by the first-dose COWS flag
(`treatment.first_dose_cows`) instead of re-deriving it with the policy of the day of the correction (a
threshold raised after the dose is not the one it was given under). A dose recorded before this lane, or
one given on a start override, has none: the flag re-derives it as before (`recorded_dose_gate`)."""

from __future__ import annotations

from typing import TypedDict

from keel.core.rules.buprenorphine import READY
from keel.core.rules.buprenorphine.dose_limit import StartGate
from keel.treatment.models import DoseRecord
from keel.treatment.readiness import ReadinessRead

KEY = "start_rested_on"


class RestedOn(TypedDict):
    """The COWS a first dose's gate read ("cows": its id; "cows_total": its score then) and the threshold."""

    cows: int
    cows_total: int
    threshold: int


def passed_on_readiness(gate: StartGate | None) -> bool:
    """Whether the window's start gate was put to the dose and passed on readiness (`first_dose`, verdict
    "ready", whatever start override also covered it)."""
    return gate is not None and bool(gate.get("first_dose")) and gate.get("start_verdict") == READY


def rested_on_now(read: ReadinessRead) -> RestedOn | None:
    """What a dose the window is recording rests on, from `read`, the readiness read at the dose's time (the
    gate's, `passed_on_readiness`); None when it is not "ready" on a COWS."""
    if not read.ready or read.cows is None or read.readiness is None:
        return None
    score = read.readiness.details["cows"]
    return {"cows": read.cows.pk, "cows_total": int(score["total"]), "threshold": int(score["threshold"])}


def rested_on(dose: DoseRecord) -> RestedOn | None:
    """What `dose` recorded it rested on (None: nothing recorded, or not whole numbers)."""
    stored = dose.decision.get(KEY) if isinstance(dose.decision, dict) else None
    if not isinstance(stored, dict):
        return None
    cows, total, threshold = stored.get("cows"), stored.get("cows_total"), stored.get("threshold")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (cows, total, threshold)):
        return None
    return {"cows": int(str(cows)), "cows_total": int(str(total)), "threshold": int(str(threshold))}
