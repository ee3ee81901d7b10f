"""The data of review 20c (one program, staff, a patient), reused for the fixes' bypass tests."""

from tests.review20c.conftest import world  # noqa: F401
