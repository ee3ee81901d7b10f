"""The directory's words for people: search errors in the visitor's language and units, what meeting types
mean, language names. The API and the CLI keep their English reasons (`BadSearch.reason`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from keel.directory.queries import MAX_RADIUS_KM, BadSearch

KM_PER_MI = 1.609344


def search_error(exc: BadSearch, *, miles: bool) -> str:
    """A search error as the visitor reads it: plain words, their language, the unit of the control used."""
    code, text = exc.code, exc.params.get("text", "")
    if exc.field == "place":
        if code == "ambiguous":
            return _("There is more than one %(place)s. Choose one below, or add the state or province.") % {
                "place": text
            }
        if code == "unknown_zip":
            return _("We don't know the ZIP code %(zip)s. Check it, or type a city.") % {"zip": text}
        if code == "bad_zip":
            return _("A ZIP code has 5 numbers, like 13820.")
        if code == "unknown_city":
            return _(
                "We could not find “%(place)s”. Try a ZIP code, or a city and state, like Oneonta, NY."
            ) % {"place": text}
        if code == "too_long":
            return _("That is too long. Type a ZIP code or a city.")
        return _("Type a ZIP code or a city, like Oneonta, NY.")
    if exc.field in ("lat", "lon"):
        return _("We could not use your location. Type a ZIP code or a city instead.")
    if exc.field in ("radius_km", "radius_mi"):
        if miles:
            most = int(MAX_RADIUS_KM / KM_PER_MI)
            return ngettext(
                "Choose a distance up to %(n)d mile.", "Choose a distance up to %(n)d miles.", most
            ) % {"n": most}
        most = int(MAX_RADIUS_KM)
        return ngettext(
            "Choose a distance up to %(n)d kilometer.", "Choose a distance up to %(n)d kilometers.", most
        ) % {"n": most}
    return _("Choose from the list and search again.")


# What the common Meeting Guide types mean, in plain words (the spec gives only their names).
TYPE_MEANINGS = {
    "O": _lazy("Open: anyone may come, including family, friends and people who are curious."),
    "C": _lazy("Closed: only for people who want to stop drinking or using drugs."),
    "D": _lazy("Discussion: people take turns sharing on a topic."),
    "SP": _lazy("Speaker: one or more people tell their story."),
    "ST": _lazy("Step study: the group reads and talks about the 12 steps."),
    "B": _lazy("Big Book: the group reads from AA's main book."),
    "LIT": _lazy("Literature: the group reads from the fellowship's books."),
    "BE": _lazy("Newcomer: good for your first meetings."),
    "X": _lazy("Wheelchair access."),
    "XB": _lazy("Wheelchair-accessible bathroom."),
    "TC": _lazy("The building is closed for now. The meeting may meet online."),
    "W": _lazy("Women only."),
    "M": _lazy("Men only."),
    "Y": _lazy("Young people."),
    "LGBTQ": _lazy("For LGBTQ people."),
    "S": _lazy("Held in Spanish."),
    "EN": _lazy("Held in English."),
    "ASL": _lazy("American Sign Language."),
    "MED": _lazy("Meditation."),
    "CF": _lazy("Children are welcome."),
    "BA": _lazy("Babysitting available."),
    "SM": _lazy("Smoking allowed."),
    "12x12": _lazy("The group reads about the 12 steps and 12 traditions."),
    "CAN": _lazy("Candlelight."),
}

LANGUAGE_NAMES = {
    "en": _lazy("English"),
    "es": _lazy("Spanish"),
    "fr": _lazy("French"),
    "zh": _lazy("Chinese"),
    "vi": _lazy("Vietnamese"),
    "ar": _lazy("Arabic"),
    "ru": _lazy("Russian"),
    "ko": _lazy("Korean"),
    "ht": _lazy("Haitian Creole"),
    "pt": _lazy("Portuguese"),
    "pl": _lazy("Polish"),
    "tl": _lazy("Tagalog"),
    "ase": _lazy("American Sign Language"),
}


def language_name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))
