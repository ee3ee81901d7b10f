"""Consents, revocations, disclosures and emergency access (journey 8; SECURITY.md 42 CFR Part 2, T11, T12),
one module per subdomain (as `keel.treatment.services`):

- `consents`: a consent signed by the patient, or on paper and entered by the care team;
- `revocations`: a consent taken back, in the app or in writing;
- `accounting`: the patient's consents and accounting of disclosures (the reads);
- `disclosures`: a progress report released under a consent or in a medical emergency;
- `releases`: the whole record leaving (the staff export, another system's pull or reads with a staff token);
- `emergency`: emergency access (break-the-glass); `reviews`: the queue where a program admin attests them;
- `common`: the refusals, a denial's audit row, the password again, the consent check a disclosure makes.

Every call goes through the access policy and leaves audit rows: a consent signed or revoked, a disclosure
(action `disclose`, in the same transaction as its row), a refusal (`denied`), an emergency access
(`emergency_access`). Disclosing and breaking the glass need the staff member's password again
(re-authentication, SECURITY.md). A disclosure is decided by `keel.core.sharing.check_disclosure` and then
decided again inside the write's transaction, so a revocation that lands in between wins. Everything is
re-exported here, so `from keel.sharing import services` keeps serving every caller."""

from keel.sharing.services.accounting import (
    ACCOUNTING_DAYS,
    ConsentView,
    Sharing,
    my_sharing,
    patient_sharing,
)
from keel.sharing.services.common import SharingInvalid, SharingNotAllowed, legal_name, reauthenticate
from keel.sharing.services.consents import record_paper_consent, sign_consent
from keel.sharing.services.disclosures import disclose, report
from keel.sharing.services.emergency import emergency_access
from keel.sharing.services.releases import CONSENT_HEADER, release_record, release_to_system
from keel.sharing.services.reviews import attest_review, emergency_reviews
from keel.sharing.services.revocations import record_written_revocation, revoke_consent

__all__ = [
    "ACCOUNTING_DAYS",
    "CONSENT_HEADER",
    "ConsentView",
    "Sharing",
    "SharingInvalid",
    "SharingNotAllowed",
    "attest_review",
    "disclose",
    "emergency_access",
    "emergency_reviews",
    "legal_name",
    "my_sharing",
    "patient_sharing",
    "reauthenticate",
    "record_paper_consent",
    "record_written_revocation",
    "release_record",
    "release_to_system",
    "report",
    "revoke_consent",
    "sign_consent",
]
