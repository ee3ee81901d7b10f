"""The staff pages' menu (web/_staff_nav.html): which links the caller sees, the same decisions the routes
make, by name (each route still checks for itself).
"""

from __future__ import annotations

from keel.access.policy.actions import can_record_dose, can_request_emergency_access
from keel.access.policy.roles import (
    administers_a_program,
    may_import_feeds,
    may_read_audit_trail,
    may_register_patients,
    may_view_measures,
    reads_only_the_audit_trail,
)
from keel.accounts.models import User


def staff_nav(user: object) -> dict[str, bool]:
    """Which links of the staff pages' menu (web/_staff_nav.html) the caller sees: the same decisions the
    routes make, by name (each route still checks for itself)."""
    admin = administers_a_program(user)
    staff = user if isinstance(user, User) else None  # an anonymous visitor: no signed-in decision holds
    return {
        "patients": not reads_only_the_audit_trail(user),
        "register": staff is not None and may_register_patients(staff),
        "audit_trail": may_read_audit_trail(user),
        "staff": admin,
        "care_teams": admin,
        "program_settings": admin,
        "measures": may_view_measures(user),
        "emergency_reviews": admin,
        "directory": may_import_feeds(user),
        "emergency_access": staff is not None and can_request_emergency_access(staff),
        "dosing": staff is not None and can_record_dose(staff),
        "program_policy": not reads_only_the_audit_trail(user),
    }
