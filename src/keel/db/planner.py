"""Planner settings for one read on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def without_jit() -> Iterator[None]:
    """The statements inside run without PostgreSQL's JIT compilation (`SET LOCAL`: this transaction only).
    A read with a subquery per person (the caseload's signals) is estimated costly enough to be compiled,
    and compiling it took 0.5 s of a 0.7 s statement at 10,000 people (bench/caseload.py); the plan itself
    is unchanged. Nothing on SQLite."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield
