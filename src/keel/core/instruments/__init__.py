"""Validated instruments as data (FHIR R4 Questionnaire-shaped JSON), one generic scorer, and small
per-instrument interpretation (bands, flags). Clinical numbers come from Keel's clinical reference; each
interpretation module names its sources."""
