"""The session store: Django's database store (`django.contrib.sessions.backends.db`, the same table and
data), its one read per request hand-written (issue #21).

Every page reads its session row first; the ORM spent more Python building `Session.objects.get(...)` than
the database spent answering it. `_get_session_from_db` sends the statement the ORM sends (the row whose key
is the cookie's and whose expiry is later than now) through `keel.db.rows`, and answers as Django's does:
the row, or None with the key forgotten. tests/accounts/test_session_store.py holds it to Django's on SQLite
and PostgreSQL. Everything else (saving, creating, deleting, expiry) is Django's."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.module_loading import import_string

from keel.db import rows

_READ = 'FROM "django_session" s WHERE s."expire_date" > %s AND s."session_key" = %s'


# The serializer class a dotted name names (SESSION_SERIALIZER), imported once per name (issue #21).
_serializer = cache(import_string)


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        # `SessionBase.__init__` (the database store adds nothing), its serializer imported once per name:
        # `import_string` cost each request about 2% of an anonymous /healthz (issue #21).
        self._session_key = session_key
        self.accessed = False
        self.modified = False
        self.serializer = _serializer(settings.SESSION_SERIALIZER)

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        if key is None or "\x00" in key:  # the ORM's `session_key=None` is IS NULL: no row
            # No key holds NUL (Django makes them of [a-z0-9]); PostgreSQL refuses one in any text parameter
            # (DataError): a cookie carrying it answered 500 to anyone, signed in or not (review 13b).
            self._session_key = None
            return None
        # As the ORM sends the aware datetime (DateTimeField's preparation: the backend's adaptation).
        now = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(timezone.now())
        found = rows.fetch_one(_READ, [now, key], Session, "s")
        if found is None:
            self._session_key = None
        return found
