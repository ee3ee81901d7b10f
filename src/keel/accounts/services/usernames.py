"""One account per username regardless of case (lane acct35): the one normalisation every route uses.

The rule is the database's `LOWER(username)`, the expression of the user table's unique index
(`User.Meta.constraints`, `user_username_unique_any_case`): the check when an account is made
(`username_taken`), the sign-in name (`accounts.services.people.sign_in_name`) and the index itself fold
case alike, so they never disagree. What `LOWER` folds is the database's: ASCII letters on both; on
PostgreSQL (a UTF-8 database) every letter ("MARÍA" and "maría" are one name), on SQLite only A to Z
("MARÍA" and "marÍa" are one name, "maría" another). No name is folded in Python against the database
(Python's `lower()` or `casefold()` folds more than SQLite does, so a sign-in could reach an account the
index calls another); a name no account has is folded only in ASCII (`unknown_name_key`, the lockout's
count of it).

Two people making "MariaG" and "mariag" at the same instant both pass the check; the index refuses the
second insert, and `save_new_user` turns that into the same field error as the check (`username`: taken),
never a 500. Accounts made before the index and differing only by case stop `accounts/0007` until they are
told apart; `keel duplicate_usernames` lists them (read-only; `username_case_duplicates`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Lower

from keel.accounts.models import User
from keel.accounts.services.errors import AccountError
from keel.core.words import gettext_noop as N_

UNIQUE_ANY_CASE = "user_username_unique_any_case"  # the index's name (`User.Meta.constraints`)
TAKEN = N_("that username is taken")
# A name asked about past the tries of a desk code or an invitation link, before any look-up (lane fix36k;
# review 36m: the limit is the code's or the link's, and lasts until its bucket refills, not "an hour").
TOO_MANY_NAMES = N_("too many names were tried with this code or link; try again later")


def same_username(name: str) -> QuerySet[User]:
    """The accounts whose username is `name` regardless of case, as the unique index folds it (at most one
    once `accounts/0007` ran)."""
    return User.objects.alias(username_key=Lower("username")).filter(username_key=Lower(Value(name)))


def account_named(name: object, *, active_only: bool = False) -> User | None:
    """The account whose username is `name` regardless of case (`same_username`; None for no name), as an
    operator types it (`--by`, `keel reset_staff_second_factor --username`; review 35g, lane fix36b).
    `active_only`: a turned-off account is None too."""
    typed = str(name or "").strip()
    if not typed:
        return None
    found = same_username(typed)
    return (found.filter(is_active=True) if active_only else found).order_by("pk").first()


def username_taken(name: str) -> bool:
    """Whether an account has this username regardless of case: the check before an account is made."""
    return bool(same_username(name).exists())


def unknown_name_key(name: str) -> str:
    """A typed name no account has, as the lockout counts it: ASCII letters in lower case, the rest as
    typed (the one fold every database's `LOWER` does)."""
    return "".join(c.lower() if c.isascii() else c for c in name)


def save_new_user(user: User) -> None:
    """Insert a new account in a savepoint of the caller's transaction: a username another account took
    meanwhile (regardless of case; the unique index refuses it) is AccountError naming `username`, with
    the check's words; the caller's transaction goes on. Any other refusal is raised as it is."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        if "username" not in str(exc).lower():
            raise
        raise AccountError("username", TAKEN) from None


def username_case_duplicates() -> list[list[User]]:
    """The accounts whose usernames differ only by case (made before `accounts/0007`), grouped, each group
    by id; what `keel duplicate_usernames` lists. Read-only."""
    keys = (
        User.objects.annotate(username_key=Lower("username"))
        .values("username_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("username_key", flat=True)
    )
    found = User.objects.annotate(username_key=Lower("username")).filter(username_key__in=list(keys))
    groups: dict[str, list[User]] = {}
    for user in found.order_by("username_key", "pk"):
        groups.setdefault(user.username_key, []).append(user)
    return list(groups.values())
