"""Review 16a: a page's `sedated` flag holds the dose whatever non-blank value it carries ("true", "1",
"yes" from a kiosk or automation, not only a browser's "on"); blank or absent is not sedated."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from keel.treatment.views.common import holds


@pytest.mark.parametrize("value", ["on", "true", "1", "yes", "false", " x "])
def test_a_present_value_holds(value: str) -> None:
    assert holds(QueryDict(f"sedated={value}"), "sedated")


@pytest.mark.parametrize("query", ["", "sedated=", "sedated=%20", "other=on"])
def test_blank_or_absent_does_not_hold(query: str) -> None:
    assert not holds(QueryDict(query), "sedated")
