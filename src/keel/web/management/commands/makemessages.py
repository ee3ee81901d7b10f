"""`keel makemessages`: Django's, also reading `N_(...)`: the name the core gives
`keel.core.words.gettext_noop` when it marks its words for the catalogue without Django."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
