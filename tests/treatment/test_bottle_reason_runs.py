"""The dosing window says the bottles that went home with a dose as runs of days (lane words23: 28 bottles'
"day mg" one by one filled a phone's screen), as the medication page says a plan's bottles."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import translation

from keel.core.decision import Reason
from keel.treatment.services.doses.bottles import AT_HOME_AFTER_HOLD, HANDED_OUT, KEPT_BACK
from keel.treatment.words import bottles_as_runs, reason_text

FIRST = date.today() + timedelta(days=1)
DAYS = [(FIRST + timedelta(days=n)).isoformat() for n in range(28)]


def handed_out(mg_of: dict[str, str]) -> Reason:
    shown = "; ".join(f"{day} {mg} mg" for day, mg in mg_of.items())
    return Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=shown)


def test_twenty_eight_bottles_at_one_dose_are_one_run() -> None:
    said = reason_text(bottles_as_runs(handed_out(dict.fromkeys(DAYS, "70"))))
    assert said == f"Take-home bottles handed out with this dose: {DAYS[0]} to {DAYS[-1]}: 70 mg."


def test_a_change_of_dose_starts_a_new_run() -> None:
    said = reason_text(bottles_as_runs(handed_out({DAYS[0]: "70", DAYS[1]: "70", DAYS[2]: "65.5"})))
    assert said.endswith(f": {DAYS[0]} to {DAYS[1]}: 70 mg, {DAYS[2]}: 65.5 mg.")


def test_the_runs_are_said_in_spanish() -> None:
    with translation.override("es"):
        said = reason_text(bottles_as_runs(handed_out(dict.fromkeys(DAYS, "70"))))
    assert f"del {DAYS[0]} al {DAYS[-1]}: 70 mg" in said


def test_bottles_at_home_are_said_as_runs_too() -> None:
    shown = "; ".join(f"{day} 60 mg" for day in DAYS[:3])
    reason = Reason.said(AT_HOME_AFTER_HOLD, ("42cfr8.12-2024",), bottles=shown)
    assert reason_text(bottles_as_runs(reason)).startswith(
        f"Take-home bottles at home: {DAYS[0]} to {DAYS[2]}: 60 mg,"
    )


def test_the_days_kept_back_are_said_as_a_run() -> None:
    reason = Reason.said(KEPT_BACK, ("42cfr8.12-2024",), days=", ".join(DAYS[:5]), mg="70")
    assert reason_text(bottles_as_runs(reason)).startswith(
        f"Take-home bottles for {DAYS[0]} to {DAYS[4]} not handed"
    )


def test_bottles_it_cannot_read_are_kept_as_written() -> None:
    reason = Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=f"{DAYS[0]} 70 mg; soon")
    assert (
        reason_text(bottles_as_runs(reason))
        == f"Take-home bottles handed out with this dose: {DAYS[0]} 70 mg; soon."
    )


def test_digits_of_another_script_are_not_read_as_a_dose() -> None:
    reason = Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=f"{DAYS[0]} \u0667\u0660 mg")
    assert bottles_as_runs(reason).params == reason.params
