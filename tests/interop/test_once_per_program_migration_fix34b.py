"""Lane fix34b (review 34b H5): `interop/0003` makes "filed once" per program, with Django's migration
executor: from 0001 with copies in two programs (migrates; each filing gets its person's program), from 0001
with a second filing in one program (the plain message; the command lists that set alone; resolved; migrates),
and from a database where the old `0002` made its rule across programs (its index dropped, the per-program one
made)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from keel.assessments.models import Assessment
from keel.interop.models import ImportedResponse
from keel.patients.models import CareTeamMember
from tests.conftest import World, _make_patient, sign_in
from tests.review33b._setup import court_phq9

pytestmark = pytest.mark.django_db(transaction=True)
AT_0001 = ("interop", "0001_imported_response")
AT_0002 = ("interop", "0002_imported_response_once_per_sender_fix33f")
OLD, NEW = "imported_response_once_per_sender_id", "imported_response_once_per_program"


def _migrate(to: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(to)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _model(at: tuple[str, str]) -> Any:
    return (
        MigrationExecutor(connection).loader.project_state(at).apps.get_model("interop", "ImportedResponse")
    )


def _rules() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, ImportedResponse._meta.db_table))


@pytest.fixture
def back_after() -> Iterator[None]:
    try:
        yield
    finally:
        ImportedResponse.objects.update(sender_id="")
        _migrate(_latest())


def _filed(world: World) -> ImportedResponse:
    assert court_phq9(world, sign_in(Client(), world.staff["counselor"])).status_code == 201
    return ImportedResponse.objects.get()


def _copy_at_0001(first: ImportedResponse, patient: Any) -> int:
    """`first` filed again for `patient` (its own assessment) as before lane fix33f, written at 0001."""
    a = Assessment.objects.get(pk=first.assessment_id)
    a.pk = None
    a.patient = patient
    a.save()
    _migrate([AT_0001])
    model = _model(AT_0001)
    copy = model.objects.get(pk=first.pk)
    copy.pk = None
    copy.assessment_id = a.pk
    copy.received_at = first.received_at + timedelta(minutes=5)
    copy.save()
    return int(copy.pk)


def _lakeside_alicia(world: World) -> Any:
    there = _make_patient(world.lakeside, "LH-0002", "Alicia", "Zamorano", "alicia-lakeside")
    CareTeamMember.objects.create(patient=there, user=world.lakeside_nurse)
    return there


def _run(*args: str) -> str:
    out = StringIO()
    call_command("interop", "duplicate-imports", *args, stdout=out)
    return out.getvalue()


def test_copies_in_two_programs_migrate_each_with_its_program(world: World, back_after: None) -> None:
    first = _filed(world)
    there = _lakeside_alicia(world)
    copy = _copy_at_0001(first, there)
    assert "No response from another system was filed more than once." in _run()
    _migrate(_latest())
    programs = dict(ImportedResponse.objects.values_list("pk", "program_id"))
    assert programs == {first.pk: world.riverside.pk, copy: world.lakeside.pk}
    assert NEW in _rules() and OLD not in _rules()


def test_a_second_filing_in_one_program_stops_then_resolved_migrates(world: World, back_after: None) -> None:
    first = _filed(world)
    there = _lakeside_alicia(world)
    a = Assessment.objects.get(pk=first.assessment_id)  # a same-program second filing, written at 0001 too
    a.pk = None
    a.save()
    _copy_at_0001(first, there)
    model = _model(AT_0001)
    twice = model.objects.get(pk=first.pk)
    twice.pk, twice.assessment_id = None, a.pk
    twice.save()
    with pytest.raises(CommandError) as stopped:
        _migrate(_latest())
    said = str(stopped.value)
    assert "in one program" in said and "(1 of them)" in said and "keel interop duplicate-imports" in said
    listing = _run()
    assert ": 2 filings (in Riverside Recovery)" in listing and "Lakeside" not in listing
    _run("--resolve", "--by", world.staff["counselor"].username)
    _migrate(_latest())
    assert ImportedResponse.objects.filter(sender_id="DC-QR-77").count() == 2  # Riverside's first, Lakeside's


def test_from_the_old_0002_its_rule_across_programs_is_dropped(world: World, back_after: None) -> None:
    _filed(world)
    _migrate([AT_0002])
    assert OLD not in _rules()  # 0002 now: the rule in Django's state only
    old = _model(AT_0002)
    with connection.schema_editor() as editor:  # as the old 0002 made it where it ran
        editor.add_constraint(old, old._meta.constraints[0])
    assert OLD in _rules()
    _migrate(_latest())
    assert NEW in _rules() and OLD not in _rules()
    assert ImportedResponse.objects.get().program_id == world.riverside.pk
