"""Lane prop30: the take-home correction paths' WORDS, checked by a property test (an automated reviewer).

Prop29 (`test_take_home_stateful_prop29`) drives the take-home services over random steps and checks what the
record holds; human reviewers kept finding holes in what the services SAY. This test plays the same steps
(prop29's `STEP`, `set_up`, `do`), keeps the reasons each step's service returns (`keel.core.decision.Reason`:
a dose's check, `DoseOutcome.decision.reasons`; a correction's `DoseAmendment.warnings`) and, after every
step, checks these message truths against the facts (the doses standing per day, read from the rows; the
call-back list `queries.call_back` before and after the step; the plans' days `plan_days`):

1. a "handed out with this dose" word (`HANDED_OUT`) names only days some plan covers after the step: the
   nurse hands out a bottle for a day on which the person is then expected at the window otherwise;
2. a word that says nobody is to be called back, or none is at home (`TAKE_BACK_UNDONE`,
   `PLAN_STOPS_ALL_BACK`, `WINDOW_DOSED_NONE_HOME`; a plan's end `*_NONE_HOME*`, `VOIDED_ON_SHELF`,
   `ALL_BACK_FROM_TODAY`) names no day the call-back list holds after the step (of that plan, for an end;
   of any plan, for a dose's word, which names no plan): the list and the words contradict each other;
3. a plan's end words (`end_reason`, which the medication page says again through `end_words.plan_end`)
   that name a dose's amount ("the dose of <day> ... back to N mg") name the total that stands on that day
   now, and those that say the dose of <day> was voided or corrected to 0 mg are said only while no dose
   of that day stands (a later correction re-writes them: review 28c, 29c); the Spanish page says the
   same N mg;
4. every bottle a dose, a hold or a correction newly puts on the call-back list is named by a word of that
   step that tells the nurse to call the person back (`corrections._CALL_BACK_WORDS`, `BOTTLE_NAMED_TODAY`
   for today's bottle): only the window's steps answer with words (a prescriber's plan, end or bottles
   brought back answer with the plan, whose page shows the list);
5. after every step, the window's row of the day (`queries.dosing_row`), due, offers "today's bottle
   returned" (`bottle_held`) when the call-back list names today's bottle (review 29c hole 5).

Deterministic (`derandomize`, no example database, no deadline); `KEEL_PROP_EXAMPLES` raises the number of
examples (default 25). `KEEL_PROP_COLLECT=<file>`: every broken truth is appended to the file and the example
goes on (no shrinking), so one long run lists every counterexample, not only the first."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from keel.core.decision import Reason
from keel.patients.models import zone_of
from keel.treatment import queries
from keel.treatment.end_words import plan_end
from keel.treatment.models import DoseAmendment, DoseStatus, Medication
from keel.treatment.queries.take_home_plans import as_handed_out, call_back, plan_days
from keel.treatment.services.doses.bottles import reasons as words
from keel.treatment.services.doses.corrections import _CALL_BACK_WORDS, amend_dose
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import TYPO
from tests.treatment.test_take_home_stateful_prop29 import (
    DAYS,
    EXAMPLES,
    REFUSALS,
    STEP,
    Run,
    Step,
    do,
    set_up,
    start,
    steps_text,
)

__all__ = ["start"]  # the fixture, shared with prop29

COLLECT = os.environ.get("KEEL_PROP_COLLECT", "")
SEED = int(os.environ.get("KEEL_PROP_SEED", "0"))  # 0: derandomized (CI); else a random run from this seed
LONGEST = int(os.environ.get("KEEL_PROP_STEPS", "12"))
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
NONE_AT_HOME = (words.TAKE_BACK_UNDONE, words.PLAN_STOPS_ALL_BACK)
CALLS_BACK = _CALL_BACK_WORDS | {words.BOTTLE_NAMED_TODAY}
# an end's words that say its bottles are not at home: "are not at home", "were brought back"
END_NONE_HOME = re.compile(r"^The bottles for ([0-9, -]+) (?:are not at home|were brought back)")
END_BACK_TO = re.compile(
    r"the dose of (\d{4}-\d{2}-\d{2}) they were to go home with .*?back (?:up )?to ([\d.]+) mg"
)
END_VOIDED = re.compile(r"the dose of (\d{4}-\d{2}-\d{2}) they (?:were to go|went) home with (?:was|later) ")
Called = dict[int, dict[date, Decimal]]
# Where an example starts: random steps alone seldom hand bottles out (a plan, then a dose the same day), so
# most examples begin with bottles handed out today or yesterday, as the reviewers' stories do.
OPENINGS: list[list[Step]] = [
    [],
    [("plan", 1, 2), ("dose", "80")],
    [("plan", 1, 2), ("dose", "80"), ("next",)],
    [("plan", 1, 1), ("dose", "80"), ("next",)],
    [("dose", "80"), ("plan", 1, 2), ("next",), ("dose", "80")],
    [("plan", 1, 2), ("dose", "80"), ("amend", 0, "0")],
    [("plan", 1, 2), ("dose", "80"), ("amend", 0, "void")],
    [("plan", 1, 2), ("dose", "80"), ("amend", 0, "40")],
    [("plan", 1, 2), ("dose", "80"), ("next",), ("amend", 0, "0")],
    [("plan", 1, 2), ("dose", "80"), ("next",), ("amend", 0, "void")],
    [("plan", 1, 2), ("dose", "80"), ("next",), ("amend", 0, "40")],
]
STEPS = st.builds(
    lambda first, rest: [*first, *rest],
    st.sampled_from(OPENINGS),
    st.lists(STEP, min_size=1, max_size=LONGEST),
)


def _days(reason: Reason, key: str) -> set[date]:
    """The ISO days a reason's parameter `key` names."""
    value = dict(reason.params).get(key, "")
    return {date.fromisoformat(iso) for iso in ISO.findall(str(value))}


def said_by(run: Run, step: Step) -> tuple[Reason, ...]:
    """One step through the services (prop29's `do`), with the words a window step answers."""
    nurse, alice, kind = run.world.staff["nurse"], run.alice, step[0]
    if kind in ("dose", "dose_back", "hold"):
        amount = {"amount_mg": step[1]} if kind != "hold" else {"sedated": True}
        outcome = record_dose(by=nurse, patient_id=alice.pk, bottle_returned=kind == "dose_back", **amount)
        return outcome.decision.reasons
    if kind == "amend":
        today = run.today()
        doses = [d for d in run.doses() if d.local_date >= today - timedelta(days=DAYS)]
        if not doses:
            return ()
        dose = doses[step[1] % len(doses)]
        amendment = amend_dose(
            by=nurse,
            patient_id=alice.pk,
            dose_id=dose.pk,
            reason=TYPO,
            corrected_mg=None if step[2] == "void" else step[2],
            void=step[2] == "void",
        )
        return tuple(amendment.warnings or ())
    do(run, step)
    return ()


def totals(run: Run) -> dict[date, Decimal]:
    """The methadone total standing per day, from the rows (the last amendment of each dose given)."""
    by_day: dict[date, Decimal] = {}
    for dose in run.doses():
        if dose.status != DoseStatus.GIVEN:
            continue
        last = DoseAmendment.objects.filter(dose=dose).order_by("-amended_at", "-id").first()
        mg = (
            dose.amount_mg
            if last is None
            else (Decimal(0) if last.voided else last.corrected_mg or Decimal(0))
        )
        by_day[dose.local_date] = by_day.get(dose.local_date, Decimal(0)) + mg
    return by_day


@dataclass
class Check:
    run: Run
    label: str
    broken: list[str]

    def truth(self, ok: bool, text: str) -> None:
        if not ok:
            self.broken.append(f"{text}\n{self.label}")


def check_words(check: Check, kind: str, said: tuple[Reason, ...], before: Called) -> None:
    """Truths 1, 2 and 4: what the step's words say against the facts after it."""
    run = check.run
    today = run.today()
    plans = run.plans()
    as_handed_out(plans, zone_of(run.alice), today)
    covered = set().union(*(plan_days(p) for p in plans)) if plans else set()
    after = call_back(run.alice, today)
    called = {d for days in after.values() for d in days}
    for r in said:
        if r.template == words.HANDED_OUT:  # 1
            check.truth(
                _days(r, "bottles") <= covered, f"1: handed out {r.text!r}, covered {sorted(covered)}"
            )
        if r.template in NONE_AT_HOME:  # 2
            check.truth(not (_days(r, "days") & called), f"2: {r.text!r} while called back {sorted(called)}")
        if r.template == words.WINDOW_DOSED_NONE_HOME:  # 2
            window = min(_days(r, "window"))
            check.truth(
                not {d for d in called if d >= window}, f"2: {r.text!r}, called back {sorted(called)}"
            )
    if kind not in ("dose", "dose_back", "hold", "amend"):
        return
    told = {d for r in said if r.template in CALLS_BACK for d in ISO.findall(r.text)}
    if any(r.template == words.BOTTLE_NAMED_TODAY for r in said):
        told.add(today.isoformat())
    for pk, days in after.items():  # 4
        new = {d for d in days if d not in before.get(pk, {}) and d.isoformat() not in told}
        check.truth(not new, f"4: plan {pk} newly called back {sorted(new)}, words {[r.text for r in said]}")


def check_ends(check: Check) -> None:
    """Truths 2 (of an end) and 3: a plan's end words against the call-back list and the doses standing."""
    run = check.run
    today = run.today()
    after = call_back(run.alice, today)
    standing = totals(run)
    for plan in run.plans():
        text = plan.end_reason or ""
        if plan.ended_on is None or not text:
            continue
        found = END_NONE_HOME.match(text)
        if found:
            named = {date.fromisoformat(iso) for iso in ISO.findall(found.group(1))}
            listed = set(after.get(plan.pk, {}))
            check.truth(not (named & listed), f"2: end {text!r} while called back {sorted(listed)}")
        back = END_BACK_TO.search(text)
        if back:
            day, mg = date.fromisoformat(back.group(1)), Decimal(back.group(2))
            now = standing.get(day, Decimal(0))
            check.truth(now == mg, f"3: end {text!r} while {day} stands at {now} mg")
            with translation.override("es"):
                es = plan_end(text, today, plan.bottles_taken_back or {}, plan.end_kind, plan.ended_on).text
            check.truth(f"{mg.normalize():f} mg" in es, f"3: Spanish end {es!r} without {mg} mg")
        elif (gone := END_VOIDED.search(text)) and "voided or corrected to 0 mg" in text:
            day = date.fromisoformat(gone.group(1))
            now = standing.get(day, Decimal(0))
            check.truth(now == 0, f"3: end {text!r} while {day} stands at {now} mg")


def check_row(check: Check) -> None:
    """Truth 5: the window's row, due, offers today's bottle back when the call-back list names it."""
    run = check.run
    today = run.today()
    if not any(today in days for days in call_back(run.alice, today).values()):
        return
    row = queries.dosing_row(
        run.world.staff["nurse"], patient_id=run.alice.pk, medication=Medication.METHADONE
    )
    if row is not None and row.status == "due":
        check.truth(row.bottle_held, f"5: call-back list names today {today}, the due row offers no bottle")


def _tally(said: tuple[Reason, ...], run: Run) -> None:
    """With `KEEL_PROP_COLLECT`: which words and ends the steps reached (`<file>.seen`), to read coverage."""
    seen = [r.template[:40] for r in said if r.template] + [
        f"end {p.end_kind}: {(p.end_reason or '')[:50]}" for p in run.plans() if p.ended_on
    ]
    with open(COLLECT + ".seen", "a", encoding="utf-8") as out:
        out.writelines(f"{line}\n" for line in seen)


def play(world: World, steps: list[Step], start: datetime) -> list[str]:
    """Play `steps` from a fresh set-up (every write rolled back); the truths broken, each with its step."""
    broken: list[str] = []
    with transaction.atomic():
        run = set_up(world, start)
        try:
            for i, step in enumerate(steps):
                run.later()
                before = call_back(run.alice, run.today())
                try:
                    said = said_by(run, step)
                except REFUSALS:
                    said = ()
                if COLLECT:
                    _tally(said, run)
                check = Check(run, f"after step {i} {step}\n{steps_text(steps)}", broken)
                check_words(check, step[0], said, before)
                check_ends(check)
                check_row(check)
                if broken:
                    break
        finally:
            if run.clock is not None:
                run.clock.stop()
            transaction.set_rollback(True)
    return broken


@pytest.mark.timeout(max(300, EXAMPLES * 4))
@pytest.mark.django_db
def test_take_home_words_tell_the_truth(world: World, start: datetime) -> None:
    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not SEED,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=STEPS)
    def one(steps: list[Step]) -> None:
        broken = play(world, steps, start)
        if COLLECT and broken:
            with open(COLLECT, "a", encoding="utf-8") as out:
                out.write("=" * 40 + "\n" + "\n".join(broken) + "\n")
            return
        assert not broken, "\n".join(broken)

    one()
