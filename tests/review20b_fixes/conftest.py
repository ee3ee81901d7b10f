"""Review 20b's people (tests/review20b/conftest.py), shared by the fixes' tests."""

from tests.review20b.conftest import world  # noqa: F401
