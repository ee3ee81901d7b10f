"""The shape every clinical recommendation returns: a verdict with its reasons and source ids."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypedDict, cast

from typing_extensions import TypeVar

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


# What a decision carries: the rule's policy values (its `Policy` TypedDict) and its other outputs (its
# `Details`). A bare `Decision` carries mappings of unknown values, which a reader must narrow before use.
PolicyT = TypeVar("PolicyT", bound=Mapping[str, object], default=Mapping[str, object], covariant=True)
DetailsT = TypeVar("DetailsT", bound=Mapping[str, object], default=Mapping[str, object], covariant=True)


class SaidDict(TypedDict):
    """A reason kept as its template and parameters (`Reason.said`), as JSON, to show in the reader's
    language."""

    template: str
    params: dict[str, Param]


class NoDetails(TypedDict):
    """The details of a decision without other outputs."""


class ReasonDict(TypedDict):
    """A reason as a decision's JSON carries it: its English text and its source ids."""

    text: str
    sources: list[str]


class DecisionDict(TypedDict):
    """A decision as JSON (`Decision.as_dict`: the API's answer, the row that keeps it): the policy values and
    the details as the rule's TypedDicts gave them."""

    rule: str
    version: str
    decision: str
    reasons: list[ReasonDict]
    sources: list[str]
    policy: dict[str, object]
    details: dict[str, object]


@dataclass(frozen=True)
class Decision(Generic[PolicyT, DetailsT]):
    """A rule's output: what it recommends, why, from which sources, and the policy values it used.

    Typed by what it carries: `Decision[DosePolicy, NoDetails]`. Left out, the policy and the details are
    empty, which only a TypedDict without required keys is."""

    rule: str
    version: str
    decision: str
    reasons: tuple[Reason, ...]
    policy: PolicyT = field(default_factory=cast("Callable[[], PolicyT]", dict))
    details: DetailsT = field(default_factory=cast("Callable[[], DetailsT]", dict))  # e.g. max supply, flags

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for reason in self.reasons:
            for source in reason.sources:
                seen.setdefault(source, None)
        return tuple(seen)

    def as_dict(self) -> DecisionDict:
        return {
            "rule": self.rule,
            "version": self.version,
            "decision": self.decision,
            "reasons": [{"text": r.text, "sources": list(r.sources)} for r in self.reasons],
            "sources": list(self.sources),
            "policy": dict(self.policy),
            "details": dict(self.details),
        }
