"""Lane words22b: the program-policy page and its API in the clinician's language. Each policy value's
provenance (`Field(help=...)`) and each bound's source sentence (`Limit.why`) are marked at their source in
the core (`N_`) and said in the reader's language; the page names each value in plain words, never by its
key only (`qtc_recent_days` stays in the API, where an admin uses it)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from keel.core import rules
from keel.core.rules import policy as core_policy
from keel.core.rules.agonists import second_agonist
from keel.treatment.queries.policy import PROGRAM_RULES, owning_rule
from tests.conftest import World, sign_in
from tests.web.test_spanish_pages_have_no_english import CODE, words_of

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
SHOWN = [
    (name, f) for name in PROGRAM_RULES for f in rules.get(name).policy if owning_rule(name, f.name) == name
]


def _es(text: str) -> str:
    with translation.override("es"):
        return translation.gettext(text)


def test_every_value_shown_has_a_label_and_every_sentence_a_spanish_entry() -> None:
    for name, f in SHOWN:
        limit = core_policy.limit_for(name, f.name)
        assert limit is not None
        label = core_policy.LABELS[(name, f.name)]
        for english in (f.help, limit.why, label, core_policy.RULE_LABELS[name]):
            assert _es(english) != english, (name, f.name, english)


def test_the_policy_page_in_spanish_has_no_english_help_sentence_nor_a_bare_key(world: World) -> None:
    raw = sign_in(Client(), world.staff["program_admin"]).get("/program/policy/", **SPANISH).content.decode()
    html, text = unescape(raw), words_of(raw)
    for name, f in SHOWN:
        limit = core_policy.limit_for(name, f.name)
        assert limit is not None
        assert f.help not in html and limit.why not in html, (name, f.name)
        assert _es(f.help) in html and _es(limit.why) in html, (name, f.name)
        assert _es(core_policy.LABELS[(name, f.name)]) in text
        assert f.name not in text, f.name  # the key only in the form's hidden field
    assert name not in text  # nor a rule's key
    assert CODE.findall(text) == []  # a choice's values in words too (`low_dose` only in the form's <option>)
    assert '<option value="low_dose">un inicio con dosis bajas</option>' in html
    assert "Espera tras la metadona (horas)" in text
    # citations and source ids stay as they are inside the Spanish
    assert "Krantz 2009" in text and "42 CFR 8.12" in text and "keel-one-agonist-a-day" in text


def test_the_policy_page_in_english_names_each_value_in_plain_words(world: World) -> None:
    raw = sign_in(Client(), world.staff["program_admin"]).get("/program/policy/").content.decode()
    html = unescape(raw)
    text = unescape(re.sub(r"<[^>]*>", " ", raw))  # (words_of skips a page marked lang="en")
    assert "How recent a QTc must be (days)" in text and "Methadone doses" in text
    assert "qtc_recent_days" not in text and "methadone-dose-check" not in text
    assert 'name="field" value="qtc_recent_days"' in html  # still what the change form sends


def test_the_policy_api_answers_in_the_requests_language(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    spanish = client.get("/api/v1/programs/riverside/policy", **SPANISH).json()["values"]
    english = client.get("/api/v1/programs/riverside/policy").json()["values"]
    assert len(spanish) == len(english) == len(SHOWN)
    for es, en, (name, f) in zip(spanish, english, SHOWN, strict=True):
        assert (es["rule"], es["field"]) == (en["rule"], en["field"]) == (name, f.name)  # keys for admins
        assert en["provenance"] == f.help and es["provenance"] == _es(f.help) != f.help
        assert es["bounds"] == _es(en["bounds"]) != en["bounds"]
        assert en["label"] == core_policy.LABELS[(name, f.name)] and es["label"] == _es(en["label"])


@pytest.mark.parametrize("hours", [12, 24, 72])
def test_the_switch_refusal_is_true_for_any_wait(hours: int) -> None:
    """The wait is a program value of 12-72 h: the refusal never says "the same day"."""
    decision = second_agonist(
        "methadone", ["buprenorphine"], low_dose_start=False, documented=False, hours=hours
    )
    assert decision is not None
    (reason,) = decision.reasons
    assert "same day" not in reason.text and f"{hours} hours" in reason.text
    spanish = _es(reason.template) % {"hours": hours}
    assert "mismo día" not in spanish and spanish != reason.text


def test_a_choice_is_still_changed_by_its_value_from_the_page(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    form = {
        "rule": "buprenorphine-readiness",
        "field": "fentanyl_profile",
        "value": "low_dose",
        "reason": "our written protocol says so",
    }
    assert admin.post("/program/policy/", form).status_code == 302
    html = admin.get("/program/policy/", **SPANISH).content.decode()
    assert '<option value="low_dose" selected>un inicio con dosis bajas</option>' in html
