"""Each take-home bottle's dose said as runs (a phone's screen held 28 "day mg" pairs one by one)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from keel.treatment.words import bottle_mg_runs


def test_days_in_a_row_at_one_dose_are_one_run() -> None:
    bottles = {f"2026-12-{d:02d}": "60.00" for d in range(4, 32)}
    assert bottle_mg_runs(bottles) == "2026-12-04 to 2026-12-31: 60 mg"


def test_a_change_of_dose_starts_a_new_run() -> None:
    bottles = {"2026-12-04": 60, "2026-12-05": 60, "2026-12-06": Decimal("55.5")}
    assert bottle_mg_runs(bottles) == "2026-12-04 to 2026-12-05: 60 mg, 2026-12-06: 55.5 mg"


def test_a_gap_of_days_starts_a_new_run() -> None:
    bottles = {"2026-12-05": 60, "2026-12-07": 60}
    assert bottle_mg_runs(bottles) == "2026-12-05: 60 mg, 2026-12-07: 60 mg"


def test_no_bottles_say_nothing() -> None:
    assert bottle_mg_runs({}) == ""


def test_the_runs_are_said_in_spanish() -> None:
    with translation.override("es"):
        assert bottle_mg_runs({"2026-12-04": 60, "2026-12-05": 60}) == "del 2026-12-04 al 2026-12-05: 60 mg"
