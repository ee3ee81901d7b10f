"""Programs (clinics), users with one role each, program membership and personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# On a User read by the API's token sign-in (`user_for_token`): its own patient record, read in the same row,
# for `own_patient_or_404` to take once (in the instance's __dict__, never stored).
OWN_PATIENT = "_keel_own_patient"


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    COUNSELOR = "counselor", _("Counselor")
    NURSE = "nurse", _("Nurse")
    PRESCRIBER = "prescriber", _("Prescriber")
    PEER_SPECIALIST = "peer_specialist", _("Peer specialist")
    PROGRAM_ADMIN = "program_admin", _("Program admin")
    AUDITOR = "auditor", _("Auditor")
    # An account of one's own (issue #20): the recovery companion for oneself, in no program; never seen by
    # any program's staff unless the person joins a program and signs to bring their history.
    SELF_GUIDED = "self_guided", _("Self-guided")


CLINICAL_ROLES = frozenset({Role.COUNSELOR, Role.NURSE, Role.PRESCRIBER})
STAFF_ROLES = frozenset(set(Role) - {Role.PATIENT, Role.SELF_GUIDED})
# People who use Keel for their own recovery: patients of a program and self-guided accounts.
PERSON_ROLES = frozenset({Role.PATIENT, Role.SELF_GUIDED})


class Program(models.Model):
    """A treatment program or clinic. Programs in one deployment never see each other's patients."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    # A self-guided person's own space: holds only their record; no staff member can ever belong to it.
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Program settings (issue #18), changed by the program's admins: the dosing window's hours in the
    # program's zone, the days the clinic is closed (ISO dates), and the contact details patients see.
    dosing_opens = models.TimeField(null=True, blank=True)
    dosing_closes = models.TimeField(null=True, blank=True)
    closure_days = models.JSONField(default=list, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dosing_opens__isnull=True, dosing_closes__isnull=True)
                | Q(dosing_opens__lt=models.F("dosing_closes")),
                name="program_dosing_window_ordered",
                violation_error_message="The dosing window opens before it closes.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: a patient or a staff member with exactly one role."""

    role = models.CharField(max_length=32, choices=Role.choices)
    programs = models.ManyToManyField(
        Program, through="ProgramMembership", related_name="members", blank=True
    )
    preferred_language = models.CharField(
        max_length=8, default="en", choices=[("en", "English"), ("es", "Español")]
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]),
                name="user_role_known",
                violation_error_message="Unknown role.",
            ),
            # One account per username regardless of case (lane acct35; `accounts.services.usernames` says
            # how every route folds a name alike). The code names it for `full_clean`'s field error.
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_any_case",
                violation_error_code="user_username_unique_any_case",
                violation_error_message="That username is taken.",
            ),
        ]

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_self_guided(self) -> bool:
        return self.role == Role.SELF_GUIDED

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def requires_mfa(self) -> bool:
        return self.is_staff_member


class ProgramMembership(models.Model):
    """A staff member works in a program (a staff member may work in several)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"],
                name="membership_unique",
                violation_error_message="This person is already a member of this program.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.program_id}"


class ApiToken(models.Model):
    """A revocable, expiring personal access token. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The one recipient a staff member's token releases Part 2 records to (review 20c): named when it is
    # issued (blank: it releases nothing; review 25b, no binding by a first release); a consent naming another
    # recipient is refused for it, so the accounting of disclosures names who really holds the token.
    recipient_name = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="token_expires_after_creation",
                violation_error_message="A token must expire after it is created.",
            )
        ]

    def __str__(self) -> str:
        return f"token {self.prefix}"


class Invitation(models.Model):
    """A program admin invites a staff member by email (issue #18): a single-use link that expires. Only a
    SHA-256 digest of the link's secret is stored; the link is in the email alone."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
                violation_error_message="An invitation must expire after it is made.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=sorted(r.value for r in STAFF_ROLES)),
                name="invitation_staff_role",
                violation_error_message="Invitations are for staff roles.",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class OperatorSecondFactorReset(models.Model):
    """A staff member's second factor reset on the server by its operator (`keel reset_staff_second_factor`:
    a person no single admin may reset, `keel.accounts.second_factor`), with the reason the operator typed.
    The typed reason is kept here, never on the audit rows (review 19d): the `mfa` row in each of the person's
    programs' trails names the operator's route and this row's id."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField()
    devices_removed = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"operator second factor reset {self.pk}"


class SecondFactorSetupCode(models.Model):
    """A one-time set-up code (lane acct35): made when a staff member's second factor is reset (by a program
    admin or the server's operator), shown once to whoever reset it, and handed to the person in person or by
    phone, never by email. Her next authenticator is added only with it and her first code from that
    authenticator (`accounts.services.setup_codes`): her password alone no longer enrols one. Only a SHA-256
    digest is stored; it works once, until `expires_at` (KEEL_MFA_SETUP_CODE_HOURS), and is void after
    `SETUP_CODE_TRIES` wrong tries. A newer reset replaces any unused older code."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(  # None: the server's operator (`keel reset_staff_second_factor`)
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveIntegerField(default=0)  # wrong set-up codes typed for her

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="setup_code_expires_after_creation",
                violation_error_message="A set-up code must expire after it is made.",
            )
        ]

    def __str__(self) -> str:
        return f"second factor set-up code {self.pk}"
