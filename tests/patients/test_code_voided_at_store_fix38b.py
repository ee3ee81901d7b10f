"""Lane fix38b item 3: a code voided as it is stored (its giver lost the record meanwhile: the CREATE row's
`voided_at_store`, lane fix37l) never works, so it is never handed to the desk. The page says plainly it could
not be made and to try again (English and Spanish), with no code on it; the API answers 409 in its one error
shape with no code; the command line says so and exits 1 with no code. The voiding stays in the trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from keel.access import policy
from keel.audit.models import AuditEvent
from keel.patients.models import ActivationCode, CareTeamMember, Patient
from keel.patients.services.common import CODE_NOT_MADE
from keel.selfguided.models import LinkCode
from tests.accounts.test_leaver_codes_fix37e import _record
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def giver_leaves_as_it_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The nurse is taken off every care team between the route's check and the store's re-check."""
    asked = policy.may_still_give_code_for

    def removed_then_asked(user: Any, patient: Patient) -> bool:
        CareTeamMember.objects.filter(user=user).delete()
        return asked(user, patient)

    monkeypatch.setattr(policy, "may_still_give_code_for", removed_then_asked)


def _nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def _api_activation(world: World) -> Any:
    path = f"/api/v1/patients/{_record(world).pk}/activation-code"
    return _nurse(world).post(path, "{}", content_type="application/json")


def _api_reset(world: World) -> Any:
    body = '{"identity_checked": true}'
    path = f"/api/v1/patients/{world.alice.pk}/password-reset-code"
    return _nurse(world).post(path, body, content_type="application/json")


def _page(world: World, kind: str, language: str = "en") -> Any:
    client = _nurse(world)
    if kind == "reset":
        path, form = f"/patients/{world.alice.pk}/password-reset-code/", {"identity_checked": "on"}
    elif kind == "link":
        path, form = f"/patients/{_record(world).pk}/link-code/", {}
    else:
        path, form = f"/patients/{_record(world).pk}/activation-code/", {}
    return client.post(path, form, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_api_answers_409_for_an_activation_code_voided_as_it_is_stored(world: World) -> None:
    assert _api_activation(world).status_code == 409


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_api_hands_out_no_activation_code_voided_as_it_is_stored(world: World) -> None:
    assert "code" not in _api_activation(world).json()


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_api_says_the_activation_code_could_not_be_made(world: World) -> None:
    assert _api_activation(world).json()["message"] == CODE_NOT_MADE


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_api_answers_409_for_a_reset_code_voided_as_it_is_stored(world: World) -> None:
    assert _api_reset(world).status_code == 409


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_api_hands_out_no_reset_code_voided_as_it_is_stored(world: World) -> None:
    assert "code" not in _api_reset(world).json()


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
@pytest.mark.parametrize("kind", ["activation", "reset", "link"])
def test_the_page_answers_409_for_a_code_voided_as_it_is_stored(world: World, kind: str) -> None:
    assert _page(world, kind).status_code == 409


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
@pytest.mark.parametrize("kind", ["activation", "reset", "link"])
def test_the_page_shows_no_code_voided_as_it_is_stored(world: World, kind: str) -> None:
    assert "<code" not in _page(world, kind).content.decode()


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
@pytest.mark.parametrize("kind", ["activation", "reset", "link"])
def test_the_page_says_the_code_could_not_be_made(world: World, kind: str) -> None:
    assert CODE_NOT_MADE in _page(world, kind).content.decode()


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_page_says_so_in_spanish(world: World) -> None:
    with translation.override("es"):
        said = translation.gettext(CODE_NOT_MADE)
    assert said in _page(world, "activation", "es").content.decode()


def test_the_words_have_spanish() -> None:
    with translation.override("es"):
        assert translation.gettext(CODE_NOT_MADE) != CODE_NOT_MADE


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_cli_exits_1_for_a_code_voided_as_it_is_stored(world: World) -> None:
    patient = _record(world)
    with pytest.raises(CommandError) as raised:
        call_command("episode", "activation-code", "--by", "r-nurse", "--patient-id", str(patient.pk))
    assert raised.value.returncode == 1


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_voided_code_stays_voided_and_audited(world: World) -> None:
    _api_activation(world)
    voided = AuditEvent.objects.filter(target_type="activation_code", detail__voided_at_store=True)
    assert (voided.exists(), ActivationCode.objects.exists()) == (True, False)


@pytest.mark.usefixtures("giver_leaves_as_it_is_stored")
def test_the_voided_link_code_is_not_kept(world: World) -> None:
    _page(world, "link")
    assert not LinkCode.objects.exists()


def test_a_code_still_given_is_shown(world: World) -> None:
    assert "code" in _api_activation(world).json()
