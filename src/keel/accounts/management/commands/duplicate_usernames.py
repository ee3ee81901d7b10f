"""`keel duplicate_usernames`: accounts whose usernames differ only by case, made before Keel kept one account
per username regardless of case (lane acct35). `accounts/0007` stops while any are left, naming this
command. Read-only: it lists each name's accounts (id, username, role, on or off, when each last signed in)
and changes nothing; the people concerned say which name stays theirs, the others get a new username.

    keel duplicate_usernames
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from keel.accounts import services
from keel.accounts.models import User


def _line(user: User) -> str:
    state = "on" if user.is_active else "off"
    last = user.last_login.date().isoformat() if user.last_login else "never"
    return f"  id {user.pk}: {user.username!r} ({user.role}, {state}, last signed in: {last})"


class Command(BaseCommand):
    help = "Accounts whose usernames differ only by case (read-only; accounts/0007 waits for none)."

    def handle(self, *args: Any, **options: Any) -> None:
        found = services.username_case_duplicates()
        if not found:
            self.stdout.write("No two accounts have usernames that differ only by case.")
            return
        for group in found:
            self.stdout.write(f"{len(group)} accounts named {group[0].username.lower()!r} (any case):")
            for user in group:
                self.stdout.write(_line(user))
        self.stdout.write(
            f"{len(found)} name(s). Give all but one account of each a new username, then run: keel migrate"
        )
