"""What the API's output schemas share (issue #17).

A response schema that ignored extra keys before this base existed is a plain pydantic `BaseModel` (extra keys
ignored, validated once as well) rather than an `Out`: forbidding them would add `additionalProperties: false`
to its part of the OpenAPI document, and some drop a key on purpose (an assessment's stored result keeps its
reasons as templates, `said`, which the API does not send)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """A response body: extra keys forbidden, so a key added where the body is built and not to its schema
    fails loudly instead of leaving the API silently.

    A plain pydantic model rather than a ninja `Schema`, so the body is validated once, when the route builds
    it: a ninja Schema that forbids extra keys validates its input twice at every level (once as given, once
    through ninja's DjangoGetter), and ninja validates the returned model again (4-5 ms more on a medication
    record of 120 doses). It reads dicts and keyword arguments only, not objects' attributes."""

    model_config = ConfigDict(extra="forbid")
