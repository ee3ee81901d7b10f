"""The opioids Keel asks about, one vocabulary for the intake, buprenorphine readiness, the home start and
XR-naltrexone readiness (reference 9.1 and 11). Codes, with their English names marked for translation."""

from __future__ import annotations

from typing import Literal

from keel.core.words import gettext_noop

OPIOIDS = ("heroin", "fentanyl", "rx_short", "rx_long", "methadone", "buprenorphine")

NAME = {
    "heroin": gettext_noop("Heroin"),
    "fentanyl": gettext_noop("Illicit fentanyl"),
    "rx_short": gettext_noop("Short-acting prescription opioid"),
    "rx_long": gettext_noop("Extended-release prescription opioid"),
    "methadone": gettext_noop("Methadone"),
    "buprenorphine": gettext_noop("Buprenorphine"),
}

# Before a standard buprenorphine start, the policy value that holds each opioid's wait (reference 9.1).
# Illicit fentanyl has no agreed wait (its profile is program policy); buprenorphine itself needs none.
WaitField = Literal["wait_hours_short_acting", "wait_hours_extended_release", "wait_hours_methadone"]
WAIT_FIELD: dict[str, WaitField] = {
    "heroin": "wait_hours_short_acting",
    "rx_short": "wait_hours_short_acting",
    "rx_long": "wait_hours_extended_release",
    "methadone": "wait_hours_methadone",
}

# Full or partial agonists after which XR-naltrexone's label gives switching guidance (correction 10).
AGONIST_TREATMENTS = ("methadone", "buprenorphine")
