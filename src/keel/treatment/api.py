"""API: the clinical rules, stateless, for staff (stores nothing; no patient data goes in or out)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from keel.core import rules

router = Router(tags=["rules"])


class RuleIn(Schema):
    input: dict[str, Any] = Field(description="the rule's inputs (see GET /rules/{name})")
    policy: dict[str, Any] = Field(
        default_factory=dict, description="policy values to use instead of the defaults"
    )


def _staff_only(request: HttpRequest) -> None:
    if not getattr(getattr(request, "auth", None), "is_staff_member", False):
        raise HttpError(403, "Clinical rules are for staff.")


@router.get("/rules", summary="The rules and their versions")
def list_rules(request: HttpRequest) -> list[dict[str, str]]:
    _staff_only(request)
    return [{"name": r.name, "version": r.version, "summary": r.summary} for r in rules.RULES.values()]


@router.get("/rules/{name}", summary="A rule's input and policy schema")
def rule_schema(request: HttpRequest, name: str) -> dict[str, Any]:
    _staff_only(request)
    return rules.get(name).schema()


@router.post("/rules/{name}", summary="Run a rule: decision, reasons, sources and the policy values used")
def run_rule(request: HttpRequest, name: str, payload: RuleIn) -> dict[str, Any]:
    _staff_only(request)
    return rules.get(name).run(payload.input, payload.policy).as_dict()
