"""Review 31a hole 5: on a Spanish medication page a window's end naming three or more bottle days in a row
reads "Los frascos del del dom 6 dic al mié 9 dic": the Spanish end templates say "Los frascos del
%(days)s" and `end_words.days_words` says a run of days as "del %(first)s al %(last)s" (the msgstr of
"%(first)s to %(last)s"), so "del" is said twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from keel.treatment.end_words import plan_end
from keel.treatment.models import DoseRecord
from tests.conftest import World
from tests.factories import corrected
from tests.review31a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_spanish_end_words_say_del_once(world: World) -> None:
    plan, today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    corrected(world, dose, "Voided: this was recorded on the wrong chart", void=True)
    plan.refresh_from_db()
    taken_back = plan.bottles_taken_back or {}
    with translation.override("es"):
        said = plan_end(plan.end_reason, today, taken_back, plan.end_kind, plan.ended_on).text
    assert "del del" not in said
