"""The treatment API's naloxone kits and care-plan goals (the person's own care plan too), with their
bodies."""

from __future__ import annotations

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
    responsible: str
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
