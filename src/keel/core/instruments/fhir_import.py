"""A completed instrument from another system, as a FHIR R4 QuestionnaireResponse, read into Keel's answers.

What is read (issue #16, "a safe record in"):
- the response alone, or a Bundle holding it (and, usually, its Patient);
- items by Keel's own linkIds (`phq9_1` ...) or by the LOINC codes other systems use as linkIds, with or
  without a path (`44250-9`, `/44249-1/44250-9`); nested groups are read through;
- the standard LOINC PHQ-9 panel 44249-1 (`loinc-44249-1`): items 1-9 (44250-9 ... 44260-8; item 9 also in
  `us-core-stu7`), item 10 "how difficult" (69722-7, answers LL359-1: LA6572-7, LA6573-5, LA6575-0, LA6574-3;
  kept, never scored) and the total (44261-6; the sender's total is kept and a disagreement reported);
- answers as `valueCoding` (LOINC LL358-3: LA6568-5 ... LA6571-9 [V, reference 16.1]) or as `valueInteger`
  (the item's score, 0-3); two answers to one question are refused;
- `authored` as a date and time with its zone, or as a date alone (kept as a date).

The subject is never trusted: `match_subject` compares what the sender says about the person (an identifier in
Keel's record-number system, a reference to Keel's own endpoint, or a Patient's name and birth date) with the
patient the caller named, and refuses a response about someone else (a record number of another Keel
program is someone else, whatever the name and birth date say), or one that names nobody Keel can check.

Who sent it and under which key (`sender_keys`, review 34b H1, H2): the key is the response's `identifier`
(system + value) when it has one, the business identifier being what stays the same across servers and
retries; else `meta.source` + its logical `id`. `meta.source` is read without its `#fragment` (R4: "may be
a URI with a fragment identifier (e.g. #request-id)"; HAPI FHIR puts a new request id there on each pass).
A response is filed under its first key, and a resend is looked up under every key it carries, so one that
carries both an identifier and an id finds a filing made under either, whichever the first filing used.

Every problem is named by its JSON path, so the sender can fix it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from keel.core.decision import LIST_SEPARATOR
from keel.core.instruments import registry
from keel.core.instruments.model import Instrument
from keel.core.lifetime import outside_life
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.words import gettext_noop as N_

IMPORTABLE = ("phq9",)
# LOINC items of the PHQ-9 panel that are not among Keel's scored items (loinc-44249-1).
PHQ9_DIFFICULTY = "69722-7"
PHQ9_TOTAL = "44261-6"
DIFFICULTY_ANSWERS = {
    "LA6572-7": "Not difficult at all",
    "LA6573-5": "Somewhat difficult",
    "LA6575-0": "Very difficult",
    "LA6574-3": "Extremely difficult",
}
LOINC = "http://loinc.org"
# Where an unscored answer is kept (ImportedResponse.extra_answers) -> the LOINC code of its item.
EXTRA_ITEM_LOINC = {"phq9_difficulty": PHQ9_DIFFICULTY}


@dataclass(frozen=True)
class Subject:
    """What the sender says about whom the response is about."""

    reference: dict[str, Any]  # the Reference as sent
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value)
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (family, given names); text names split
    birth_date: str | None = None
    reference_url: str = ""  # an absolute URL the reference resolved to, when it is one


@dataclass(frozen=True)
class ImportedResponse:
    instrument: str
    answers: dict[str, int]
    authored: datetime | None  # a date and time with its zone
    authored_on: date | None  # or a date alone
    authored_as_sent: str
    questionnaire: str
    status: str  # completed | amended | entered-in-error (the sender withdrawing one it sent)
    source_id: str  # the sender's key it is filed under (`sender_keys`' first), or "" with no key
    source_system: str
    keys: tuple[tuple[str, str], ...]  # every key of the sender's that names it (`sender_keys`)
    subject: Subject
    author: dict[str, Any]
    sender_total: int | None = None
    extra_answers: dict[str, str] = field(default_factory=dict)


# A JSON object as the sender wrote it: free-form until read with its type checked (`_typed`).
_Json = Mapping[str, Any]

# Lane fix39 (review rev39d hole 1): the one way the import reads a field of the sender's JSON. FHIR R4 JSON
# gives each element one type (an array for 0..*, an object for a complex type, text for a string or uri);
# a field of another type is a sender's shape mistake, named by its path (never iterated, never skipped
# over: a 4xx, nothing filed). Absent (or null) is absent. A field only compared with one of Keel's values
# (the response's `resourceType` and `status`) is refused by the comparison.
_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "list": (list, N_("must be a list")),
    "object": (Mapping, N_("must be an object")),
    "text": (str, N_("must be text")),
    "number": ((int, float), N_("must be a number")),  # a JSON number (true and false are not)
}


def _typed(obj: _Json, name: str, kind: str, path: str, errors: list[FieldError]) -> Any:
    """`obj[name]` when it is of `kind` (`_KINDS`), else None (an error naming `path` when it is there)."""
    value = obj.get(name)
    types, must = _KINDS[kind]
    if value is None or (isinstance(value, types) and not isinstance(value, bool)):
        return value
    errors.append(FieldError(path, must))
    return None


def _text(obj: _Json, name: str, path: str, errors: list[FieldError]) -> str | None:
    text: str | None = _typed(obj, name, "text", path, errors)
    return text


def _object(obj: _Json, name: str, path: str, errors: list[FieldError]) -> _Json:
    """An object field ({} when absent)."""
    found: _Json = _typed(obj, name, "object", path, errors) or {}
    return found


def _list(
    obj: _Json, name: str, path: str, errors: list[FieldError], of: str = "object"
) -> list[tuple[str, Any]]:
    """An array field's elements, each of kind `of` (objects unless said), with its path."""
    out: list[tuple[str, Any]] = []
    for n, value in enumerate(_typed(obj, name, "list", path, errors) or []):
        if _typed({"v": value}, "v", of, f"{path}.{n}", errors) is not None:
            out.append((f"{path}.{n}", value))
    return out


@dataclass(frozen=True)
class _Item:
    """An answered item as read: its path, linkId, `definition` and answers (each an object)."""

    path: str
    link_id: str | None
    definition: str | None
    answers: list[_Json]


def _items(parent: _Json, path: str, out: list[_Item], errors: list[FieldError]) -> None:
    """The answered items of `parent`'s `item` (at `path`), nested groups and items under an answer (FHIR
    allows it) read through."""
    for here, item in _list(parent, "item", path, errors):
        refused = len(errors)
        link_id = _text(item, "linkId", f"{here}.linkId", errors)
        definition = _text(item, "definition", f"{here}.definition", errors)
        answers = _list(item, "answer", f"{here}.answer", errors)
        if answers and len(errors) == refused:  # an item with a field of the wrong type is not read on
            out.append(_Item(here, link_id, definition, [a for _at, a in answers]))
        _items(item, f"{here}.item", out, errors)
        for at, answer in answers:
            _items(answer, f"{at}.item", out, errors)


def _tail(link_id: str | None) -> str | None:
    if not isinstance(link_id, str):
        return None
    return link_id.rsplit("/", 1)[-1].strip()


_DEFINITION = re.compile(r"^https?://(?:www\.)?loinc\.org/(?:[A-Za-z0-9_./]*[/#])?(\d{1,7}-\d)(?:/)?$")


def _definition_loinc(raw: str | None) -> str | None:
    """The LOINC code an item's `definition` names (`http://loinc.org/44250-9`, `https://loinc.org/44250-9/`,
    `http://loinc.org/rdf#44250-9`), or None."""
    if not isinstance(raw, str):
        return None
    m = _DEFINITION.match(raw.strip())
    return m.group(1) if m else None


def _parse_authored(
    raw: Any, latest: datetime, today: date, errors: list[FieldError]
) -> tuple[datetime | None, date | None]:
    """`authored` as a date and time with its zone, or a date alone; neither after `latest` (Keel's clock
    and the leeway for the sender's, `CLOCK_LEEWAY_LIMIT`) nor, a date alone, after the person's `today`."""
    if not isinstance(raw, str) or not raw.strip():
        errors.append(FieldError("authored", N_("is required: the date (and time) the answers were given")))
        return None, None
    raw = raw.strip()
    if len(raw) == 10:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(
                FieldError("authored", N_("must be a date like 2026-11-20 or a date and time with its zone"))
            )
            return None, None
        if day > today:
            errors.append(FieldError("authored", N_("cannot be in the future")))
        return None, day
    if len(raw) < 10:
        errors.append(FieldError("authored", N_("needs at least a whole date (year, month and day)")))
        return None, None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        errors.append(FieldError("authored", N_("must be a date and time like 2026-11-20T09:30:00-05:00")))
        return None, None
    if at.tzinfo is None:
        errors.append(FieldError("authored", N_("needs a time zone (e.g. 2026-11-20T09:30:00-05:00)")))
        return None, None
    if at > latest:
        errors.append(FieldError("authored", N_("cannot be in the future")))
    return at, None


# Lane fix33f (review 33d H9): another system's clock is never Keel's. A response stamped ahead of Keel's
# clock by no more than this leeway was answered "now" on a clock that runs fast; beyond it, it is refused as
# in the future. Seconds: floor 0 (no leeway), default five minutes (the drift NTP-less hosts reach between
# syncs, and an engine's queue delay), ceiling 15 minutes (past that, the clock is wrong, not fast).
CLOCK_LEEWAY_LIMIT = (0, 300, 900)  # (floor, default, ceiling)


def authored_within_life(day: date, *, born: date | None, died: date | None) -> None:
    """Lane fix33f (review 33d H4, H5): answers given outside the person's life (`core.lifetime.outside_life`,
    the one definition every route uses) are not theirs: InvalidInput naming `authored`."""
    problem = outside_life(day, born=born, died=died)
    if problem is not None:
        raise InvalidInput([FieldError("authored", problem)])


def _number(answer: Mapping[str, object]) -> int | None:
    for key in ("valueInteger", "valueDecimal"):
        value = answer.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return int(value)
    quantity = answer.get("valueQuantity")
    if isinstance(quantity, Mapping):
        value = quantity.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
            return int(value)
    return None


def _one_answer(item: _Item, path: str, errors: list[FieldError]) -> _Json | None:
    answer = item.answers
    if len(answer) != 1:
        errors.append(
            FieldError.said(
                f"{path}.answer", N_("has %(value)s answers; this question takes one"), value=len(answer)
            )
        )
        return None
    only: _Json = answer[0]
    at = f"{path}.answer.0"
    refused = len(errors)
    for key in ("valueInteger", "valueDecimal"):
        _typed(only, key, "number", f"{at}.{key}", errors)
    _typed(
        _object(only, "valueQuantity", f"{at}.valueQuantity", errors),
        "value",
        "number",
        f"{at}.valueQuantity.value",
        errors,
    )
    coding = _object(only, "valueCoding", f"{at}.valueCoding", errors)
    _text(coding, "code", f"{at}.valueCoding.code", errors)
    _text(coding, "system", f"{at}.valueCoding.system", errors)
    return only if len(errors) == refused else None


# A resource a reference may point to, with its path: "#id" (contained), a Bundle entry's fullUrl or Type/id.
_Found = dict[str, tuple[str, _Json]]


def _resource(at: str, res: _Json, errors: list[FieldError]) -> tuple[str, str]:
    """A resource's `resourceType` and `id` ("" when absent)."""
    kind = _text(res, "resourceType", f"{at}.resourceType", errors) or ""
    rid = _text(res, "id", f"{at}.id", errors) or ""
    return kind, rid


def _contained(qr: _Json, prefix: str, errors: list[FieldError]) -> _Found:
    """The response's contained resources, by `#id` (paths after the response's own, `prefix`)."""
    found: _Found = {}
    for at, res in _list(qr, "contained", f"{prefix}contained", errors):
        _kind, rid = _resource(at, res, errors)
        if rid:
            found[f"#{rid}"] = (at, res)
    return found


def _human_names(
    patient: _Json, path: str, errors: list[FieldError]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    names = []
    for at, n in _list(patient, "name", f"{path}.name", errors):
        family = _text(n, "family", f"{at}.family", errors) or ""
        given = tuple(g for _g, g in _list(n, "given", f"{at}.given", errors, of="text"))
        text = _text(n, "text", f"{at}.text", errors)
        if not family and not given and text is not None:
            parts = text.replace(",", " ").split()
            if len(parts) >= 2:
                family, given = (
                    (parts[0], tuple(parts[1:])) if "," in text else (parts[-1], tuple(parts[:-1]))
                )
        if family or given:
            names.append((family, given))
    return tuple(names)


def _identifiers(parent: _Json, path: str, errors: list[FieldError]) -> list[tuple[str, str]]:
    """(system, value) of a Patient's `identifier` array; one without a value names nobody."""
    out: list[tuple[str, str]] = []
    for at, i in _list(parent, "identifier", path, errors):
        system = _text(i, "system", f"{at}.system", errors)
        value = _text(i, "value", f"{at}.value", errors)
        if value is not None:
            out.append((system or "", value))
    return out


def _subject(qr: _Json, prefix: str, in_bundle: _Found, errors: list[FieldError]) -> Subject:
    """What the response says about whom it is about: its `subject` and the Patient it references (contained,
    or in the Bundle), every field read with its type checked (named after `prefix`, the response's path)."""
    found = _contained(qr, prefix, errors) | in_bundle
    at = f"{prefix}subject"
    raw = _object(qr, "subject", at, errors)
    ident = _object(raw, "identifier", f"{at}.identifier", errors)
    system = _text(ident, "system", f"{at}.identifier.system", errors)
    value = _text(ident, "value", f"{at}.identifier.value", errors)
    identifiers = [(system or "", value)] if value is not None else []
    target = _text(raw, "reference", f"{at}.reference", errors) or ""
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    birth: str | None = None
    where, patient = found.get(target, ("", {}))
    if patient.get("resourceType") == "Patient":
        identifiers += _identifiers(patient, f"{where}.identifier", errors)
        names = _human_names(patient, where, errors)
        birth = _text(patient, "birthDate", f"{where}.birthDate", errors)
    url = target if target.startswith(("http://", "https://")) else ""
    return Subject(dict(raw), tuple(identifiers), names, birth, url)


def _sender_system(doc: _Json, errors: list[FieldError]) -> str:
    """`meta.source` without its fragment: R4 lets a server add `#<request id>` (HAPI FHIR does), which
    changes on every pass of the same response, so it is never part of who sent it (review 34b H1)."""
    source = _text(_object(doc, "meta", "meta", errors), "source", "meta.source", errors) or ""
    return source.split("#", 1)[0].strip()


def sender_keys(doc: _Json, errors: list[FieldError]) -> tuple[tuple[str, str], ...]:
    """The sender's keys for the response (system, value), the one it is filed under first: its
    `identifier` (system + value) when it has one; then its logical `id` in `meta.source` (without its
    fragment; the identifier's system when there is no `meta.source`); with no `id`, an identifier value in
    `meta.source` (how it was keyed before review 34b, and the key of an identifier without a system).
    Empty: the sender gave no key (review 34b H1, H2). A field of the wrong type: in `errors`."""
    ident = _object(doc, "identifier", "identifier", errors)
    i_system = (_text(ident, "system", "identifier.system", errors) or "").strip()
    i_value = (_text(ident, "value", "identifier.value", errors) or "").strip()
    source = _sender_system(doc, errors)
    rid = (_text(doc, "id", "id", errors) or "").strip()
    keys: list[tuple[str, str]] = []
    if i_system and i_value:
        keys.append((i_system, i_value))
    if rid:
        keys.append((source or i_system, rid))
    elif i_value and (source or not i_system):
        keys.append((source, i_value))
    return tuple(dict.fromkeys((system[:500], value[:200]) for system, value in keys))


def _unwrap(doc: _Json, errors: list[FieldError]) -> tuple[_Json, _Found, str]:
    """The QuestionnaireResponse and, when it came in a Bundle, the Bundle's resources by reference and the
    response's path prefix."""
    if doc.get("resourceType") != "Bundle":
        return doc, {}, ""
    in_bundle: _Found = {}
    found: list[tuple[str, _Json]] = []
    for at, entry in _list(doc, "entry", "entry", errors):
        url = _text(entry, "fullUrl", f"{at}.fullUrl", errors)
        res = _object(entry, "resource", f"{at}.resource", errors)
        kind, rid = _resource(f"{at}.resource", res, errors)
        if kind == "QuestionnaireResponse":
            found.append((f"{at}.resource.", res))
        if url:
            in_bundle[url] = (f"{at}.resource", res)
        if kind and rid:
            in_bundle[f"{kind}/{rid}"] = (f"{at}.resource", res)
    if len(found) != 1:
        errors.append(
            FieldError.said(
                "entry", N_("must hold exactly one QuestionnaireResponse (found %(value)s)"), value=len(found)
            )
        )
        return {}, in_bundle, ""
    prefix, qr = found[0]
    return qr, in_bundle, prefix


@dataclass(frozen=True)
class _Questions:
    """The instrument's questions as a sender may name them: Keel's linkIds, the LOINC codes of the scored
    items, and Keel's own linkIds of the items it keeps but does not score (phq9_10 -> 69722-7)."""

    instrument: str
    definition: Instrument
    known: set[str]
    by_loinc: dict[str, str]
    unscored: dict[str, str]


@dataclass
class _Answers:
    """What the items said: the scored answers, the unscored ones kept, and the sender's total."""

    scored: dict[str, int] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    sender_total: int | None = None


def _questions(instrument: str) -> _Questions:
    definition = registry.get(instrument)
    return _Questions(
        instrument=instrument,
        definition=definition,
        known={i.link_id for i in definition.items},
        by_loinc={i.loinc: i.link_id for i in definition.items if i.loinc},
        unscored={
            raw["linkId"]: c["code"]
            for raw in registry.questionnaire(instrument)["item"]
            if registry.not_scored(raw)
            for c in raw.get("code", [])
            if c.get("system") == LOINC
        },
    )


def _check_resource(qr: Mapping[str, object], here: list[FieldError]) -> None:
    """A QuestionnaireResponse, completed or amended (or entered-in-error: the sender withdrawing one it sent,
    answered by the service: a response already filed is corrected at the clinic, never by the feed)."""
    if qr.get("resourceType") != "QuestionnaireResponse":
        here.append(FieldError("resourceType", N_("must be QuestionnaireResponse (or a Bundle holding one)")))
    if qr.get("status") not in ("completed", "amended", "entered-in-error"):
        here.append(FieldError("status", N_("must be completed or amended")))


def _link(item: _Item, questions: _Questions) -> str | None:
    """The question an item answers, by its linkId (Keel's, a LOINC code, with or without a path) or else by
    the LOINC code in its `definition`; None when it is none of the instrument's."""
    instrument = questions.instrument
    tail = _tail(item.link_id)
    if tail in questions.unscored:
        tail = questions.unscored[tail]
    link = tail if tail in questions.known else questions.by_loinc.get(tail or "")
    if tail in (PHQ9_DIFFICULTY, PHQ9_TOTAL) and instrument == "phq9":
        link = tail
    if link is None:  # a linkId of the sender's own, the LOINC code in `definition`
        code = _definition_loinc(item.definition)
        if code in (PHQ9_DIFFICULTY, PHQ9_TOTAL) and instrument == "phq9":
            link = code
        elif code is not None:
            link = questions.by_loinc.get(code)
    return link


def _read_total(answer: Mapping[str, object], path: str, out: _Answers, here: list[FieldError]) -> None:
    """The sender's total (kept, never trusted: Keel scores the answers)."""
    out.sender_total = _number(answer)
    if out.sender_total is None:
        here.append(FieldError(f"{path}.answer.0", N_("the total must be a whole number (valueInteger)")))


def _read_difficulty(answer: Mapping[str, object], path: str, out: _Answers, here: list[FieldError]) -> None:
    """Item 10, "how difficult": one of its LOINC answers, kept and never scored."""
    coding = answer.get("valueCoding")
    code = coding.get("code") if isinstance(coding, Mapping) else None
    if code not in DIFFICULTY_ANSWERS:
        here.append(
            FieldError.said(
                f"{path}.answer.0.valueCoding.code",
                N_("must be one of: %(items)s"),
                items=", ".join(DIFFICULTY_ANSWERS),
            )
        )
    else:
        out.extra["phq9_difficulty"] = str(code)


def _read_scored(
    link: str,
    answer: Mapping[str, object],
    path: str,
    questions: _Questions,
    out: _Answers,
    here: list[FieldError],
) -> None:
    """A scored item's answer: a LOINC answer (valueCoding) or the item's score (valueInteger)."""
    options = {
        o.code: o.value for o in next(i for i in questions.definition.items if i.link_id == link).options
    }
    coding = answer.get("valueCoding")
    if isinstance(coding, Mapping):
        code = coding.get("code")
        system = coding.get("system")
        if system not in (None, LOINC) and str(code).startswith("LA"):
            here.append(
                FieldError.said(f"{path}.answer.0.valueCoding.system", N_("must be %(loinc)s"), loinc=LOINC)
            )
        elif code not in options:
            here.append(
                FieldError.said(
                    f"{path}.answer.0.valueCoding.code",
                    N_("must be one of: %(items)s"),
                    items=", ".join(options),
                )
            )
        else:
            out.scored[link] = options[code]
        return
    number = _number(answer)
    if number is not None:
        if number not in options.values():
            allowed = ", ".join(str(v) for v in sorted(options.values()))
            here.append(
                FieldError.said(
                    f"{path}.answer.0.valueInteger", N_("must be one of: %(allowed)s"), allowed=allowed
                )
            )
        else:
            out.scored[link] = number
        return
    here.append(FieldError(f"{path}.answer.0", N_("must be a valueCoding (LOINC answer) or a valueInteger")))


def _read_answer(
    link: str,
    answer: Mapping[str, object],
    path: str,
    questions: _Questions,
    out: _Answers,
    here: list[FieldError],
) -> None:
    if link == PHQ9_TOTAL:
        _read_total(answer, path, out, here)
    elif link == PHQ9_DIFFICULTY:
        _read_difficulty(answer, path, out, here)
    else:
        _read_scored(link, answer, path, questions, out, here)


def _read_items(qr: Mapping[str, object], questions: _Questions, here: list[FieldError]) -> _Answers:
    """Every answered item, nested groups read through: each names one question of the instrument, once, with
    one answer."""
    found: list[_Item] = []
    _items(qr, "item", found, here)
    out = _Answers()
    seen: set[str] = set()
    for item in found:
        path = item.path
        link = _link(item, questions)
        if link is None:
            here.append(
                FieldError.said(
                    f"{path}.linkId", N_("is not a %(value)s question"), value=questions.instrument.upper()
                )
            )
            continue
        if link in seen:
            here.append(FieldError(f"{path}.linkId", N_("answers a question already answered")))
            continue
        seen.add(link)
        answer = _one_answer(item, path, here)
        if answer is None:
            continue
        _read_answer(link, answer, path, questions, out, here)
    return out


def _check_complete(questions: _Questions, answers: dict[str, int], here: list[FieldError]) -> None:
    """Every required question answered (said only when no item was refused)."""
    missing = [i.link_id for i in questions.definition.items if i.required and i.link_id not in answers]
    if missing and not any(e.field.startswith("item") for e in here):
        here.append(FieldError.said("item", N_("missing answers: %(items)s"), items=", ".join(missing)))


def _imported(
    qr: _Json,
    instrument: str,
    read: _Answers,
    authored: tuple[datetime | None, date | None],
    subject: Subject,
    here: list[FieldError],
) -> ImportedResponse:
    """The response as Keel keeps it: the answers, when they were given, and who sent them about whom."""
    keys = sender_keys(qr, here)
    system, source_id = keys[0] if keys else (_sender_system(qr, here)[:500], "")
    return ImportedResponse(
        instrument=instrument,
        answers=read.scored,
        authored=authored[0],
        authored_on=authored[1],
        authored_as_sent=str(qr.get("authored")).strip(),  # as the reader accepted it (review 34b H6)
        questionnaire=_text(qr, "questionnaire", "questionnaire", here) or "",
        status=str(qr.get("status")),
        source_id=source_id,
        source_system=system,
        keys=keys,
        subject=subject,
        author=dict(_object(qr, "author", "author", here)),
        sender_total=read.sender_total,
        extra_answers=read.extra,
    )


def parse_questionnaire_response(
    doc: Any,
    *,
    instrument: str = "phq9",
    now: datetime,
    today: date | None = None,
    leeway: timedelta = timedelta(0),
) -> ImportedResponse:
    """The answers of a completed QuestionnaireResponse for `instrument`; InvalidInput names each problem.
    `today`: the patient's calendar day (a date-only `authored` may not be after it); `leeway`: how far ahead
    of `now` the sender's clock may stamp it (`CLOCK_LEEWAY_LIMIT`)."""
    if instrument not in IMPORTABLE:
        raise InvalidInput(
            [FieldError.said("instrument", N_("must be one of: %(items)s"), items=", ".join(IMPORTABLE))]
        )
    if not isinstance(doc, Mapping):
        raise InvalidInput([FieldError("body", N_("must be a FHIR QuestionnaireResponse (a JSON object)"))])
    errors: list[FieldError] = []
    qr, in_bundle, prefix = _unwrap(doc, errors)
    if errors:
        raise InvalidInput(errors)
    here: list[FieldError] = []  # problems inside the response, prefixed with its path in a Bundle
    _check_resource(qr, here)
    authored = _parse_authored(qr.get("authored"), now + leeway, today or now.date(), here)
    questions = _questions(instrument)
    read = _read_items(qr, questions, here)
    _check_complete(questions, read.scored, here)
    subject = _subject(qr, prefix, in_bundle, errors)  # its paths whole: the Patient may be the Bundle's
    imported = _imported(qr, instrument, read, authored, subject, here)
    errors += [FieldError(f"{prefix}{e.field}", e.reason) for e in here]
    if errors:
        raise InvalidInput(errors)
    return imported


# --- Whom the response is about -------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """The patient the caller named, as Keel knows them."""

    record_number_system: str
    record_number: str
    family_name: str
    given_names: tuple[str, ...]  # the given name and the preferred one
    birth_date: date | None  # (only a self-guided record, never reached by an import, has none)
    endpoint_url: str  # this patient at Keel's FHIR endpoint: <base>Patient/<id>


@dataclass(frozen=True)
class SubjectMatch:
    matched_by: str  # "identifier" | "name and birth date" | "keel reference"


def _fold(text: str) -> str:
    flat = unicodedata.normalize("NFKD", text)
    return "".join(c for c in flat if not unicodedata.combining(c)).casefold().replace("-", " ").strip()


def _same_name(name: tuple[str, tuple[str, ...]], person: Person) -> bool:
    family, given = name
    if _fold(family) != _fold(person.family_name):
        return False
    ours = {_fold(g).split()[0] for g in person.given_names if g.strip()}
    theirs = {_fold(g).split()[0] for g in given if g.strip()}
    return bool(ours & theirs)


def match_subject(subject: Subject, person: Person) -> SubjectMatch:
    """Check that the response is about `person`. Every fact the sender gives must agree (a reference to
    Keel's endpoint, an identifier in Keel's record-number system, a name, a birth date), and at least one
    of them must identify the person: the reference, the identifier, or a name together with a birth date.
    InvalidInput (field `subject`) says which fact disagrees, or that nothing identifies the person."""
    wrong: list[str] = []
    by = ""
    if subject.reference_url:
        if subject.reference_url.rstrip("/") == person.endpoint_url:
            by = "keel reference"
        elif subject.reference_url.startswith(person.endpoint_url.rsplit("Patient/", 1)[0]):
            wrong.append("its reference names another patient")
    ours = [v for s, v in subject.identifiers if s == person.record_number_system]
    keel_numbers = person.record_number_system.rsplit("/", 1)[0] + "/"
    if any(s != person.record_number_system and s.startswith(keel_numbers) for s, _v in subject.identifiers):
        # A record number of another Keel program: a person there, whatever the name and birth date say.
        wrong.append(N_("its record number is another program's"))
    if ours:
        if all(v.strip() == person.record_number for v in ours):
            by = by or "identifier"
        else:
            wrong.append(N_("its record number is not this patient's"))
    if subject.names and not any(_same_name(n, person) for n in subject.names):
        wrong.append(N_("its name is not this patient's"))
    known = person.birth_date.isoformat() if person.birth_date else None
    if subject.birth_date is not None and subject.birth_date != known:
        wrong.append(N_("its birth date is not this patient's"))
    if wrong:
        raise InvalidInput(
            [
                FieldError.said(
                    "subject",
                    N_("the response is about someone else: %(why)s"),
                    why=LIST_SEPARATOR.join(wrong),
                )
            ]
        )
    if not by and subject.names and subject.birth_date is not None:
        by = "name and birth date"
    if not by:
        raise InvalidInput(
            [
                FieldError.said(
                    "subject",
                    N_(
                        "cannot be checked against this patient: name the patient by identifier "
                        "(system %(record_number_system)s), or include the Patient with name and birth date"
                    ),
                    record_number_system=person.record_number_system,
                )
            ]
        )
    return SubjectMatch(by)
