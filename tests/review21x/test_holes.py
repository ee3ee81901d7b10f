"""Review 21x: holes in session 21's medication guards (fix21m: `qtc_seen_id`, `raised_from_mg`, how
`last_methadone_mg` reads a raise never given, NEEDS_NEW_ORDER, corrections against today's QTc, the low-dose
cap). Each test fails on the code as merged (19c7efe) and says what should happen. Relative to now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily

pytestmark = pytest.mark.django_db

REASON = "Typed at the window for the wrong person: this amount was never given to her today"


def _order(world: World, mg: str, **kw: object) -> MedicationOrder:
    return prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=mg, **kw
    )


def _fields(exc: pytest.ExceptionInfo[TreatmentInvalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.mark.parametrize("how", ["void", "down"])
def test_raise_voided_or_corrected_down_reads_as_given_at_the_rewrite(world: World, how: str) -> None:
    """Scenario: Alice is on 80 mg (given for days). On a QTc of 430 the prescriber raises her to 100 (raised
    from 80). At the window a nurse types 100 under the raise by mistake and corrects it the same hour (void,
    or corrected down to the 80 actually given): the raise was never given. A QTc of 520 ms comes back. The
    window rightly refuses 100 (NEEDS_NEW_ORDER: the raise is unseen by that QTc). The prescriber re-writes
    the order at 100 with no QTc reason.
    What happened: `last_methadone_mg`'s `raise_given` reads `DoseRecord.amount_mg` (> raised_from_mg) and
    ignores the amendments, so the voided/corrected 100 counts as "the raise was given": the re-write is read
    as 100 to 100, no reason is asked, the new order has raised_from_mg 100 and the window then gives 100 mg
    on a QTc of 520 that no prescriber ever wrote a reason for.
    Should: a raise whose only dose above what it raised from was voided or corrected down is a raise never
    given (effective_mg, as `level_given_under` reads it): the re-write is 80 to 100 on 520 ms and needs
    override_reason (422 naming it).
    Severity: high (the QTc >= 500 raise gate walked around by an ordinary entry-error correction)."""
    now = timezone.now()
    today = local_today(world.alice, now)
    first = _order(world, "80")
    given_daily(world, first, [today - timedelta(days=d) for d in (4, 3, 2)], 80)
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=430)
    raise_ = _order(world, "100")
    assert raise_.raised_from_mg == Decimal(80)
    given_daily(world, raise_, [today - timedelta(days=1)], 100)  # typed by mistake: 80 was given
    wrong = DoseRecord.objects.get(order=raise_)
    if how == "void":
        amend_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, dose_id=wrong.pk, void=True, reason=REASON
        )
    else:
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=wrong.pk,
            corrected_mg="80",
            reason=REASON,
        )
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid) as exc:
        _order(world, "100")
    assert "override_reason" in _fields(exc)
