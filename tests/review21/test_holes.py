"""Review 21 (issues #21 and #17): attacks that FAIL -- holes found in this round's work.

Each test's docstring says the ordinary scenario and what should happen; these tests are expected to
fail until the code is fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import translation

from keel.careteam import queries as cq
from keel.careteam.queries.head import _Head
from keel.directory.queries import MeetingSearch
from keel.measures.queries import day_runs
from keel.web.audit_words import reason_words
from tests.review21._caseload import NOW, amend, build, dose, order, person
from tests.review21._directory import fast_online, meeting, plain_online

pytestmark = pytest.mark.django_db


def _slow(user, monkeypatch, now, status=None):
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 10**9)
    rows = list(cq.caseload(user, now=now, status=status))
    return rows


def _fast(user, monkeypatch, now, status=None, batch=1):
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 0)
    monkeypatch.setattr("keel.careteam.queries.head.HEAD_BATCH", batch)
    return cq.caseload(user, now=now, status=status)


@pytest.fixture
def spanish():
    translation.activate("es")
    yield
    translation.activate("en")


def test_case_flag_raised_while_page_is_built(world, monkeypatch):
    """A nurse opens a caseload page that reaches past the signalled people, while the early-warning
    job raises a flag for someone who had no signal: it lands after the head was ranked and before the
    others are read (the moment is pinned by raising the flag as `_Head.first` returns). The audited
    person must still be on the page (at their old place or, flagged, near the top), never dropped:
    here they fall between the head (read before) and the others (read after, without them)."""
    from keel.audit.models import AuditEvent
    from keel.patients.models import Patient
    from tests.review21._caseload import flag

    build(world, count=20)
    nurse = world.staff["nurse"]
    full = _slow(nurse, monkeypatch, NOW)
    fast = _fast(nurse, monkeypatch, NOW, batch=64)  # the list read and audited, the head's bounds read
    audited = (
        AuditEvent.objects.filter(target_type="patient_list").order_by("-id").first().detail["patient_ids"]
    )
    head = len(fast._head)
    in_head = {pk for _, _, pk in fast._head._bounds}
    assert 0 < head < len(full)
    assert full[head - 1].tier == "none"  # the page reaches past the signalled people
    # someone on this page (the first `head` places) who was not in the head: no signal when the list was read
    outside = [r.id for r in full[:head] if r.id not in in_head]
    assert outside
    original = _Head.first
    raised = []

    def first_then_flag(self, stop):
        got = original(self, stop)
        if not raised:
            raised.append(flag(Patient.objects.get(pk=outside[-1]), "reported_use", 1, NOW, 99999))
        return got

    monkeypatch.setattr(_Head, "first", first_then_flag)
    rows = fast[0:head]  # one page, as the paginator slices it
    assert raised
    # before the flag they were on this page at their place; after it, near the top: on the page either way
    assert outside[-1] in [r.id for r in rows]
    assert outside[-1] in audited


def test_dir_started_half_hour_ago_hides_next(db):
    """A visitor asks for the one online meeting starting soonest (limit=1) at 10:00 on a
    Wednesday in New York. A weekly meeting began at 09:30 (under way; next week's is its next start)
    and another begins at 10:30. The plain scan answers the 10:30 meeting; the search must too."""
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 EST
    meeting("Already going", time(9, 30), (3,))
    meeting("Soon", time(10, 30), (3,))
    search = MeetingSearch(limit=1)
    assert plain_online(search, now)[0][0] == "Soon"
    assert fast_online(search, now) == plain_online(search, now)


def test_dir_same_start_ties_by_name(db):
    """Two online meetings start at the same minute; with limit=1 the plain order (start, then name) picks
    'Alpha'. The search must not pick whichever the index reads first ('Zeta', made first)."""
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    meeting("Zeta", time(11, 0), (3,))
    meeting("Alpha", time(11, 0), (3,))
    search = MeetingSearch(limit=1)
    assert fast_online(search, now) == plain_online(search, now)


def test_aw_denied_read_not_said_as_viewed(spanish):
    """An auditor reads a refused attempt (a nurse asked for a record outside her scope: stored reason
    'read clinical: outside scope or missing'). The words must not say the record was viewed ('consultó'):
    it was refused."""
    said = reason_words("read clinical: outside scope or missing")
    assert "consultó" not in said


def test_aw_denied_update_not_said_as_changed(spanish):
    """A refused change ('update clinical: outside scope or missing') must not read as 'cambió' (changed)."""
    said = reason_words("update clinical: outside scope or missing")
    assert "cambió" not in said


def test_dir_limit_zero_is_refused(db, client):
    """A script asks the public meetings API for limit=0: a bad value, so 422 naming `limit` (as limit=-1 and
    limit=201 are), not a silent default of 50 results."""
    r = client.get("/api/v1/meetings?limit=0")
    assert r.status_code == 422, (r.status_code, r.content[:200])
    assert "limit" in [e["field"] for e in r.json()["errors"]]


def _plain_runs(doses):
    days = {}
    for pk, d in doses.values_list("patient_id", "local_date"):
        days.setdefault(pk, set()).add(d)
    runs = []
    for pk, ds in days.items():
        ordered = sorted(ds)
        first = prev = ordered[0]
        for d in ordered[1:]:
            if d == prev + timedelta(days=1):
                prev = d
                continue
            runs.append((pk, first, prev))
            first = prev = d
        runs.append((pk, first, prev))
    return sorted(runs)


@pytest.mark.parametrize(
    "days",
    [
        [date(1899, 12, 31), date(1900, 1, 1), date(1900, 1, 3)],  # a day before the scheme's epoch
        [date(1, 1, 1), date(1, 1, 2)],  # the first day a date can hold
    ],
)
def test_meas_dose_dates_before_1900(world, days):
    """A dose row dated before 1900-01-01 (a clock or import error; nothing refuses it: DoseRecord.local_date
    has no lower bound): `day_runs` must give the rows' runs, or the report must refuse the date, never drop
    or move days silently."""
    from keel.treatment.models import DoseRecord

    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    p = person(world.riverside, 800, "Old", "Date")
    o = order(p, prescriber)
    for d in days:
        dose(p, o, d, nurse)
    doses = DoseRecord.objects.filter(patient=p)
    assert sorted(day_runs(doses)) == _plain_runs(doses)


def test_case_flag_resolved_while_page_is_built(world, monkeypatch):
    """A nurse opens a caseload page that reaches past the signalled people, while a prescriber resolves the
    only flag of someone in the head (between the head's ranking and the others' read: pinned by resolving
    it as `_Head.first` returns). Every audited person must be in the list the page is cut from exactly
    once; here the person is both in the head (read before) and among the others (read after)."""
    from django.utils import timezone

    from keel.audit.models import AuditEvent
    from keel.patients.models import PatientFlag
    from tests.review21._caseload import flag

    build(world, count=20)
    nurse = world.staff["nurse"]
    y = person(world.riverside, 950, "Aaron", "Aardvark", team=(nurse,))
    only = flag(y, "reported_use", 1, NOW, 88888)
    fast = _fast(nurse, monkeypatch, NOW, batch=64)
    audited = (
        AuditEvent.objects.filter(target_type="patient_list").order_by("-id").first().detail["patient_ids"]
    )
    head = len(fast._head)
    original = _Head.first
    done = []

    def first_then_resolve(self, stop):
        got = original(self, stop)
        if not done:
            PatientFlag.objects.filter(pk=only.pk).update(
                resolved_at=timezone.now(), resolution_note="called"
            )
            done.append(True)
        return got

    monkeypatch.setattr(_Head, "first", first_then_resolve)
    page = fast[0:head]  # one page, as the paginator slices it
    assert done
    assert page
    shown = [r.id for r in fast]  # the list that page was cut from (kept: no statement runs again)
    assert len(shown) == len(set(shown))
    assert sorted(shown) == sorted(audited)


def test_case_tied_flags_said_in_one_order(world, monkeypatch):
    """A person has three open flags of the same priority raised at the same instant (one early-warning run).
    The caseload's first page (the head) and the full ranking must say the reasons in the same order: the
    page, the API and a reload must not reorder why someone is at the top. (Fails on PostgreSQL; SQLite's
    plans happen to read the flags in one order.)"""
    from tests.review21._caseload import flag

    nurse = world.staff["nurse"]
    build(world, count=30)
    p = person(world.riverside, 960, "Tie", "Flags", team=(nurse,))
    for k, kind in enumerate(["silence", "reported_use", "suicide_risk", "rising_craving"]):
        flag(p, kind, 1, NOW, 77770 + k)
    full = next(r for r in _slow(nurse, monkeypatch, NOW) if r.id == p.pk)
    fast = _fast(nurse, monkeypatch, NOW, batch=1)
    first = next(r for r in fast[0:10] if r.id == p.pk)
    assert [r["text"] for r in first.reasons] == [r["text"] for r in full.reasons]


@pytest.mark.parametrize(
    "case",
    ["voided_then_corrected_back", "held_then_corrected_by_prescriber", "given_then_corrected_to_zero"],
)
def test_meas_dose_days_follow_the_latest_amendment(world, case):
    """Five daily methadone doses; the third is amended (through `amend_dose`'s rules: a nurse may void and
    correct again, a prescriber may correct a held dose into a given one). The measures' covered days must
    follow the dose's latest amendment, as the dosing window, the caseload and the timeline do
    (`effective_mg`, `taken_doses`): voided-then-corrected-to-45 mg and held-then-given are dosed days (one
    run of five), a dose corrected to 0 mg is not (two runs)."""
    from keel.measures.queries import _people

    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    p = person(world.riverside, 970, "Amy", "Amend")
    o = order(p, prescriber)
    first = date(2026, 3, 2)
    recs = []
    for k in range(5):
        held = case == "held_then_corrected_by_prescriber" and k == 2
        recs.append(dose(p, o, first + timedelta(days=k), nurse, status="held" if held else "given"))
    third = recs[2]
    at = datetime(2026, 3, 4, 20, tzinfo=UTC)
    if case == "voided_then_corrected_back":
        amend(third, nurse, voided=True, at=at)
        amend(third, nurse, mg="45", at=at + timedelta(minutes=5))
        want = [(first, first + timedelta(days=4))]
    elif case == "held_then_corrected_by_prescriber":
        amend(third, prescriber, mg="30", at=at)
        want = [(first, first + timedelta(days=4))]
    else:
        amend(third, nurse, mg="0", at=at)
        want = [(first, first + timedelta(days=1)), (first + timedelta(days=3), first + timedelta(days=4))]
    person_of = next(x for x in _people(world.riverside, date(2026, 6, 1)) if x.key == p.pk)
    got = sorted((s.start, s.end) for s in person_of.coverage)
    assert got == want


def test_dir_default_search_hides_meetings_after_fifty_under_way(db):
    """The same at the default page size (50): a busy directory has 50 New York online meetings that began in
    the last hour (weekly, so their next starts are a week away) and one that begins in 30 minutes. The
    default search (within a day) must list the one that begins in 30 minutes, as the plain scan does."""
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 EST
    for k in range(50):
        meeting(f"Under way {k:02d}", time(9, 5 + k), (3,))
    meeting("Soon", time(10, 30), (3,))
    search = MeetingSearch()
    assert plain_online(search, now)[0][0] == "Soon"
    assert "Soon" in [name for name, _ in fast_online(search, now)]
