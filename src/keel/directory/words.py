"""The directory's words for people: search errors in the visitor's language and units, what meeting types
mean, language names. The API and the CLI keep their English reasons (`BadSearch.reason`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
    "O": gettext_lazy("Open: anyone may come, including family, friends and people who are curious."),
    "C": gettext_lazy("Closed: only for people who want to stop drinking or using drugs."),
    "D": gettext_lazy("Discussion: people take turns sharing on a topic."),
    "SP": gettext_lazy("Speaker: one or more people tell their story."),
    "ST": gettext_lazy("Step study: the group reads and talks about the 12 steps."),
    "B": gettext_lazy("Big Book: the group reads from AA's main book."),
    "LIT": gettext_lazy("Literature: the group reads from the fellowship's books."),
    "BE": gettext_lazy("Newcomer: good for your first meetings."),
    "X": gettext_lazy("Wheelchair access."),
    "XB": gettext_lazy("Wheelchair-accessible bathroom."),
    "TC": gettext_lazy("The building is closed for now. The meeting may meet online."),
    "W": gettext_lazy("Women only."),
    "M": gettext_lazy("Men only."),
    "Y": gettext_lazy("Young people."),
    "LGBTQ": gettext_lazy("For LGBTQ people."),
    "S": gettext_lazy("Held in Spanish."),
    "EN": gettext_lazy("Held in English."),
    "ASL": gettext_lazy("American Sign Language."),
    "MED": gettext_lazy("Meditation."),
    "CF": gettext_lazy("Children are welcome."),
    "BA": gettext_lazy("Babysitting available."),
    "SM": gettext_lazy("Smoking allowed."),
    "12x12": gettext_lazy("The group reads about the 12 steps and 12 traditions."),
    "CAN": gettext_lazy("Candlelight."),
}

LANGUAGE_NAMES = {
    "en": gettext_lazy("English"),
    "es": gettext_lazy("Spanish"),
    "fr": gettext_lazy("French"),
    "zh": gettext_lazy("Chinese"),
    "vi": gettext_lazy("Vietnamese"),
    "ar": gettext_lazy("Arabic"),
    "ru": gettext_lazy("Russian"),
    "ko": gettext_lazy("Korean"),
    "ht": gettext_lazy("Haitian Creole"),
    "pt": gettext_lazy("Portuguese"),
    "pl": gettext_lazy("Polish"),
    "tl": gettext_lazy("Tagalog"),
    "ase": gettext_lazy("American Sign Language"),
}


def language_name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))
