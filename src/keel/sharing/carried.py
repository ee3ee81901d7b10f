"""Which of the person's consents a release carries (review 32b H1): the consent it is made under, and no
consent naming another recipient. A consent to someone else is no part of "how much and what kind of
information" the recipient needs (42 CFR 2.13(a), 2.31(a)(3); HIPAA 45 CFR 164.502(b), minimum necessary),
and it tells a fact of its own (a drug court, an employer's program, a representative's name) to a party no
consent names.

The one place that decides it is the release (`sharing.services.releases._released`): it builds what leaves
inside `released_under(consent id)`, so every route that releases (FHIR reads, searches and `$everything`
under a consent, the JSON API's export, a next page of `$everything`) carries the same consents; the record's
builder (`interop.fhir.record._consents`) reads `consent_released_under`. Outside a release (the care team's
own views, the patient's own record, a release on the patient's own request: she is the recipient) nothing is
set and every consent is shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_UNDER: ContextVar[int | None] = ContextVar("keel_release_under", default=None)


@contextmanager
def released_under(consent_id: int | None) -> Iterator[None]:
    """Build what leaves under `consent_id` (None: no consent's release, every consent of the person)."""
    token = _UNDER.set(consent_id)
    try:
        yield
    finally:
        _UNDER.reset(token)


def consent_released_under() -> int | None:
    """The consent the release being built is made under; None outside a release under a consent."""
    return _UNDER.get()
