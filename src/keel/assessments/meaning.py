"""What a result means, in plain words and in the reader's language (labels for the core's band codes)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from keel.core.diagnosis import codes_for

SCREEN_NOTE = _("This is a screening result, not a diagnosis. Talk it over with your care team.")

# (instrument, band code) -> (label, what it means)
MEANING: dict[tuple[str, str], tuple[Promise, Promise]] = {
    ("phq9", "minimal"): (
        _("Few or no signs of depression"),
        _("Your answers show few or no signs of depression."),
    ),
    ("phq9", "mild"): (
        _("Mild depression symptoms"),
        _("Your answers show some signs of depression. It can help to keep an eye on how you feel."),
    ),
    ("phq9", "moderate"): (
        _("Moderate depression symptoms"),
        _("Your answers show signs of depression. Treatment can help. Talk with your care team."),
    ),
    ("phq9", "moderately_severe"): (
        _("Moderately severe depression symptoms"),
        _(
            "Your answers show strong signs of depression. Treatment can help a lot. Talk with your care team soon."
        ),
    ),
    ("phq9", "severe"): (
        _("Severe depression symptoms"),
        _("Your answers show very strong signs of depression. Please talk with your care team soon."),
    ),
    ("gad7", "minimal"): (
        _("Few or no signs of anxiety"),
        _("Your answers show few or no signs of anxiety."),
    ),
    ("gad7", "mild"): (_("Mild anxiety symptoms"), _("Your answers show some signs of anxiety.")),
    ("gad7", "moderate"): (
        _("Moderate anxiety symptoms"),
        _("Your answers show signs of anxiety. Treatment can help. Talk with your care team."),
    ),
    ("gad7", "severe"): (
        _("Severe anxiety symptoms"),
        _("Your answers show strong signs of anxiety. Please talk with your care team soon."),
    ),
    ("dsm5-oud", "none"): (
        _("Does not meet the criteria"),
        _("Your answers do not meet the criteria for opioid use disorder."),
    ),
    ("dsm5-oud", "mild"): (
        _("Mild opioid use disorder"),
        _("Your answers match a mild opioid use disorder. Treatment works, and it is easier to start early."),
    ),
    ("dsm5-oud", "moderate"): (
        _("Moderate opioid use disorder"),
        _("Your answers match a moderate opioid use disorder. Medicine and counseling help many people."),
    ),
    ("dsm5-oud", "severe"): (
        _("Severe opioid use disorder"),
        _(
            "Your answers match a severe opioid use disorder. Medicine such as methadone or buprenorphine saves lives. Help is available."
        ),
    ),
    ("dsm5-oud", "mild_early_remission"): (
        _("Mild opioid use disorder, in early remission"),
        _("Your care team recorded that the criteria have not been met for at least 3 months."),
    ),
    ("dsm5-oud", "moderate_early_remission"): (
        _("Moderate opioid use disorder, in early remission"),
        _("Your care team recorded that the criteria have not been met for at least 3 months."),
    ),
    ("dsm5-oud", "severe_early_remission"): (
        _("Severe opioid use disorder, in early remission"),
        _("Your care team recorded that the criteria have not been met for at least 3 months."),
    ),
    ("dsm5-oud", "mild_sustained_remission"): (
        _("Mild opioid use disorder, in sustained remission"),
        _("Your care team recorded that the criteria have not been met for 12 months or longer."),
    ),
    ("dsm5-oud", "moderate_sustained_remission"): (
        _("Moderate opioid use disorder, in sustained remission"),
        _("Your care team recorded that the criteria have not been met for 12 months or longer."),
    ),
    ("dsm5-oud", "severe_sustained_remission"): (
        _("Severe opioid use disorder, in sustained remission"),
        _("Your care team recorded that the criteria have not been met for 12 months or longer."),
    ),
    ("cssrs-screen", "none"): (
        _("No risk found by the screener"),
        _("Your answers did not show signs of suicide risk."),
    ),
    ("cssrs-screen", "low"): (
        _("Low risk"),
        _("Your answers show some thoughts of death or suicide. Please talk with someone today."),
    ),
    ("cssrs-screen", "moderate"): (
        _("Moderate risk"),
        _("Your answers show thoughts of suicide. Please talk with someone today."),
    ),
    ("cssrs-screen", "high"): (
        _("High risk"),
        _("Your answers show a high risk of suicide. Please get help right now."),
    ),
    ("cows", "below_mild"): (
        _("No clear withdrawal"),
        _("Below the mild threshold: no clear active withdrawal."),
    ),
    ("cows", "mild"): (_("Mild withdrawal"), _("Mild withdrawal.")),
    ("cows", "moderate"): (_("Moderate withdrawal"), _("Moderate withdrawal.")),
    ("cows", "moderately_severe"): (_("Moderately severe withdrawal"), _("Moderately severe withdrawal.")),
    ("cows", "severe"): (_("Severe withdrawal"), _("Severe withdrawal.")),
    ("ort", "low"): (_("Low risk"), _("Low risk of problems with opioid pain medicine.")),
    ("ort", "moderate"): (_("Moderate risk"), _("Moderate risk of problems with opioid pain medicine.")),
    ("ort", "high"): (_("High risk"), _("High risk of problems with opioid pain medicine.")),
}
# What a result means for the clinician who recorded or reads it (no "Your answers"): by (instrument, band code).
# A band not listed here has its label and the reasons only.
CLINICAL: dict[tuple[str, str], Promise] = {
    ("dsm5-oud", "none"): _(
        "Fewer than 2 of the 11 criteria in the last 12 months: does not meet the criteria for opioid use disorder."
    ),
    ("dsm5-oud", "mild"): _("2 or 3 of the 11 criteria met in the last 12 months."),
    ("dsm5-oud", "moderate"): _("4 or 5 of the 11 criteria met in the last 12 months."),
    ("dsm5-oud", "severe"): _("6 or more of the 11 criteria met in the last 12 months."),
    **{
        ("dsm5-oud", f"{severity}_early_remission"): _(
            "Full criteria were met before; none except craving for at least 3 months but less than 12 months."
        )
        for severity in ("mild", "moderate", "severe")
    },
    **{
        ("dsm5-oud", f"{severity}_sustained_remission"): _(
            "Full criteria were met before; none except craving at any time for 12 months or longer."
        )
        for severity in ("mild", "moderate", "severe")
    },
}
SPECIFIERS: dict[str, Promise] = {
    "on_maintenance_therapy": _("on maintenance therapy"),
    "in_controlled_environment": _("in a controlled environment"),
}
NO_BAND: dict[str, Promise] = {
    "sows": _(
        "SOWS has no published severity groups. Your score helps you and your team see changes over time."
    ),
    "bam": _(
        "The Brief Addiction Monitor has no single total. Your care team looks at each answer with you."
    ),
}


def explain(instrument: str, band_code: str | None, *, self_check: bool = True) -> tuple[str, str]:
    """(label, meaning) for a result, in the active language. The "Your answers..." meaning is for a person
    reading their own self-check (`self_check`); a clinician-entered result, or a clinician reading any result,
    gets the clinician's wording."""
    if band_code and (instrument, band_code) in MEANING:
        label, text = MEANING[(instrument, band_code)]
        if not self_check:
            clinical = CLINICAL.get((instrument, band_code))
            return str(label), str(clinical) if clinical is not None else ""
        return str(label), str(text)
    return "", str(NO_BAND.get(instrument, ""))


def diagnosis_code(band_code: str | None) -> str:
    """ "ICD-10-CM F11.21" for an opioid use disorder band, or "" (the code is a code in every language)."""
    codes = codes_for(band_code)
    return f"ICD-10-CM {codes[0].code}" if codes else ""


def specifiers(flags: Iterable[str] | None) -> list[str]:
    """The DSM-5 specifiers recorded with a remission, in words."""
    return [str(SPECIFIERS[f]) for f in flags or () if f in SPECIFIERS]


# Short names of the instruments on clinical screens (never the internal code).
NAMES: dict[str, Promise] = {
    "cows": _("COWS"),
    "phq9": _("PHQ-9"),
    "gad7": _("GAD-7"),
    "sows": _("SOWS"),
    "dsm5-oud": _("DSM-5 opioid use disorder"),
    "bam": _("Brief Addiction Monitor"),
    "cssrs-screen": _("C-SSRS screener"),
    "ort": _("Opioid Risk Tool"),
}
BAM_FLAG_WORDS: dict[str, Promise] = {
    "use": _("use flagged"),
    "risk": _("risk factors flagged"),
    "low_protective": _("few protective factors"),
}


def name(instrument: str) -> str:
    return str(NAMES.get(instrument, instrument))


def band_name(instrument: str, band_code: str | None, flags: Iterable[str] | None = ()) -> str:
    """The words for a result's band on every list and flowsheet, never blank: the band's label; for the
    instruments without bands, what stands in their place."""
    if band_code and (instrument, band_code) in MEANING:
        return str(MEANING[(instrument, band_code)][0])
    if instrument == "sows":
        return str(_("Score only (SOWS has no published bands)"))
    if instrument == "bam":
        words = [str(BAM_FLAG_WORDS[f]) for f in flags or () if f in BAM_FLAG_WORDS]
        return ", ".join(words).capitalize() if words else str(_("No composite flagged"))
    return str(_("No band: see the result"))
