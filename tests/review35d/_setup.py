"""Review 35d set-up: the first morning's staff steps as the director takes them (an invitation sent through
the staff service, its link opened and accepted on the page with a code from the authenticator the page
shows), and a second program admin to turn the first one off."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import TOTP

from tests.conftest import PASSWORD

INVITATION_KEY = "keel_invitation"


def second_admin(world: Any, username: str = "r-admin-two") -> Any:
    """Another program admin of Riverside (the director's deputy)."""
    from keel.accounts import services

    user, _device = services.create_user(
        username=username, role="program_admin", password=PASSWORD, program_slug="riverside"
    )
    return user


def invite(by: Any, email: str, role: str = "nurse", program: str = "riverside") -> str:
    """`by` invites `email` as `role` (as the staff page does); the link the email carries."""
    from keel.accounts import staff
    from keel.accounts.schemas import InvitationIn

    sent = staff.invite(
        by=by,
        program_slug=program,
        data=InvitationIn.posted({"email": email, "role": role, "first_name": "Nia", "last_name": "Reyes"}),
        base_url="https://keel.riverside.example/",
    )
    return sent.link


def accept_on_page(link: str, username: str) -> Any:
    """Whoever holds the link opens it in a fresh browser, scans the QR code and sends the form."""
    client = Client()
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    opened = client.get(path)
    if opened.status_code != 200:
        return opened
    key = client.session[INVITATION_KEY]["key"]
    code = f"{TOTP(bytes.fromhex(key)).token():06d}"
    return client.post(
        path,
        {"username": username, "password": PASSWORD, "password_again": PASSWORD, "code": code},
    )
