"""Reading a JSON object body for routes whose body the core checks (the core names every bad field)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from keel.core.rules.inputs import FieldError, FieldsInvalid, loads_json
from keel.core.words import gettext_noop as N_


def json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = loads_json(request.body or b"null")  # NaN and Infinity arrive as text, refused by name
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise FieldsInvalid([FieldError("body", N_("must be a JSON object"))])
    return payload
