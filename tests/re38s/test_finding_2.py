"""Re-attack 38s, finding 2 (medium): KEEL_EMAIL_URL's options are read without a check, so a slip in one
is a silent default in production.

What the operator does: types docs/deploy.md's KEEL_EMAIL_URL by hand with a slip in an option:
`smtp://user:pass@smtp.clinic.example:587?tls=ture&from=...` or `...:587?form=keel@clinic.example`.
What goes wrong: Keel starts in production (exit 0). `tls=ture` is read as "no TLS": Keel logs in to the
mail server over plain SMTP on 587, its password in the clear on the network (or every invitation fails at
send if the server insists on STARTTLS). `form=` is ignored: every invitation and activation email goes
out from keel@localhost, which a real relay rejects or files as spam. KEEL_DATABASE_URL refuses an unknown
option and a bad sslmode (keel.env.parse_database_url); KEEL_EMAIL_URL, the other URL a clinic types on day
one, does not.
What should hold: an unknown option or a tls= that is not a boolean refuses to start naming KEEL_EMAIL_URL
(ConfigError from keel.env.parse_email_url, exit 2 through `keel`).
"""

from __future__ import annotations

import pytest

from keel.env import ConfigError, parse_email_url


def test_a_tls_option_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL"):
        parse_email_url("smtp://keel:pw@smtp.clinic.example:587?tls=ture&from=keel@clinic.example")


def test_a_misspelt_from_option_is_refused_rather_than_sending_from_localhost() -> None:
    with pytest.raises(ConfigError, match="KEEL_EMAIL_URL"):
        parse_email_url("smtp+tls://keel:pw@smtp.clinic.example:587?form=keel@clinic.example")
