"""Request bodies the core checks: a typed `ThingIn` whose fields are a core field list (issue #17).

Some writes are checked by the standard-library core (`keel.core.rules.inputs`: a `FIELDS` tuple and its
parser), which names every bad field at once in its own words; the API's 422 bodies, the pages' error
messages and the CLI all say what the core says. A `CoreIn` model gives those bodies a type without a second
set of rules:

- its fields are the core's field list (`FIELDS`): the class declares each field's Python type so that
  services read typed attributes, and checks at import that the names, their order, their types and their
  optionality are the core's (a field added, renamed or retyped in the core fails at start-up, not in use);
  limits, choices, defaults and help live only in the core;
- `parse(raw)` runs the core's parser (the same checks, errors and order as before) and builds the model
  from its values; pydantic validates nothing itself, so no pydantic message ever reaches a client;
- its JSON Schema is the core's (`json_schema(FIELDS)`), published once as a component of the OpenAPI
  document (`request_body(ThingIn)`), where the routes used to inline the same schema.

A route reads the body with `ThingIn.read(request)` (a body that is not a JSON object is refused by name, as
before) and hands the service a `Posted[ThingIn]`: the service checks who may write first and only then
calls `.parse()`, so a caller who may not write is refused (403/404, audited) before any field is judged,
as before. A JSON body's key not among the fields is refused by name in that parse (the published schema
says `additionalProperties: false`; review 13a: a misspelled `categories` on a disclosure was ignored and
every section the consent covers left). Pages wrap their form values with `ThingIn.posted(values)` and
reach the same parse (a form carries other keys, its CSRF token: not refused).

A body with nested parts (an intake's list of opioids, a plan's lists and people) names them in `NESTED`:
each name's declared type (`list[str]`, another `CoreIn`, a `list` of one), checked at import after the core's
fields; its items are built from the core's checked values (`of`), and its schema is the nested model's,
inline. A rule judged against a time (a last use not in the future) gets it as `parse(now=...)`.

A body whose checks need what the standard-library core does not have (the program and today in its zone,
the record as it stands, Django's email validator) keeps its field list in the core (names, kinds, limits,
help: its schema and its type) and overrides `checked(raw, now, context)` with its app's check, in the words
the app has always used; the service passes `parse(now=..., context=...)` once its access checks passed.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar, cast, get_args, get_origin

from django.http import HttpRequest
from django.utils.translation import gettext
from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from keel.core.rules.inputs import (
    DUPLICATE_KEY,
    DuplicateKey,
    Field,
    FieldError,
    FieldsInvalid,
    InvalidInput,
    JsonConstant,
    json_schema,
    loads_json,
    parse,
)
from keel.core.words import gettext_noop as N_

_set = object.__setattr__  # a frozen model's fields, set once as pydantic sets them


def duplicate_key_error(exc: DuplicateKey) -> FieldError:
    """A JSON object that names a key twice (review 16a): the key, in the request's language."""
    return FieldError(exc.key, gettext(DUPLICATE_KEY), template=DUPLICATE_KEY)


def json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = loads_json(request.body or b"null")  # NaN and Infinity arrive as text, refused by name
    except DuplicateKey as exc:
        raise FieldsInvalid([duplicate_key_error(exc)]) from exc
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise FieldsInvalid([FieldError("body", N_("must be a JSON object"))])
    return payload


# The Python type a core field's parsed value has (`keel.core.rules.inputs._convert`).
_KIND_TYPES: dict[str, Any] = {
    "number": float,
    "integer": int,
    "bool": bool,
    "choice": str,
    "choices": list[str],
    "text": str,
    "date": datetime.date,
}


def _expected_type(f: Field) -> object:
    """The type of the value the core's parser gives for `f` (or None: optional, no default)."""
    kind = _KIND_TYPES[f.kind]
    return kind | None if not f.required and f.default is None else kind


class CoreIn(BaseModel):
    """A body whose fields and checks are a core field list; see the module's docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    FIELDS: ClassVar[tuple[Field, ...]] = ()
    # Parts the core checks beyond its flat field list, after them: name -> the declared type.
    NESTED: ClassVar[dict[str, object]] = {}
    # A part's JSON Schema where its type does not say it all (a time, a value passed on as it is).
    PART_SCHEMAS: ClassVar[dict[str, dict[str, Any]]] = {}

    @classmethod
    def core_parse(
        cls, raw: Mapping[str, object], now: datetime.datetime | None = None
    ) -> Mapping[str, object]:
        """The core's checked values (defaults filled in); raises the core's InvalidInput naming every bad
        field. A model whose rule has checks beyond the field list overrides this with the core's parser."""
        return parse(cls.FIELDS, raw)

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime.datetime | None, context: object
    ) -> Mapping[str, object]:
        """The checked values of a body whose checks need more than the core has (the program, the record
        as it stands, Django's email validator): `context`, given by the service after its access checks.
        The core's body has none: its parse."""
        return cls.core_parse(raw, now)

    @classmethod
    def parse(
        cls,
        raw: Mapping[str, object],
        now: datetime.datetime | None = None,
        *,
        exact: bool = False,
        context: object = None,
        json: bool = False,
    ) -> Self:
        """The checked model. `exact` (a JSON body, `read`): a key not among the fields is refused by name,
        first among the bad fields, as the core's `parse` refuses it (review 13a: a misspelled field was
        silently ignored); the core's own refusal (its kind kept) names the rest, a key it refused itself
        named once."""
        unknown: list[FieldError] = []
        if exact:
            known = {f.name for f in cls.FIELDS} | set(cls.NESTED)
            unknown = [FieldError(k, N_("not an input of this rule")) for k in raw if k not in known]
        typed = cls.json_errors(raw) if json else []
        try:
            values = cls.checked(raw, now, context)
        except InvalidInput as exc:
            exc.errors = [*unknown, *(e for e in _typed_first(exc.errors, typed) if e not in unknown)]
            raise
        if unknown or typed:
            raise InvalidInput([*unknown, *typed])
        return cls.of(values)

    @classmethod
    def json_errors(cls, raw: Mapping[str, object]) -> list[FieldError]:
        """A JSON body's values of the wrong JSON type (review 14a), each named, before any app's check reads
        them the way it reads a page's form text: a flag or a whole number is only its JSON type (1, "true"
        or "3" are not; a bool is not a whole number), no text is a NaN literal. The core's words."""
        errors: list[FieldError] = []
        kinds = {f.name: f.kind for f in cls.FIELDS}
        for name, part in cls.PART_SCHEMAS.items():
            if part.get("type") == "array":
                kinds[name] = "integers" if part.get("items", {}).get("type") == "integer" else ""
            else:
                kinds[name] = {"integer": "integer", "string": "text"}.get(str(part.get("type")), "")
        for name, kind in kinds.items():
            value = raw.get(name)
            if value is None:
                continue
            if kind == "bool" and not isinstance(value, bool):
                errors.append(FieldError(name, N_("must be true or false")))
            elif not is_integer(value) if kind == "integer" else kind == "integers" and not _integers(value):
                errors.append(FieldError(name, N_("must be a whole number")))
            elif kind in ("text", "choice", "date") and isinstance(value, JsonConstant):
                errors.append(FieldError(name, N_("must be text")))
        return errors

    @classmethod
    def of(cls, values: Mapping[str, object]) -> Self:
        """The model of values the core has checked (nothing is checked again)."""
        fields = {f.name: values[f.name] for f in cls.FIELDS}
        for name, kind in cls.NESTED.items():
            fields[name] = _nested(kind, values[name])
        # What `model_construct` leaves, without its walk over aliases and defaults (a CoreIn has neither:
        # every field is set): a quarter of the cost on the check-in's hot path (issue #21).
        model = cls.__new__(cls)
        _set(model, "__dict__", fields)
        _set(model, "__pydantic_fields_set__", set(fields))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model

    def checked_values(self) -> dict[str, Any]:
        """The core's checked values, in its order, as a dict (for a service that stores them as they are)."""
        return dict(self.__dict__)

    @classmethod
    def posted(cls, raw: Mapping[str, object]) -> Posted[Self]:
        return Posted(cls, raw)

    @classmethod
    def read(cls, request: HttpRequest, *, exact: bool = True) -> Posted[Self]:
        """The request's JSON object body, not yet checked (anything but an object: 422 naming the body);
        its parse refuses a key not among the fields (a page's form, `posted`, carries others: its token)."""
        return Posted(cls, json_object(request), exact=exact, json=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        declared = [(name, info.annotation) for name, info in cls.model_fields.items()]
        core = [(f.name, _expected_type(f)) for f in cls.FIELDS] + list(cls.NESTED.items())
        if declared != core:
            raise TypeError(f"{cls.__name__} must declare the core's fields in order: {core}, not {declared}")

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        """The body's JSON Schema: the core's field list, then each nested part."""
        schema = json_schema(cls.FIELDS)
        for name, kind in cls.NESTED.items():
            schema["properties"][name] = dict(cls.PART_SCHEMAS.get(name) or _nested_schema(kind))
        return dict(schema)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"title": cls.__name__, **cls.body_schema()}


def is_integer(value: object) -> bool:
    """A JSON integer (a bool is not one); 3.0 is one, as in JSON Schema and the core's own whole numbers."""
    if isinstance(value, float):
        return math.isfinite(value) and value == int(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _integers(value: object) -> bool:
    """Not a list (the app names it in its words), or a list of whole numbers."""
    return not isinstance(value, list) or all(is_integer(v) for v in value)


def _typed_first(errors: list[FieldError], typed: list[FieldError]) -> list[FieldError]:
    """An app's errors (in its words), then each field of the wrong JSON type the app took for good."""
    named = {e.field for e in errors}
    return [*errors, *(e for e in typed if e.field not in named)]


def _nested(kind: object, value: object) -> object:
    """A nested part's checked value as its declared type (`CoreIn` parts as their models)."""
    if isinstance(kind, type) and issubclass(kind, CoreIn):
        return kind.of(cast(Mapping[str, object], value))
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        return [_nested(item, v) for v in cast(list[object], value)]
    return value


_SCALAR_SCHEMAS: dict[object, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
}


def _nested_schema(kind: object) -> dict[str, Any]:
    if isinstance(kind, type) and issubclass(kind, CoreIn):
        return kind.body_schema()
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        return {"type": "array", "items": _nested_schema(item)}
    return dict(_SCALAR_SCHEMAS[kind])


M = TypeVar("M", bound=CoreIn)


@dataclass(frozen=True)
class Posted(Generic[M]):
    """A JSON object posted for `model`, read but not yet checked: `parse()` runs the core's checks."""

    model: type[M]
    raw: Mapping[str, object]
    exact: bool = False  # a JSON body: a key not among the fields is refused (`CoreIn.parse`)
    json: bool = False  # a JSON body: each value of its JSON type (`CoreIn.json_errors`)

    def parse(self, now: datetime.datetime | None = None, context: object = None) -> M:
        return self.model.parse(self.raw, now, exact=self.exact, context=context, json=self.json)


# The models whose schema the OpenAPI document carries as components (`keel.api.KeelAPI`).
BODIES: dict[str, type[CoreIn]] = {}


def request_body(model: type[CoreIn]) -> dict[str, object]:
    """A route's `openapi_extra`: its JSON body is `model`, a component of the document."""
    BODIES[model.__name__] = model
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def body_components() -> dict[str, object]:
    return {name: BODIES[name].model_json_schema() for name in sorted(BODIES)}
