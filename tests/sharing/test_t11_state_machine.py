"""SECURITY.md T11: 0 disclosures without an active, covering consent or a recorded emergency.

A hypothesis state machine drives the real services against the real database: the patient signs and
revokes consents, days pass (consents expire), the nurse discloses under any consent with any categories,
or for an emergency. A model predicts every answer; after every step each disclosure row must have had a
basis: a consent that was signed, not revoked, not expired on the day, covering every category it sent;
or the four facts of an emergency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from keel.core import sharing as core
from keel.patients.models import local_today
from keel.sharing import services
from keel.sharing.models import Consent, ConsentRevocation, Disclosure
from keel.sharing.schemas import DisclosureIn
from tests.conftest import PASSWORD, World, _make_patient

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
CATEGORY = st.sampled_from(list(core.CATEGORIES))


def test_no_disclosure_without_a_live_covering_consent_or_an_emergency(world: World) -> None:
    counter = iter(range(1, 10_000))
    nurse = world.staff["nurse"]

    class Sharing(RuleBasedStateMachine):
        consents = Bundle("consents")

        def __init__(self) -> None:
            super().__init__()
            n = next(counter)
            self.patient = _make_patient(world.riverside, f"T11-{n}", "Tess", f"Case{n}", f"t11-{n}")
            from keel.patients.models import CareTeamMember

            CareTeamMember.objects.create(patient=self.patient, user=nurse)
            self.now = START
            self.model: dict[int, dict[str, Any]] = {}
            self.sent = 0

        def today(self) -> Any:
            return local_today(self.patient, self.now)

        @rule(target=consents, days=st.integers(1, 60), categories=st.sets(CATEGORY, min_size=1))
        def sign(self, days: int, categories: set[str]) -> int:
            self.now += timedelta(minutes=1)
            expires = self.today() + timedelta(days=days)
            consent = services.sign_consent(
                by=self.patient.user,
                raw={
                    "recipient_name": "Valley Clinic",
                    "purpose": "treatment",
                    "categories": sorted(categories),
                    "expires_on": expires.isoformat(),
                    "signature": f"{self.patient.given_name} {self.patient.family_name}",
                    "understood": True,
                },
                now=self.now,
            )
            self.model[consent.pk] = {"expires": expires, "revoked": False, "categories": set(categories)}
            return consent.pk

        @rule(consent=consents)
        def revoke(self, consent: int) -> None:
            self.now += timedelta(minutes=1)
            services.revoke_consent(by=self.patient.user, consent_id=consent, now=self.now)
            self.model[consent]["revoked"] = True

        @rule(days=st.integers(1, 20))
        def pass_days(self, days: int) -> None:
            self.now += timedelta(days=days)

        @rule(consent=consents, asked=st.sets(CATEGORY))
        def disclose(self, consent: int, asked: set[str]) -> None:
            self.now += timedelta(minutes=1)
            m = self.model[consent]
            allowed = not m["revoked"] and self.today() <= m["expires"] and asked <= m["categories"]
            try:
                services.disclose(
                    by=nurse,
                    patient_id=self.patient.pk,
                    data=DisclosureIn.posted(
                        {
                            "basis": "consent",
                            "consent": consent,
                            "categories": sorted(asked),
                            "recipient_name": "Valley Clinic",
                            "purpose": "treatment",
                            "password": PASSWORD,
                        }
                    ),
                    now=self.now,
                )
            except services.SharingInvalid:
                assert not allowed, "a covered disclosure was refused"
            else:
                assert allowed, "a disclosure left without a live, covering consent"
                self.sent += 1

        @rule(
            asked=st.sets(CATEGORY, min_size=1), nature=st.sampled_from(["", "Overdose at the clinic door"])
        )
        def emergency(self, asked: set[str], nature: str) -> None:
            needed = asked <= set(core.EMERGENCY_CATEGORIES)
            self.now += timedelta(minutes=1)
            try:
                services.disclose(
                    by=nurse,
                    patient_id=self.patient.pk,
                    data=DisclosureIn.posted(
                        {
                            "basis": "emergency",
                            "categories": sorted(asked),
                            "recipient_name": "Dr. Example",
                            "recipient_role": "physician",
                            "recipient_affiliation": "Mercy Hospital",
                            "nature": nature,
                            "password": PASSWORD,
                        }
                    ),
                    now=self.now,
                )
            except services.SharingInvalid:
                assert not (nature and needed), "a recorded emergency was refused"
            else:
                assert nature, "an emergency disclosure without its nature"
                assert needed, "an emergency sent more than it needs"
                self.sent += 1

        @invariant()
        def every_disclosure_had_a_basis(self) -> None:
            rows = list(Disclosure.objects.filter(patient=self.patient))
            assert len(rows) == self.sent
            for d in rows:
                day = local_today(self.patient, d.disclosed_at)
                if d.basis == "emergency":
                    assert d.consent_id is None
                    assert d.recipient_affiliation
                    assert d.emergency_nature
                    assert d.recipient_role
                    assert set(d.categories) <= set(core.EMERGENCY_CATEGORIES)
                    continue
                consent = Consent.objects.get(pk=d.consent_id, patient=self.patient)
                revocation = ConsentRevocation.objects.filter(consent=consent).first()
                assert consent.signed_at <= d.disclosed_at
                assert revocation is None or revocation.revoked_at > d.disclosed_at
                assert (d.recipient_name, d.purpose) == (consent.recipient_name, consent.purpose)
                assert day <= consent.expires_on
                assert set(d.categories) <= set(consent.categories)
                assert d.notice == core.NOTICE
                assert d.scope

    run_state_machine_as_test(
        Sharing,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
