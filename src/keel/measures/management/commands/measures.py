"""`keel measures --program SLUG --by USERNAME [--start D] [--end D] [--max-gap N] [--json | --csv CODE]
[--counts raw]`. Every output (text, JSON, CSV) shows counts from 1 to 10, and the cells they could be worked
out from, as "<11" (`queries.suppressed`), unless `--counts raw` asks for them: that is recorded on the audit
row, as on the page and the API."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.management.commands.staff import acting_user
from keel.measures import queries


class Command(BaseCommand):
    help = "A program's quality measures (program admins of the program; audited). No one is named."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", required=True, help="the program's slug")
        parser.add_argument("--by", required=True, help="username of the program admin asking")
        parser.add_argument("--start", help="first day (YYYY-MM-DD; default: 11 months ago, the 1st)")
        parser.add_argument("--end", help="last day (YYYY-MM-DD; default: today)")
        parser.add_argument(
            "--max-gap", dest="max_gap", help="longest gap in medication, in days (default 7)"
        )
        parser.add_argument(
            "--counts",
            choices=["raw"],
            help='"raw": show counts from 1 to 10 unsuppressed (recorded on the audit row)',
        )
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true", help="everything, as JSON")
        out.add_argument("--csv", metavar="CODE", help="one measure's monthly series as CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["by"], who="an active program admin")
        raw = {k: options[k] for k in ("start", "end", "max_gap") if options[k] is not None}
        raw_counts = options.get("counts") == "raw"
        try:
            result = queries.report(
                user,
                program_slug=options["program"],
                raw=raw,
                export=options["csv"],
                raw_counts=raw_counts,
            )
        except queries.MeasuresNotAllowed:
            raise CommandError(
                "only a program admin of this program sees its measures", returncode=2
            ) from None
        except queries.MeasuresInvalid as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(raw_counts=raw_counts), indent=2))
        elif options["csv"]:
            csv.writer(self.stdout, lineterminator="\n").writerows(
                queries.csv_rows(result.measure(options["csv"]), as_of=result.as_of, raw_counts=raw_counts)
            )
        else:
            self.stdout.write(
                f"{result.program.name}: {result.start.isoformat()} to {result.end.isoformat()} "
                f"(as of {result.as_of.isoformat()}, gap allowed {result.params.max_gap} days)"
            )
            for m in result.as_dict(raw_counts=raw_counts)["measures"]:
                value = m["value"]
                if isinstance(value, int | float):
                    value = f"{value}%" if m["unit"] == "percent" else f"{value} days"
                value = "-" if value is None else value
                pending = f", {m['pending']} pending" if m["pending"] else ""
                self.stdout.write(
                    f"  {m['title']}: {value} ({m['numerator']} of {m['denominator']}{pending})"
                )
            self.stdout.write(
                "Small counts: raw, asked for (audited)."
                if raw_counts
                else f"Small counts: 1 to {queries.SMALL_CELL_MAX}, and cells they could be worked out "
                f"from, shown as {queries.SUPPRESSED}."
            )
