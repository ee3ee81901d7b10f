"""Lane priv34: `interop/0002` (a response filed once per sender system and id) on a database where a
response was filed twice before lane fix33f. Migrated back to 0001 with Django's migration executor, the
duplicates written, forward again: a plain error naming the command, nothing changed; the command lists
them read-only, `--resolve` keeps the first filing, marks each later one about the same person entered in
error through the assessment correction service, moves its sender id off the rule (kept on the filing,
audited); forward again: the rule is in place. Bad input: a message and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from keel.assessments.models import Assessment, AssessmentCorrection
from keel.audit.models import AuditEvent
from keel.interop.duplicates import MOVED_OFF
from keel.interop.models import ImportedResponse
from tests.conftest import World, sign_in
from tests.review33b._setup import COURT, court_phq9

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("interop", "0001_imported_response")]


def _migrate(to: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(to)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def at_0001() -> Iterator[None]:
    """Fix34b: the filing is made at the latest migration (its program is a column since interop/0003);
    `_again` takes the database back to 0001 and writes the second filing with 0001's model."""
    try:
        yield
    finally:  # the rule back for the next tests: ids emptied here, the rows flushed after the test anyway
        ImportedResponse.objects.update(sender_id="")
        _migrate(_latest())


def _row(pk: int) -> ImportedResponse:
    """A filing read on a database at 0001 as at the latest migration (no `program` column at 0001)."""
    return ImportedResponse.objects.defer("program").get(pk=pk)


def _again(
    first: ImportedResponse, patient: Any = None, minutes: int = 5, back: bool = True
) -> ImportedResponse:
    """A second filing of `first` as the code before lane fix33f left it: its own assessment, the same
    sender system and id; `back`: written at interop/0001 with its model (the database taken there)."""
    a = Assessment.objects.get(pk=first.assessment_id)
    a.pk = None
    if patient is not None:
        a.patient = patient
    a.save()
    if back:
        _migrate(BEFORE)
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    model = state.apps.get_model("interop", "ImportedResponse") if back else ImportedResponse
    copy = model.objects.get(pk=first.pk)
    copy.pk = None
    copy.assessment_id = a.pk
    copy.received_at = first.received_at + timedelta(minutes=minutes)
    copy.save()
    return _row(copy.pk)


def _filed(world: World) -> ImportedResponse:
    answer = court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    assert answer.status_code == 201
    return ImportedResponse.objects.get()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("interop", "duplicate-imports", *args, stdout=out)
    return out.getvalue()


def test_forward_with_duplicates_stops_naming_the_command(world: World, at_0001: None) -> None:
    later = _again(_filed(world))
    with pytest.raises(CommandError) as raised:
        _migrate(_latest())
    assert "keel interop duplicate-imports" in str(raised.value)
    assert _row(later.pk).sender_id == "DC-QR-77"
    assert not AssessmentCorrection.objects.exists()


def test_the_listing_changes_nothing_and_names_no_answers(world: World, at_0001: None) -> None:
    first = _filed(world)
    later = _again(first)
    said = _run()
    assert f"From {COURT}, id DC-QR-77: 2 filings" in said
    assert f"kept (first): imported response {first.pk}" in said
    assert f"later: imported response {later.pk}" in said
    assert "stands; same person; same answers" in said
    assert "Alicia" not in said and "Zamorano" not in said and "case manager" not in said
    assert ImportedResponse.objects.defer("program").filter(sender_id="DC-QR-77").count() == 2
    assert not AssessmentCorrection.objects.exists()


def test_resolve_then_forward_passes(world: World, at_0001: None) -> None:
    first = _filed(world)
    later = _again(first)
    said = _run("--resolve", "--by", world.staff["counselor"].username)
    assert "1 marked entered in error" in said
    fix = AssessmentCorrection.objects.get()
    assert (fix.assessment_id, fix.entered_in_error) == (later.assessment_id, True)
    assert fix.reason == f"duplicate filing from {COURT}"
    moved = _row(later.pk)
    assert (moved.sender_system, moved.sender_id, moved.sender_id_as_sent) == (COURT, "", "DC-QR-77")
    kept = _row(first.pk)
    assert (kept.sender_id, kept.notes) == ("DC-QR-77", first.notes)
    row = AuditEvent.objects.get(reason=MOVED_OFF)
    assert (row.target_type, row.target_id, row.detail["kept"]) == (
        "imported_response",
        str(later.pk),
        first.pk,
    )
    assert "DC-QR-77" not in str(row.detail) and COURT not in str(row.detail)
    _migrate(_latest())
    with pytest.raises(IntegrityError), transaction.atomic():
        _again(first, back=False)


def test_a_later_filing_about_another_person_is_not_struck(world: World, at_0001: None) -> None:
    first = _filed(world)
    other = _again(first, patient=world.bob)
    assert "ANOTHER PERSON" in _run()
    with pytest.raises(CommandError) as left:  # the counselor does not reach Bob: the set is left whole
        _run("--resolve", "--by", world.staff["counselor"].username)
    assert left.value.returncode == 1
    assert _row(other.pk).sender_id == "DC-QR-77"
    assert not AssessmentCorrection.objects.exists()


def test_a_later_filing_already_struck_is_only_moved_off(world: World, at_0001: None) -> None:
    from keel.assessments.services import correct_assessment

    first = _filed(world)
    later = _again(first)
    counselor = world.staff["counselor"]
    correct_assessment(
        by=counselor,
        patient_id=world.alice.pk,
        assessment_id=later.assessment_id,
        entered_in_error=True,
        reason="filed twice by the feed, struck by hand",
    )
    assert "entered in error" in _run()
    _run("--resolve", "--by", counselor.username)
    assert AssessmentCorrection.objects.count() == 1
    assert _row(later.pk).sender_id == ""
    _migrate(_latest())


def test_nothing_to_resolve_says_so(world: World, at_0001: None) -> None:
    _filed(world)
    assert "No response from another system was filed more than once." in _run()
    _migrate(_latest())


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--resolve"], "--by"),
        (["--by", "someone"], "--by"),
        (["--resolve", "--by", "nobody-here"], "--by"),
    ],
)
def test_bad_input_names_its_option_and_exits_2(world: World, args: list[str], named: str) -> None:
    with pytest.raises(CommandError) as bad:
        _run(*args)
    assert (bad.value.returncode, named in str(bad.value)) == (2, True)
