"""`{{ user|staff_name }}`: a staff member as a page names them, never by username (`keel.accounts.names`)."""

from __future__ import annotations

from django import template

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
