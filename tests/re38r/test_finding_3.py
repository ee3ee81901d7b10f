"""Re-attack 38r finding 3 (medium-high: a suicide-risk flag resolved on what the clinician never read).

What the user does: the prescriber opens Alicia's page in one tab: the PHQ-9 flag (item 9 = 1, "several
days") with its Resolve form. Meanwhile a counselor corrects the screen's item 9 to 3 ("nearly every day");
the flag gains the note "item 9 is now 3". The prescriber, back in the first tab, types "passive thoughts,
safety plan made" and presses Resolve.

What goes wrong: the Resolve form carries nothing of the flag as it was read and `patients.services.flags.
resolve_flag` asks nothing, so the flag is resolved over a note the prescriber never saw. Worse, the screen
in force at that resolution is item 9 = 3 (`corrected_screen._at_resolution`), so a later correction to 3
never reopens it: the fix38d safeguard is spent by a stale tab. A correction from a stale read is 409
(`CorrectionChanged`); a resolution from one is not.

What should hold: a resolve posted from a page rendered before the flag changed (a note added, reopened)
leaves the flag open and says the flag changed (as a stale correction is refused)."""

from __future__ import annotations

import re

import pytest

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _form_fields(page: str, flag_id: int) -> dict[str, str]:
    """The resolve form's fields as rendered (hidden inputs), the note typed by the prescriber."""
    form = re.search(rf'action="[^"]*/flags/{flag_id}/resolve/".*?</form>', page, re.S)
    assert form is not None
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    return {**dict(hidden), "note": "Seen today: passive thoughts, safety plan made"}


def test_a_resolve_from_a_page_read_before_item_9_was_corrected_up_leaves_the_flag_open(world, signed_in):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(1)
    )
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)
    tab = signed_in("prescriber")
    fields = _form_fields(tab.get(f"/patients/{world.alice.pk}/").content.decode(), flag.pk)
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(3),
        reason="Item 9 on the paper form was keyed wrong",
        read_version=correction_version(screen),
    )
    tab.post(f"/patients/{world.alice.pk}/flags/{flag.pk}/resolve/", fields)
    flag.refresh_from_db()
    assert flag.resolved_at is None
