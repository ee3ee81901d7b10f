"""The audit row's address is exactly the one its seal covers (review 22q hole 5): `client_ip` gives one
normal form and the writer seals it as the database gives it back, on SQLite (GenericIPAddressField: text)
and on PostgreSQL (`inet`, which writes some IPv6 addresses back with a dotted IPv4 tail, and no zone id)."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from keel.audit import context
from keel.audit import services as audit
from keel.audit.models import AuditEvent
from keel.core.addresses import normal_address

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _failed_sign_in(remote: str) -> list[str | None]:
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Client().post(LOGIN, {"username": "nobody-sealed", "password": "wrong"}, REMOTE_ADDR=remote)
    return list(AuditEvent.objects.filter(id__gt=before).values_list("ip_address", flat=True))


@pytest.mark.parametrize(
    ("remote", "stored"),
    [
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),  # long form, capitals, no proxy
        ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),  # a link-local peer's zone id
        ("fe80::0001%25", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::192.0.2.1", "192.0.2.1"),  # PostgreSQL would write "::c000:201" back as "::192.0.2.1"
    ],
)
def test_a_sign_in_from_any_written_form_leaves_the_chain_whole(remote: str, stored: str) -> None:
    written = _failed_sign_in(remote)
    assert written and set(written) == {stored}, written
    report = audit.verify_chain()
    assert report.ok, report


# Addresses whose written form a database might change: every IPv4-carrying shape, single and tied zero
# runs, the edges of ::/96 and ::ffff:0:0/96, a zone id, no address at all.
ODD = [
    "::",
    "::1",
    "::2",
    "::ffff",
    "::1:0:0:1",
    "::ffff:0",
    "::ffff:0:0",
    "::ffff:0:c000:201",
    "64:ff9b::c000:201",
    "64:ff9b:1::c000:201",
    "2002:c000:201::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "1:0:0:1:0:0:0:1",
    "1:0:0:1:0:0:1:1",
    "0:0:1::",
    "2001:db8:0:1:1:1:1:1",
    "2001:db8::1:0:0:1",
    "FE80::ABCD%wlan0",
    "192.0.2.255",
    "0.0.0.0",
    "not an address",
    "",
]


def _random_addresses(n: int) -> list[str]:
    """IPv6 addresses with many zero and small groups (where compression could differ), seeded."""
    pick = random.Random(22).choice
    return [":".join(pick(["0", "0", "0", "1", "ffff", "a0"]) for _ in range(8)) for _ in range(n)]


def test_every_address_reads_back_as_it_was_sealed() -> None:
    sealed = []
    for raw in ODD + _random_addresses(120):
        with context.bind(context.RequestContext(ip_address=raw or None, channel="web")):
            event = audit.record(actor=None, action="read", target_type="thing", target_id=raw[:40])
        sealed.append((raw, event.pk, event.ip_address))
    stored = dict(
        AuditEvent.objects.filter(pk__in=[pk for _, pk, _ in sealed]).values_list("pk", "ip_address")
    )
    differ = [(raw, ip, stored[pk]) for raw, pk, ip in sealed if stored[pk] != ip]
    assert not differ, f"stored otherwise than sealed: {differ[:5]}"
    assert all(ip == normal_address(raw) for raw, _, ip in sealed)
    report = audit.verify_chain()
    assert report.ok, report
