"""Review 22q: the audit trail keeps the client's address as `client_ip` gives it (review 22p), and that
address is sealed into the row's keyed hash (`keel.audit.chain.HASHED_FIELDS`). A link-local client's address
carries its zone id (`fe80::1%eth0`: what Python's socket and Go's net report for a link-local peer, so what
`keel serve` and Caddy pass on). PostgreSQL's `inet` stores `fe80::1`, dropping the zone, so the row read back
no longer matches its seal: one sign-in attempt from a clinic's LAN makes `verify_chain` report the trail as
tampered with. (SQLite keeps the text as given; the test holds on both: the address must not carry a zone.)"""

from __future__ import annotations

import pytest
from django.test import Client

PATH = "/accounts/login/"


@pytest.mark.django_db
def test_a_zone_id_client_leaves_the_audit_chain_whole() -> None:
    from keel.audit.models import AuditEvent
    from keel.audit.services import verify_chain

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Client().post(PATH, {"username": "nobody-review22q", "password": "wrong"}, REMOTE_ADDR="fe80::1%eth0")
    written = list(AuditEvent.objects.filter(id__gt=before).values_list("ip_address", flat=True))
    assert written, "the failed sign-in wrote no audit row"
    report = verify_chain()
    assert report.ok, f"the audit chain breaks after one request from fe80::1%eth0: {report}"
    assert all("%" not in (a or "") for a in written), f"the trail keeps the server's zone id: {written}"
