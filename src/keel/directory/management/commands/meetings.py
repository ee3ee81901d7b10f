"""`keel meetings near --lat --lon [--radius-km] [--within-hours] [...] [--json]` (or --place ZIP)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from keel.directory import params
from keel.directory.api import meeting_out
from keel.directory.queries import BadSearch, search_meetings


class Command(BaseCommand):
    help = "Find meetings near a place (the same search as the API and the pages)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["near"])
        parser.add_argument("--lat", type=float)
        parser.add_argument("--lon", type=float)
        parser.add_argument("--place", help="a ZIP code or 'City, ST' instead of --lat/--lon")
        parser.add_argument("--radius-km", type=float)
        parser.add_argument("--radius-mi", type=float)
        parser.add_argument("--within-hours", type=float)
        parser.add_argument("--day", type=int, help="0 = Sunday ... 6 = Saturday")
        parser.add_argument("--attendance", choices=["in_person", "online", "hybrid"])
        parser.add_argument("--fellowship")
        parser.add_argument("--language")
        parser.add_argument("--json", action="store_true")

    @staticmethod
    def _flag(field: str, query: dict[str, Any]) -> str:
        """The flag the person used for this field (--place for a ZIP given as --place, --radius-mi ...)."""
        if field in ("radius_km", "radius_mi"):
            return "--radius-mi" if "radius_mi" in query and "radius_km" not in query else "--radius-km"
        if field == "place":
            return "--place" if "place" in query else "--lat"
        return f"--{field.replace('_', '-')}"

    def handle(self, *args: Any, **options: Any) -> None:
        query = {
            k: v
            for k, v in {
                "lat": options["lat"],
                "lon": options["lon"],
                "place": options["place"],
                "radius_km": options["radius_km"],
                "radius_mi": options["radius_mi"],
                "within_hours": options["within_hours"],
                "day": options["day"],
                "attendance": options["attendance"],
                "fellowship": options["fellowship"],
                "language": options["language"],
            }.items()
            if v is not None
        }
        if not any(k in query for k in ("lat", "lon", "place")) and options["attendance"] != "online":
            raise CommandError("--place: give a ZIP code or city (or --lat and --lon)", returncode=2)
        try:
            search, place = params.meeting_search(query)
            nearby, online = search_meetings(search, now=timezone.now())
        except BadSearch as exc:
            raise CommandError(f"{self._flag(exc.field, query)}: {exc.reason}", returncode=2) from None
        results = [meeting_out(h).model_dump() for h in (*nearby, *online)]
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        if not results:
            where = f" near {place.label}" if place else ""
            self.stdout.write(
                f"No meetings found{where}. Try a larger --radius-mi, another --day, or --attendance online."
            )
            return
        for r in results:
            where = f"{r['distance_km']:.1f} km" if r["distance_km"] is not None else "online"
            self.stdout.write(
                f"{r['next_start'] or '-':<26} {where:>9}  {r['name']}  {r['address']} {r['city']}"
            )
