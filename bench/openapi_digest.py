"""The OpenAPI document as a client reads it (GET /api/v1/openapi.json), to check that a refactor left it
byte-identical (issue #17). Run from the repository root, before and after, and compare:

    PYTHONPATH=$PWD/src .venv/bin/python bench/openapi_digest.py /tmp/before.json
    PYTHONPATH=$PWD/src .venv/bin/python bench/openapi_digest.py /tmp/after.json
    cmp /tmp/before.json /tmp/after.json

It prints the status, the size and the SHA-256 of the body, and writes the body to the path given."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    response = Client().get("/api/v1/openapi.json")
    print(response.status_code, len(response.content), hashlib.sha256(response.content).hexdigest())
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_bytes(response.content)


if __name__ == "__main__":
    main()
