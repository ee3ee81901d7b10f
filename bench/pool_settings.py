"""Keel's settings with Django 5.2's psycopg pool in place of persistent connections (`bench/pg_pool.py`).

CONN_MAX_AGE must be 0 with a pool; CONN_HEALTH_CHECKS stays on, so Django opens the pool with
`check=ConnectionPool.check_connection` (an empty query when a connection is taken): the same protection as
the persistent connection's `SELECT 1`.

`keel serve` preloads and warms the application in gunicorn's master (one `/healthz`), which opens the pool
there; `connections.close_all()` only hands the connection back to it. A pool forked into the workers would
share its sockets between processes, so the pool is closed before every fork here (each worker then opens its
own on its first request). Keel would need the same in `keel.web.warmup` before adopting a pool.
"""

import os

from keel.settings import *  # noqa: F403
from keel.settings import DATABASES

_options = dict(DATABASES["default"].get("OPTIONS") or {})  # type: ignore[call-overload]
_options["pool"] = {"min_size": 2, "max_size": 2}
DATABASES = {**DATABASES, "default": {**DATABASES["default"], "CONN_MAX_AGE": 0, "OPTIONS": _options}}


def _close_pools() -> None:
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.alias in getattr(connection, "_connection_pools", {}):
            connection.close_pool()


os.register_at_fork(before=_close_pools)
