"""Helpers for review 13c (round 3): a Riverside morning at the window, every call at a pinned time. The same
helpers as review 13d's (one definition, `tests/review13d/common.py`); round 3's withdrawal score is 13."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.review13d import common as _round4
from tests.review13d.common import NY, at, days, dose, intake, order, override, report

__all__ = ["COWS_13", "NY", "at", "cows", "days", "dose", "intake", "order", "override", "report"]

COWS_13 = {**_round4.COWS_14, "pupils": 1}


def cows(world: Any, when: datetime, answers: dict[str, int] | None = None) -> Any:
    return _round4.cows(world, when, answers or COWS_13)
