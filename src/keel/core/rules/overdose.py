"""Overdose risk summary: the factors guidance highlights (reference section 13 [V: SAMHSA toolkit and cited
studies]) and the naloxone offer (section 12: everyone with OUD or at risk, and their families). Keel lists
factors; it gives no score, since no validated score is in the reference."""

from __future__ import annotations

from typing import Literal, TypedDict

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy, Rule
from keel.core.rules.inputs import Field
from keel.core.words import gettext_noop

Factor = Literal[
    "lost_tolerance",
    "prior_overdose",
    "uses_sedatives",
    "uses_stimulants",
    "fentanyl_or_unknown_supply",
    "uses_alone",
    "injects",
    "serious_mental_illness",
    "breathing_or_clearance_illness",
    "high_dose_prescribed_opioids",
    "methadone_start_or_left_treatment",
]
FACTORS: tuple[tuple[Factor, str], ...] = (
    (
        "lost_tolerance",
        gettext_noop(
            "lower tolerance after a break (withdrawal care, jail or prison, residential or hospital "
            "stay, stopping naltrexone, any time without use)"
        ),
    ),
    ("prior_overdose", gettext_noop("a past overdose (the strongest single predictor)")),
    ("uses_sedatives", gettext_noop("use with alcohol, benzodiazepines or other sedatives")),
    ("uses_stimulants", gettext_noop("use with stimulants")),
    ("fentanyl_or_unknown_supply", gettext_noop("fentanyl or a supply of unknown strength")),
    ("uses_alone", gettext_noop("using alone")),
    ("injects", gettext_noop("injecting")),
    ("serious_mental_illness", gettext_noop("serious mental illness")),
    (
        "breathing_or_clearance_illness",
        gettext_noop(
            "illness affecting breathing or clearance (COPD, asthma, sleep apnea, liver or kidney disease, HIV)"
        ),
    ),
    ("high_dose_prescribed_opioids", gettext_noop("high-dose prescribed opioids")),
    (
        "methadone_start_or_left_treatment",
        gettext_noop("the first weeks of methadone, or just after leaving treatment"),
    ),
)
INPUTS = (
    *(Field(key, "bool", required=False, default=False, help=text) for key, text in FACTORS),
    Field("has_naloxone", "bool", required=False, default=False, help="has naloxone on hand now"),
)


class OverdoseInput(TypedDict):
    """INPUTS as `Rule.run` checks them (each false when not given)."""

    lost_tolerance: bool
    prior_overdose: bool
    uses_sedatives: bool
    uses_stimulants: bool
    fentanyl_or_unknown_supply: bool
    uses_alone: bool
    injects: bool
    serious_mental_illness: bool
    breathing_or_clearance_illness: bool
    high_dose_prescribed_opioids: bool
    methadone_start_or_left_treatment: bool
    has_naloxone: bool


class OverdoseDetails(TypedDict):
    """The decision's other output: how many of the risk factors are present."""

    factors_present: int


def _overdose(v: OverdoseInput, p: NoPolicy) -> Decision[NoPolicy, OverdoseDetails]:
    present = [text for key, text in FACTORS if v[key]]
    reasons = [
        Reason.said(gettext_noop("Risk factor: %(factor)s."), ("samhsa-od-toolkit",), factor=text)
        for text in present
    ]
    if not present:
        reasons.append(
            Reason.said(
                gettext_noop(
                    "No listed risk factor reported; opioid use disorder itself carries overdose risk."
                ),
                ("samhsa-od-toolkit",),
            )
        )
    if v["has_naloxone"]:
        reasons.append(
            Reason.said(
                gettext_noop("Has naloxone: check it is in date and that others know where it is."),
                ("cdc-2022",),
            )
        )
        decision = "naloxone_on_hand"
    else:
        reasons.append(
            Reason.said(
                gettext_noop(
                    "Offer naloxone and show how to use it (to the person and the people around them)."
                ),
                ("cdc-2022", "samhsa-od-toolkit"),
            )
        )
        decision = "offer_naloxone"
    return Decision("overdose-risk", "1", decision, tuple(reasons), {}, {"factors_present": len(present)})


OVERDOSE: Rule[OverdoseInput, NoPolicy, OverdoseDetails] = Rule(
    "overdose-risk", "1", "Which overdose risks are present, and is naloxone needed?", INPUTS, (), _overdose
)
