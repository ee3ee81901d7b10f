"""A program's settings (issue #18): dosing hours, closure days, contact details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import ngettext

from keel.accounts import queries as account_queries
from keel.accounts.models import Program, User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput

if TYPE_CHECKING:
    from keel.accounts.schemas import ProgramSettingsIn
    from keel.api_body import Posted


# The settings a PUT may leave out (left as they are); the time zone is required.
SETTINGS_FIELDS = ("dosing_opens", "dosing_closes", "closure_days", "contact_phone", "contact_address")


@dataclass(frozen=True)
class SettingsSaved:
    """The program as saved, and how many planned closure-day bottles are for a closure day just removed
    (review 39a hole 2: they are kept at the clinic at hand-out; the admin is told)."""

    program: Program
    closure_bottles_kept_back: int = 0


def closure_bottles_words(count: int) -> str:
    """The admin's confirmation of removed closure days that planned closure-day bottles were for."""
    return ngettext(
        "%(count)d planned closure-day take-home bottle is for a day that is no longer a closure day: it "
        "will not be handed out. A prescriber decides take-home doses for that day if the person needs one.",
        "%(count)d planned closure-day take-home bottles are for days that are no longer closure days: they "
        "will not be handed out. A prescriber decides take-home doses for those days if a person needs one.",
        count,
    ) % {"count": count}


def update_program_settings(*, by: User, slug: str, data: Posted[ProgramSettingsIn]) -> SettingsSaved:
    """Change a program's time zone, dosing-window hours, closure days and contact details (its admins);
    every field wrong is named at once (once the caller is known to be one of its admins); audited with the
    names of the fields changed. Says how many planned closure-day bottles a removed closure day affects."""
    program = account_queries.program_settings(by=by, slug=slug)
    current = {name: getattr(program, name) for name in SETTINGS_FIELDS}
    try:
        form = data.parse(context=current)  # a field left out: left as it is
    except InvalidInput as exc:
        from keel.web.field_words import said

        raise FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors]) from None
    from keel.treatment.queries.take_home_plans import closure_bottles_planned

    before = set(program.closure_days or [])
    program = _save_program_settings(by, program, form.settings())
    removed = before - set(program.closure_days or [])
    return SettingsSaved(program, closure_bottles_planned(program.pk, removed))


def _save_program_settings(by: User, program: Program, new: dict[str, object]) -> Program:
    """Write the settings under the program's row lock; audit the names of the fields that changed."""
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        changed = [k for k, v in new.items() if getattr(program, k) != v]
        for k, v in new.items():
            setattr(program, k, v)
        program.save(update_fields=[*new.keys()])
        if changed:
            audit.record(
                actor=by,
                action=Action.UPDATE,
                target_type="program_settings",
                target_id=program.pk,
                program_id=program.pk,
                detail={"changed": changed},
            )
    return program
