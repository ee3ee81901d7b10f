"""`{{ user|staff_name }}`: a staff member as a page names them, never by username (`keel.accounts.names`)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, pgettext

from keel.accounts import names
from keel.accounts.models import User

register = template.Library()


@register.filter
def staff_name(user: User | None) -> str:
    """The full name, else the role with "no name on file" (`keel.accounts.names.staff_name`)."""
    return names.staff_name(user)


@register.filter
def staff_name_and_role(user: User, role: str = "") -> str:
    """The full name and the role, else the role with "no name on file" (`keel.accounts.names`)."""
    return names.staff_name_and_role(user, role)


def _unnamed(role_shown: str) -> str:
    """Someone with no name on file, by the role given ("a staff member" when none was kept)."""
    return pgettext("a staff member with no full name", "%(role)s (no name on file)") % {
        "role": role_shown or gettext("a staff member")
    }


@register.filter
def staff_name_in_role(user: User, role_shown: str) -> str:
    """A byline of a row that keeps its writer's role of the moment (review 35d hole 3: a correction): the
    name and that role (`staff_name_and_role`). A row from before the role was kept (`role_shown` ""): the
    name alone, never the role they hold today ("a staff member (no name on file)" with no name either)."""
    if role_shown:
        return names.staff_name_and_role(user, role_shown)
    return user.get_full_name().strip() or _unnamed("")


@register.filter
def staff_name_then(user: User, role_shown: str) -> str:
    """`staff_name` for such a row: the full name, else the role of the moment with "no name on file"
    (never today's role; none kept: "a staff member")."""
    return user.get_full_name().strip() or _unnamed(role_shown)
