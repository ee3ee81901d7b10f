"""Every opioid used, each once, with the hours since its last use: the input readiness and the home start
share, its parser and its JSON schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypedDict, cast

from keel.core.opioids import OPIOIDS
from keel.core.rules.inputs import Field, FieldError, FieldValue, InvalidInput, ObjectSchema, check_fields
from keel.core.words import gettext_noop as N_


class OpioidUse(TypedDict):
    """One opioid used and the hours since its last use, as `parse_uses` reads it."""

    opioid: str
    hours_since_last_use: float


USE_FIELDS = (
    Field("opioid", "choice", choices=OPIOIDS, help="the opioid"),
    Field(
        "hours_since_last_use", "number", minimum=0, maximum=24 * 365 * 10, help="hours since its last use"
    ),
)


_OPIOIDS_SCHEMA: dict[str, object] = {
    "type": "array",
    "minItems": 1,
    "description": "every opioid used, each once, with the hours since its last use",
    "items": {
        "type": "object",
        "properties": {f.name: f.schema() for f in USE_FIELDS},
        "required": [f.name for f in USE_FIELDS],
        "additionalProperties": False,
    },
}
_REPLACED = {
    "last_opioid": "replaced by opioids: a list of {opioid, hours_since_last_use}, one per opioid used",
    "hours_since_last_use": "give it for each opioid in opioids",
}


def parse_uses(raw: object, name: str = "opioids") -> list[OpioidUse]:
    """Every opioid used, each once, with the hours since its last use. Raises InvalidInput naming each bad
    entry."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput([FieldError(name, N_("list each opioid used, with the hours since its last use"))])
    errors: list[FieldError] = []
    uses: list[OpioidUse] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            use = cast(OpioidUse, check_fields(USE_FIELDS, item, prefix=f"{name}[{i}]."))
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if use["opioid"] in seen:
            errors.append(FieldError(f"{name}[{i}].opioid", N_("listed twice: give each opioid once")))
            continue
        seen.add(use["opioid"])
        uses.append(OpioidUse(opioid=use["opioid"], hours_since_last_use=use["hours_since_last_use"]))
    if errors:
        raise InvalidInput(errors)
    return uses


def _parse_with_uses(
    fields: tuple[Field, ...],
) -> Callable[[Mapping[str, object]], dict[str, FieldValue | list[OpioidUse]]]:
    def parse_input(raw: Mapping[str, object]) -> dict[str, FieldValue | list[OpioidUse]]:
        if not isinstance(raw, Mapping):
            raise InvalidInput([FieldError("input", N_("must be a JSON object"))])
        errors = [FieldError(k, why) for k, why in _REPLACED.items() if k in raw]
        rest = {k: v for k, v in raw.items() if k not in _REPLACED and k != "opioids"}
        values: dict[str, FieldValue | list[OpioidUse]] = {}
        try:
            values = {**check_fields(fields, rest)}
        except InvalidInput as exc:
            errors += exc.errors
        try:
            values["opioids"] = parse_uses(raw.get("opioids"))
        except InvalidInput as exc:
            errors += exc.errors
        if errors:
            raise InvalidInput(errors)
        return values

    return parse_input


def _schema_with_uses(fields: tuple[Field, ...]) -> ObjectSchema:
    from keel.core.rules.inputs import json_schema

    schema = json_schema(fields)
    schema["properties"] = {"opioids": _OPIOIDS_SCHEMA, **schema["properties"]}
    schema["required"] = ["opioids", *schema["required"]]
    return schema
