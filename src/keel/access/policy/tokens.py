"""What an API token may do on the JSON API and on FHIR (reviews 20c, 22f, 22g, 25b, 25d, 26a): a staff
token's read is a release, desk actions and versioned writes are a session's, a staff token writes by an
allow list; what a refusal may say, raw counts, and which tokens a caller manages.
"""

from __future__ import annotations

from enum import StrEnum

from keel.access.policy.roles import is_program_patient, is_self_guided_account


class TokenUse(StrEnum):
    """What a JSON API route does, as `bound_token_may` asks it."""

    RELEASE = "release"  # releases a record: the FHIR export, the progress-report disclosure
    TOKENS = "tokens"  # the caller's API tokens themselves: listed, revoked
    OTHER = "other"  # everything else: the patient list, a record's reads, every other write
    # lane fix25e (review 25d H3, H2): a desk action, for a person standing at the desk: a credential handed
    # after an identity check (a password-reset or activation code, a second factor reset), a registration
    # (its notice and consent given there; its duplicate check says who is in care); lane tok26: a staff
    # member's access handed by a program admin (an invitation, a role)
    DESK = "desk"
    # lane tok26: a write that names the version of the person's record its writer read (an order's
    # `orders_version`) and answers with what the record holds
    VERSIONED = "versioned"
    # lane fix26a (review 26a): a write an integration does with a staff member's token (a dispensing system
    # recording a dose), marked `api_auth.token_may_write` with its reason; every other write is refused to a
    # staff token (`staff_writes`)
    WRITE = "write"


def bound_token_may(
    *,
    bound_to: str,
    use: TokenUse,
    staff_reads: bool = False,
    by_token: bool = False,
    staff_writes: bool = False,
) -> bool:
    """What a token may do on the JSON API and on FHIR: the one definition of a token's read (review 22f,
    review 25b H1). What a staff member's API token reads of a person's record is another system receiving
    it: a release to a recipient, under the person's consent, written in their accounting of disclosures
    (SECURITY.md T19: a record that leaves the program in any form is a disclosure), made only through the
    release functions FHIR uses (each checks the consent and the token's recipient; a token issued with no
    recipient releases nothing, `accounts.token_releases_to`). So a staff token's read that is no release
    (`staff_reads`: the JSON API's patient list and a record's reads; FHIR's reads of a person's record are
    releases already, `interop.rest.auth.use_of`) is refused, 403 audited: FHIR refused an unbound nurse's
    token without a consent while the JSON API gave it the same record with none (review 25b, H1). The staff
    member's own reading within the program is the app, signed in. An unbound staff token wrote its role's
    writes until lane fix26a (now only the allow list below); a token bound to a recipient
    (review 20c) does only its releases and sees and revokes itself (`managed_token`). A patient's own token
    reads and writes their own record (their own access, no disclosure).

    Lane fix25e (review 25d H3, H2): a desk action (`TokenUse.DESK`: a one-time code or a second factor reset
    handed to a person the staff member has identified at the desk; a registration, its notice and consent
    given at the desk) is refused to every token (`by_token`), bound or not: no system can check who stands
    at the desk; the credential would be the whole record (a patient's account), and the registration's
    duplicate check would say who is in care, with no consent and no accounting row. Only a session. Lane
    tok26: so is a staff member's access (an invitation, a role change: an account in the program, or more of
    one, handed to a person; a stolen admin token would hand itself colleagues).

    Lane tok26 (review 25d H4): a write that names the version of the person's record its writer read
    (`TokenUse.VERSIONED`: a medication order's `orders_version`) is refused to every token too: a staff
    token reads no person, so any version it sends is forged, and every answer such a write gives reads the
    record (a 409 that some order exists, a 201 that none did and the version now, a warning of the bottles
    at home, a QTc refusal). Refused before the person or the version is read, the answer is the same
    whatever the record holds.

    Lane fix26a (review 26a: a token recorded a paper consent, readmitted a person attesting notice and
    consent, broke the glass, invited staff and changed roles, each a write no route had refused): a staff
    member's token writes by an allow list, as it reads: `staff_writes` (a staff token's write, not the
    caller's own `/me` nor their tokens) is refused unless the route is `TokenUse.WRITE` (marked
    `api_auth.token_may_write` with the integration it serves). Everything else is done in Keel by a staff
    member signed in. A patient's own token is no staff token (`token_is_staffs`): unchanged."""
    if use in (TokenUse.DESK, TokenUse.VERSIONED):
        return not by_token
    if use in (TokenUse.RELEASE, TokenUse.TOKENS):
        return True
    if staff_writes and use != TokenUse.WRITE:
        return False
    return not bound_to and not staff_reads


def token_is_staffs(user: object) -> bool:
    """Whether a token's holder is a staff member (the token another system's credential, `bound_token_may`):
    anyone but a program's patient or a self-guided account, whose tokens reach their own record only."""
    return not (is_program_patient(user) or is_self_guided_account(user))


def conflict_may_name_the_record(user: object, *, by_token: bool) -> bool:
    """Lane fix25e (review 25d H4): whether a write's 409 (a stale version) may say what the record is now
    (an order's newest dose, who wrote it): for a caller who may read it; not for a staff member's token,
    which reads no person (`bound_token_may`): a forged old version would make every conflict a read.

    Lane fix26a (review 26a H5, H7): the one rule for every refusal of a write that depends on the record
    (a stale version, the dose guard rail's `DoseBlocked`, a slot already recorded, a plan already ended):
    `keel.api`'s error handlers ask it, never a route. A staff token learns only that nothing was recorded
    because a check refused it, and that a nurse sees why in Keel: a forged write would make every refusal a
    read (the order's dose, whether she dosed today).

    Lane tok27: and what a write that succeeded answers the same caller (a dose recorded by a dispensing
    system: its id, day, slot, status, mg and time, never the order's decision or the corrections)."""
    return not (by_token and token_is_staffs(user))


def raw_counts_may_go_to(*, by_token: bool) -> bool:
    """Lane fix26a (review 26a H6): the measures' counts from 1 to 10 unsuppressed (`counts=raw`, a program
    admin's choice recorded on the audit row) go to a caller signed in, never to a token (another system):
    with a narrow window and a small program a cell is a person, and `reads_no_one` assumes suppressed
    counts. A token asks without `counts=raw`."""
    return not by_token


def managed_token(*, bound_to: str, own_token: int | None) -> int | None:
    """Which of its staff member's tokens a caller lists and revokes (review 22g): a token bound to a
    recipient (another system's release credential) only itself, its own id (it may always be ended by
    whoever holds it, but the other systems' credentials, the recipients they release to and the staff
    member's own tokens are not its to see or end); a session or an unbound token every token of theirs
    (None)."""
    return own_token if bound_to else None
