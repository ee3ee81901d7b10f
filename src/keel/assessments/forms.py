"""Instrument forms shared by the pages that fill an instrument (staff, patients, and the public self-checks):
parse the posted answers and build the questions with their errors, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from keel.core.digits import ascii_digits
from keel.core.instruments.interpretation import EXTRAS, Extra
from keel.core.instruments.model import Instrument, ItemError
from keel.core.words import gettext_noop as N_
from keel.web.field_words import on_page

# What a person sees for each kind of problem the core reports (the core's reasons are for developers).
_PLAIN = (
    (
        "no criterion other than craving was met in the last 12 months",
        gettext_lazy(
            "No criterion other than craving is marked for the last 12 months, so this is 12 or more. "
            "Change the answers or this number, or leave it empty."
        ),
    ),
    (
        "a criterion other than craving was met in the last 12 months",
        gettext_lazy(
            "A criterion other than craving is marked for the last 12 months, so this is under 12. "
            "Change the answers or this number."
        ),
    ),
    (
        "chooses the remission code",
        gettext_lazy(
            "Fewer than 2 criteria are marked for the last 12 months: choose the severity when the criteria "
            "were last met, so the remission has its diagnosis code."
        ),
    ),
    ("and at most", gettext_lazy("Enter a whole number in the range shown.")),
    (
        "heavy-drinking days cannot exceed the days with any alcohol",
        gettext_lazy(
            "Days with heavy drinking cannot be more than the days with any alcohol (question 4). "
            "Please check both answers."
        ),
    ),
    ("missing", gettext_lazy("Please choose an answer.")),
    (
        "must not be answered",
        gettext_lazy("Leave this one as “Not asked”: it only follows a different answer above."),
    ),
    ("not allowed", gettext_lazy("Please choose one of the answers shown.")),
    ("whole number", gettext_lazy("Please choose one of the answers shown.")),
    ("future", gettext_lazy("The time cannot be in the future.")),
    ("valid date", gettext_lazy("Enter a date and time.")),
)
EXTRA_LABELS = {
    "sex": gettext_lazy("Sex (selects the item weights)"),
    "female": gettext_lazy("Female"),
    "male": gettext_lazy("Male"),
    "medical_supervision": gettext_lazy(
        "Takes opioids only under appropriate medical supervision (clinician attests)"
    ),
    "prior_oud": gettext_lazy("Met the full criteria for opioid use disorder before"),
    "months_without_criteria": gettext_lazy(
        "Months since a criterion other than craving was last met (leave empty if not known)"
    ),
    "prior_severity": gettext_lazy("Severity when the criteria were last met (for a remission)"),
    "mild": gettext_lazy("Mild"),
    "moderate": gettext_lazy("Moderate"),
    "severe": gettext_lazy("Severe"),
    "on_maintenance_therapy": gettext_lazy(
        "On maintenance therapy: takes a prescribed medication for opioid use disorder (tolerance and "
        "withdrawal are then not counted)"
    ),
    "controlled_environment": gettext_lazy("Lives where access to opioids is restricted"),
    "protective_comparison": gettext_lazy("Flag protective factors at"),
    "le": gettext_lazy("12 or less"),
    "lt": gettext_lazy("less than 12"),
}


# A choice not among the choices ("must be mild, moderate or severe"): the API names the values to send; a
# page offers the choices themselves, so it never shows those codes.
_CHOICES = frozenset({N_("must be %(choices)s or %(last)s"), N_("must be %(choices)s")})
_CHOOSE_SHOWN = gettext_lazy("Please choose one of the answers shown.")


def _plain(error: ItemError) -> str:
    """What a person reads for a problem: the plain words of its kind, else the core's reason in the reader's
    language (its template translated with its parts: lane words22 found a Spanish page saying the core's
    English, "must be mild, moderate or severe")."""
    if error.template in _CHOICES:
        return str(_CHOOSE_SHOWN)
    return str(next((text for key, text in _PLAIN if key in error.reason), None) or on_page(error))


def _display(instrument: Instrument, link_id: str, value: int) -> str:
    return next(o.display for o in instrument.item(link_id).options if o.value == value)


def _parse(instrument: Instrument, post: Any, staff: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    answers: dict[str, Any] = {}
    for item in instrument.items:
        raw = post.get(item.link_id, "")
        if raw == "":
            continue
        answers[item.link_id] = int(raw) if ascii_digits(raw.lstrip("-")) else raw
    extras: dict[str, Any] = {}
    for extra in _extras_for(instrument.code, staff):
        raw = post.get(f"extra_{extra.name}", "")
        if extra.kind == "bool":
            extras[extra.name] = raw == "on"
        elif raw != "":
            extras[extra.name] = int(raw) if extra.kind == "int" and ascii_digits(raw) else raw
    return answers, extras


def _extras_for(code: str, staff: bool) -> tuple[Extra, ...]:
    # A person checking themselves answers only the questions; clinician attestations are for staff.
    specs = EXTRAS.get(code, ())
    return specs if staff else tuple(e for e in specs if e.required)


def _form_context(
    instrument: Instrument,
    answers: dict[str, Any],
    extras: dict[str, Any],
    errors: list[ItemError],
    staff: bool,
) -> dict[str, Any]:
    by_item = {e.item: _plain(e) for e in errors}
    numbers = {item.link_id: i + 1 for i, item in enumerate(instrument.items)}
    questions = [
        {
            "item": item,
            "number": numbers[item.link_id],
            "value": answers.get(item.link_id),
            "error": by_item.get(item.link_id, ""),
            "conditional": [
                {"number": numbers[c.question], "answer": _display(instrument, c.question, c.equals)}
                for c in item.enable_when
            ],
        }
        for item in instrument.items
    ]
    extra_fields = [
        {
            "spec": e,
            "label": EXTRA_LABELS.get(e.name, e.name),
            "choices": [(c, EXTRA_LABELS.get(c, c)) for c in e.choices],
            "value": extras.get(e.name, e.default),
            "error": by_item.get(f"extras.{e.name}", ""),
        }
        for e in _extras_for(instrument.code, staff)
    ]
    return {
        "instrument": instrument,
        "questions": questions,
        "extra_fields": extra_fields,
        "error_count": len(errors),
        "time_error": by_item.get("filled_at", ""),
    }


parse_form = _parse
form_context = _form_context
