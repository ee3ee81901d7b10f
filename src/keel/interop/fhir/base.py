"""What every FHIR R4 resource Keel sends has in common: the code systems it names, the Part 2 security labels
on each resource, references that resolve, and Bundles whose entries carry full URLs of Keel's FHIR endpoint.

Sources (ids in `keel.core.sources`): `fhir-r4` (resources, Bundle reference resolution: a relative reference
is resolved against the base of the fullUrl of the entry that holds it), `hl7-v3-actcode-42cfrpart2` (the
security label `42CFRPart2` in `http://terminology.hl7.org/CodeSystem/v3-ActCode`) and
`hl7-v3-confidentiality` (`R`, restricted), both applied to each resource as well as to the Bundle
(`shift-demo-oud`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel.core import sharing

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# Keel's own identifier and code systems (not resolvable addresses: names only).
KEEL = "https://keel.invalid/fhir"
RECORD_NUMBER_SYSTEM = f"{KEEL}/record-number"
STAFF_SYSTEM = f"{KEEL}/staff"
NOTICE_TAG = f"{KEEL}/notice"

SECURITY = (
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
)


def labelled(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with the Part 2 security label and restricted confidentiality in `meta.security`."""
    meta = dict(resource.get("meta") or {})
    have = {(s.get("system"), s.get("code")) for s in meta.get("security", [])}
    meta["security"] = [
        *meta.get("security", []),
        *(dict(s) for s in SECURITY if (s["system"], s["code"]) not in have),
    ]
    return {**resource, "meta": meta}


def ref(resource_type: str, resource_id: int | str, display: str = "") -> dict[str, str]:
    """A relative reference (`Patient/12`): it resolves against the base of the entry's full URL."""
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def narrative(text: str) -> dict[str, str]:
    """A plain-text narrative, escaped, in the XHTML div FHIR requires."""
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(text)}</div>',
    }


def instant(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def last_updated(resource: dict[str, Any], *times: datetime | None) -> dict[str, Any]:
    """The resource with `meta.lastUpdated` (session 24): the latest of `times`, the instants the rows it is
    made of last changed, read from those rows' own timestamps (never the time of the export, so a bundle
    exported twice is the same), as an R4 instant (seconds and a time zone; the time zone the row gives,
    UTC from the database). A time without a zone is refused: an R4 instant must say one."""
    known = [t for t in times if t is not None]
    if not known:
        raise ValueError("meta.lastUpdated needs at least one time the record changed")
    if any(t.tzinfo is None or t.utcoffset() is None for t in known):
        raise ValueError("meta.lastUpdated needs a time with its time zone")
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k != "lastUpdated"}
    return {**resource, "meta": {"lastUpdated": instant(max(known)), **meta}}


@dataclass(frozen=True)
class Base:
    """Keel's FHIR endpoint (`https://host/fhir/R4/`): every entry's full URL starts with it."""

    url: str

    def full_url(self, resource: dict[str, Any]) -> str:
        return f"{self.url}{resource['resourceType']}/{resource['id']}"


def entries(base: Base, resources: Iterable[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [{"fullUrl": base.full_url(r), "resource": labelled(r), **extra} for r in resources]


def with_entries(bundle: dict[str, Any], found: list[dict[str, Any]]) -> dict[str, Any]:
    """`bundle` with its `entry`, or none when nothing was found: FHIR JSON has no empty arrays (an element
    is absent or has content), and strict parsers reject `"entry": []` (review 22f)."""
    if found:
        bundle["entry"] = found
    return bundle


def part2_meta() -> dict[str, Any]:
    """The Bundle's own labels, and the 2.32 notice as a tag."""
    return {
        "security": [dict(s) for s in SECURITY],
        "tag": [{"system": NOTICE_TAG, "code": "part2-notice", "display": sharing.NOTICE}],
    }


SCOPE_CODE = "consent-scope"


def with_terms(document: dict[str, Any], notice: str, scope: str) -> dict[str, Any]:
    """A resource or Bundle released to another system, carrying what every disclosure carries (SECURITY.md,
    42 CFR 2.32): the re-disclosure notice and the consent's scope ("sent with each disclosure",
    `keel.core.sharing.scope`; none for the patient's own request), as tags in its `meta`, beside the Part 2
    labels. The one carrier of a FHIR release (`release_record`'s `carry`): a read's resource, a search's and
    `$everything`'s Bundle and its next pages, the staff export's file (review 22f: a read carried neither,
    a search only the notice)."""
    meta = dict(document.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if t.get("system") != NOTICE_TAG]
    tags.append({"system": NOTICE_TAG, "code": "part2-notice", "display": notice})
    if scope:
        tags.append({"system": NOTICE_TAG, "code": SCOPE_CODE, "display": scope})
    return {**document, "meta": {**meta, "tag": tags}}


def collection(base: Base, resources: Iterable[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """A collection Bundle: each resource labelled, each entry under Keel's endpoint."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(now),
        "meta": part2_meta(),
    }
    return with_entries(bundle, entries(base, resources))
