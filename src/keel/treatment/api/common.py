"""The treatment API's one router and the helpers every module of it uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Router
from ninja.errors import HttpError

from keel.access.http import AuthenticatedApiRequest


class _Router(Router):
    """Operation ids keep the names they had when the API was one module, `keel_treatment_api_<function>`,
    so the OpenAPI document (and any client generated from it) does not change with the package's layout."""

    def add_api_operation(
        self, path: str, methods: list[str], view_func: Callable[..., Any], **kwargs: Any
    ) -> None:
        kwargs["operation_id"] = kwargs.get("operation_id") or f"keel_treatment_api_{view_func.__name__}"
        super().add_api_operation(path, methods, view_func, **kwargs)


router = _Router(tags=["rules"])


def _staff_only(request: AuthenticatedApiRequest) -> None:
    """A 403 unless the caller (the API's auth ran before any handler) is a staff member."""
    if not request.auth.is_staff_member:
        raise HttpError(403, "Clinical rules are for staff.")
