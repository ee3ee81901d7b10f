"""`keel import meetings FILE --format meeting-guide|bmlt` and `keel import facilities FILE`."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keel.accounts.models import Program
from keel.core.directory.feeds import FELLOWSHIPS, NotAFeed
from keel.directory import services


class Command(BaseCommand):
    help = "Import a meeting feed or a facility list (safe to repeat: an unchanged feed changes nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=["meetings", "facilities"])
        parser.add_argument("location", help="a file, or an http(s) URL")
        parser.add_argument("--format", default="meeting-guide", choices=["meeting-guide", "bmlt", "csv"])
        parser.add_argument("--source", help="a name for this feed (default: the file name)")
        parser.add_argument("--timezone", help="zone for meetings without one (default: the deployment's)")
        parser.add_argument(
            "--fellowship",
            choices=FELLOWSHIPS,
            help="fellowship of a Meeting Guide feed (default: as the feed or its name says; BMLT is NA)",
        )
        parser.add_argument(
            "--program",
            help="the program this feed belongs to (slug); without it the feed belongs to the deployment",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = options["timezone"] or settings.TIME_ZONE
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"--timezone: unknown time zone {zone!r}", returncode=2) from None
        location = options["location"]
        source = options["source"] or Path(location.split("?")[0]).name
        program = None
        if options["program"]:
            program = Program.objects.filter(slug=options["program"]).first()
            if program is None:
                raise CommandError(f"--program: no program with slug {options['program']!r}", returncode=2)
        try:
            data = services.read_source(location)
            if options["kind"] == "meetings":
                if options["format"] == "csv":
                    raise NotAFeed("meetings come as meeting-guide or bmlt JSON")
                parsed = services.parse_meetings(
                    data,
                    fmt=options["format"],
                    default_tz=zone,
                    fellowship=options["fellowship"],
                    source=source,
                )
            else:
                parsed = services.parse_facilities(data)
            report = services.import_parsed(
                kind=options["kind"],
                parsed=parsed,
                source=source,
                fmt=options["format"] if options["kind"] == "meetings" else "csv",
                program=program,
                progress=self._progress if sys.stderr.isatty() else None,
            )
        except NotAFeed as exc:
            raise CommandError(f"{location}: {exc}. Nothing was changed.", returncode=2) from None
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        self.stdout.write(
            f"{report.kind} from {report.source}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.deactivated} deactivated, {report.rejected} rejected"
        )
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        for r in report.rejections:
            self.stdout.write(f"rejected #{r['index']} {r['name']!r}: {r['reason']}")

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
