"""API: the clinical rules, stateless, for staff, run with the caller's program policy (which a request may
only tighten)."""

from __future__ import annotations

from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import reads_no_one, token_may_write
from keel.core import rules
from keel.treatment.api.common import _staff_only, router
from keel.treatment.queries import policy as policy_reads
from keel.treatment.schemas import DecisionOut, RuleIn, RuleSummaryOut


@router.get("/rules", response=list[RuleSummaryOut], summary="The rules and their versions")
@reads_no_one
def list_rules(request: AuthenticatedApiRequest) -> list[RuleSummaryOut]:
    _staff_only(request)
    return [RuleSummaryOut(name=r.name, version=r.version, summary=r.summary) for r in rules.RULES.values()]


# Each rule's own JSON Schema of its inputs and policy values (`Rule.schema`), as JSON.
@router.get("/rules/{name}", summary="A rule's input and policy schema")
@reads_no_one
def rule_schema(request: AuthenticatedApiRequest, name: str) -> dict[str, object]:
    _staff_only(request)
    return rules.get(name).schema()


@router.post(
    "/rules/{name}",
    response=DecisionOut,
    summary="Run a rule: decision, reasons, sources and the policy values used",
)
@token_may_write("a decision-support system runs a rule on the inputs it sends: nothing stored, no one named")
@reads_no_one  # lane fix27b: its refusals (a rule's inputs, the caller's programs) name no record
def run_rule(request: AuthenticatedApiRequest, name: str, payload: RuleIn) -> DecisionOut:
    _staff_only(request)
    rules.get(name)  # 404 for an unknown rule before anything else
    return DecisionOut.of(
        policy_reads.run_for_staff(request.auth, name, payload.input, payload.policy, payload.program)
    )
