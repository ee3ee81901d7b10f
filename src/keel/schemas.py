"""What the API's request and output schemas share (issue #17).

A response schema that ignored extra keys before this base existed is a plain pydantic `BaseModel` (extra keys
ignored, validated once as well) rather than an `Out`: forbidding them would add `additionalProperties: false`
to its part of the OpenAPI document, and some drop a key on purpose (an assessment's stored result keeps its
reasons as templates, `said`, which the API does not send)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


class Out(BaseModel):
    """A response body: extra keys forbidden, so a key added where the body is built and not to its schema
    fails loudly instead of leaving the API silently.

    A plain pydantic model rather than a ninja `Schema`, so the body is validated once, when the route builds
    it: a ninja Schema that forbids extra keys validates its input twice at every level (once as given, once
    through ninja's DjangoGetter), and ninja validates the returned model again (4-5 ms more on a medication
    record of 120 doses). It reads dicts and keyword arguments only, not objects' attributes."""

    model_config = ConfigDict(extra="forbid")


class In(Schema):
    """A request body that refuses any key that is not one of its fields: 422 naming the key, in the words
    the core's bodies use (`keel.api_body.CoreIn`: "not an input of this rule"; `keel.api`'s 422 handler, in
    the request's language).
    Review 15a: a body read by a plain ninja `Schema` dropped an unknown key without a word, so a misspelt
    `"sedatd": true` on a dose recorded the dose instead of holding it. The OpenAPI document says
    `additionalProperties: false` for each.

    A JSON object inside a body (a list's items, a map of named criteria) is a `typing_extensions.TypedDict`
    with `NESTED_FORBID` as its config: a plain dict for the service, its unknown keys refused the same way.

    It stays a ninja `Schema` (its `dict()`, its schema as before); ninja validates a body that forbids extras
    twice (once as given, once through its DjangoGetter), which costs nothing that matters on a request body.
    The refusal comes with ninja's other body checks, before the route runs: a caller who may not act and
    sends an unknown key is told 422 before their 403/404, as for a field of the wrong type (the target's
    existence is not judged by it). The `CoreIn` bodies still judge access first.

    Strict on JSON types (review 16a), as the core's bodies are: a flag is JSON true or false (not 1, "true"
    or "no": pydantic's lax mode read `"sedated": "no"` as false and recorded the dose), a whole number is a
    JSON number (not "7", not true). A field that takes text for a number on purpose (a dose's `amount_mg`,
    "30.5") is `object` and checked by the core. A date is ISO text in JSON: `IsoDate`, `IsoDateTime`."""

    model_config = ConfigDict(extra="forbid", strict=True)


# A JSON object nested in a request body (`In`): `@with_config(NESTED_FORBID)` on its TypedDict. Strict as
# `In` is: a take-home criterion is JSON true or false (`"safe_transport_and_storage": "1"` is refused).
NESTED_FORBID = ConfigDict(extra="forbid", strict=True)


def _iso_text(kind: str, message: str) -> Any:
    """A strict body's date field: JSON has no date type, so the ISO text is the date (parsed as pydantic's
    lax mode parses it); a number (lax mode's Unix time) or anything else is refused."""

    def check(value: Any) -> Any:
        if isinstance(value, str | date):  # a datetime is a date too
            return value
        raise PydanticCustomError(kind, message)

    return check


# A day (YYYY-MM-DD) in an `In` body; its OpenAPI schema is a date's.
IsoDate = Annotated[
    date, Field(strict=False), BeforeValidator(_iso_text("date_type", "Input should be a valid date"))
]
# A moment (ISO 8601, with its zone where the route asks for one) in an `In` body.
IsoDateTime = Annotated[
    datetime,
    Field(strict=False),
    BeforeValidator(_iso_text("datetime_type", "Input should be a valid datetime")),
]
