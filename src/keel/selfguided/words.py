"""Plain words for an account of one's own, translated."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

WRONG_PASSWORD = _("That password is not right.")
TOO_MANY_TRIES = _(
    "Too many codes were tried. Please wait an hour and ask your care team for the code again."
)

_ERRORS = {
    "username": {
        "use 3 to 40 characters": _("Use 3 to 40 letters or numbers."),
        "use letters, numbers and @ . + - _ only": _("Use letters, numbers and @ . + - _ only. No spaces."),
        "that username is taken; try another": _("That username is taken. Try another one."),
    },
    "password_again": {"the two passwords are not the same": _("The two passwords are not the same.")},
    "time_zone": {"choose your time zone from the list": _("Choose your time zone from the list.")},
    "understood": {"check the box to say you read this": _("Check the box to say you read this.")},
    "code": {
        "that code did not work: check it with your care team": _(
            "That code did not work. Check it with your care team."
        )
    },
    "bring_history": {"choose whether to bring your history": _("Choose whether to bring your history.")},
    "signature": {
        "type your full name as your care team has it": _(
            "Type your full name, the way your care team has it."
        )
    },
}


def error(field: str, reason: str) -> str:
    """A field's problem in the visitor's words. Password rules come from Django's validators, translated."""
    if field == "password":
        return reason  # Django's own validator messages, already in the active language
    return str(_ERRORS.get(field, {}).get(reason, _("Please check this.")))


ZONES = {
    "America/New_York": _("Eastern time"),
    "America/Chicago": _("Central time"),
    "America/Denver": _("Mountain time"),
    "America/Phoenix": _("Arizona"),
    "America/Los_Angeles": _("Pacific time"),
    "America/Anchorage": _("Alaska"),
    "Pacific/Honolulu": _("Hawaii"),
    "America/Puerto_Rico": _("Puerto Rico"),
    "America/Halifax": _("Atlantic time (Canada)"),
    "America/St_Johns": _("Newfoundland"),
    "America/Toronto": _("Eastern time (Canada)"),
    "America/Winnipeg": _("Central time (Canada)"),
    "America/Regina": _("Saskatchewan"),
    "America/Edmonton": _("Mountain time (Canada)"),
    "America/Vancouver": _("Pacific time (Canada)"),
}


def zone_name(zone: str) -> str:
    return str(ZONES.get(zone, zone))


def consent_text(program: str) -> str:
    return str(
        _(
            "I want my account to join %(program)s. If I bring my history, my check-ins, notes, thought "
            "records, skills, plan, reminders and meetings move into my record there, and my care team can "
            "see them. "
            "If I do not, they are deleted and my record there starts fresh. Once my history has moved, I "
            "cannot take it back or delete it. My record at the program is protected by federal privacy law "
            "(42 CFR Part 2)."
        )
        % {"program": program}
    )


PARTS = {
    "checkins": _("Check-ins"),
    "thought_records": _("Thought records"),
    "skill_tries": _("Coping skills tried"),
    "relapse_prevention_plan": _("Recovery plan"),
    "reminders": _("Reminders"),
    "meetings_attended": _("Meetings"),
}


def moved_in_words(moved: dict[str, int]) -> list[str]:
    """What a history consent moved (or, before signing, leaves behind), in the reader's words:
    "Check-ins: 3"."""
    return [f"{PARTS.get(part, part)}: {count}" for part, count in moved.items() if count]
