from __future__ import annotations

from django.http import HttpRequest


def keel(request: HttpRequest) -> dict[str, object]:
    return {"KEEL_VERSION": __import__("keel").__version__}
