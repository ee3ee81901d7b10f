"""One account per username regardless of case (lane acct35): the unique index on `LOWER(username)`
(`keel.accounts.services.usernames` says how every route folds a name alike).

1. The check: while two accounts or more have usernames that differ only by case (made before this rule),
   it stops, changing nothing (the migration is one transaction; no account is renamed for anyone), with a
   plain message naming `keel duplicate_usernames` (read-only: each set, its accounts and when each last
   signed in). The people concerned are asked which name stays theirs; the others get a new username; then
   `keel migrate` again.
2. The rule: the unique index, on SQLite and on PostgreSQL alike.
"""

from typing import Any

from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

DUPLICATES_FOUND = (
    "Some accounts have usernames that differ only by case ({n} name(s)), made before Keel kept one account "
    "per username regardless of case. Nothing was changed. List them with `keel duplicate_usernames` "
    "(read-only), give all but one account of each name a new username (ask the people concerned which "
    "name stays theirs), then run `keel migrate` again."
)


def _no_duplicates(apps: Any, schema_editor: Any) -> None:
    user = apps.get_model("accounts", "User")
    names = (
        user.objects.using(schema_editor.connection.alias)
        .annotate(username_key=Lower("username"))
        .values("username_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    if names:
        raise CommandError(DUPLICATES_FOUND.format(n=names))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_operator_second_factor_reset"),
    ]

    operations = [
        migrations.RunPython(_no_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_any_case",
                violation_error_code="user_username_unique_any_case",
                violation_error_message="That username is taken.",
            ),
        ),
    ]
