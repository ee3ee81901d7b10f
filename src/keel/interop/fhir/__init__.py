"""FHIR R4 out of Keel: shared parts (`base`), resources, the whole record (`record`)."""
