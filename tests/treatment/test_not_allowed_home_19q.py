"""Session 19q: the clinical refusal (a role may not do this to a record in scope: a page's 403 through
Django's PermissionDenied, the API's 403 through `keel.api.on_not_allowed`) lives with the access policy's
errors, not in the assessments app; treatment code imports it from there. The same class as before, so every
page and route answers as it did."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied

from keel.access import errors
from keel.assessments import services as assessments
from keel.treatment import services as treatment

SRC = Path(__file__).resolve().parents[2] / "src" / "keel"


def test_no_treatment_module_imports_not_allowed_from_assessments() -> None:
    importing = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "treatment").rglob("*.py"))
        if "from keel.assessments.services import NotAllowed" in path.read_text()
    ]
    assert importing == []


def test_the_assessments_refusal_is_the_access_one() -> None:
    assert assessments.NotAllowed is errors.ClinicalNotAllowed


def test_the_clinical_refusal_is_a_page_403() -> None:
    assert issubclass(errors.ClinicalNotAllowed, PermissionDenied)


def test_the_clinical_refusal_is_the_apis_403() -> None:
    assert issubclass(errors.ClinicalNotAllowed, errors.NotAllowed)


def test_treatment_refusals_are_clinical_refusals() -> None:
    assert issubclass(treatment.HeldDoseNotAllowed, errors.ClinicalNotAllowed)
    assert issubclass(treatment.TakeHomeEndNotAllowed, errors.ClinicalNotAllowed)


def test_the_treatment_services_name_the_same_class() -> None:
    assert treatment.NotAllowed is errors.ClinicalNotAllowed
