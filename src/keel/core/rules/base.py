"""What every rule is: a name, a version, typed inputs, a policy (defaults with provenance) and a pure
evaluate(input, policy) -> Decision."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keel.core.decision import Decision
from keel.core.rules.inputs import Field, FieldError, InvalidInput, json_schema, parse


@dataclass(frozen=True)
class Rule:
    name: str
    version: str
    summary: str
    inputs: tuple[Field, ...]
    policy: tuple[Field, ...]
    evaluate: Callable[[Mapping[str, Any], Mapping[str, Any]], Decision]
    # For inputs that are not a flat set of fields (e.g. a series of check-ins): a parser and its schema.
    parse_input: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    input_schema: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "version": self.version,
            "summary": self.summary,
            "input": self.input_schema or json_schema(self.inputs),
            "policy": json_schema(self.policy),
        }

    def run(self, raw_input: Mapping[str, Any], policy: Mapping[str, Any] | None = None) -> Decision:
        """Check the input and any policy values, then decide. Raises InvalidInput naming every bad field."""
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        settings: dict[str, Any] = {}
        try:
            values = self.parse_input(raw_input) if self.parse_input else parse(self.inputs, raw_input)
        except InvalidInput as exc:
            errors += exc.errors
        try:
            settings = parse(self.policy, policy or {}, prefix="policy.")
        except InvalidInput as exc:
            errors += exc.errors
        if errors:
            raise InvalidInput(errors)
        return self.evaluate(values, settings)
