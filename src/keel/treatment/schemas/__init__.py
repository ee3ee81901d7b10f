"""What the treatment API sends. Amounts in mg are decimal text exactly as stored ("60", "65.5", "380.00"),
never numbers; dates and times are ISO text; a key whose value is unknown is null, never left out. Every
schema forbids extra keys, so a key added to a body and not here fails loudly instead of leaving the API.

Free-form on purpose (`dict[str, Any]`): a rule's `details` (each rule its own outputs), a decision *as
stored* on a dose, take-home plan or QTc row (written by whichever rule version ran then; rows from before a
rule existed hold `{}`), an intake's answers as stored, and an order's FHIR MedicationRequest.

The package, one module an area of the API, each with its In and Out schemas (moving code only, issue #17):
- `policy`: program policy values and a person's own (`PolicyValue`);
- `decisions`: a rule's decision, made now or as stored (`StoredDecision`), and the stateless rules' body;
- `orders`: medication orders and pharmacy fills;
- `doses`: doses at the window, their corrections, overrides, injections and the dosing list's rows;
- `take_homes`: take-home plans, their review, end and bottles brought back;
- `record`: QTc readings and the medication record that gathers them all;
- `start`: a treatment start: last uses, their reports and corrections, the intake, scores, readiness;
- `care`: naloxone kits and care-plan goals.
"""

from __future__ import annotations

from keel.treatment.schemas.care import (
    CareGoalLineOut,
    CareGoalSavedOut,
    GoalIn,
    KitIn,
    MyCarePlanOut,
    NaloxoneKitOut,
    NaloxoneKitSavedOut,
)
from keel.treatment.schemas.decisions import DecisionOut, ReasonOut, RuleIn, RuleSummaryOut, StoredDecision
from keel.treatment.schemas.doses import (
    AmendmentIn,
    AmendmentOut,
    AmendmentSavedOut,
    DoseIn,
    DoseOut,
    DoseRecordedOut,
    DosingRowOut,
    InjectionIn,
    InjectionOut,
    OverrideIn,
    OverrideOut,
    OverrideSavedOut,
)
from keel.treatment.schemas.orders import (
    FillIn,
    FillOut,
    OrderIn,
    OrderOut,
    PrescribedOut,
    ScheduleStepIn,
    VoidIn,
)
from keel.treatment.schemas.policy import (
    PatientPolicyIn,
    PatientPolicyOut,
    PolicyIn,
    PolicySetOut,
    PolicyValue,
    PolicyValueOut,
    ProgramPolicyOut,
)
from keel.treatment.schemas.record import MedicationRecordOut, QtcIn, QtcOut
from keel.treatment.schemas.start import (
    HomeStartOut,
    IntakeIn,
    IntakeOut,
    LastUseCorrectionIn,
    LastUseCorrectionOut,
    LastUseIn,
    LastUseOut,
    LastUseReportOut,
    OpioidLastUseIn,
    OpioidUseIn,
    ReportedUseOut,
    ScoreOut,
    StartOut,
    last_uses_out,
)
from keel.treatment.schemas.take_homes import (
    TakeHomeBroughtBackIn,
    TakeHomeConcernOut,
    TakeHomeCriteriaIn,
    TakeHomeEndIn,
    TakeHomeIn,
    TakeHomeOut,
    TakeHomeReviewOut,
)

__all__ = [
    "AmendmentIn",
    "AmendmentOut",
    "AmendmentSavedOut",
    "CareGoalLineOut",
    "CareGoalSavedOut",
    "DecisionOut",
    "DoseIn",
    "DoseOut",
    "DoseRecordedOut",
    "DosingRowOut",
    "FillIn",
    "FillOut",
    "GoalIn",
    "HomeStartOut",
    "InjectionIn",
    "InjectionOut",
    "IntakeIn",
    "IntakeOut",
    "KitIn",
    "LastUseCorrectionIn",
    "LastUseCorrectionOut",
    "LastUseIn",
    "LastUseOut",
    "LastUseReportOut",
    "MedicationRecordOut",
    "MyCarePlanOut",
    "NaloxoneKitOut",
    "NaloxoneKitSavedOut",
    "OpioidLastUseIn",
    "OpioidUseIn",
    "OrderIn",
    "OrderOut",
    "OverrideIn",
    "OverrideOut",
    "OverrideSavedOut",
    "PatientPolicyIn",
    "PatientPolicyOut",
    "PolicyIn",
    "PolicySetOut",
    "PolicyValue",
    "PolicyValueOut",
    "PrescribedOut",
    "ProgramPolicyOut",
    "QtcIn",
    "QtcOut",
    "ReasonOut",
    "ReportedUseOut",
    "RuleIn",
    "RuleSummaryOut",
    "ScheduleStepIn",
    "ScoreOut",
    "StartOut",
    "StoredDecision",
    "TakeHomeBroughtBackIn",
    "TakeHomeConcernOut",
    "TakeHomeCriteriaIn",
    "TakeHomeEndIn",
    "TakeHomeIn",
    "TakeHomeOut",
    "TakeHomeReviewOut",
    "VoidIn",
    "last_uses_out",
]
