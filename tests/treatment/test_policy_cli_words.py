"""`keel policy show` in the operator's language (lane words23): `--language es`, else LANGUAGE_CODE, with the
policy page's words (labels, provenance, bounds sentences); a language Keel does not speak is exit 2."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone, translation

from keel.audit.models import AuditEvent
from keel.core.rules import policy as core_policy
from keel.treatment.models import PolicySetting
from keel.treatment.queries.policy import PROGRAM_RULES
from tests.conftest import World

pytestmark = pytest.mark.django_db
DASH = "\N{EN DASH}"  # between a safe range's floor and ceiling, as on the page


def show(*extra: str) -> str:
    out = io.StringIO()
    call_command("policy", "show", "--program", "riverside", "--by", "r-nurse", *extra, stdout=out)
    return out.getvalue()


def spanish(text: str) -> str:
    with translation.override("es"):
        return translation.gettext(text)


def shown_labels() -> list[str]:
    """The labels of the values `show` lists (a value shared by two rules is listed under its owner)."""
    return [label for (rule, _field), label in core_policy.LABELS.items() if rule in PROGRAM_RULES]


def test_show_says_the_program_in_english_by_default(world: World) -> None:
    assert show().startswith("Program policy: Riverside Recovery\n")


def test_show_says_a_value_with_its_label_in_english(world: World) -> None:
    assert "  Lowest COWS score to start: 8 (higher is stricter)\n" in show()


def test_show_says_the_safe_range_and_its_source_in_english(world: World) -> None:
    assert f"    Allowed range: 8 {DASH} 24 · floor COWS 8, the lowest start threshold" in show()


def test_show_names_the_codes_set_takes(world: World) -> None:
    assert "    --rule buprenorphine-readiness --field cows_threshold\n" in show()


def test_show_says_a_choice_in_words(world: World) -> None:
    assert "  Start after fentanyl use: not a standard start (from the loosest" in show()


def test_show_says_the_program_in_spanish(world: World) -> None:
    assert show("--language", "es").startswith("Política del programa: Riverside Recovery\n")


def test_show_says_a_value_with_its_label_in_spanish(world: World) -> None:
    assert "  Puntuación COWS mínima para empezar: 8 (más alto es más estricto)\n" in show("--language", "es")


def test_show_says_the_safe_range_and_its_source_in_spanish(world: World) -> None:
    text = show("--language", "es")
    assert f"    Rango permitido: 8 {DASH} 24 · mínimo COWS 8, el umbral de inicio más bajo" in text


def test_show_says_every_rule_and_value_label_in_spanish(world: World) -> None:
    text = show("--language", "es")
    wanted = [*(core_policy.RULE_LABELS[r] for r in PROGRAM_RULES), *shown_labels()]
    assert [w for w in wanted if spanish(w) not in text] == []


def test_show_in_spanish_leaves_no_english_label(world: World) -> None:
    text = show("--language", "es")
    english = [w for w in shown_labels() if spanish(w) != w]
    assert [w for w in english if f"  {w}: " in text] == []


def test_show_in_spanish_leaves_no_english_heading(world: World) -> None:
    text = show("--language", "es")
    headings = ("Default and provenance", "Allowed range", "Last change", "Program policy")
    assert [h for h in headings if h in text] == []


def test_show_in_spanish_writes_decimals_with_a_comma(world: World) -> None:
    assert f"Rango permitido: 0,5 {DASH} 4 ·" in show("--language", "es")


def test_show_speaks_the_language_code_setting_without_the_flag(world: World) -> None:
    with override_settings(LANGUAGE_CODE="es"):
        assert show().startswith("Política del programa:")


@pytest.mark.parametrize("code", ["ES", "es-MX", "es_MX"])
def test_show_takes_a_spanish_variant_as_spanish(world: World, code: str) -> None:
    assert show("--language", code).startswith("Política del programa:")


def test_show_as_json_in_spanish_carries_the_label(world: World) -> None:
    rows = json.loads(show("--language", "es", "--json"))["values"]
    cows = next(r for r in rows if (r["rule"], r["field"]) == ("buprenorphine-readiness", "cows_threshold"))
    assert cows["label"] == "Puntuación COWS mínima para empezar"


def test_show_as_json_in_spanish_carries_the_bounds_sentence(world: World) -> None:
    rows = json.loads(show("--language", "es", "--json"))["values"]
    cows = next(r for r in rows if (r["rule"], r["field"]) == ("buprenorphine-readiness", "cows_threshold"))
    assert cows["bounds"].startswith("mínimo COWS 8, el umbral de inicio más bajo")


@pytest.mark.parametrize("code", ["xx", "", "fr", "english", "e s"])
def test_a_language_keel_does_not_speak_is_exit_2(world: World, code: str) -> None:
    with pytest.raises(CommandError) as error:
        show("--language", code)
    assert error.value.returncode == 2


def test_a_language_keel_does_not_speak_is_named_with_the_ones_it_does(world: World) -> None:
    with pytest.raises(CommandError) as error:
        show("--language", "fr")
    assert str(error.value) == "--language: 'fr' is not a language Keel speaks; use one of en, es"


def test_a_language_keel_does_not_speak_reads_nothing(world: World) -> None:
    with pytest.raises(CommandError):
        show("--language", "fr")
    assert not AuditEvent.objects.filter(target_type="program_policy").exists()


def test_show_in_spanish_cites_the_references_sections_in_spanish(world: World) -> None:
    text = show("--language", "es")
    assert re.findall(r"\b(?:corrections?|conflicts?)\b", text) == []


def test_show_says_the_last_change_with_its_reason(world: World) -> None:
    call_command(
        "policy",
        "set",
        *("--program", "riverside", "--by", "r-program_admin", "--rule", "methadone-dose-check"),
        *("--field", "titration_step_max_mg", "--value", "5", "--reason", "protocolo nuevo del director"),
        stdout=io.StringIO(),
    )
    day = timezone.localdate().isoformat()
    said = show("--language", "es")
    assert f"    Último cambio: r-program_admin, {day}: protocolo nuevo del director\n" in said


def test_show_says_a_value_set_outside_todays_range_in_spanish(world: World) -> None:
    PolicySetting.objects.create(
        program=world.riverside,
        rule="buprenorphine-readiness",
        field="cows_threshold",
        value=4,
        set_by=world.staff["program_admin"],
        set_at=timezone.now(),
        reason="before the floor existed",
    )
    assert "    El valor fijado (4) está fuera del rango seguro" in show("--language", "es")
