"""SECURITY.md T3, the importers: any document a feed can hold is imported or refused with a reason, never a
crash. The parsers (keel.core.directory.feeds) get generated JSON and CSV, both free-form and shaped like
their formats with wrong values in every field; each answer is a `Parsed` (records plus named rejections) or
`NotAFeed`. No database: these run in the core's seconds."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.core.directory.feeds import (
    FACILITY_COLUMNS,
    NotAFeed,
    Parsed,
    parse_bmlt,
    parse_facility_csv,
    parse_meeting_guide,
)
from tests.fuzz import fuzz_settings

FUZZ = fuzz_settings(300)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "19:30", "7:30 PM", "25:61", "24:00", "America/New_York", "Mars/Olympus", "1", "7"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
MEETING_GUIDE_KEYS = [
    "name", "slug", "day", "time", "end_time", "timezone", "latitude", "longitude", "types", "conference_url",
    "conference_phone", "approximate", "location", "address", "city", "state", "postal_code", "country",
    "conference_url_notes", "notes", "updated",
]  # fmt: skip
BMLT_KEYS = [
    "meeting_name", "id_bigint", "weekday_tinyint", "start_time", "duration_time", "time_zone", "latitude",
    "longitude", "formats", "location_text", "location_street", "location_municipality", "comments",
]  # fmt: skip


def _shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A record with some of the format's own keys, each holding any JSON value."""
    return st.dictionaries(st.sampled_from(keys), JSON, max_size=len(keys))


def _answers(parse: Any, document: Any) -> None:
    try:
        parsed = parse(document)
    except NotAFeed as refused:
        assert str(refused)
        return
    assert isinstance(parsed, Parsed)
    assert all(r.reason for r in parsed.rejections)


@FUZZ
@given(
    st.one_of(JSON, st.lists(_shaped(MEETING_GUIDE_KEYS), max_size=6)),
    st.sampled_from([None, "America/Chicago"]),
)
def test_any_meeting_guide_document_is_imported_or_refused(document: Any, default_tz: str | None) -> None:
    _answers(lambda d: parse_meeting_guide(d, default_tz=default_tz), document)


@FUZZ
@given(
    st.one_of(
        JSON,
        st.lists(_shaped(BMLT_KEYS), max_size=6),
        st.fixed_dictionaries({"meetings": st.lists(_shaped(BMLT_KEYS), max_size=6)}),
    ),
    st.sampled_from([None, "America/Denver"]),
)
def test_any_bmlt_document_is_imported_or_refused(document: Any, default_tz: str | None) -> None:
    _answers(lambda d: parse_bmlt(d, default_tz=default_tz), document)


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


CELL = st.one_of(
    st.text(max_size=20), st.sampled_from(["", "x", "-91", "181", "2026-13-01", "op;ip", "zz", "0"])
)


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(FACILITY_COLUMNS), min_size=1, unique=True).flatmap(
            lambda columns: st.lists(st.fixed_dictionaries({c: CELL for c in columns}), max_size=5).map(
                lambda rows: _csv(rows, columns)
            )
        ),
    )
)
def test_any_facility_csv_is_imported_or_refused(text: str) -> None:
    _answers(parse_facility_csv, text)


@pytest.mark.parametrize("weekday", [float("inf"), float("nan"), 2.5, 2.0, True, "2.0", "", None, [2]])
def test_a_weekday_that_is_no_whole_number_is_refused_not_truncated(weekday: object) -> None:
    """Hypothesis found `inf` crashing `int()`; a float is never truncated into a day either."""
    meeting = {"meeting_name": "Hope", "id_bigint": "1", "weekday_tinyint": weekday, "start_time": "19:30:00"}
    parsed = parse_bmlt([meeting], default_tz="America/New_York")
    assert [r.reason for r in parsed.rejections] == [f"bad weekday_tinyint {weekday!r}: use 1 (Sunday) to 7"]
