"""Per-instrument meaning of a total: bands, flags and reasons, each with its source ids.

Sources (ids used in results): see keel's clinical reference, sections 2 (COWS) and 5 (PHQ-9, GAD-7).
- COWS bands 0-4 / 5-12 / 13-24 / 25-36 / 37-48: Wesson & Ling form as reproduced by mdapp and NIDA CTN
  analysis code [secondary]. Item values: SAMHSA TIP (NBK64244), PCSS-MAT form, VA VistA [verified].
- PHQ-9 bands at 5/10/15/20, positive screen >= 10 (Kroenke 2001, via secondary summaries); item 9 >= 1 is a
  hard safety trigger regardless of the total (Keel's deliberate choice, reference conflict 16).
- GAD-7 bands at 5/10/15, positive screen >= 10 (Spitzer 2006, via secondary summaries).
- SOWS: 16 items 0-4, total 0-64 (Handelsman 1987, via EMCDDA and NIDA Data Share) [verified]. No published
  bands: Keel shows the raw score and no band. Any start threshold (e.g. 17 for a home start) is a program
  policy value owned by the treatment rules, never a band here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keel.core.instruments.model import Band


@dataclass(frozen=True)
class Interpretation:
    band: Band | None
    flags: tuple[str, ...]
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


def band_for(bands: tuple[Band, ...], total: int) -> Band | None:
    return next((b for b in bands if b.low <= total <= b.high), None)


COWS_BANDS = (
    Band(0, 4, "below_mild", "below the mild threshold (no clear active withdrawal)"),
    Band(5, 12, "mild", "mild withdrawal"),
    Band(13, 24, "moderate", "moderate withdrawal"),
    Band(25, 36, "moderately_severe", "moderately severe withdrawal"),
    Band(37, 48, "severe", "severe withdrawal"),
)
PHQ9_BANDS = (
    Band(0, 4, "minimal", "minimal or no depression symptoms"),
    Band(5, 9, "mild", "mild depression symptoms"),
    Band(10, 14, "moderate", "moderate depression symptoms"),
    Band(15, 19, "moderately_severe", "moderately severe depression symptoms"),
    Band(20, 27, "severe", "severe depression symptoms"),
)
GAD7_BANDS = (
    Band(0, 4, "minimal", "minimal anxiety symptoms"),
    Band(5, 9, "mild", "mild anxiety symptoms"),
    Band(10, 14, "moderate", "moderate anxiety symptoms"),
    Band(15, 21, "severe", "severe anxiety symptoms"),
)
POSITIVE_SCREEN_AT = 10  # PHQ-9 and GAD-7


def cows_pulse_score(bpm: int) -> int:
    """COWS item 1 from a resting pulse: <= 80 -> 0; 81-100 -> 1; 101-120 -> 2; > 120 -> 4."""
    if bpm <= 80:
        return 0
    if bpm <= 100:
        return 1
    if bpm <= 120:
        return 2
    return 4


def _cows(answers: Mapping[str, int], total: int) -> Interpretation:
    band = band_for(COWS_BANDS, total)
    label = band.label if band else "out of range"
    return Interpretation(
        band, (), (f"COWS total {total} of 48: {label}.",), ("wesson-ling-2003", "mdapp-cows")
    )


def _phq9(answers: Mapping[str, int], total: int) -> Interpretation:
    band = band_for(PHQ9_BANDS, total)
    flags: list[str] = []
    reasons = [f"PHQ-9 total {total} of 27: {band.label if band else 'out of range'}."]
    if total >= POSITIVE_SCREEN_AT:
        flags.append("positive_screen")
        reasons.append(f"A total of {POSITIVE_SCREEN_AT} or more is a positive screen for depression.")
    if answers.get("phq9_9", 0) >= 1:
        flags.append("item9_positive")
        reasons.append(
            "Question 9 (thoughts of death or self-harm) was answered above 0: a same-day suicide risk "
            "assessment is needed, whatever the total."
        )
    return Interpretation(band, tuple(flags), tuple(reasons), ("kroenke-2001", "keel-conflict-16"))


def _gad7(answers: Mapping[str, int], total: int) -> Interpretation:
    band = band_for(GAD7_BANDS, total)
    flags: list[str] = []
    reasons = [f"GAD-7 total {total} of 21: {band.label if band else 'out of range'}."]
    if total >= POSITIVE_SCREEN_AT:
        flags.append("positive_screen")
        reasons.append(f"A total of {POSITIVE_SCREEN_AT} or more is a positive screen for anxiety.")
    return Interpretation(band, tuple(flags), tuple(reasons), ("spitzer-2006",))


def _sows(answers: Mapping[str, int], total: int) -> Interpretation:
    return Interpretation(
        None,
        (),
        (f"SOWS total {total} of 64. SOWS has no published severity bands, so Keel shows the score only.",),
        ("handelsman-1987", "emcdda-sows"),
    )


INTERPRETERS: dict[str, Callable[[Mapping[str, int], int], Interpretation]] = {
    "cows": _cows,
    "phq9": _phq9,
    "gad7": _gad7,
    "sows": _sows,
}
