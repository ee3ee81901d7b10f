"""The public pages, and how to read their main text (shared by the tests and the bench)."""

from __future__ import annotations

import html
import re

PAGES = {
    "home": "/",
    "check": "/help/check-my-use/",
    "worried": "/help/worried-about-someone/",
    "why": "/help/why-it-happens/",
    "withdrawal": "/help/withdrawal/",
    "treatment": "/help/treatment/",
    "safety": "/help/stay-safe/",
    "find": "/help/find-help/",
}


def main_text(page: str) -> str:
    """The visible text of the page's article (not the sources, the menus or the crisis bar), one sentence per
    line for headings and list items that have no full stop."""
    match = re.search(r'<article class="public" id="page-text">(.*?)</article>', page, re.S)
    assert match, "no main article"
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", match.group(1), flags=re.S)
    body = re.sub(r"</(h1|h2|h3|li|legend|dt|dd|p|label|button|a)>", ". ", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"([.?!:])\s*\.", r"\1", text)
    return re.sub(r"\s\.", ".", text).strip()
