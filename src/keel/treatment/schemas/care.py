"""The treatment API's naloxone kits and care-plan goals (the person's own care plan too), with their
bodies."""

from __future__ import annotations

from pydantic import Field

from keel.schemas import In, Out


class NaloxoneKitOut(Out):
    product: str
    dispensed_on: str  # ISO date


class NaloxoneKitSavedOut(Out):
    id: int
    product: str
    dispensed_on: str  # ISO date


class CareGoalLineOut(Out):
    area: str
    goal: str
    responsible: str = Field(
        description="who is responsible: the staff member's username on the care team's routes (kept for "
        "integrators); on the person's own care plan (`/me/care-plan`), their readable name, never a username"
    )
    responsible_name: str = Field(
        description="who is responsible, as a person reads it: the staff member's full name, else their role "
        '("Nurse (no name on file)"), in the request\'s language; never a username (lane words33)'
    )
    review_on: str  # ISO date


class CareGoalSavedOut(Out):
    id: int
    area: str
    goal: str
    review_on: str  # ISO date


class MyCarePlanOut(Out):
    goals: list[CareGoalLineOut]
    naloxone_kits: list[str]  # ISO dates dispensed


class GoalIn(In):
    area: str
    goal: str
    responsible_id: int
    review_on: str


class KitIn(In):
    product: str
    quantity: int = 1
