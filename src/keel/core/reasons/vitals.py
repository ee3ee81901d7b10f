"""Vital signs written with their value in a typed reason ("RR 4", "SpO2 80%", "BP 60/30", "GCS 6"), read as
clinical words (`keel.core.reasons.check`); the ranges and critical values are sourced below."""

from __future__ import annotations

import re

# Review 24r: vital signs written as an ED chart writes them, a name and its value ("RR 4", "SpO2 80%", "BP
# 60/30", "GCS 6", "FC 140", "TA 60/30"): each is a clinical word of its own, named by what it measures
# (English and Spanish names of one measure are one word), when the value is one a living person can have
# (review 24s: "bp 1 hr 1" is no vital sign). Lower bounds: a respiratory rate of 0 is apnea (SAMHSA Overdose
# Prevention and Response Toolkit: breathing stopped); pulse oximeters are calibrated from 70% (FDA, "Pulse
# Oximeters - Premarket Notification Submissions", 2013; ISO 80601-2-61), below 50% no reading is taken as
# one; a heart rate under 20 is an agonal rhythm, not a rate (AHA ACLS); a systolic pressure under 40 mmHg is
# not measured by a cuff (AHA ACLS: no palpable pulse); a blood glucose under 10 mg/dL is not survived
# (ADA, hypoglycemia level 3 is < 54 mg/dL); the Glasgow Coma Scale runs 3 to 15 (Teasdale & Jennett 1974).
_VITAL_NAMES: dict[str, tuple[str, float, float]] = {
    "rr": ("rate", 0, 80), "fr": ("rate", 0, 80), "resp": ("rate", 0, 80),
    "spo2": ("oxygen", 50, 100), "sao2": ("oxygen", 50, 100), "sato2": ("oxygen", 50, 100),
    "sat": ("oxygen", 50, 100), "sats": ("oxygen", 50, 100), "o2": ("oxygen", 50, 100),
    "gcs": ("gcs", 3, 15), "glasgow": ("gcs", 3, 15),
    "bp": ("pressure", 40, 300), "sbp": ("pressure", 40, 300), "ta": ("pressure", 40, 300),
    "pa": ("pressure", 40, 300),
    "hr": ("heart", 20, 300), "fc": ("heart", 20, 300), "pulse": ("heart", 20, 300),
    "pulso": ("heart", 20, 300),
    "temp": ("temperature", 25, 113), "bg": ("glucose", 10, 2000), "glu": ("glucose", 10, 2000),
    "glucose": ("glucose", 10, 2000), "glucosa": ("glucose", 10, 2000), "glucemia": ("glucose", 10, 2000),
    "etco2": ("co2", 0, 150),
}  # fmt: skip
# Review 24s: the critical values of the measures an opioid overdose depresses, each a reason alone ("RR 4",
# "GCS 3", "SpO2 70%"): respiratory rate <= 8 a minute (opioid-induced respiratory depression; WHO, Community
# management of opioid overdose, 2014), GCS <= 8 (coma: the airway is not protected; Teasdale & Jennett),
# SpO2 <= 88% (hypoxaemia below the lowest target of oxygen therapy; BTS guideline for oxygen use, 2017).
_CRITICAL_VITALS: dict[str, float] = {"rate": 8, "gcs": 8, "oxygen": 88}
_VITAL = re.compile(
    r"(?<![^\W_])(?P<name>" + "|".join(sorted(_VITAL_NAMES, key=len, reverse=True)) + r")"
    r"\s*(?:[:=]\s*|of\s+|de\s+)?(?P<value>[0-9]{1,4}(?:[.,][0-9]{1,2})?)(?:\s*/\s*[0-9]{1,3})?"
    r"(?:\s*(?:%|bpm|lpm|rpm|mmhg|mg/dl|°c|°f))?(?![^\W_])",
    re.IGNORECASE,
)


def _vital_signs(joined: str) -> tuple[frozenset[str], bool, str]:
    """The vital signs written with their value in `joined` ("RR 4", "SpO2 80%", "BP 60/30"), as clinical
    words ("vital:rate", "vital:oxygen"), whether one is in its critical range (`_CRITICAL_VITALS`), and the
    text without them."""
    found: set[str] = set()
    critical: list[bool] = []

    def take(match: re.Match[str]) -> str:
        measure, low, high = _VITAL_NAMES[match["name"].casefold()]
        value = float(match["value"].replace(",", "."))
        if low <= value <= high:
            found.add(f"vital:{measure}")
            critical.append(measure in _CRITICAL_VITALS and value <= _CRITICAL_VITALS[measure])
            return " "
        return match[0]

    rest = _VITAL.sub(take, joined)
    return frozenset(found), any(critical), rest
