"""The public pages, and how to read their main text (shared by the tests and the bench)."""

from __future__ import annotations

import html
import re

PAGES = {
    "home": "/en/",
    "check": "/en/help/check-my-use/",
    "worried": "/en/help/worried-about-someone/",
    "why": "/en/help/why-it-happens/",
    "withdrawal": "/en/help/withdrawal/",
    "treatment": "/en/help/treatment/",
    "safety": "/en/help/stay-safe/",
    "find": "/en/help/find-help/",
    "find_meetings": "/en/find/meetings/",
    "find_treatment": "/en/find/treatment/",
}


def in_language(path: str, lang: str) -> str:
    """The same public page in another language: the language is the address's first part."""
    assert path.startswith("/en/"), path
    return f"/{lang}/{path[4:]}"


def main_text(page: str) -> str:
    """The visible text of the page's article (not the sources, the menus or the crisis bar), one sentence per
    line for headings and list items that have no full stop."""
    match = re.search(r'<article class="public" id="page-text">(.*?)</article>', page, re.S)
    assert match, "no main article"
    # choices in a list are names (medicines, languages), not sentences to read: left out
    body = re.sub(r"<(script|style|select)\b.*?</\1>", " ", match.group(1), flags=re.S)
    body = re.sub(r"</(h1|h2|h3|li|legend|dt|dd|p|label|button|a)>", ". ", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"([.?!:])\s*\.", r"\1", text)
    return re.sub(r"\s\.", ".", text).strip()
