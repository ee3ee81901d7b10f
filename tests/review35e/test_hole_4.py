"""Hole 4: a caseload page number that is not a page is silently replaced.

What the user did: a nurse opens a hand-edited or stale caseload address: `?page=-1` (or `?page=abc`).
What happened: 200 and some other page: page 1 for "abc", the LAST page for "-1" or a page past the end,
with nothing said (the timeline, in the same journey, refuses a window that is not a choice with a 422 that
says so: "never silently replaced").
What should happen: as every other refused value on a page (RULES: bad input is said beside the field): a 422
that says the page asked is not a page of the list.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_negative_page_is_said_not_replaced(world: Any, signed_in: Any) -> None:
    response = signed_in("nurse").get(reverse("web:patient_list") + "?page=-1")
    assert response.status_code == 422
