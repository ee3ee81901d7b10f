"""Typed inputs for rules: every field checked, every problem named at once (no Django)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date
from typing import Any, TypedDict

from keel.core.digits import ascii_digits
from keel.core.words import gettext_noop as N_


@dataclass(frozen=True)
class FieldError:
    """One field's problem. `reason` is the English the API, the CLI and the audit trail carry. A reason made
    with `said` also keeps its `template` (marked for the catalogue with `N_`) and its `params` as text, so a
    page can say it in the reader's language (`keel.web.field_words.said`); neither takes part in equality."""

    field: str
    reason: str
    template: str = _field(default="", compare=False, repr=False)
    params: tuple[tuple[str, str], ...] = _field(default=(), compare=False, repr=False)

    @classmethod
    def said(cls, name: str, template: str, **params: object) -> FieldError:
        """The problem from a template with %(name)s parts; each part as an f-string would show it."""
        shown = {key: f"{value}" for key, value in params.items()}
        return cls(name, template % shown, template, tuple(shown.items()))


class InvalidInput(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


# Lane tok26: the calendar a typed day is taken from, one bound for every date input (a person's dates, an
# order's start, the take-home rule's admission day, a QTc's day, a care goal's review, an appointment): no
# day before 1900 (a typed 0001-01-01 made the take-home rule say "Day 3.65206e+06 in treatment" and broke
# reads that count back from an order's start), and a day planned at most two years ahead (beyond is a
# typing slip; a plan that far is made again nearer its day).
EARLIEST_DAY = date(1900, 1, 1)
FURTHEST_DAYS = 730

RECORD_ID_MAX = 2**63 - 1  # the largest id a database row can have (a signed 64-bit key)


def record_id(value: object) -> int | None:
    """A row id sent as text or a number (a form's <select>, say): the whole number 1..RECORD_ID_MAX it
    names, or None when it names no row ("", "abc", "1.5", a number too large for any key; review 21z:
    "+1", "1_2" or digits of another script, `core.digits.ascii_digits`)."""
    text = str(value).strip()
    if not ascii_digits(text) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= RECORD_ID_MAX else None


def number_from_text(raw: str) -> int | float | str | None:
    """A number typed into a page or given as a CLI flag: None when empty, an int or a float when the text is
    a finite number ("12", "0.5", "-3"), else the text itself, so that the field's parser names the field
    ("nan", "inf", "1e999" and "twelve" are not numbers)."""
    text = raw.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


class JsonConstant(str):
    """A non-standard JSON literal (NaN, Infinity, -Infinity) as `loads_json` returns it: text to every number
    field (refused by name), and refused by every text field too (review 14a: a bare NaN was the name "NaN")."""


MAX_JSON_DEPTH = 64  # arrays and objects inside each other; Keel's deepest body (a FHIR Bundle) uses ~12


MAX_WHOLE = 10**15  # past every limit of every rule; a float still holds it exactly


def _whole(digits: str) -> int:
    """A JSON integer. One longer than any rule's value (Python refuses to convert one of over 4,300 digits)
    comes back as a number just past MAX_WHOLE with its sign, so its field says "must be at most ..." by name
    instead of the whole document failing to parse."""
    if len(digits.lstrip("-")) > 18:
        return -(MAX_WHOLE + 1) if digits.startswith("-") else MAX_WHOLE + 1
    return int(digits)


# Said when a JSON object names a key twice (`DuplicateKey`), after the key's name.
DUPLICATE_KEY = N_("is given more than once")


class DuplicateKey(ValueError):
    """A JSON object that names one key twice (review 16a). Python's json keeps the last value; a gateway, a
    logger or a client-side check may read the first, so `{"sedated": true, ..., "sedated": false}` would be
    a hold to one reader and a dose given to another. Ambiguous: refused, naming the key (as json decoded it:
    `"s\\u0065dated"` is `sedated`)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key!r} is given more than once")
        self.key = key


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _v in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return value


def loads_json(text: str | bytes) -> Any:
    """JSON as RFC 8259 defines it: the non-standard literals NaN, Infinity and -Infinity that Python's json
    accepts come back as text, so every number field refuses them by name. A document nested deeper than
    MAX_JSON_DEPTH is refused (deep nesting exhausts Python's recursion in json and in every walker after
    it). An object that names a key twice, at any depth, is refused (`DuplicateKey`). Raises ValueError like
    json (bad UTF-8 included)."""
    try:
        value = json.loads(text, parse_constant=JsonConstant, parse_int=_whole, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth_exceeds(value: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# A field's value once checked (`parse`, by the field's kind): a number, true or false, text or a choice, a date,
# a list of choices (a default may be a tuple), or None (not given, no default).
FieldValue = bool | int | float | str | date | list[str] | tuple[str, ...] | None


class ObjectSchema(TypedDict):
    """The JSON Schema of a list of fields (`json_schema`): an object of exactly those properties. Each
    property's schema is a JSON object Keel writes (`Field.schema`), nested for a list of objects."""

    type: str
    properties: dict[str, dict[str, object]]
    required: list[str]
    additionalProperties: bool


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "number", "integer", "bool", "choice", "choices" (a list of choices), "text", "date"
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: FieldValue = None
    help: str = ""

    def schema(self) -> dict[str, object]:
        types: dict[str, dict[str, object]] = {
            "number": {"type": "number"},
            "integer": {"type": "integer"},
            "bool": {"type": "boolean"},
            "choice": {"type": "string", "enum": list(self.choices)},
            "date": {"type": "string", "format": "date"},
            "text": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "string", "enum": list(self.choices)}},
        }
        out = dict(types[self.kind])
        if self.kind == "text":
            if self.maximum is not None:
                out["maxLength"] = int(self.maximum)
        else:
            if self.minimum is not None:
                out["minimum"] = self.minimum
            if self.maximum is not None:
                out["maximum"] = self.maximum
        if self.default is not None:
            out["default"] = self.default
        if self.help:
            out["description"] = self.help
        return out


def json_schema(fields: tuple[Field, ...]) -> ObjectSchema:
    return {
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _shown(number: float) -> str:
    """A bound as the reasons show it ("200", "0.5"): Python's general format."""
    return format(number, "g")


def _listed(items: Iterable[str]) -> str:
    """Codes as the reasons list them ("taken, missed")."""
    return ", ".join(items)


def _out_of_range(name: str, f: Field, value: int) -> FieldError:
    """The problem of a whole number too large to be any rule's value: the field's own bound when it has one."""
    if value > 0 and f.maximum is not None:
        return FieldError.said(name, N_("must be at most %(maximum)s"), maximum=_shown(f.maximum))
    if value < 0 and f.minimum is not None:
        return FieldError.said(name, N_("must be at least %(minimum)s"), minimum=_shown(f.minimum))
    return FieldError(name, N_("must be a number of at most 15 digits"))


def _convert(name: str, f: Field, value: object) -> tuple[FieldValue, FieldError | None]:
    """`value` converted for the field `f`, or its problem (named `name`): words marked for the catalogue, a
    problem with a value said from a template (`FieldError.said`), so a page or the API says it in the
    reader's language (`keel.web.field_words.said`)."""
    if f.kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, FieldError(name, N_("must be true or false"))
    if f.kind == "choice":
        if value in f.choices:
            return value, None
        return None, FieldError.said(name, N_("must be one of %(choices)s"), choices=_listed(f.choices))
    if f.kind == "text":
        if not isinstance(value, str) or isinstance(value, JsonConstant):
            return None, FieldError(name, N_("must be text"))
        text = value.strip()
        if f.maximum is not None and len(text) > f.maximum:
            return None, FieldError.said(
                name, N_("must be at most %(maximum)s characters"), maximum=_shown(f.maximum)
            )
        return text, None
    if f.kind == "choices":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, FieldError(name, N_("must be a list"))
        unknown = [v for v in value if v not in f.choices]
        if unknown:
            return None, FieldError.said(
                name,
                N_("%(unknown)s not one of %(choices)s"),
                unknown=_listed(unknown),
                choices=_listed(f.choices),
            )
        return list(dict.fromkeys(value)), None
    if f.kind == "date":
        try:
            return date.fromisoformat(str(value)), None
        except ValueError:
            return None, FieldError(name, N_("must be a date like 2026-11-25"))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, FieldError(name, N_("must be a number"))
    if isinstance(value, int) and abs(value) > MAX_WHOLE:  # a JSON integer of any length (no float holds it)
        return None, _out_of_range(name, f, value)
    if not math.isfinite(value):  # NaN or Infinity (JSON from Python, `float("nan")`): never a number here
        return None, FieldError(name, N_("must be a number (not NaN or Infinity)"))
    if f.kind == "integer" and value != int(value):
        return None, FieldError(name, N_("must be a whole number"))
    number = int(value) if f.kind == "integer" else float(value)
    if f.minimum is not None and number < f.minimum:
        return None, FieldError.said(name, N_("must be at least %(minimum)s"), minimum=_shown(f.minimum))
    if f.maximum is not None and number > f.maximum:
        return None, FieldError.said(name, N_("must be at most %(maximum)s"), maximum=_shown(f.maximum))
    return number, None


def parse(fields: tuple[Field, ...], raw: Mapping[str, object], prefix: str = "") -> dict[str, Any]:
    """`check_fields` for a caller that reads each value as its field's kind gives it without naming the
    shape (`core.intake`, `core.recovery`: once each casts to its own TypedDict, `parse` is `check_fields`)."""
    return check_fields(fields, raw, prefix)


def check_fields(
    fields: tuple[Field, ...], raw: Mapping[str, object], prefix: str = ""
) -> dict[str, FieldValue]:
    """Checked, converted values (defaults filled in). Raises InvalidInput naming every bad field. Each value
    is of its field's kind; a caller that knows the fields casts the result to its TypedDict."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError(prefix.rstrip(".") or "input", N_("must be a JSON object"))])
    known = {f.name for f in fields}
    errors = [FieldError(f"{prefix}{k}", N_("not an input of this rule")) for k in raw if k not in known]
    values: dict[str, FieldValue] = {}
    for f in fields:
        value = raw.get(f.name)
        if value is None:
            if f.required and f.default is None:
                errors.append(
                    FieldError.said(f"{prefix}{f.name}", N_("missing: %(value)s"), value=f.help or "required")
                )
            values[f.name] = f.default
            continue
        converted, problem = _convert(f"{prefix}{f.name}", f, value)
        if problem is not None:
            errors.append(problem)
        values[f.name] = converted
    if errors:
        raise InvalidInput(errors)
    return values


class FieldsInvalid(InvalidInput):
    """Bad input to a write, each field named as the client sent it (no `input.` prefix, unlike a rule's).
    `of_the_body` (lane fix27b): raised by a check of the body alone, before the record was read
    (`body_alone`); the API says it to every caller, a refusal raised after it only to one who may read the
    record."""

    of_the_body = False

    def body_alone(self) -> FieldsInvalid:
        """This refusal, marked as a check of the body alone (it says nothing of any record)."""
        self.of_the_body = True
        return self
