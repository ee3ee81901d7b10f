"""How a page names a staff member to another staff member (lane words32): their full name, else their role
("Prescriber (no name on file)"), in the reader's language; never their username. A username is half of a
sign-in (the other half is a password): a page must not hand it out (review 27b said so of the patient's
page). Templates say it through `{{ user|staff_name }}` (`web/templatetags/keel_names.py`)."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext

from keel.accounts.models import User


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
