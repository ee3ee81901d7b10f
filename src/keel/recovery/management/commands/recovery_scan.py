"""keel recovery_scan: raise the 'silence' early-warning flag for people who went quiet after a daily
check-in habit. Run it once a day (cron or a systemd timer); it raises each flag once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from keel.recovery import services


class Command(BaseCommand):
    help = "Raise early-warning 'silence' flags (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        raised = services.scan_for_silence()
        if options["verbosity"]:
            self.stdout.write(f"{raised} silence flag(s) raised.")
