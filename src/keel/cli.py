"""The `keel` command: Django's management commands under one name, with Keel's own added.

keel serve | migrate | demo | createuser | check | audit verify | ... (`keel help` lists all)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
    from keel.env import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"keel: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    from django.core.management import execute_from_command_line

    from keel.audit import context

    with context.bind(context.RequestContext(channel="cli")):
        execute_from_command_line(["keel", *(args or ["help"])])


if __name__ == "__main__":
    main()
