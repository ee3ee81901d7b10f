"""Finding 4 (re39p, zones39): KEEL_EMAIL_URL's from= takes a display name with a line break in it
(`_NAMED_SENDER` excludes < > " , @ but not CR/LF): the setting is accepted at start-up, and every mail
(invitations, password resets) is then refused when sent (Django: header values can't contain newlines).
A from= that cannot be a header line is refused at start-up, naming from=, as every other bad from= is."""

import pytest

from keel.env import ConfigError, parse_email_url


@pytest.mark.parametrize("name", ["Clinic%0D%0AX-Injected:%201", "Clinic%0ABcc:%20someone", "Clinic%0D"])
def test_line_break_in_display_name_refused(name: str) -> None:
    url = f"smtp+tls://u:p@mail.clinic.example:587?from={name}%20%3Ckeel@clinic.example%3E"
    with pytest.raises(ConfigError, match="from="):
        parse_email_url(url, production=True)
