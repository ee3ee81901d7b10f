"""Shared fixtures: the personas of the access matrix, signed-in clients, and the run summary CI checks.

Personas (STYLE.md): in Riverside, Alice is a patient whose care team is the riverside clinical staff
and peer specialist; Bob is another Riverside patient on nobody's team but the admin's view; in
Lakeside, Charlie is a patient no Riverside user may ever see.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

# Property tests judge results, not speed: on a loaded 2-core CI machine a 200 ms per-example deadline and the
# "too slow" health check fail correct code at random (seen on the BAM scoring property test).
settings.register_profile("keel", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("keel")

ROOT = Path(__file__).resolve().parent.parent
STAFF_ROLES = ["counselor", "nurse", "prescriber", "peer_specialist", "program_admin", "auditor"]
ALL_ROLES = ["patient", *STAFF_ROLES]
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Any:
    """A Spanish request leaves Spanish active on the thread; never let it leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@dataclass
class World:
    """Everything the access matrix needs, created fresh for each test."""

    riverside: Any
    lakeside: Any
    alice: Any  # Riverside patient with a login; on the riverside staff's care team
    bob: Any  # Riverside patient with a login; on no riverside persona's care team
    charlie: Any  # Lakeside patient with a login
    staff: dict[str, Any] = field(
        default_factory=dict
    )  # riverside users by role (incl. patient=alice's user)
    lakeside_nurse: Any = None
    devices: dict[int, Any] = field(default_factory=dict)
    dana: Any = None  # a self-guided account (issue #20): in no program; no staff member may ever see it

    def user(self, role: str) -> Any:
        if role == "self_guided":
            return self.dana
        return self.alice.user if role == "patient" else self.staff[role]

    def target(self, name: str) -> Any:
        return {"own": self.alice, "same_program": self.bob, "other_program": self.charlie}[name]


def _make_patient(program: Any, mrn: str, given: str, family: str, username: str) -> Any:
    from keel.accounts import services
    from keel.patients.models import Enrollment, Patient

    user, _ = services.create_user(
        username=username, role="patient", password=PASSWORD, program_slug=program.slug
    )
    patient = Patient.objects.create(
        program=program,
        user=user,
        record_number=mrn,
        given_name=given,
        family_name=family,
        date_of_birth=date(1990, 5, 17),
    )
    Enrollment.objects.create(patient=patient, program=program, started_on=date(2026, 1, 5))
    return patient


# The world is built once per test module on each worker (issue #21 / CI time: building it costs 50-100 ms
# and 8,400 tests ask for it, 4 passes per CI run) inside a transaction that stays open for the module and
# is rolled back after it; each test runs in a savepoint inside that transaction (pytest-django's TestCase)
# and gets a deep copy of the Python objects, as Django's setUpTestData gives. A module whose tests flush the
# database (transaction=True), or that pins the clock for every test (an autouse time_machine fixture: the
# world must be born inside the pin) or sets FRESH_WORLD = True, builds a fresh world for each test.
_FRESH_WORLD_MODULES: set[str] = set()


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames)
        )
        module = getattr(item, "module", None)
        if transactional or getattr(module, "FRESH_WORLD", False) or _pins_every_test(item):
            _FRESH_WORLD_MODULES.add(item.nodeid.split("::")[0])


def _pins_every_test(item: Any) -> bool:
    """An autouse fixture of the module that pins the clock (named _pinned, _frozen or _clock)."""
    return bool({"_pinned", "_frozen", "_clock", "_at_noon", "_now"} & set(item.fixturenames))


@pytest.fixture(scope="module")
def _module_world(request: Any, django_db_setup: Any, django_db_blocker: Any) -> Any:
    if request.node.nodeid.split("::")[0] in _FRESH_WORLD_MODULES:
        yield None
        return
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_module_world: Any, db: Any) -> World:
    if _module_world is None:
        return _build_world()
    import copy

    return copy.deepcopy(_module_world)


def _build_world() -> World:
    from keel.accounts import services
    from keel.accounts.models import Program
    from keel.patients.models import CareTeamMember

    riverside = Program.objects.create(slug="riverside", name="Riverside Recovery")
    lakeside = Program.objects.create(slug="lakeside", name="Lakeside Health Center")
    alice = _make_patient(riverside, "RR-0001", "Alicia", "Zamorano", "alice")
    bob = _make_patient(riverside, "RR-0002", "Roberto", "Quintanilla", "bob")
    charlie = _make_patient(lakeside, "LH-0001", "Charlotte", "Vandersloot", "charlie")
    w = World(riverside=riverside, lakeside=lakeside, alice=alice, bob=bob, charlie=charlie)
    for role in STAFF_ROLES:
        user, device = services.create_user(
            username=f"r-{role}", role=role, password=PASSWORD, program_slug="riverside"
        )
        w.staff[role] = user
        w.devices[user.pk] = device
        if role in {"counselor", "nurse", "prescriber", "peer_specialist"}:
            CareTeamMember.objects.create(patient=alice, user=user)
    nurse, device = services.create_user(
        username="l-nurse", role="nurse", password=PASSWORD, program_slug="lakeside"
    )
    w.lakeside_nurse = nurse
    w.devices[nurse.pk] = device
    CareTeamMember.objects.create(patient=charlie, user=nurse)
    from keel.selfguided import services as selfguided

    w.dana = selfguided.sign_up(
        username="dana-own",
        password=PASSWORD,
        password_again=PASSWORD,
        time_zone="America/Chicago",
        understood=True,
        address="198.51.100.7",
    )
    return w


# --- Issue #12: no test acts outside the time it pinned -------------------------------------------
# A session is born at the clock of its sign-in. If that clock was pinned (time_machine), every request
# that rides on the session must happen while a pin is still in force: a request at the real clock would
# make the outcome depend on today's date (the 12-hour session cap ends it a day later). And a session
# signed in at the real clock must not be used under a pin set *before* its sign-in: its age would be
# "pinned time minus today", which changes as the calendar moves. (A pin relative to now, such as
# `now + 3 s` past a throttle, is fine.) Each fails the test at the offending request. `.ci/run`'s
# moved-clock passes turn any absolute pin in the future into a pin in the past, so they catch those too.


def _pinned() -> bool:
    import time_machine

    return bool(time_machine.traveller_stack)


def _born(client: Client) -> None:
    import time

    client._keel_born = (_pinned(), time.time())  # type: ignore[attr-defined]


def _guard_request(self: Client, **request: Any) -> Any:
    import time

    born = getattr(self, "_keel_born", None)
    if born is not None:
        born_pinned, born_at = born
        path = request.get("PATH_INFO", "")
        if born_pinned and not _pinned():
            pytest.fail(
                f"issue #12: this client signed in inside a time_machine pin and now sends {path!r} at the "
                "real clock; sign in and act inside the same pinned time (or pin nothing)"
            )
        if not born_pinned and _pinned() and time.time() < born_at - 60:
            pytest.fail(
                f"issue #12: this client signed in at the real clock and now sends {path!r} under a pin set "
                "before that sign-in; sign in inside the pin (or pin relative to now)"
            )
    response = _unguarded_request(self, **request)
    user = getattr(getattr(response, "wsgi_request", None), "user", None)
    if (
        born is None
        and self.cookies.get("sessionid") is not None
        and getattr(user, "is_authenticated", False)
    ):
        _born(self)
    return response


_unguarded_request = Client.request
Client.request = _guard_request  # type: ignore[method-assign]


def sign_in(client: Client, user: Any) -> Client:
    """A fully signed-in session (password and, for staff, a verified TOTP device)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _born(client)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def signed_in(world: World) -> Any:
    def _for(role: str) -> Client:
        return sign_in(Client(), world.user(role))

    return _for


def totp_now(device: Any) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(
        bytes.fromhex(device.key), step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{totp.token():0{device.digits}d}"


def audit_count() -> int:
    from keel.audit.models import AuditEvent

    return AuditEvent.objects.count()


# --- Run summary: .ci/run reads it to prove PostgreSQL and browser tests really ran -----------------

_counts: dict[str, Any] = {
    "passed": 0,
    "failed": 0,
    "skipped": 0,
    "browser_passed": 0,
    "fuzz_requests": 0,
    "fhir_r4_documents": 0,
    "fhir_r4_seconds": 0.0,
}


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _counts[report.outcome] = _counts.get(report.outcome, 0) + 1
        if report.when == "call" and report.passed and "browser" in report.keywords:
            _counts["browser_passed"] += 1
    if report.when == "call":  # requests sent by the API fuzz test (SECURITY.md T3), from every xdist worker
        _counts["fuzz_requests"] += sum(int(v) for k, v in report.user_properties if k == "fuzz_requests")
        # issue #16: documents checked by the independent FHIR R4 validators, and the time it took
        _counts["fhir_r4_documents"] += sum(
            int(v) for k, v in report.user_properties if k == "fhir_r4_documents"
        )
        _counts["fhir_r4_seconds"] += sum(
            float(v) for k, v in report.user_properties if k == "fhir_r4_seconds"
        )


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # xdist workers: the controller writes the summary
    from django.conf import settings

    vendor = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    out = ROOT / "var" / "test-runs"
    out.mkdir(parents=True, exist_ok=True)
    # issue #12: the moved-clock passes write their own summary (KEEL_TEST_RUN_NAME) with the clock they saw,
    # so .ci/run can tell that the whole process's clock really was moved.
    from datetime import UTC, datetime

    summary = {
        "vendor": vendor,
        "exitstatus": int(exitstatus),
        "clock": datetime.now(UTC).isoformat(timespec="seconds"),
        **_counts,
    }
    name = os.environ.get("KEEL_TEST_RUN_NAME") or vendor
    (out / f"{name}.json").write_text(json.dumps(summary))


def pytest_configure(config: Any) -> None:
    os.environ.setdefault("KEEL_TESTING", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Any:
    """The time each test spent in the independent FHIR R4 validators (tests/fhir_r4), for the run summary."""
    from tests.fhir_r4 import SPENT

    before = SPENT["seconds"], SPENT["documents"]
    yield
    if SPENT["documents"] != before[1]:
        item.user_properties.append(("fhir_r4_seconds", SPENT["seconds"] - before[0]))
        item.user_properties.append(("fhir_r4_documents", SPENT["documents"] - before[1]))


# --- A real SMTP server for the tests that read Keel's email (issue #18) ------------------------------------


@dataclass
class Mailbox:
    """Messages a real SMTP server (aiosmtpd, on a free local port) received, oldest first."""

    messages: list[Any] = field(default_factory=list)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message: Any) -> str:
        return str(message.get_body(preferencelist=("plain",)).get_content())


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    from keel.env import parse_email_url

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in parse_email_url(f"smtp://127.0.0.1:{port}?from=keel@riverside.example").items():
        setattr(settings, name, value)
    try:
        yield box
    finally:
        controller.stop()
