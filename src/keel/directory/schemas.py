"""What the public directory API sends (and `keel meetings --json` prints): meetings and treatment facilities
found near a place. Times are local to the meeting (HH:MM), dates and instants ISO text, as always."""

from __future__ import annotations

from pydantic import BaseModel


class MeetingTypeOut(BaseModel):
    code: str  # as the feed spells it (Meeting Guide or BMLT)
    label: str  # in the reader's language, else English, else the code


class MeetingOut(BaseModel):
    id: int
    name: str
    fellowship: str
    attendance: str  # in_person | online | hybrid
    days: list[int]  # 0 = Sunday
    start_time: str  # HH:MM local to the meeting
    end_time: str | None
    time_zone: str
    next_start: str | None  # ISO datetime
    distance_km: float | None  # None: online only
    location_name: str
    address: str
    city: str
    region: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    conference_url: str
    conference_phone: str
    types: list[MeetingTypeOut]
    languages: list[str]
    notes: str
    directions_url: str  # "" for online meetings and meetings without a position
    source: str
    source_id: str


class FacilityOut(BaseModel):
    id: int
    name: str
    distance_km: float
    address: str
    city: str
    region: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    position_approximate: bool  # placed at its ZIP code's center (SAMHSA's list), not at its door
    phone: str
    website: str
    services: list[str]
    payments: list[str]
    languages: list[str]
    data_as_of: str | None  # ISO date
    directions_url: str
