from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from keel.access import policy
from keel.core.reasons import REASON_LABELS


def keel(request: HttpRequest) -> dict[str, object]:
    # The links are worked out when a template shows them (base.html), once: `translate_url` resolves the
    # address again, which a fragment (the dosing row swapped in after a dose) never needed (issue #21).
    return {
        "KEEL_VERSION": __import__("keel").__version__,
        "language_links": SimpleLazyObject(lambda: language_links(request)),
        # The staff menu's links (web/_staff_nav.html), decided by the access policy when the menu is shown.
        "nav": SimpleLazyObject(lambda: policy.staff_nav(getattr(request, "user", None))),
        # The reason fields' labels, from the sentences `reason_problem` knows as Keel's own (review 22p).
        "reason_labels": REASON_LABELS,
    }


def language_links(request: HttpRequest) -> list[dict[str, str]]:
    """Plain links to the page in each other language, for pages whose address carries the language (the
    public pages), and for every page a visitor who is not signed in sees (elsewhere: the public home in that
    language). They need no cookie and no form. Signed-in people get the form, which remembers the choice."""
    path = request.get_full_path()
    signed_in = getattr(getattr(request, "user", None), "is_authenticated", False)
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    links = []
    for code, name in settings.LANGUAGES:
        if code == current:
            continue
        url = translate_url(path, code)
        if url == path:
            if signed_in:
                return []
            with translation.override(code):
                url = reverse("public:home")
        links.append({"code": code, "name": name, "url": url})
    return links
