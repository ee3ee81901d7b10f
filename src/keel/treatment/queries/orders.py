"""An order's reads: a low-dose schedule against what was given at each step, and the order as FHIR."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from keel.core import induction
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.queries.doses import effective_mg


def schedule_rows(order: MedicationOrder) -> list[dict[str, Any]]:
    """A low-dose schedule against what was given at each step (step n = the n-th day a dose under it was
    taken, as the window counts it: `keel.core.induction.low_dose_progress`, issue #13)."""
    if not order.schedule:
        return []
    doses = [
        (d.local_date, effective_mg(d))
        for d in DoseRecord.objects.filter(order=order).prefetch_related("amendments")
    ]
    dosed = sorted({day for day, mg in doses if mg > 0})
    given: dict[int, Decimal] = {}
    for day, mg in doses:
        if day in dosed:
            n = induction.low_dose_progress(dosed, day).step
            given[n] = given.get(n, Decimal(0)) + mg
    return [{"day": s["day"], "planned_mg": s["mg"], "given_mg": given.get(s["day"])} for s in order.schedule]


def order_fhir(order: MedicationOrder) -> dict[str, Any]:
    """The order as a FHIR R4 MedicationRequest."""
    return {
        "resourceType": "MedicationRequest",
        "id": str(order.pk),
        "status": {"active": "active", "stopped": "stopped", "superseded": "completed"}[order.status],
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": order.rxnorm,
                    "display": order.medication,
                }
            ]
        },
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "authoredOn": order.created_at.isoformat(),
        "requester": {"reference": f"Practitioner/{order.prescriber_id}"},
        "dosageInstruction": [
            {
                "text": f"{order.dose_mg.normalize():f} mg {order.route} {order.frequency}",
                "route": {"text": order.route},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": float(order.dose_mg),
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
        **(
            {"priorPrescription": {"reference": f"MedicationRequest/{order.supersedes_id}"}}
            if order.supersedes_id
            else {}
        ),
    }
