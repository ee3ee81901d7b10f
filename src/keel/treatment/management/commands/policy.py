"""`keel policy show --program SLUG [--json]` and
`keel policy set --program SLUG --rule R --field F --value V --reason TEXT --by USERNAME` (program admins)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.models import User
from keel.core.rules.inputs import InvalidInput, loads_json
from keel.treatment.queries import policy as policy_reads
from keel.treatment.services import policy as policy_writes


def _value(raw: str) -> Any:
    """JSON when it parses (numbers, null, true), else the text itself."""
    try:
        return loads_json(raw)  # "NaN", "Infinity": text, refused by name
    except json.JSONDecodeError:
        return raw


class Command(BaseCommand):
    help = "Show or change a program's policy values (changes: program admins only, with a reason; audited)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["show", "set"])
        parser.add_argument("--program", required=True, help="the program's slug")
        parser.add_argument("--by", help="username of the staff member acting (required; an admin for set)")
        parser.add_argument("--rule")
        parser.add_argument("--field")
        parser.add_argument("--value", help="the new value as JSON (a number, null for no limit)")
        parser.add_argument("--reason")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["by"] or "", is_active=True).first()
        if user is None:
            raise CommandError(
                "--by: give the username of an active staff member of the program", returncode=2
            )
        try:
            if options["action"] == "show":
                program, values = policy_reads.show(user, options["program"])
                rows = [
                    {
                        "rule": v.rule,
                        "field": v.field,
                        "value": v.value,
                        "default": v.default,
                        "provenance": v.help,
                        "floor": v.floor,
                        "ceiling": v.ceiling,
                        "bounds": v.bounds,
                    }
                    for v in values
                ]
                if options["json"]:
                    self.stdout.write(json.dumps({"program": program.slug, "values": rows}, indent=2))
                else:
                    for r in rows:
                        self.stdout.write(
                            f"{r['rule']:<26} {r['field']:<30} {r['value']!s:<12} (default {r['default']}"
                            + (
                                f"; allowed {r['floor']:g}-{r['ceiling']:g})"
                                if r["floor"] is not None
                                else ")"
                            )
                        )
                return
            missing = [f"--{k}" for k in ("rule", "field", "value", "reason") if options[k] is None]
            if missing:
                raise CommandError(f"set needs {', '.join(missing)}", returncode=2)
            setting = policy_writes.set_value(
                by=user,
                program_slug=options["program"],
                rule=options["rule"],
                field=options["field"],
                value=_value(options["value"]),
                reason=options["reason"],
            )
        except policy_writes.PolicyNotAllowed as exc:
            raise CommandError(str(exc), returncode=1) from None
        except InvalidInput as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        self.stdout.write(f"{setting.rule}.{setting.field} = {setting.value!r} for {options['program']}")
