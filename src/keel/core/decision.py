"""The shape every clinical recommendation returns: a verdict with its reasons and source ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Param = str | int | float
LIST_SEPARATOR = "; "  # a text parameter that lists words: each part its own catalogue entry


def shown(value: Param) -> str:
    """A parameter as the English text shows it (numbers without trailing zeros: 12, 2.5)."""
    return value if isinstance(value, str) else f"{value:g}"


@dataclass(frozen=True)
class Reason:
    """One step of a decision, in plain words, with the ids of the sources behind it.

    A reason made with `Reason.said` also keeps its `template` (the text with %(name)s placeholders, marked
    for the translation catalogue in the core by `keel.core.words.gettext_noop`) and its `params`, so a page
    can show it in the reader's language: text parameters are words (their own catalogue entries), numbers
    are numbers. The English `text` stays what the API and stored decisions carry."""

    text: str
    sources: tuple[str, ...] = ()
    template: str = ""
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def said(cls, template: str, sources: tuple[str, ...], **params: Param) -> Reason:
        return cls(
            template % {k: shown(v) for k, v in params.items()}, sources, template, tuple(params.items())
        )


@dataclass(frozen=True)
class Decision:
    """A rule's output: what it recommends, why, from which sources, and the policy values it used."""

    rule: str
    version: str
    decision: str
    reasons: tuple[Reason, ...]
    policy: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # other outputs (e.g. max supply, due dates, flags)

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for reason in self.reasons:
            for source in reason.sources:
                seen.setdefault(source, None)
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": self.version,
            "decision": self.decision,
            "reasons": [{"text": r.text, "sources": list(r.sources)} for r in self.reasons],
            "sources": list(self.sources),
            "policy": dict(self.policy),
            "details": dict(self.details),
        }
