"""A patient's record as FHIR R4 resources, by type, limited to the parts of it the caller may see: what the
export Bundle, `Patient/{id}/$everything` and every read and search of the FHIR API are made of. Each builder
reads its rows in a constant number of queries; every Practitioner, Organization and Questionnaire a resource
names is available as a resource too, so references resolve in the Bundle and at the endpoint."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from django.db.models import Prefetch, Q

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.assessments import fhir as instrument_fhir
from keel.assessments.fhir import changed_at
from keel.assessments.models import Assessment
from keel.assessments.queries import (
    SELF_CHECK_ROLES,
    marked,
    oldest_first,
    with_corrections,
    withheld_from_her,
)
from keel.audit.models import Action, AuditEvent, Outcome
from keel.core.instruments import registry
from keel.interop.fhir import resources as r
from keel.interop.fhir import treatment as treatment_fhir
from keel.interop.fhir.base import Base, collection, last_updated
from keel.interop.fhir.condition import condition_for, once_the_condition, said_diagnosis
from keel.interop.models import ImportedResponse
from keel.patients.models import Enrollment, Patient, death_recorded, local_today, zone_of
from keel.sharing.carried import carries_consent_to
from keel.sharing.models import Consent
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    Medication,
    MedicationOrder,
    OrderStatus,
    QtcRecord,
    TakeHomePlan,
    in_written_order,
)
from keel.treatment.queries import order_fhir
from keel.treatment.queries.take_home_plans import methadone_given, standing_doses

# Resource types that hold clinical parts of the record (peer specialists and auditors see none of them).
CLINICAL_TYPES = (
    "EpisodeOfCare",
    "Condition",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationDispense",
    "QuestionnaireResponse",
    "Observation",
    "Questionnaire",
    "Consent",
    "Provenance",
)
PATIENT_TYPES = ("Patient", "Organization", *CLINICAL_TYPES, "Practitioner")


def _assessments(p: Patient) -> list[Assessment]:
    # Oldest first by the one definition of "latest" (time, then entry order): the last is the latest; each
    # as corrected, one entered in error kept with that status (review 33c hole 4).
    rows = Assessment.objects.filter(patient=p).select_related("filled_by", "imported_from")
    return with_corrections(oldest_first(marked(rows)))


def _imported_ids(assessments: list[Assessment]) -> set[int]:
    return {a.pk for a in assessments if getattr(a, "imported_from", None) is not None}


class Record:
    """One patient's record, built lazily by resource type for `areas`."""

    def __init__(
        self, patient: Patient, areas: frozenset[Area], base: Base, now: datetime, *, own: bool = False
    ) -> None:
        self.patient, self.areas, self.base, self.now = patient, areas, base, now
        # her own copy or a release: a struck result's content withheld (`policy.withholds_struck_content`)
        self.own = own
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._assessments: list[Assessment] | None = None
        self._changes: Changes | None = None

    @classmethod
    def read_by(cls, user: User, patient: Patient, base: Base, now: datetime) -> Record:
        """The record as `user` may read it: the areas of their role, a struck result's content withheld
        (`own`) when the reader is the person herself or it leaves the program (a token bound to a recipient
        reads inside a release): `policy.withholds_struck_content`, decided once for every route."""
        own = policy.withholds_struck_content(user, patient)
        return cls(patient, policy.areas_of(user), base, now, own=own)

    @property
    def clinical(self) -> bool:
        return Area.CLINICAL in self.areas

    def assessments(self) -> list[Assessment]:
        if self._assessments is None:
            self._assessments = _assessments(self.patient)
        return self._assessments

    def changes(self) -> Changes:
        if self._changes is None:
            self._changes = _changes(self.patient)
        return self._changes

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        if resource_type not in self._cache:
            build = BUILDERS.get(resource_type)
            allowed = resource_type in ("Patient", "Organization", "Practitioner") or self.clinical
            self._cache[resource_type] = build(self) if build is not None and allowed else []
        return self._cache[resource_type]

    def everything(self) -> list[dict[str, Any]]:
        """Every resource of the record the caller may see, the patient first, the staff named last."""
        return [res for t in PATIENT_TYPES for res in self.of_type(t)]


def _patient(rec: Record) -> list[dict[str, Any]]:
    return [r.patient(rec.patient, rec.areas)]


def _organization(rec: Record) -> list[dict[str, Any]]:
    return [r.organization(rec.patient.program)]


@dataclass(frozen=True)
class Changes:
    """When rows that keep no time of their changes last changed, from the audit trail (session 24:
    `meta.lastUpdated`): each episode of care (`episodes`: its admission, readmission, discharge or
    transfer), each stopped order (`stops`: the discharge that stopped it) and each take-home plan (`plans`:
    its bottles handed out, taken back, stopped by a hold or a discharge, brought back)."""

    episodes: dict[int, datetime]
    stops: dict[int, datetime]
    plans: dict[int, datetime]


_PK = re.compile(r"[0-9]{1,18}", re.ASCII)


def _changes(patient: Patient) -> Changes:
    """The successful writes the audit trail holds of the person's episodes, read once: registration's
    "admitted", "readmitted" (create) and "discharged" (update, which names the orders it stopped,
    `stopped_orders`: `patients.services.episodes`). An episode keeps no time of its own but its notice's
    and consent's, an order none of its stop: the audit row's is the true time of each change."""
    found = Changes({}, {}, {})
    rows = AuditEvent.objects.filter(
        Q(target_type__in=["enrollment", "take_home_plan"]) | Q(detail__has_key="bottle_returned"),
        patient_id=patient.pk,
        outcome=Outcome.SUCCESS,
        action__in=[Action.CREATE, Action.UPDATE],
    ).values_list("target_type", "target_id", "occurred_at", "detail")
    for kind, target, at, detail in rows:
        said = detail if isinstance(detail, dict) else {}
        if kind == "enrollment" and _PK.fullmatch(target):
            _later(found.episodes, int(target), at)
        if kind == "take_home_plan" and _PK.fullmatch(target):
            _later(found.plans, int(target), at)
        for into, key in ((found.stops, "stopped_orders"), (found.plans, "ended_take_home_plans")):
            named = said.get(key)
            for pk in named if isinstance(named, list) else []:
                _later(into, pk, at)
        if (
            "bottle_returned" in said
        ):  # a bottle back: on the dose's row (`take_homes.record_bottle_returned`)
            _later(found.plans, said.get("take_home_plan"), at)
    return found


def _changes_of(rec: Record) -> Changes:
    """The record's `Changes`, read once per record; read afresh for a caller that passes a bare stand-in
    with only `patient` and `now` (the review tests call the builders so)."""
    return rec.changes() if hasattr(rec, "changes") else _changes(rec.patient)


def _later(into: dict[int, datetime], pk: object, at: datetime) -> None:
    if isinstance(pk, int) and not isinstance(pk, bool):
        into[pk] = max(at, into.get(pk, at))


def _episodes(rec: Record) -> list[dict[str, Any]]:
    """Each episode, `meta.lastUpdated` its last audited change (`_changes`); an episode the trail never
    names (written before it, or by a fixture) its notice's or consent's time, else when the person's record
    was made: the nearest true time the record keeps."""
    rows = Enrollment.objects.filter(patient=rec.patient).order_by("started_on", "id")
    changed = _changes_of(rec).episodes

    def when(e: Enrollment) -> datetime:
        own = [t for t in (e.notice_given_at, e.consented_at) if t is not None]
        return changed.get(e.pk) or (max(own) if own else rec.patient.created_at)

    return [r.episode(e, when(e)) for e in rows]


_SELF_ROLES = frozenset(SELF_CHECK_ROLES)  # one definition: keel.assessments.queries


def _by_clinician(a: Assessment, imported: set[int]) -> bool:
    return (
        a.instrument == "dsm5-oud"
        and getattr(a.filled_by, "role", "") not in _SELF_ROLES
        and a.pk not in imported
    )


def _diagnosing(assessments: list[Assessment]) -> list[Assessment]:
    """The assessments a diagnosis may come from: a clinician's DSM-5 results when one of them stands, so that
    a patient's own later self-check (or an imported one) never replaces the clinician's diagnosis; the
    self-checks only when no clinician's result stands (they leave `provisional`). Those struck as entered in
    error are kept, marked: `condition_for` sends no result from them but says they were struck (review 36g
    holes 3-4; before, dropped here: review 33c)."""
    imported = _imported_ids(assessments)
    if any(_by_clinician(a, imported) and not a.entered_in_error for a in assessments):
        return [a for a in assessments if _by_clinician(a, imported)]
    return [a for a in assessments if a.pk not in imported]


def _conditions(rec: Record) -> list[dict[str, Any]]:
    """The diagnosis from the latest DSM-5 result (`condition_for`) under one id for the person (review 20c):
    `oud-<the person's first DSM-5 assessment>` (the lowest id: rows are never deleted nor renumbered), so a
    re-assessment updates the Condition another system holds instead of leaving it beside a second one.
    Lane fix37a: the self-checks a clinician's result outranks (`_diagnosing` left them out) are
    `condition_for`'s last resort, so a self-check's Condition once sent stays, refuted; when no clinician's
    result stands, the clinicians' strikes are when it was handed over to the self-checks (36m-3). Lane
    fix37i: only those that were once the Condition (`_once`; read, search and $everything all build here).
    Lane fix38c: a result another system sent (`ImportedResponse`) is theirs, sent as its
    QuestionnaireResponse with its Provenance; never Keel's Condition (Keel's `recorder` and
    `verificationStatus` would assert their diagnosis as Keel's), nor its id (the first of Keel's own DSM-5
    results) nor its `meta.lastUpdated`."""
    every = rec.assessments()
    imported = _imported_ids(every)
    chosen = _diagnosing(every)
    kept = {a.pk for a in chosen}
    outranked = [a for a in every if a.pk not in imported and a.pk not in kept]
    clinicians = [a for a in chosen if _by_clinician(a, imported)]
    handed = [changed_at(a) for a in clinicians] if all(a.entered_in_error for a in clinicians) else []
    once, last = _once(rec, clinicians, outranked)
    outranked = [a for a in outranked if a.pk in once]
    found = condition_for(chosen, outranked=outranked, handed_over=handed, outranked_last=last)
    if not found:
        return []
    first = min(a.pk for a in every if a.instrument == "dsm5-oud" and a.pk not in imported)
    out = {**found, "id": f"oud-{first}"}
    if rec.own:
        _withhold_struck_diagnosis(out)
    return [out]


_STRUCK_DIAGNOSIS = ("severity", "code")  # each the struck result's band (`diagnosis.codes_for(band)`)


def _withhold_struck_diagnosis(found: dict[str, object]) -> None:
    """In her own copy (`Record.own`) a diagnosis struck as entered in error says only that it was: its
    severity and code, which carry the struck result's band, are withheld as `queries.withheld_from_her`
    withholds the band (lane fix38j); R4's Condition.code is 0..1. The care team's copy keeps them."""
    status = found.get("verificationStatus")
    coding = status.get("coding") if isinstance(status, dict) else None
    said = [c.get("code") for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []
    if said == ["entered-in-error"]:
        for key in _STRUCK_DIAGNOSIS:
            found.pop(key, None)


def _once(rec: Record, clinicians: list[Assessment], outranked: list[Assessment]) -> tuple[set[int], bool]:
    """`condition.once_the_condition` over the DSM-5 results in the order they were entered and struck: the
    order of their audit rows, the true times of each (a row's own `created_at` or `corrected_at` may be set
    back as history; a row the trail does not name, a fixture's, goes by them). Read only when a self-check
    that said a diagnosis is outranked (one query)."""
    selfs = [a for a in outranked if a.instrument == "dsm5-oud" and said_diagnosis(a) is not None]
    if not selfs:
        return set(), False
    keys = {("assessment", str(a.pk)): (a, False, a.created_at) for a in (*clinicians, *selfs)}
    for a in clinicians:
        if a.entered_in_error and (fix := a.correction) is not None:  # nothing follows a strike
            keys[("assessment_correction", str(fix.pk))] = (a, True, fix.corrected_at)
    rows = AuditEvent.objects.filter(
        Q(target_type="assessment", target_id__in=[k for t, k in keys if t == "assessment"])
        | Q(target_type="assessment_correction", target_id__in=[k for t, k in keys if t != "assessment"]),
        patient_id=rec.patient.pk,
        outcome=Outcome.SUCCESS,
        action=Action.CREATE,
    ).values_list("target_type", "target_id", "occurred_at", "id")
    when = {(kind, target): (at, pk) for kind, target, at, pk in rows}
    order = sorted(keys, key=lambda k: when.get(k, (keys[k][2], 0)))
    events = [(keys[k][0], keys[k][1]) for k in order]
    return once_the_condition(events, {a.pk for a in clinicians})


def _orders(rec: Record) -> list[dict[str, Any]]:
    rows = list(MedicationOrder.objects.filter(patient=rec.patient).order_by("created_at", "id"))
    today = local_today(rec.patient, rec.now)  # each order's status on the person's today (review 19c)
    out = [_order_changed(o, order_fhir(o, today=today, orders=rows), rows, rec) for o in rows]
    if any(o.status == OrderStatus.STOPPED for o in rows):
        ended = Enrollment.objects.filter(patient=rec.patient, ended_on__isnull=False)
        ends = sorted(d for d in ended.values_list("ended_on", flat=True) if d is not None)
        zone = zone_of(rec.patient)
        for o, res in zip(rows, out, strict=True):
            if o.status == OrderStatus.STOPPED:
                _stopped_on(o, res, ends, zone)
    return out


def _order_changed(
    o: MedicationOrder, res: dict[str, Any], rows: list[MedicationOrder], rec: Record
) -> dict[str, Any]:
    """`meta.lastUpdated` of an order (session 24): orders are never edited, only superseded (by the order
    that names it, when that was written) or stopped (by a discharge, whose audit row is the time: the
    order keeps none, `_changes`); a stop the trail does not hold leaves its writing or supersession."""
    # lane switch39: or stopped by another medication's order (`switched_to`), written then
    successor = next(
        (n.created_at for n in rows if n.supersedes_id == o.pk or n.pk == o.switched_to_id), None
    )
    stopped = _changes_of(rec).stops.get(o.pk) if o.status == OrderStatus.STOPPED else None
    return last_updated(res, o.created_at, successor, stopped)


def _stopped_on(o: MedicationOrder, res: dict[str, Any], ends: list[date], zone: tzinfo) -> None:
    """A stopped order's last day (review 20c): orders stop only with their episode (discharge), so it is the
    end of the first episode that ended on or after the day the order was written; not when that is before
    the order's start (a deferred order stopped before its day never came into force)."""
    written = o.created_at.astimezone(zone).date()
    stop = next((d for d in ends if d >= written), None)
    if stop is None or stop < o.starts_on:
        return
    dosage = res["dosageInstruction"][0]
    bounds = dosage.setdefault("timing", {}).setdefault("repeat", {}).setdefault("boundsPeriod", {})
    if "end" not in bounds or bounds["end"] > stop.isoformat():
        bounds["end"] = stop.isoformat()


def _doses(rec: Record) -> list[dict[str, Any]]:
    rows = (
        DoseRecord.objects.filter(patient=rec.patient)
        .select_related("order")
        .prefetch_related(Prefetch("amendments", queryset=in_written_order(DoseAmendment.objects.all())))
        .order_by("local_date", "sequence", "id")
    )
    return [r.medication_administration(d, list(d.amendments.all())) for d in rows]


def _responses(rec: Record) -> list[dict[str, Any]]:
    """Each response; in her own copy one struck as entered in error says only that (no answers: lane fix38d,
    review 38d hole 4, `queries.withheld_from_her`)."""
    imported = _imported_ids(rec.assessments())
    return [
        instrument_fhir.questionnaire_response(_as_she_sees(rec, a), rec.base, imported=a.pk in imported)
        for a in rec.assessments()
    ]


def _as_she_sees(rec: Record, a: Assessment) -> Assessment:
    return withheld_from_her([copy.copy(a)])[0] if rec.own and a.entered_in_error else a


def _observations(rec: Record) -> list[dict[str, Any]]:
    """The questionnaires' results (none of a struck one in her own copy: lane fix38d), then each QTc reading
    (review 20c), oldest first."""
    imported = _imported_ids(rec.assessments())
    shown = [a for a in rec.assessments() if not (rec.own and a.entered_in_error)]
    scores = [o for a in shown for o in instrument_fhir.observations(a, imported=a.pk in imported)]
    qtc = QtcRecord.objects.filter(patient=rec.patient).order_by("measured_on", "id")
    return scores + [treatment_fhir.qtc_observation(q) for q in qtc]


def _dispenses(rec: Record) -> list[dict[str, Any]]:
    """Each methadone take-home bottle day the person was given (review 20c; `treatment_fhir`): every plan of
    every episode, its order and the observed doses at which bottles go home read once each. Which bottles
    left is the plans' record of them (`bottle_mg`, `bottles_taken_back`; review 22t holes 1 and 2); the
    doses are read only for the days that record is silent on (plans from before it), a dose voided or
    corrected to 0 mg counted as none (`taken_doses`)."""
    plans = list(TakeHomePlan.objects.filter(patient=rec.patient).order_by("decided_at", "id"))
    if not plans:
        return []
    orders = list(MedicationOrder.objects.filter(patient=rec.patient, medication=Medication.METHADONE))
    # lane fhir29: the doses that stand, by the medication page's one query (`standing_doses`: given, neither
    # voided nor corrected to 0 mg; each one's instant, the instant its bottles were decided), never a second
    # definition; a dose voided or corrected to 0 mg handed nothing out, but its day is written
    # (`not_handed_out_from`)
    visits = [(day, at) for day, at, _order in standing_doses(rec.patient.pk)]
    written = set(methadone_given(rec.patient.pk).values_list("local_date", flat=True))
    today = local_today(rec.patient, rec.now)
    changed = _changes_of(rec).plans
    return treatment_fhir.bottle_dispenses(
        plans, orders, visits, zone_of(rec.patient), today, changed, written
    )


def _questionnaires(rec: Record) -> list[dict[str, Any]]:
    # Each version a response was filed under (the one its canonical names), so every response's
    # Questionnaire is in the Bundle; a version Keel never served points at the current one.
    pairs = list(dict.fromkeys(_answered(a) for a in rec.assessments()))
    return [instrument_fhir.questionnaire(code, rec.base, version) for code, version in pairs]


def _answered(a: Assessment) -> tuple[str, str | None]:
    known = a.instrument_version in registry.versions(a.instrument)
    return a.instrument, a.instrument_version if known else None


def _consents(rec: Record) -> list[dict[str, Any]]:
    """The person's consents; none for a clinician who reaches the record only through emergency access (the
    scoped getter's `keel_off_team`; review 19b: whom a person let her records go to is no part of treating an
    emergency, as the sharing page and API refuse it). A release under a consent carries those naming its
    recipient, never her consents to others (`sharing.carried`, review 32b H1); the care team's own views and
    her own record show every one."""
    if getattr(rec.patient, "keel_off_team", False):
        return []
    rows = (
        Consent.objects.filter(patient=rec.patient).select_related("revocation").order_by("signed_at", "id")
    )
    today = local_today(rec.patient, rec.now)
    deceased = death_recorded(rec.patient.pk)
    out = []
    for c in (c for c in rows if carries_consent_to(c.recipient_name)):
        revocation = getattr(c, "revocation", None)
        revoked_at = revocation.revoked_at if revocation is not None else None
        zone = zone_of(rec.patient)
        out.append(r.consent(c, revoked_at=revoked_at, today=today, zone=zone, deceased=deceased))
    return out


def _provenance(rec: Record) -> list[dict[str, Any]]:
    rows = (
        ImportedResponse.objects.filter(assessment__patient=rec.patient)
        .select_related("received_by", "assessment")
        .order_by("received_at", "id")
    )
    return [r.provenance(imp, rec.patient) for imp in rows]


def _practitioners(rec: Record) -> list[dict[str, Any]]:
    named = r.practitioner_ids([res for t in PATIENT_TYPES if t != "Practitioner" for res in rec.of_type(t)])
    users = User.objects.in_bulk(named)
    return [r.practitioner(users[pk]) for pk in named if pk in users]


BUILDERS: dict[str, Callable[[Record], list[dict[str, Any]]]] = {
    "Patient": _patient,
    "Organization": _organization,
    "EpisodeOfCare": _episodes,
    "Condition": _conditions,
    "MedicationRequest": _orders,
    "MedicationAdministration": _doses,
    "MedicationDispense": _dispenses,
    "QuestionnaireResponse": _responses,
    "Observation": _observations,
    "Questionnaire": _questionnaires,
    "Consent": _consents,
    "Provenance": _provenance,
    "Practitioner": _practitioners,
}


def record_bundle(
    patient: Patient, areas: frozenset[Area], now: datetime, base: Base, *, own: bool = False
) -> dict[str, Any]:
    """The record as a FHIR R4 collection Bundle, limited to `areas` (identity is always in); `own`: the
    person's own copy (`Record.own`)."""
    return collection(base, Record(patient, areas, base, now, own=own).everything(), now)


def assessment_bundle(a: Assessment, base: Base, now: datetime) -> dict[str, Any]:
    """One assessment with everything its references name: the Questionnaire, the patient (identity only:
    name and program, never a protected field; minimum necessary, review 33b), the staff. `a.patient` is the
    scoped row (`assessments.queries.get_assessment`): its Provenance as `sharing.carried.sender_named`
    says."""
    imported = getattr(a, "imported_from", None) is not None
    own: list[dict[str, Any]] = instrument_fhir.resources(a, base, imported=imported)
    code, version = _answered(a)
    own.append(instrument_fhir.questionnaire(code, base, version))
    if imported:
        own.append(r.provenance(a.imported_from, a.patient))
    own.append(r.patient(a.patient, frozenset({Area.IDENTITY})))
    own.append(r.organization(a.patient.program))
    staff = User.objects.in_bulk(r.practitioner_ids(own))
    own += [r.practitioner(u) for u in staff.values()]
    return collection(base, own, now)


def labelled_all(resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    from keel.interop.fhir.base import labelled

    return [labelled(x) for x in resources]
