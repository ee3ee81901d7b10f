"""The first set-up of a new database (issue #18, journey 0): the first program and its administrator."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from keel.accounts.models import Program, ProgramMembership, Role, User
from keel.accounts.services.errors import AccountError
from keel.accounts.services.people import create_user
from keel.accounts.services.totp import totp_secret_base32
from keel.accounts.services.usernames import same_username
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.words import gettext_noop as N_


@dataclass(frozen=True)
class SetupResult:
    program: Program
    admin: User
    created: bool  # False: the database was already set up this way and nothing changed
    totp_secret: str | None  # shown once, on the run that created the admin


def otpauth_uri(user: User, secret_base32: str) -> str:
    """The otpauth:// address an authenticator app reads from a QR code (the de-facto Key URI format)."""
    from urllib.parse import quote

    issuer = "Keel"
    label = quote(f"{issuer}:{user.username}", safe=":@")
    return f"otpauth://totp/{label}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"


def _check_setup_fields(*, slug: str, name: str, time_zone: str, username: str, email: str) -> None:
    from django.core.validators import validate_email, validate_slug

    from keel.core.wall_time import is_time_zone

    try:
        validate_slug(slug)
    except ValidationError:
        raise AccountError("program_slug", N_("use letters, numbers, hyphens or underscores only")) from None
    if not 1 <= len(slug) <= 50:
        raise AccountError("program_slug", N_("give 1 to 50 characters"))
    if not name.strip() or len(name) > 200:
        raise AccountError("program_name", N_("give the program's name (1 to 200 characters)"))
    if not is_time_zone(time_zone):
        raise AccountError(
            "time_zone", f"unknown time zone {time_zone!r}; use a name such as America/Chicago"
        )
    if not username or len(username) > 150:
        raise AccountError("username", N_("give a username of 1 to 150 characters"))
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError("email", N_("give an email address such as name@example.org")) from None


def setup_first_program(
    *,
    slug: str,
    name: str,
    time_zone: str,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> SetupResult:
    """Create the first program and its first program admin on a new database. Running it again with the same
    program and admin changes nothing; a database that already holds another program (or the demo) is refused,
    so set-up never mixes a real clinic into existing data."""
    slug, name, username, email = slug.strip(), name.strip(), username.strip(), email.strip()
    _check_setup_fields(slug=slug, name=name, time_zone=time_zone, username=username, email=email)
    with transaction.atomic():
        programs = list(Program.objects.select_for_update().filter(is_personal=False))
        if programs:
            existing = next((p for p in programs if p.slug == slug), None)
            admin = same_username(username).first()
            if (
                existing is not None
                and len(programs) == 1
                and admin is not None
                and admin.role == Role.PROGRAM_ADMIN
                and ProgramMembership.objects.filter(user=admin, program=existing).exists()
            ):
                return SetupResult(existing, admin, created=False, totp_secret=None)
            raise AccountError(
                "database",
                "this database already holds a program ("
                + ", ".join(sorted(p.slug for p in programs))
                + "); set-up only starts a new database. Nothing was changed.",
            )
        program = Program(slug=slug, name=name, time_zone=time_zone)
        program.full_clean()
        program.save()
        audit.record(
            actor=None,
            action=Action.CREATE,
            target_type="program",
            target_id=program.pk,
            program_id=program.pk,
            reason="set-up",
        )
        admin, device = create_user(
            username=username,
            role=Role.PROGRAM_ADMIN,
            password=password,
            program_slug=slug,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        admin.email = email
        admin.save(update_fields=["email"])
        assert device is not None
        # A fresh install's directory answers from the first day (issue #20): the real public feed Keel ships.
        from keel.directory import samples

        samples.load_real_feed()
        return SetupResult(program, admin, created=True, totp_secret=totp_secret_base32(device))
