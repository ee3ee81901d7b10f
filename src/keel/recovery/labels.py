"""Words for the recovery companion's codes, in plain language, translated (the core holds only codes).

Kind words: "use", "return to use", never blame (issue #7, PRODUCT.md principles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from keel.recovery.schemas import PlanContentOut

# Mood faces are drawn as small SVGs (no emoji font needed): the number is the mouth curve's control point.
MOODS = {
    1: (11, _("Very bad")),
    2: (13, _("Bad")),
    3: (15, _("Okay")),
    4: (17, _("Good")),
    5: (20, _("Very good")),
}
SUBSTANCES = {
    "heroin": _("Heroin"),
    "fentanyl": _("Fentanyl"),
    "pain_pills": _("Pain pills not prescribed to me"),
    "methadone_not_mine": _("Methadone or buprenorphine not prescribed to me"),
    "benzodiazepines": _("Benzos (like Xanax)"),
    "alcohol": _("Alcohol"),
    "stimulants": _("Meth or cocaine"),
    "cannabis": _("Cannabis"),
    "other": _("Something else"),
}
ROUTES = {
    "inject": _("Injected"),
    "smoke": _("Smoked"),
    "snort": _("Snorted"),
    "swallow": _("Swallowed"),
    "other": _("Another way"),
}
MEDICATION = {
    "taken": _("Yes, as prescribed"),
    "missed": _("I missed it"),
    "not_on_medication": _("I'm not on medication"),
}
TRIGGERS = {
    "stress": _("Stress"),
    "people": _("People I used with"),
    "places": _("Places I used"),
    "pain": _("Pain"),
    "lonely": _("Feeling lonely"),
    "bored": _("Boredom"),
    "angry": _("Anger"),
    "tired": _("Being tired"),
    "money": _("Money"),
    "celebrating": _("Celebrating"),
}
SLEEP = {"poor": _("Poorly"), "ok": _("Okay"), "good": _("Well")}


@dataclass(frozen=True)
class SkillText:
    name: Promise
    how: Promise


SKILLS = {
    "urge_surfing": SkillText(
        _("Urge surfing"),
        _(
            "Notice the craving like a wave. Breathe and watch it rise, peak and fall. It will pass, often in 20 to 30 minutes."
        ),
    ),
    "delay_distract": SkillText(
        _("Delay and distract"),
        _("Tell yourself: not now, wait 15 minutes. Do something else: walk, music, a shower, a game."),
    ),
    "halt": SkillText(
        _("HALT check"),
        _("Am I Hungry, Angry, Lonely or Tired? Fix that first: eat, talk, call someone, rest."),
    ),
    "call_someone": SkillText(
        _("Call someone"),
        _("Call or text a person from your plan, a sponsor, or a peer. Say: I'm having a hard moment."),
    ),
    "leave": SkillText(
        _("Leave the situation"),
        _("Get away from the people, place or things that set off the craving. Go somewhere safe."),
    ),
    "meeting": SkillText(
        _("Go to a meeting"),
        _("An in-person or online meeting. Listening is enough."),
    ),
    "breathing": SkillText(
        _("Slow breathing"),
        _("Breathe in for 4, hold for 4, breathe out for 6. Do it 5 times."),
    ),
}
NUDGES = {
    "reported_use": _(
        "Thank you for being honest. That takes courage. Your care team is here to help, not to judge."
    ),
    "rising_craving": _(
        "Cravings have been strong for a few days. That is hard. Try a skill that helped before, or call someone from your plan."
    ),
    "missed_medication": _(
        "You missed your medication two days in a row. That happens. Your care team can help you get back on track."
    ),
    "worsening_mood": _(
        "Your mood has been lower for a few days. You don't have to carry that alone. Reach out to someone you trust."
    ),
}
PLAN_QUESTIONS = {
    "warning_signs": (_("My warning signs"), _("Changes I notice in myself before things get hard.")),
    "triggers": (
        _("My triggers and risky situations"),
        _("People, places, feelings and times that set off cravings."),
    ),
    "instead": (_("What I'll do instead"), _("Skills and actions that help me.")),
    "meetings": (_("Meetings I go to"), _("Name, day and time.")),
    "reasons": (_("My reasons for recovery"), _("Why this matters to me.")),
}
THOUGHT_FIELDS = {
    "situation": (_("What happened?"), _("Where were you? Who was there? What were you doing?")),
    "automatic_thought": (
        _("What went through your mind?"),
        _("For example: I can't get through tonight without using."),
    ),
    "feeling": (_("What did you feel?"), _("A word or two, like anxious, sad or angry.")),
    "intensity_before": (_("How strong was the feeling? (0 to 100)"), ""),
    "evidence_for": (_("What makes the thought seem true?"), ""),
    "evidence_against": (
        _("What makes it seem not quite true?"),
        _("Think of times it did not happen, or what a friend would say."),
    ),
    "balanced_thought": (
        _("A more balanced thought"),
        _("For example: Tonight is hard, and I have gotten through hard nights before."),
    ),
    "intensity_after": (_("How strong is the feeling now? (0 to 100)"), ""),
}
FIELD_NAMES = {
    "craving": _("Craving"),
    "mood": _("Mood"),
    "used": _("Use since last check-in"),
    "medication": _("Medication"),
    "kind": _("Reminder"),
    "at": _("Time"),
}


def field_name(field: str) -> str | Promise:
    return FIELD_NAMES.get(field, field)


class CheckinLabels(TypedDict):
    """The check-in form's choices with their words, for its template."""

    cravings: range
    moods: Mapping[int, tuple[int, Promise]]
    substances: Mapping[str, Promise]
    routes: Mapping[str, Promise]
    medication: Mapping[str, Promise]
    triggers: Mapping[str, Promise]
    sleep: Mapping[str, Promise]


def checkin_labels() -> CheckinLabels:
    return {
        "cravings": range(11),
        "moods": MOODS,
        "substances": SUBSTANCES,
        "routes": ROUTES,
        "medication": MEDICATION,
        "triggers": TRIGGERS,
        "sleep": SLEEP,
    }


def reminder_kinds() -> list[tuple[str, str | Promise]]:
    from keel.recovery.models import ReminderKind

    return list(ReminderKind.choices)


def plan_questions() -> list[tuple[str, Promise, Promise]]:
    return [(code, title, hint) for code, (title, hint) in PLAN_QUESTIONS.items()]


def plan_field_labels() -> dict[str, str | Promise]:
    """The plan form's labels by field (its sections' titles and the people to call): a problem listed
    above the form is said under them (`field_words.labelled`, review 29b H3), never as "people[0].phone"."""
    return {
        **{code: title for code, (title, _hint) in PLAN_QUESTIONS.items()},
        "people": _("People I can call"),
    }


def person_labels(people: list[dict[str, str]]) -> dict[str, str]:
    """Each person's row named by what was typed in it ("Phone for Sam", "Name for the phone 555-0100"), so a
    problem listed above the form says which of the people to call it is about: "People I can call" alone
    did not, and the rows are not marked (lane look30: a patient on a phone with four rows). `people` as the
    form sent them to `save_plan` (rows left empty dropped: its indexes are the errors')."""
    labels = {}
    for i, person in enumerate(people):
        name, phone = str(person.get("name", "")).strip(), str(person.get("phone", "")).strip()
        labels[f"people[{i}].phone"] = (
            gettext("Phone for %(name)s") % {"name": name} if name else gettext("Phone")
        )
        labels[f"people[{i}].name"] = (
            gettext("Name for the phone %(phone)s") % {"phone": phone} if phone else gettext("Name")
        )
    return labels


def plan_sections(plan: PlanContentOut) -> list[tuple[str, Promise, list[str]]]:
    return [(code, title, getattr(plan, code)) for code, (title, _hint) in PLAN_QUESTIONS.items()]
