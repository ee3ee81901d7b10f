"""`keel program_settings --by ADMIN --program SLUG [--data JSON] [--json]`: show or change a program's
settings (time zone, dosing-window hours, closure days, the contact details patients see) through the same
service as the settings page and `PUT /api/v1/programs/{slug}/settings` (issue #18). Bad fields named, exit 2.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts import queries, services
from keel.accounts.management.commands.staff import acting_user, fields_error
from keel.accounts.schemas import ProgramSettingsIn
from keel.core.rules.inputs import FieldsInvalid, loads_json


class Command(BaseCommand):
    help = "Show a program's settings, or change them with --data (the fields of the settings API)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--by", required=True, help="username of a program admin")
        parser.add_argument("--program", required=True, help="the program's slug")
        parser.add_argument("--data", help='e.g. {"dosing_opens": "06:00", "dosing_closes": "13:30"}')
        parser.add_argument("--json", action="store_true", help="print the settings as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        by = acting_user(options["by"])
        kept_back = 0
        try:
            if options["data"] is None:
                program = queries.program_settings(by=by, slug=options["program"])
            else:
                try:
                    data = loads_json(options["data"])
                except ValueError:
                    raise CommandError("--data: is not valid JSON", returncode=2) from None
                if not isinstance(data, dict):
                    raise CommandError("--data: must be a JSON object", returncode=2)
                saved = services.update_program_settings(
                    by=by, slug=options["program"], data=ProgramSettingsIn.posted(data)
                )
                program, kept_back = saved.program, saved.closure_bottles_kept_back
        except FieldsInvalid as exc:
            raise fields_error(exc) from None
        except queries.ProgramSettingsNotAllowed as exc:
            raise CommandError(str(exc), returncode=2) from None
        shown = {
            "time_zone": program.time_zone,
            "dosing_opens": program.dosing_opens.strftime("%H:%M") if program.dosing_opens else None,
            "dosing_closes": program.dosing_closes.strftime("%H:%M") if program.dosing_closes else None,
            "closure_days": program.closure_days,
            "contact_phone": program.contact_phone,
            "contact_address": program.contact_address,
        }
        if options["json"]:
            self.stdout.write(json.dumps(shown))
            return
        for name, value in shown.items():
            self.stdout.write(f"{name}: {value if value not in (None, '', []) else '-'}")
        if kept_back:
            self.stdout.write(services.closure_bottles_words(kept_back))
