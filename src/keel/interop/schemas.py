"""What the interop API takes: the export's body (its responses are FHIR resources, free-form on purpose)."""

from __future__ import annotations

from pydantic import Field

from keel.schemas import In


class ExportIn(In):
    basis: str = Field(
        "", description="consent | patient_request: a record that leaves is a disclosure and needs a basis"
    )
    consent: int | None = Field(None, description="the consent naming the recipient, purpose and record")
    recipient_name: str = Field("", description="who receives the record (the consent's recipient)")
    purpose: str = Field("", description="why (the consent's purpose)")
    purpose_text: str = Field("", description="the purpose in the consent's words, for other")
    password: str = Field(description="your password again: a record leaves only after it")
