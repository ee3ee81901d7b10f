"""The JSON API's one error shape and a refusal a check raises before the route runs.

`error_body` is every error's body (`{"message": ..., "errors": [{"field": ..., "reason": ...}]}`).
`ApiRefused` lets the checks that wrap every operation (`api_auth.refuse_release_credential`,
`api_query.refuse_undeclared_query`) refuse without importing the API object they are mounted on: the API's
handler (`keel.api`) answers it with that body and status, as the API answers every other error, so the
checks sit below the API and import nothing above them.
"""

from __future__ import annotations

from typing import TypedDict


class ErrorBody(TypedDict):
    """`message`: words for a person; `errors`: each `{"field": ..., "reason": ...}`."""

    message: str
    errors: list[dict[str, str]]


def error_body(message: str, errors: list[dict[str, str]] | None = None) -> ErrorBody:
    """The body of every JSON API error."""
    return {"message": message, "errors": errors or []}


class ApiRefused(Exception):
    """A request refused by a check before its route runs: answered `status` with `body`."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
