"""Consents, revocations, disclosures and emergency access (journey 8; SECURITY.md 42 CFR Part 2, T11, T12),
one module per subdomain (as `keel.treatment.services`):

- `consents`: a consent signed by the patient, or on paper and entered by the care team;
- `revocations`: a consent taken back, in the app or in writing;
- `disclosures`: a progress report released under a consent or in a medical emergency;
- `releases`: the whole record leaving (the staff export, another system's pull or reads with a staff token);
- `emergency`: emergency access (break-the-glass); `reviews`: a program admin attests one;
- `token_first`: a release by an API token answered alike for every person until a consent of theirs;
- `common`: the refusals, a denial's audit row, the password again, the consent check a disclosure makes.

Every call goes through the access policy and leaves audit rows: a consent signed or revoked, a disclosure
(action `disclose`, in the same transaction as its row), a refusal (`denied`), an emergency access
(`emergency_access`). Disclosing and breaking the glass need the staff member's password again
(re-authentication, SECURITY.md). A disclosure is decided by `keel.core.sharing.check_disclosure` and then
decided again inside the write's transaction, so a revocation that lands in between wins. Everything is
re-exported here, so `from keel.sharing import services` serves every writer; the reads (the patient's
consents and accounting, the review queue) are `keel.sharing.queries`."""

from keel.sharing.errors import SharingInvalid, SharingNotAllowed
from keel.sharing.services.common import TokenEmergency, TokenOtherRecipient, legal_name, reauthenticate
from keel.sharing.services.consents import record_paper_consent, sign_consent
from keel.sharing.services.disclosures import disclose, report
from keel.sharing.services.emergency import NoEmergencyAccess, emergency_access, end_emergency_access
from keel.sharing.services.releases import CONSENT_HEADER, release_record, release_to_system
from keel.sharing.services.reviews import attest_review
from keel.sharing.services.revocations import record_written_revocation, revoke_consent
from keel.sharing.services.token_first import export_by_token

__all__ = [
    "CONSENT_HEADER",
    "NoEmergencyAccess",
    "SharingInvalid",
    "SharingNotAllowed",
    "TokenEmergency",
    "TokenOtherRecipient",
    "attest_review",
    "disclose",
    "emergency_access",
    "end_emergency_access",
    "export_by_token",
    "legal_name",
    "reauthenticate",
    "record_paper_consent",
    "record_written_revocation",
    "release_record",
    "release_to_system",
    "report",
    "revoke_consent",
    "sign_consent",
]
