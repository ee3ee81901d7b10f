from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def keel(request: HttpRequest) -> dict[str, object]:
    return {"KEEL_VERSION": __import__("keel").__version__, "language_links": language_links(request)}


def language_links(request: HttpRequest) -> list[dict[str, str]]:
    """For a page whose address carries its language (the public pages), a plain link to the same page in
    each other language: it needs no cookie and no form. Empty for the other pages (they use the form)."""
    path = request.get_full_path()
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    links = []
    for code, name in settings.LANGUAGES:
        if code == current:
            continue
        if path == "/" and not getattr(request.user, "is_authenticated", False):
            from django.utils import translation

            with translation.override(code):
                from django.urls import reverse

                url = reverse("public:home")
        else:
            url = translate_url(path, code)
        if url == path:
            return []
        links.append({"code": code, "name": name, "url": url})
    return links
