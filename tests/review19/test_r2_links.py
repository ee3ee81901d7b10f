"""Review 19: the pages the links in an appointment reminder open (and that a phone's link preview shows
inside the message thread)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.review19.conftest import EVE_18H, book

WORDS = (b"opioid", b"overdose", b"naloxone", b"withdrawal")


def _links(reminded: Any) -> list[str]:
    from keel.appointments import services

    book(reminded)
    services.send_due(now=EVE_18H)
    body = reminded.box.body(reminded.box.messages[-1])
    return [urlsplit(url).path for url in re.findall(r"https://clinic\.example\S*", body)]


@pytest.mark.parametrize("word", WORDS)
def test_no_link_in_a_reminder_opens_a_page_about_opioids(reminded: Any, word: bytes) -> None:
    """Attack: the reminder says "Open Keel: https://<clinic>/". That address is Keel's public home page,
    titled "Help with opioids · Keel" and about overdose, naloxone and withdrawal. Messaging apps on a
    shared phone fetch a link's page to show a preview card, so the thread itself shows "Help with
    opioids" under an appointment reminder; anyone tapping the link sees the same. The message carries no
    health information, the page it points to does. Safe: every link in a reminder opens a page (title
    and text, following redirects) with no substance-use wording, e.g. the sign-in page."""
    paths = _links(reminded)
    client = Client()
    client.raise_request_exception = False
    pages = [client.get(path, follow=True).content.lower() for path in paths]
    assert not [path for path, page in zip(paths, pages, strict=True) if word in page]


def test_every_link_in_a_reminder_opens_a_page_with_a_neutral_title(reminded: Any) -> None:
    """Attack: as above, the preview card shows the page's <title>: "Help with opioids · Keel". Safe: the
    title of every linked page says nothing about opioids."""
    client = Client()
    titles = [
        re.findall(rb"<title>(.*?)</title>", client.get(path, follow=True).content)
        for path in _links(reminded)
    ]
    assert not [t for t in titles if b"opioid" in b" ".join(t).lower()]


def test_the_home_link_in_a_medication_or_check_in_reminder_opens_no_page_about_opioids(
    db: Any, settings: Any
) -> None:
    """Attack: the same "Open Keel: https://<clinic>/" line is in every medication and check-in reminder
    (keel.reminders.services.message_for), sent daily: a daily preview card reading "Help with opioids" on
    the shared phone. Safe: the linked page's title and text carry no opioid wording."""
    from keel.reminders import services
    from keel.reminders.models import Delivery

    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    body = services.message_for(Delivery(channel="sms", stop_token="t" * 32), "+15555550100").body
    home = next(urlsplit(url).path for url in re.findall(r"https://clinic\.example\S*", body))
    assert b"opioid" not in Client().get(home, follow=True).content.lower()
