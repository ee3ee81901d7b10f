"""The caseload order (journey 6): tiers from flag priority, missed observed doses and silence, and the
order inside a tier."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from keel.core.rules.caseload import MISSED_DAYS, SILENT_DAYS, OpenFlag, Signals, rank, rank_key

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def flag(kind: str, priority: int, when: datetime = T0) -> OpenFlag:
    return OpenFlag(kind, kind.replace("_", " ").capitalize(), priority, when)


def test_no_signal_is_the_last_tier() -> None:
    r = rank(Signals())
    assert (r.tier, r.tier_code, r.reasons) == (4, "none", ())


def test_flag_priority_sets_the_tier() -> None:
    assert rank(Signals((flag("suicide_risk", 0),))).tier_code == "now"
    assert rank(Signals((flag("reported_use", 1),))).tier_code == "today"
    assert rank(Signals((flag("rising_craving", 2),))).tier_code == "soon"
    assert rank(Signals((flag("silence", 3),))).tier_code == "this_week"
    assert rank(Signals((flag("odd", 9),))).tier == 3  # a lower priority never falls off the list
    both = rank(Signals((flag("rising_craving", 2), flag("suicide_risk", 0))))
    assert both.tier == 0
    assert [r.text for r in both.reasons] == [
        "Suicide risk (open flag)",
        "Rising craving (open flag)",
    ]
    assert all(r.sources == ("keel-caseload",) for r in both.reasons)


def test_missed_observed_doses_from_two_days() -> None:
    assert rank(Signals(missed_dose_days=MISSED_DAYS - 1)).tier == 4
    r = rank(Signals(missed_dose_days=MISSED_DAYS))
    assert r.tier_code == "soon"
    assert r.reasons[0].text == "No observed dose for 2 days in a row"
    assert rank(Signals(missed_dose_days=None)).tier == 4


def test_silence_from_a_week() -> None:
    assert rank(Signals(days_since_checkin=SILENT_DAYS - 1)).tier == 4
    r = rank(Signals(days_since_checkin=9))
    assert r.tier_code == "this_week"
    assert r.reasons[0].text == "No check-in for 9 days"
    assert rank(Signals(days_since_checkin=None)).tier == 4  # never checked in: no silence to notice
    assert rank(Signals(days_since_checkin=20), silent_days=30).tier == 4
    # An open silence flag and the week without a check-in are said once, with the days.
    both = rank(Signals((flag("silence", 3),), days_since_checkin=9))
    assert [r.text for r in both.reasons] == ["No check-in for 9 days"]
    assert both.tier == 3
    assert [r.text for r in rank(Signals((flag("silence", 3),), days_since_checkin=4)).reasons] == [
        "Silence (open flag)"
    ]


def test_order_inside_a_tier() -> None:
    one = rank(Signals((flag("reported_use", 1),)))
    two = rank(Signals((flag("reported_use", 1),), missed_dose_days=3))
    older = rank(Signals((flag("contact_request", 1, T0),)))
    newer = rank(Signals((flag("contact_request", 1, T1),)))
    assert two.key < one.key  # more signals first
    assert older.key < newer.key  # then the oldest flag
    assert rank(Signals(missed_dose_days=5)).key < rank(Signals(missed_dose_days=3)).key
    assert rank(Signals(days_since_checkin=12)).key < rank(Signals(days_since_checkin=8)).key


@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=4),
    st.one_of(st.none(), st.integers(0, 30)),
    st.one_of(st.none(), st.integers(0, 60)),
)
def test_a_stronger_signal_never_moves_someone_down(
    flags: list[tuple[int, bool]], missed: int | None, silent: int | None
) -> None:
    base = Signals(
        tuple(flag(f"k{i}", p, T0 if old else T1) for i, (p, old) in enumerate(flags)), missed, silent
    )
    worse = Signals((*base.flags, flag("suicide_risk", 0)), missed, silent)
    assert rank(worse).tier == 0
    assert rank(worse).key <= rank(base).key
    assert len(rank(base).reasons) == len(flags) + (missed is not None and missed >= 2) + (
        silent is not None and silent >= 7
    )  # (no flag here is a silence flag)


@given(
    st.lists(
        st.tuples(st.sampled_from(("silence", "reported_use", "odd")), st.integers(-1, 9), st.booleans()),
        max_size=4,
    ),
    st.one_of(st.none(), st.integers(0, 30)),
    st.one_of(st.none(), st.integers(0, 60)),
)
def test_the_key_alone_is_the_ranks_key(
    flags: list[tuple[str, int, bool]], missed: int | None, silent: int | None
) -> None:
    """`rank_key` (the caseload's ranking pass, issue #21) is `rank(...).key`: one rule, two outputs."""
    signals = Signals(tuple(flag(k, p, T0 if old else T1) for k, p, old in flags), missed, silent)
    assert rank_key(signals) == rank(signals).key
    assert rank_key(signals, missed_days=5, silent_days=3) == rank(signals, missed_days=5, silent_days=3).key
