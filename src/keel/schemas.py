"""What the API's request and output schemas share (issue #17).

A response schema that ignored extra keys before this base existed is a plain pydantic `BaseModel` (extra keys
ignored, validated once as well) rather than an `Out`: forbidding them would add `additionalProperties: false`
to its part of the OpenAPI document, and some drop a key on purpose (an assessment's stored result keeps its
reasons as templates, `said`, which the API does not send)."""

from __future__ import annotations

from ninja import Schema
from pydantic import BaseModel, ConfigDict


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
    existence is not judged by it). The `CoreIn` bodies still judge access first."""

    model_config = ConfigDict(extra="forbid")


# A JSON object nested in a request body (`In`): `@with_config(NESTED_FORBID)` on its TypedDict.
NESTED_FORBID = ConfigDict(extra="forbid")
