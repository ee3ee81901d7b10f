"""Email to a person about their account: one way to send (`send`) and one way to tell (`tell`).

`send` raises `EmailNotSent` when the mail server refuses or cannot be reached (an invitation or a reset link
that did not go is said to the asker). `tell` is a notice whose change stands whether or not it goes (a
password changed, a second factor reset): a failure is audited, with no address in the row, never raised.
Staff invitations (`staff`), password resets (`passwords`) and second-factor notices (`second_factor`) all
send through here, below each of them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from keel.audit import services as audit
from keel.audit.models import Action, Outcome


class EmailNotSent(RuntimeError):
    """The mail server refused or could not be reached; nothing was kept."""


def send(to: str, subject: str, body: str) -> None:
    """Send one email now; `EmailNotSent` when it did not go."""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except OSError as exc:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        raise EmailNotSent(str(exc)) from exc


def tell(to: str, subject: str, body: str) -> None:
    """A notice the person should get; the change it describes stands even if the mail server is down."""
    try:
        send(to, subject, body)
    except EmailNotSent:
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            target_type="email",
            reason="notice not sent",
        )
