"""Reading a JSON object body for routes whose body the core checks (the core names every bad field)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from keel.core.rules.inputs import FieldError, FieldsInvalid


def json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise FieldsInvalid([FieldError("body", "must be a JSON object")])
    return payload
