"""API: the clinical rules (stateless, for staff, run with the caller's program policy, which a request may
only tighten), program policy, and the medication records under /patients/{id}/ (policy and audit).

One router (`common.router`), one module per subdomain. A module registers its routes when it is imported,
so the order of `ROUTE_MODULES` is the order of the routes in the URLconf and in the OpenAPI document."""

from __future__ import annotations

from importlib import import_module

from keel.treatment.api.common import router

ROUTE_MODULES = (
    "rules",
    "policy",
    "orders",
    "doses",
    "take_homes",
    "qtc",
    "window",
    "start",
    "fills",
    "care_plan",
    "naltrexone",
    "home_start",
    "patient_policy",
)

for _module in ROUTE_MODULES:
    import_module(f"{__name__}.{_module}")

__all__ = ["router"]
