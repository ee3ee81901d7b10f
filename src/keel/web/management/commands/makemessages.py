"""`keel makemessages`: Django's, also reading `N_(...)`, the name `keel.core` gives `keel.core.words.gettext_noop`
(the core marks its words for the catalogue without Django: `from keel.core.words import gettext_noop as N_`)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
