"""How a page names a staff member to another staff member (lane words32): their full name, else their role
("Prescriber (no name on file)"), in the reader's language; never their username. A username is half of a
sign-in (the other half is a password): a page must not hand it out (review 27b said so of the patient's
page). Templates say it through `{{ user|staff_name }}` (`web/templatetags/keel_names.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext

from keel.accounts.models import User
from keel.patients.models import day_in
from keel.web.dates import shown_date, shown_datetime

# A stored flag's `name` parameter for a staff member with no full name (lane words33), translated when shown;
# every other name stays as written (`patients.flagwords.AS_WRITTEN`).
NO_NAME_ON_FILE = gettext_noop("(no name on file)")


def staff_name(user: User | None) -> str:
    """The staff member's full name, else their role with "no name on file"; empty for no one."""
    if user is None:
        return ""
    name = user.get_full_name().strip()
    if name:
        return name
    return pgettext("a staff member with no full name", "%(role)s (no name on file)") % {
        "role": user.get_role_display()
    }


def staff_name_and_role(user: User, role: str = "") -> str:
    """A pick-list's or a byline's words (lane words33): "Ana Ruiz (Nurse)", else "Nurse (no name on file)"
    (the role said once). `role`: the role to say (a row's role of the moment, in the reader's words); by
    default the one they hold now."""
    role = role or str(user.get_role_display())
    name = user.get_full_name().strip()
    if name:
        return gettext("%(name)s (%(role)s)") % {"name": name, "role": role}
    return pgettext("a staff member with no full name", "%(role)s (no name on file)") % {"role": role}


def staff_choices(users: Iterable[User], *, zone: str) -> list[tuple[int, str]]:
    """A pick-list's options (lane words34): each staff member as `staff_name_and_role` says them, and two who
    would read alike (two nurses with no name on file) told apart by the day each joined ("Nurse (no name on
    file), joined Dec. 6, 2026"), or, when they joined the same day, the day and the time. The day a
    colleague joined is something the team knows of them; a username or an id is not (and never shown).
    `zone`: the time zone of the program whose list this is (lane zones39: a member of two programs joined
    on each program's own day), never the server's."""
    people = list(users)
    names = [staff_name_and_role(u) for u in people]
    labels = names
    for when in (_joined_day, _joined_time):
        twice = {label for label, n in Counter(labels).items() if n > 1}
        labels = [
            _joined(name, when(u, zone)) if label in twice else label
            for name, label, u in zip(names, labels, people, strict=True)
        ]
    return [(u.pk, label) for u, label in zip(people, labels, strict=True)]


def _joined(name: str, when: str) -> str:
    return gettext("%(who)s, joined %(day)s") % {"who": name, "day": when}


def _joined_day(user: User, zone: str) -> str:
    return shown_date(day_in(zone, user.date_joined))


def _joined_time(user: User, zone: str) -> str:
    return shown_datetime(timezone.localtime(user.date_joined, ZoneInfo(zone)))
