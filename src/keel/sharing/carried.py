"""Which of the person's consents a release carries (review 32b H1): those naming its recipient (the consent
it is made under among them), never one naming another recipient. A consent to someone else is no part of
"how much and what kind of information" the recipient needs (42 CFR 2.13(a), 2.31(a)(3); HIPAA 45 CFR
164.502(b), minimum necessary), and it tells a fact of its own (a drug court, an employer's program, a
representative's name) to a party no consent names; a consent naming the recipient is its own to know
(review 14: a guardian's consent to the recipient travels as signed, `#representative`).

The one place that decides it is the release (`sharing.services.releases._released`): it builds what leaves
inside `released_to(recipient)`, so every route that releases under a consent (FHIR reads, searches and
`$everything`, the JSON API's export by a token or a session, a next page of `$everything`) carries the same
consents; the record's builder (`interop.fhir.record._consents`) asks `carries_consent_to`. Outside a release
(the care team's own views, the patient's own record) and on the patient's own request (she is the
recipient) nothing is set and every consent is shown.

The same release names no other party through an imported response's Provenance (review 32c H1): inside
it (`in_release`) the Provenance says the response was received from another system, when, and which
response it is about, never the sender's name, identifiers, author or reference for the person. A reader
outside the person's care team (emergency access) is told no more (review 33b H2, `sender_named`): the one
rule for the FHIR Provenance, an assessment's bundle and the result page's "where it came from"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from keel.core.sharing import same_name

_TO: ContextVar[str | None] = ContextVar("keel_release_to", default=None)
_LEAVING: ContextVar[bool] = ContextVar("keel_release_leaving", default=False)


@contextmanager
def released_to(recipient_name: str | None) -> Iterator[None]:
    """Build what leaves to `recipient_name` under a consent (None: no consent's release, every consent)."""
    token, leaving = _TO.set(recipient_name), _LEAVING.set(True)
    try:
        yield
    finally:
        _LEAVING.reset(leaving)
        _TO.reset(token)


def leaves_the_program() -> bool:
    """Whether what is being built leaves the program in a release, whatever its basis (a consent, an
    emergency, her own request): every release builds inside `released_to` (lane fixpriv39)."""
    return _LEAVING.get()


def carries_consent_to(recipient_name: str) -> bool:
    """Whether what is being built carries a consent naming `recipient_name`: always outside a release under
    a consent; inside one, only when it names the release's recipient (`core.sharing.same_name`)."""
    to = _TO.get()
    return to is None or same_name(recipient_name, to)


def in_release() -> bool:
    """Whether what is being built leaves to a recipient under a consent (review 32c H1): an imported
    response's Provenance then names no other party (`interop.fhir.resources.received`). Outside a release
    (the care team's own views, the patient's own record, a release at her own request) it is whole."""
    return _TO.get() is not None


def sender_named(patient: object) -> bool:
    """Whether what is built for a reader of `patient` (scoped) names an imported response's sender
    (its system, its ids, its author, its reference for the person): never inside a release to a recipient
    (`in_release`, review 32c H1), never to a clinician who reaches the record only through emergency access
    (the scoped getter's `keel_off_team`; review 33b H2: which outside party exchanges her SUD information is
    no part of treating an emergency, as review 19b keeps her consents from it; 42 CFR 2.51, HIPAA 45 CFR
    164.502(b)). The care team's own views and her own record: whole."""
    return not in_release() and not getattr(patient, "keel_off_team", False)
