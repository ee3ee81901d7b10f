"""Queued account work (django-tasks, run by `keel worker`): reset links are sent from the queue, so a reset
request answers in the same time whether or not an account has the address."""

from __future__ import annotations

from django.utils import translation
from django_tasks import task


@task()
def send_reset_links(email: str, base_url: str, language: str = "en") -> str:
    from keel.accounts import passwords

    with translation.override(language):
        sent = passwords.send_reset_links(email=email, base_url=base_url)
    return f"{sent} link(s) sent"
