"""`keel instruments [--json]`: the instrument catalog."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from keel.assessments.queries import describe_instrument
from keel.core.instruments import registry


class Command(BaseCommand):
    help = "List the instruments Keel can score."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        catalog = [describe_instrument(code) for code in registry.codes()]
        if options["json"]:
            self.stdout.write(json.dumps([i.model_dump() for i in catalog], indent=2))
            return
        for i in catalog:
            extras = ", ".join(e.name for e in i.extras)
            who = "self-report" if i.self_report else "clinician"
            self.stdout.write(
                f"{i.code:<14} v{i.version}  {i.items:>2} items  {who:<11} {i.title}"
                + (f"  [extras: {extras}]" if extras else "")
            )
