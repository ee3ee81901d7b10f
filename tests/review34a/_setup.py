"""Review 34a set-up: the correction form as the medication page renders it (its fields read from the page,
so a field the page adds later goes with the post), and a run that went home yesterday (the factories')."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.queries.take_home_plans import call_back
from tests.conftest import World

_INPUT = re.compile(r"<input\b[^>]*>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def correction_form(client: Client, world: World, dose: DoseRecord) -> dict[str, str]:
    """The hidden fields of `dose`'s correction form on Alice's medication page as `client` reads it now
    (none today; a version the page may show later), without the CSRF token (the test client skips it)."""
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    action = reverse("treatment:amend", args=[world.alice.pk, dose.pk])
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    fields: dict[str, str] = {}
    for tag in _INPUT.findall(form):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get("type") == "hidden" and attrs.get("name") not in (None, "csrfmiddlewaretoken"):
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


def post_correction(client: Client, world: World, dose: DoseRecord, fields: dict[str, str]) -> int:
    """`fields` posted to `dose`'s correction form; the response's status."""
    action = reverse("treatment:amend", args=[world.alice.pk, dose.pk])
    return client.post(action, fields).status_code


def called_back(world: World, plan_id: int) -> set[str]:
    """The days of plan `plan_id`'s bottles on Alice's call-back list today (ISO)."""
    today = local_today(world.alice)
    return {d.isoformat() for d in call_back(world.alice, today).get(plan_id, {})}
