"""'Worried about someone': observable signs a family member can check -> what the pattern may mean.

Keel's own plain-language patterns (source `keel-issue-4`), not a diagnosis. The signs are those NIDA and
SAMHSA describe for opioid use (`nida-heroin`, `samhsa-tip-63`). No number here changes anyone's care.
"""

from __future__ import annotations

from dataclasses import dataclass

# sign code -> group: "use" (signs of opioid use itself), "withdrawal", "life" (changes in daily life)
SIGNS = {
    "needles": "use",  # needles, burnt spoons, foil, small baggies
    "marks": "use",  # needle marks, or long sleeves in hot weather
    "nodding": "use",  # nodding off or very sleepy at odd times
    "tiny_pupils": "use",
    "withdrawal": "withdrawal",  # sick when not using: nausea, vomiting, sweating, yawning, runny nose, aches
    "lost_interest": "life",
    "neglect": "life",  # work, school, home
    "money": "life",  # money or things missing, unexplained spending
    "secrecy": "life",  # new friends, secrecy, lying
    "mood": "life",  # big mood swings
}
SOURCES = ("nida-heroin", "samhsa-tip-63", "keel-issue-4")


@dataclass(frozen=True)
class Pattern:
    code: str  # none, life_only, possible_use, likely_dependence
    signs: tuple[str, ...]
    groups: frozenset[str]
    sources: tuple[str, ...] = SOURCES


def pattern(signs: list[str]) -> Pattern:
    """Unknown codes are ignored (a public form must not fail on a stale checkbox)."""
    chosen = tuple(s for s in SIGNS if s in set(signs))
    groups = frozenset(SIGNS[s] for s in chosen)
    if not chosen:
        code = "none"
    elif "use" in groups and "withdrawal" in groups:
        code = "likely_dependence"  # signs of use and of withdrawal between uses
    elif "use" in groups or "withdrawal" in groups:
        code = "possible_use"
    else:
        code = "life_only"
    return Pattern(code, chosen, groups)
