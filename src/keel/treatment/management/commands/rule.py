"""`keel rule NAME --input JSON [--policy JSON]` or `keel rule NAME --schema`; `keel rule --list`."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.core import rules
from keel.core.rules.inputs import InvalidInput, loads_json


def _object(raw: str, flag: str) -> dict[str, object]:
    try:
        value = loads_json(raw)  # NaN and Infinity arrive as text: the rule refuses them by name
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{flag}: not valid JSON ({exc.msg} at character {exc.pos})", returncode=2
        ) from None
    if not isinstance(value, dict):
        raise CommandError(f"{flag}: must be a JSON object", returncode=2)
    return value


class Command(BaseCommand):
    help = (
        "Run a clinical rule statelessly and print its decision (with reasons, sources and policy) as JSON."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", nargs="?", help=f"one of: {', '.join(sorted(rules.RULES))}")
        parser.add_argument("--input", help="the rule's inputs as a JSON object")
        parser.add_argument("--policy", default="{}", help="policy values to use instead of the defaults")
        parser.add_argument("--schema", action="store_true", help="print the rule's input schema")
        parser.add_argument("--list", action="store_true", help="list the rules")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"] or not options["name"]:
            for rule in rules.RULES.values():
                self.stdout.write(f"{rule.name:<26} v{rule.version}  {rule.summary}")
            return
        try:
            rule = rules.get(options["name"])
        except rules.UnknownRule as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["schema"]:
            self.stdout.write(json.dumps(rule.schema(), indent=2))
            return
        if options["input"] is None:
            raise CommandError("--input: give the rule's inputs as JSON (see --schema)", returncode=2)
        try:
            decision = rule.run(_object(options["input"], "--input"), _object(options["policy"], "--policy"))
        except InvalidInput as exc:
            lines = "\n".join(f"  {e.field}: {e.reason}" for e in exc.errors)
            raise CommandError(
                f"{len(exc.errors)} problem(s) with the input:\n{lines}", returncode=2
            ) from None
        self.stdout.write(json.dumps(decision.as_dict(), indent=2))
