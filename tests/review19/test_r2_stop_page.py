"""Review 19: the page the one-tap stop link opens, read on a shared phone."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_the_stop_page_says_nothing_about_overdoses(reminded: Any) -> None:
    """Attack: whoever holds the shared phone taps the stop link in an appointment reminder. The page
    extends the site's base template, whose footer reads "In crisis? Call or text 988. For an overdose,
    call 911." The reminder carried no health information, but the page it links to tells the reader the
    appointment is about drug use. Safe: the stop page (GET and the page after POST) carries no
    substance-use or crisis wording."""
    response = Client().get(f"/appointments/stop/{reminded.choice.stop_token}/")
    assert b"overdose" not in response.content.lower()


def test_the_page_after_stopping_says_nothing_about_overdoses(reminded: Any) -> None:
    """Attack: as above, after pressing the button (POST). Safe: no overdose wording there either."""
    response = Client().post(f"/appointments/stop/{reminded.choice.stop_token}/")
    assert b"overdose" not in response.content.lower()


def test_the_spanish_stop_page_says_nothing_about_overdoses(reminded: Any) -> None:
    """Attack: the same page for a Spanish-speaking reader ("sobredosis"). Safe: no such word."""
    response = Client().get(f"/appointments/stop/{reminded.choice.stop_token}/", HTTP_ACCEPT_LANGUAGE="es")
    assert b"sobredosis" not in response.content.lower()
