"""What every rule is: a name, a version, typed inputs, a policy (defaults with provenance) and a pure
evaluate(input, policy) -> Decision.

Each rule names its checked input, its policy values and its decision's details as TypedDicts
(`Rule[DoseInput, DosePolicy, NoDetails]`), so mypy checks every key a rule reads or a caller reads of its decision
and the type of its value; `run` parses the raw input and policy against the
rule's `Field`s into exactly those dicts (every field present, a default or None when not given)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypedDict, cast

from typing_extensions import TypeVar

from keel.core.decision import Decision
from keel.core.rules.inputs import Field, FieldError, InvalidInput, ObjectSchema, check_fields, json_schema
from keel.core.rules.policy import limit_errors, limit_for

InputT = TypeVar("InputT")  # the rule's checked input, a TypedDict of its `inputs`
PolicyT = TypeVar(
    "PolicyT", bound=Mapping[str, object]
)  # the rule's policy values, a TypedDict of its `policy`
# the decision's other outputs, a TypedDict of the rule's own (`NoDetails` when it has none)
DetailsT = TypeVar("DetailsT", bound=Mapping[str, object], default=Mapping[str, object], covariant=True)


class NoPolicy(TypedDict):
    """The policy of a rule without policy values."""


class AnyRule(Protocol):
    """A rule of any input, policy and details (`keel.core.rules.RULES`, `get`): what a caller that names the
    rule at run time may use. Its decision carries mappings of unknown values, narrowed before use."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def inputs(self) -> tuple[Field, ...]: ...
    @property
    def policy(self) -> tuple[Field, ...]: ...
    def schema(self) -> dict[str, object]: ...
    def policy_schema(self) -> ObjectSchema: ...
    def run(
        self, raw_input: Mapping[str, object], policy: Mapping[str, object] | None = None
    ) -> Decision: ...


@dataclass(frozen=True)
class Rule(Generic[InputT, PolicyT, DetailsT]):
    name: str
    version: str
    summary: str
    inputs: tuple[Field, ...]
    policy: tuple[Field, ...]
    evaluate: Callable[[InputT, PolicyT], Decision[PolicyT, DetailsT]]
    # For inputs that are not a flat set of fields (e.g. a series of check-ins): a parser and its schema.
    # It returns the rule's input (`InputT`'s keys and values), checked.
    parse_input: Callable[[Mapping[str, object]], Mapping[str, object]] | None = None
    input_schema: ObjectSchema | None = None

    def schema(self) -> dict[str, object]:
        return {
            "rule": self.name,
            "version": self.version,
            "summary": self.summary,
            "input": self.input_schema or json_schema(self.inputs),
            "policy": self.policy_schema(),
        }

    def policy_schema(self) -> ObjectSchema:
        """The policy fields' schema with each value's safe bounds and where they come from."""
        schema = json_schema(self.policy)
        for name, prop in schema["properties"].items():
            limit = limit_for(self.name, name)
            if limit is None:
                continue
            if limit.floor is not None:
                prop["minimum"] = limit.floor
            if limit.ceiling is not None:
                prop["maximum"] = limit.ceiling
            prop["x-stricter"] = limit.stricter
            prop["x-bounds"] = limit.why
        return schema

    def run(
        self, raw_input: Mapping[str, object], policy: Mapping[str, object] | None = None
    ) -> Decision[PolicyT, DetailsT]:
        """Check the input and any policy values, then decide. Raises InvalidInput naming every bad field.
        The checks give each value of the rule's fields its field's kind: the rule's own TypedDicts."""
        errors: list[FieldError] = []
        values: Mapping[str, object] = {}
        settings: Mapping[str, object] = {}
        try:
            values = self.parse_input(raw_input) if self.parse_input else check_fields(self.inputs, raw_input)
        except InvalidInput as exc:
            errors += exc.errors
        try:
            settings = check_fields(self.policy, policy or {}, prefix="policy.")
            errors += limit_errors(self.name, settings)  # the safe floor and ceiling of every value
        except InvalidInput as exc:
            errors += exc.errors
        if errors:
            raise InvalidInput(errors)
        return self.evaluate(cast(InputT, values), cast(PolicyT, settings))
