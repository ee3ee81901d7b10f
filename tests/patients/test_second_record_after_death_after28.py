"""Lane after28 (brief item 3): a second record for the same name and birth date after a death, the registrar
having confirmed "not a duplicate". What its codes can reach, held here (decided in the lane's report):

- an activation code for the new record makes a NEW account (`activation._activate`: `create_user`, never an
  existing one) joined to the new record only; the dead person's account stays off and her record refuses
  every code (`death_refused`), so nothing of her record or her account is reached;
- the new account reads the new record, never hers (her FHIR Patient is not its own);
- a link code for the new record joins only a signed-in self-guided account: her own account, turned off by
  her death, cannot sign in to use it, and a link code for her record stays refused.

The registrar's confirmation stands (a living person may share a name and a birth date); Keel never gives
the new record anything of hers."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.core.rules.inputs import FieldsInvalid
from keel.patients import services as patients
from keel.patients.models import Patient
from keel.patients.schemas import RegistrationIn
from keel.patients.services import activation
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from tests.conftest import PASSWORD, World, sign_in
from tests.review27b.test_death_and_activation import _record_death

pytestmark = pytest.mark.django_db
PASSPHRASE = "a long enough passphrase 928"


def _second_record(world: World) -> Patient:
    """Her name and birth date again, in her program, the registrar confirming it is not her."""
    alice = world.alice
    registered = patients.register_patient(
        by=world.staff["program_admin"],
        data=RegistrationIn.posted(
            {
                "given_name": alice.given_name,
                "family_name": alice.family_name,
                "date_of_birth": alice.date_of_birth.isoformat(),
                "episode_kind": "otp",
                "notice_given": True,
                "consented": True,
                "not_a_duplicate": True,
            }
        ),
    )
    assert registered.patient.pk != alice.pk
    return registered.patient


def test_a_duplicate_is_refused_until_the_registrar_confirms(world: World) -> None:
    _record_death(world, world.alice)
    alice = world.alice
    with pytest.raises(FieldsInvalid) as refused:
        patients.register_patient(
            by=world.staff["program_admin"],
            data=RegistrationIn.posted(
                {
                    "given_name": alice.given_name,
                    "family_name": alice.family_name,
                    "date_of_birth": alice.date_of_birth.isoformat(),
                    "episode_kind": "otp",
                    "notice_given": True,
                    "consented": True,
                }
            ),
        )
    assert [e.field for e in refused.value.errors] == ["not_a_duplicate"]


def test_the_new_records_code_makes_a_new_account_that_reaches_only_the_new_record(world: World) -> None:
    _record_death(world, world.alice)
    hers = world.alice.user_id
    second = _second_record(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=second.pk)
    made = activation.activate(
        code=issued.code, username="second-record", password=PASSPHRASE, password_again=PASSPHRASE
    )
    assert made.pk != hers
    assert Patient.objects.get(pk=second.pk).user_id == made.pk
    assert Patient.objects.get(pk=world.alice.pk).user_id == hers  # her record keeps her account, off
    assert not User.objects.get(pk=hers).is_active
    session = sign_in(Client(), made)
    assert session.get(f"/fhir/R4/Patient/{second.pk}").status_code == 200
    assert session.get(f"/fhir/R4/Patient/{world.alice.pk}").status_code in (403, 404)
    assert session.get(f"/fhir/R4/Patient/{world.alice.pk}/$everything").status_code in (403, 404)


def test_her_own_account_cannot_sign_in_to_use_the_new_records_link_code(world: World) -> None:
    _record_death(world, world.alice)
    second = _second_record(world)
    selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=second.pk)
    client = Client()
    client.post("/accounts/login/", {"username": world.alice.user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    with pytest.raises((FieldsInvalid, SelfGuidedInvalid)):  # her record: no code, audited (fix27b)
        selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=world.alice.pk)
    with pytest.raises(FieldsInvalid):
        activation.issue_activation_code(by=world.staff["program_admin"], patient_id=world.alice.pk)
