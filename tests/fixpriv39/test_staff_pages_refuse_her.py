"""Lane fixpriv39 (review rev39b holes 2 and 3, the integrator's decision): every staff page under /patients/
answers her own account (a patient's or self-guided) 403, a plain page saying her own record is at /me/ (EN
and ES), audited once through the policy's refusal (`policy.refuse_staff_view_to_own_account`, the API's one
definition since ownapi39); another person's record is a 404 as now; her /me/ pages are unchanged. The
routes come from the URL resolver, so a page added under /patients/ is tested when it is added."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from keel.audit.models import AuditEvent
from keel.patients.models import Patient
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and route.startswith("patients/"):
            yield route


STAFF_ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(route: str, patient_id: int) -> str:
    def one(m: re.Match[str]) -> str:
        kind, name = m.group(1) or "str", m.group(2)
        if name == "patient_id":
            return str(patient_id)
        return "1" if kind == "int" else "phq9"

    return "/" + PARAM.sub(one, route)


def _refused(world: World, user: Any, patient_id: int, method: str, route: str) -> Any:
    client = sign_in(Client(), user)
    path = _path(route, patient_id)
    return client.post(path, {}) if method == "post" else client.get(path)


def test_the_resolver_lists_the_staff_pages() -> None:
    assert "patients/" in STAFF_ROUTES
    assert "patients/<int:patient_id>/" in STAFF_ROUTES
    assert "patients/<int:patient_id>/timeline/" in STAFF_ROUTES
    assert len(STAFF_ROUTES) > 40


# her own identity photo (the image alone) is hers to fetch: web.middleware.OWN_PAGES_UNDER_STAFF
HERS = {("get", "patients/<int:patient_id>/photo/")}


@pytest.mark.parametrize(
    ("method", "route"), [(m, r) for r in STAFF_ROUTES for m in ("get", "post") if (m, r) not in HERS]
)
def test_every_staff_page_answers_her_own_account_403(world: World, route: str, method: str) -> None:
    answer = _refused(world, world.alice.user, world.alice.pk, method, route)
    assert answer.status_code == 403, (route, answer.status_code)
    assert "Your own record is at /me/." in answer.content.decode()


@pytest.mark.parametrize("route", [r for r in STAFF_ROUTES if "<int:patient_id>" in r])
def test_another_persons_record_is_a_404_to_her(world: World, route: str) -> None:
    answer = _refused(world, world.alice.user, world.bob.pk, "get", route)
    assert answer.status_code == 404, (route, answer.status_code)


def test_the_refusal_is_audited_once_on_her_record(world: World) -> None:
    before = AuditEvent.objects.filter(actor_id=world.alice.user.pk, outcome="denied").count()
    answer = _refused(world, world.alice.user, world.alice.pk, "get", "patients/<int:patient_id>/timeline/")
    assert answer.status_code == 403
    rows = AuditEvent.objects.filter(actor_id=world.alice.user.pk, outcome="denied")
    assert rows.count() == before + 1
    row = rows.order_by("-id").first()
    assert row is not None and row.patient_id == world.alice.pk and row.target_type == "staff_page"


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    answer = client.get(f"/patients/{world.alice.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 403
    assert "Su propio expediente está en /me/." in answer.content.decode()


def test_a_self_guided_account_is_refused_its_own_record_page(world: World) -> None:
    own = Patient.objects.filter(user=world.dana).first()
    client = sign_in(Client(), world.dana)
    assert client.get("/patients/").status_code == 403
    if own is not None:
        assert client.get(f"/patients/{own.pk}/timeline/").status_code == 403


def test_her_own_pages_are_unchanged(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get("/me/").status_code == 200


def test_she_still_fetches_her_own_photo_and_only_hers(world: World) -> None:
    from io import BytesIO

    from django.utils import timezone
    from PIL import Image

    from keel.patients.models import PatientPhoto

    out = BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    data = out.getvalue()
    PatientPhoto.objects.create(
        patient=world.alice,
        data=data,
        content_type="image/jpeg",
        sha256="0" * 64,
        width=8,
        height=8,
        uploaded_at=timezone.now(),
    )
    client = sign_in(Client(), world.alice.user)
    assert client.get(f"/patients/{world.alice.pk}/photo/").status_code == 200
    assert client.get(f"/patients/{world.bob.pk}/photo/").status_code == 404


def test_the_care_team_still_reads_the_pages(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get(f"/patients/{world.alice.pk}/").status_code == 200
    assert client.get(f"/patients/{world.alice.pk}/timeline/").status_code == 200
    assert client.get("/patients/").status_code == 200
