"""The type of a value sent to the database as a statement's parameter (django-stubs' `_SQLType`, named
here so a raw statement's parameters are typed without `Any`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias
from uuid import UUID

SQLParam: TypeAlias = (
    bool
    | int
    | float
    | Decimal
    | str
    | bytes
    | date
    | datetime
    | UUID
    | tuple[object, ...]
    | list[object]
    | None
)
