"""`keel policy show --program SLUG --by USERNAME [--language es] [--json]` and
`keel policy set --program SLUG --rule R --field F --value V --reason TEXT --by USERNAME` (program admins).

`show` says each value in the operator's language (`--language`, else LANGUAGE_CODE) with the policy page's
words (`keel.treatment.policy_words`); the codes `set` takes stay as they are."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.formats import localize
from django.utils.translation import gettext as _

from keel.accounts.management.commands.staff import acting_user
from keel.accounts.models import Program, User
from keel.core.rules.inputs import InvalidInput, loads_json
from keel.core.rules.policy import Setting
from keel.patients.models import day_in
from keel.treatment import policy_words
from keel.treatment.policy_words import PolicyWords
from keel.treatment.queries import policy as policy_reads
from keel.treatment.services import policy as policy_writes


def _value(raw: str) -> object:
    """JSON when it parses (numbers, null, true), else the text itself."""
    try:
        return loads_json(raw)  # "NaN", "Infinity": text, refused by name
    except json.JSONDecodeError:
        return raw


def _language(code: str | None) -> str:
    """The language `show` speaks: the one asked for ("es", "ES", "es-MX": Spanish), else LANGUAGE_CODE.
    Raises CommandError (exit 2) for one Keel does not speak."""
    if code is None:
        return settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(translation.to_language(code.strip()))
    except LookupError:
        spoken = ", ".join(c for c, _name in settings.LANGUAGES)
        raise CommandError(
            f"--language: {code!r} is not a language Keel speaks; use one of {spoken}", returncode=2
        ) from None


def _shown(value: object) -> str:
    """A value as the page shows it: a number in the language's format, "—" for none."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else str(localize(value))


def _lines(program: Program, values: list[PolicyWords]) -> list[str]:
    """`show` as text: the program, then each rule's values under its name, each with its provenance, its
    safe range and its last change, and the codes that `set` takes."""
    out = [_("Program policy: %(name)s") % {"name": program.name}]
    default, allowed_range, last_change = _("Default and provenance"), _("Allowed range"), _("Last change")
    rule = None
    for v in values:
        if v["rule"] != rule:
            rule = v["rule"]
            out += ["", v["rule_label"]]
        stricters = {"lower": _("lower is stricter"), "higher": _("higher is stricter")}
        stricter = stricters.get(v["tighter"] or "")
        if v["tighter"] == "order":
            order = "; ".join(w for _c, w in v["choice_words"])
            stricter = _("from the loosest to the strictest:") + f" {order}"
        out.append(f"  {v['label']}: {_shown(v['shown_value'])}" + (f" ({stricter})" if stricter else ""))
        if v["stored"] is not None:
            outside = _(
                "The value set (%(s)s) is outside the safe range: the rule uses the nearest allowed value."
            )
            choice_words: dict[Setting, Setting] = dict(v["choice_words"])
            stored = choice_words.get(v["stored"], v["stored"]) if v["choices"] else v["stored"]
            out.append("    " + outside % {"s": _shown(stored)})
        out.append(f"    {default}: {_shown(v['shown_default'])} · {v['help']}")
        if v["floor"] is not None:
            allowed = f"{_shown(v['floor'])} \N{EN DASH} {_shown(v['ceiling'])}"  # as the page
            out.append(f"    {allowed_range}: {allowed}" + (f" · {v['bounds']}" if v["bounds"] else ""))
        elif v["bounds"]:
            out.append(f"    {allowed_range}: {v['bounds']}")
        change = "—"
        if v["set_by"] and v["set_at"]:
            set_on = day_in(program.time_zone, v["set_at"])  # the program's day (lane zones39)
            change = f"{v['set_by']}, {set_on.isoformat()}: {v['reason']}"
        out.append(f"    {last_change}: {change}")
        out.append(f"    --rule {v['rule']} --field {v['field']}")
    return out


class Command(BaseCommand):
    help = "Show or change a program's policy values (changes: program admins only, with a reason; audited)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["show", "set"])
        parser.add_argument("--program", required=True, help="the program's slug")
        parser.add_argument("--by", help="username of the staff member acting (required; an admin for set)")
        parser.add_argument("--rule")
        parser.add_argument("--field")
        parser.add_argument("--value", help="the new value as JSON (a number, null for no limit)")
        parser.add_argument("--reason")
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--language", help="the language show speaks (en, es; default: the LANGUAGE_CODE setting)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = _language(options["language"])
        user = acting_user(options["by"], who="an active staff member of the program")
        try:
            if options["action"] == "show":
                with translation.override(language):
                    self._show(user, options["program"], as_json=options["json"])
                return
            missing = [f"--{k}" for k in ("rule", "field", "value", "reason") if options[k] is None]
            if missing:
                raise CommandError(f"set needs {', '.join(missing)}", returncode=2)
            setting = policy_writes.set_value(
                by=user,
                program_slug=options["program"],
                rule=options["rule"],
                field=options["field"],
                value=_value(options["value"]),
                reason=options["reason"],
            )
        except policy_writes.PolicyNotAllowed as exc:
            raise CommandError(str(exc), returncode=1) from None
        except InvalidInput as exc:
            raise CommandError(
                "; ".join(f"{e.field}: {e.reason}" for e in exc.errors), returncode=2
            ) from None
        self.stdout.write(f"{setting.rule}.{setting.field} = {setting.value!r} for {options['program']}")

    def _show(self, user: User, slug: str, *, as_json: bool) -> None:
        """Every value of the program in the active language: as text, or as JSON (the API's words)."""
        program, values = policy_reads.show(user, slug)
        said = [policy_words.said(v) for v in values]
        if not as_json:
            self.stdout.write("\n".join(_lines(program, said)))
            return
        rows = [
            {
                "rule": v["rule"],
                "field": v["field"],
                "rule_label": v["rule_label"],
                "label": v["label"],
                "value": v["value"],
                "default": v["default"],
                "provenance": v["help"],
                "floor": v["floor"],
                "ceiling": v["ceiling"],
                "bounds": v["bounds"],
            }
            for v in said
        ]
        self.stdout.write(json.dumps({"program": program.slug, "values": rows}, indent=2, ensure_ascii=False))
