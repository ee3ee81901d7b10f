from __future__ import annotations

import json
import uuid
from typing import Any

from django.test import Client

TYPICAL = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}


def post_checkin(client: Client, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(
        "/api/v1/me/checkins",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key if key is not None else uuid.uuid4().hex},
    )


def errors_of(response: Any) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in response.json()["errors"]}
