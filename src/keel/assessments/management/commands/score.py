"""`keel score CODE --answers JSON [--extras JSON]`: score without storing anything; print the result JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.registry import UnknownInstrument
from keel.core.instruments.scoring import score


def _json_object(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{name}: not valid JSON ({exc.msg} at character {exc.pos})", returncode=2
        ) from None
    if not isinstance(value, dict):
        raise CommandError(f'{name}: must be a JSON object like {{"item": 1}}', returncode=2)
    return value


class Command(BaseCommand):
    help = "Score one instrument's answers (nothing is stored) and print the result as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="instrument code (see `keel instruments`)")
        parser.add_argument("--answers", required=True, help="JSON object, e.g. '{\"phq9_1\": 2, ...}'")
        parser.add_argument(
            "--extras", default="{}", help='JSON object of extra inputs, e.g. \'{"sex": "female"}\''
        )

    def handle(self, *args: Any, **options: Any) -> None:
        answers = _json_object(options["answers"], "--answers")
        extras = _json_object(options["extras"], "--extras")
        try:
            result = score(options["code"], answers, extras)
        except UnknownInstrument as exc:
            raise CommandError(str(exc), returncode=2) from None
        except InvalidAnswers as exc:
            lines = "\n".join(f"  {e.item}: {e.reason}" for e in exc.errors)
            raise CommandError(
                f"{len(exc.errors)} problem(s) with the answers:\n{lines}", returncode=2
            ) from None
        self.stdout.write(json.dumps(result.as_dict(), indent=2))
