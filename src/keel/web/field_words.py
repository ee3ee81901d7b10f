"""A field's problem in the reader's language (issue #17: the core's words marked at their source).

Keel's services and the core name each bad field in English (`FieldError.reason`: what the API, the CLI and
the audit trail carry) and mark those words for the catalogue with `N_`; a reason built from a template keeps
it (`FieldError.said`). Every page that shows a field's problem says it through `said`, so a Spanish page
never shows an English reason that has a translation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext

from keel.core.decision import LIST_SEPARATOR
from keel.core.instruments.model import ItemError
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.web.dates import shown_days_in


def said(error: FieldError | ItemError) -> str:
    """The problem in the active language: the template translated with its parts, or the reason's own entry;
    a reason with no entry (what a validator said) as it is. A field's problem or an answer's (`ItemError`,
    the questionnaires' own: the same template and parts)."""
    return _said(error, _words)


def _said(error: FieldError | ItemError, part: Callable[[str], str]) -> str:
    if error.template:
        codes = error.codes if isinstance(error, ItemError) else ()  # values to send stay as sent
        try:
            return gettext(error.template) % {k: v if k in codes else part(v) for k, v in error.params}
        except (KeyError, ValueError, TypeError):  # a translation that lost a part: the English is right
            return error.reason
    return gettext(error.reason) if error.reason else error.reason


def _words(value: str) -> str:
    """A part of a reason in the reader's language: a list ("a; b") part by part, each its own entry (the
    convention of `keel.core.decision.Reason`); a number, a date or a code has none and stays as it is."""
    return LIST_SEPARATOR.join(gettext(part) if part else "" for part in value.split(LIST_SEPARATOR))


# A list of codes to choose from ("must be one of: pharmacy, pdmp, patient") is what the API says: a page
# offers the choices themselves, in words, so it asks to choose one of them and never shows the codes.
CHOICE_LISTS = frozenset(
    {
        N_("must be one of: %(items)s"),
        N_("must be one of %(items)s"),
        N_("must be one of %(choices)s"),
        N_("must be one of: %(allowed)s"),
        N_("each must be one of: %(items)s"),
        N_("%(unknown)s not one of %(choices)s"),
    }
)
CHOOSE = N_("choose one of the options shown")


def on_page(error: FieldError | ItemError) -> str:
    """The problem as a page says it: `said`, but a list of codes to choose from is "choose one of the
    options shown" (no internal code on a page; lane es21 found "must be one of medication, checkin,
    meeting" on a person's reminders page). A day given as a part is said in the reader's words, never ISO
    (lane words34); the API's 422 keeps `said`, ISO days and all. A template's own example of what to type
    ("must be a date like 2026-01-31") stays: it is the form the field reads."""
    if error.template in CHOICE_LISTS:
        return gettext(CHOOSE)
    return _said(error, lambda value: shown_days_in(_words(value)))


def by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    """Each field's problem as a page says it (the last one for a field named twice, as a dict of reasons
    did)."""
    return {e.field: on_page(e) for e in errors}


def labelled(errors: Iterable[FieldError], labels: Mapping[str, str | Promise]) -> list[tuple[str, str]]:
    """Each field's problem as a page says it (`by_field`), under the field's label as the form names it
    (`labels`: the field's key, or the key before an item's index, "people" of "people[0].phone", to its
    label's catalogue entry or a lazy translation), for a page that lists its errors above the form
    (`web/_error_list.html`); a problem of no field the form shows (`basis`, a check across fields) is said
    alone. Never the internal key (review 29b H3: `record_number` on the emergency page), as a Django
    form's errors sit under their labels."""
    listed = []
    for field, why in by_field(errors).items():
        label = labels.get(field, labels.get(field.split("[", 1)[0].split(".", 1)[0]))
        shown = str(label) if isinstance(label, Promise) else gettext(label) if label else ""
        listed.append((shown, why))
    return listed


def joined(errors: Iterable[FieldError], sep: str = " ") -> str:
    return sep.join(on_page(e) for e in errors)


# pydantic's checks of an API body (`keel.schemas.In`: a wrong JSON type, a bound, a length, a choice), by
# pydantic's error type: the words a Spanish (or any translated) reader gets. pydantic writes English only;
# an English reader keeps pydantic's own sentence, byte for byte (what the API always said), and so does any
# reader of an error type not listed here. The parts in %(...)s come from the error's `ctx`.
PYDANTIC = {
    "missing": N_("Field required"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number"),
    "finite_number": N_("Input should be a finite number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date"),
    "timezone_aware": N_("Input should have timezone info"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than": N_("Input should be less than %(lt)s"),
    "greater_than": N_("Input should be greater than %(gt)s"),
    "string_too_short": N_("String should have at least %(min_length)s characters"),
    "string_too_long": N_("String should have at most %(max_length)s characters"),
    "too_short": N_("Should have at least %(min_length)s items"),
    "too_long": N_("Should have at most %(max_length)s items"),
    "literal_error": N_("Input should be %(expected)s"),
    "enum": N_("Input should be %(expected)s"),
    "string_pattern_mismatch": N_("String should match pattern '%(pattern)s'"),
}
# the same words when the bound is 1 (pydantic says "1 character", "1 item")
PYDANTIC_ONE = {
    "string_too_short": N_("String should have at least 1 character"),
    "string_too_long": N_("String should have at most 1 character"),
    "too_short": N_("Should have at least 1 item"),
    "too_long": N_("Should have at most 1 item"),
}
OR = N_("or")  # the last join of pydantic's list of choices ("'a', 'b' or 'c'")


def pydantic_said(error: Mapping[str, object]) -> str:
    """One of pydantic's errors (an item of `ValidationError.errors`) in the active language: its type's
    words from the catalogue with the error's `ctx` as their parts; pydantic's own English sentence when the
    active language has no entry for them (English itself) or the type is not listed in `PYDANTIC`."""
    english = str(error.get("msg", "invalid"))
    kind = str(error.get("type", ""))
    found = error.get("ctx")
    ctx: Mapping[str, object] = found if isinstance(found, Mapping) else {}  # pydantic's parts, maybe none
    one = kind in PYDANTIC_ONE and 1 in (ctx.get("min_length"), ctx.get("max_length"))
    template = PYDANTIC_ONE[kind] if one else PYDANTIC.get(kind)
    if template is None:
        return english
    translated = gettext(template)
    if translated == template:  # English, or a language without these words: pydantic's sentence
        return english
    parts = {key: f"{value}" for key, value in ctx.items()}
    if "expected" in parts:  # "'a', 'b' or 'c'": the choices stay as sent, the "or" is the reader's
        head, sep, tail = parts["expected"].rpartition(" or ")
        parts["expected"] = f"{head} {gettext(OR)} {tail}" if sep else tail
    try:
        return translated % parts
    except (KeyError, ValueError, TypeError):  # a part pydantic did not give: its English is right
        return english
