"""Review 17a: a sedation hold sent twice on a form must never read as "not sedated"."""

from __future__ import annotations

from django.http import QueryDict


def test_sedated_sent_twice_with_blank_last_still_holds() -> None:
    """Scenario: the buprenorphine start page (`treatment/views/start.py` `dose`) reads the sedation flag with
    `holds(post, "sedated")`, which takes only the *last* value (`QueryDict.get`). A kiosk or script posting
    `sedated=on&sedated=` (a ticked box plus a hidden blank default, a common form pattern) has the nurse's
    hold dropped and the dose recorded as given to a sedated person. The dosing window page refuses a doubled
    checkbox (`form_problem`); the start page does not ask it. Safe outcome: a flag ticked in any of its
    values
    holds the dose (or the form is refused) -- never read as not ticked."""
    from keel.treatment.views.common import holds

    post = QueryDict("sedated=on&sedated=")
    assert holds(post, "sedated") is True
