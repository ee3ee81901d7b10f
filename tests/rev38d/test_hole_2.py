"""Hole 2: a positive suicide screen corrected negative, then corrected back to positive, leaves its open
flag saying the screen is negative.

What the user does: a nurse files a PHQ-9 with item 9 = 2 (flag raised). A counselor "corrects" item 9 to 0
(the open flag gains "later corrected: item 9 is now 0"). The prescriber, who asked the person again, corrects
item 9 back to 2 (the first correction was the mistake).
What goes wrong: the correction back to positive adds nothing to the open flag (`note_on_open_flag` returns
early for a positive result, and no new flag is raised since one exists), so the caseload's flag still ends
"item 9 is now 0": whoever reads the flag is told the person no longer reports thoughts of self-harm, while
the result in force says she does. A correction silently changes what the flag said.
Severity: high (PHQ-9 item 9 suicide risk; a flag read as negative is resolved without contact).
What should hold: the open flag's last word about the screen says what the screen in force says (positive
again, item 9 = 2), never an earlier correction's "now 0".
"""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _positive_negative_positive(world):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(2)
    )
    for who, item9, why in (
        ("counselor", 0, "Item 9 was keyed on the wrong row of the paper form"),
        ("prescriber", 2, "Asked her again today: the paper form's item 9 was right, she answered 2"),
    ):
        correct_assessment(
            by=world.staff[who],
            patient_id=world.alice.pk,
            assessment_id=screen.pk,
            answers=_phq9(item9),
            reason=why,
            read_version=correction_version(screen),
        )
    return PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)


def test_the_open_flags_last_word_no_longer_says_item_9_is_now_0(world):
    flag = _positive_negative_positive(world)
    assert "item 9 is now 0" not in flag.reasons[-1]


def test_a_resolved_screen_corrected_to_a_higher_item_9_is_put_before_the_care_team_again(world):
    """The same family: a screen with item 9 = 1 ("several days") flagged; a prescriber sees her and resolves
    the flag; a nurse then finds item 9 was 3 ("nearly every day") on the paper form and corrects it. Nothing
    is raised or noted (`_flag_raised_for` counts the resolved flag; `note_on_open_flag` returns for a
    positive result): the clinician who resolved it judged a lower risk than the record now says, and no one
    is told."""
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(1)
    )
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_id=screen.pk)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Seen today: passive thoughts several days, safety plan made, no intent",
    )
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(3),
        reason="Item 9 on the paper form is circled 3, not 1: keyed wrong",
        read_version=0,
    )
    assert PatientFlag.objects.filter(
        patient=world.alice, kind=FlagKind.SUICIDE_RISK, resolved_at__isnull=True
    ).exists()
