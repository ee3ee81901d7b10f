"""The shapes of an instrument, its answers' problems and its result. Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from keel.core.decision import Reason, SaidDict


@dataclass(frozen=True)
class Option:
    """One allowed answer: its ordinal value (what is summed), a code and the words shown."""

    value: int
    code: str
    display: str


@dataclass(frozen=True)
class Condition:
    """FHIR enableWhen with operator '=': the item is asked only when `question` was answered `equals`."""

    question: str
    equals: int


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    options: tuple[Option, ...]
    required: bool = True
    loinc: str | None = None
    enable_when: tuple[Condition, ...] = ()  # all must hold (enableBehavior "all")

    @property
    def allowed(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Band:
    """A closed range of totals [low, high] with a code and plain words."""

    low: int
    high: int
    code: str
    label: str


@dataclass(frozen=True)
class ItemError:
    item: str
    reason: str


class InvalidAnswers(ValueError):
    """Raised with every offending item at once, never just the first."""

    def __init__(self, errors: list[ItemError]) -> None:
        super().__init__("; ".join(f"{e.item}: {e.reason}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    items: tuple[Item, ...]
    licence: str
    loinc_total: str | None = None

    @property
    def total_range(self) -> tuple[int, int]:
        """The range of the plain sum of ordinal values (instruments may report a different total)."""
        return (
            sum(min(i.allowed) for i in self.items if i.required and not i.enable_when),
            sum(max(i.allowed) for i in self.items),
        )

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(link_id)

    def is_enabled(self, item: Item, answers: Mapping[str, object]) -> bool:
        """Whether the question flow asks `item`, given the other answers."""
        return all(answers.get(c.question) == c.equals for c in item.enable_when)

    def item_errors(self, answers: Mapping[str, object]) -> list[ItemError]:
        """Each answer known, a whole number and allowed; each asked, required item answered; no answer to a
        question the flow skips. Every problem, not just the first."""
        errors: list[ItemError] = []
        known = {i.link_id for i in self.items}
        errors += [ItemError(str(k), "not an item of this instrument") for k in answers if k not in known]
        for item in self.items:
            answered = answers.get(item.link_id) is not None
            if not self.is_enabled(item, answers):
                if answered:
                    rule = " and ".join(f"{c.question} is {c.equals}" for c in item.enable_when)
                    errors.append(
                        ItemError(item.link_id, f"must not be answered: it is asked only when {rule}")
                    )
                continue
            if not answered:
                if item.required:
                    errors.append(ItemError(item.link_id, "missing: this question needs an answer"))
                continue
            value = answers[item.link_id]
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(ItemError(item.link_id, f"must be a whole number, one of {list(item.allowed)}"))
            elif value not in item.allowed:
                errors.append(
                    ItemError(item.link_id, f"{value} is not allowed; use one of {list(item.allowed)}")
                )
        return errors

    def check(self, answers: Mapping[str, object]) -> None:
        """Raise InvalidAnswers listing every problem item_errors finds."""
        errors = self.item_errors(answers)
        if errors:
            raise InvalidAnswers(errors)


class BandDict(TypedDict):
    """A band as a result stores it: its code and its label."""

    code: str
    label: str


class ResultDict(TypedDict):
    """A result as JSON (`Result.as_dict`): what an assessment stores, the API sends (`ResultOut`, without
    `said`) and the CLI prints."""

    instrument: str
    version: str
    total: int | None
    band: BandDict | None
    flags: list[str]
    composites: dict[str, int]
    reasons: list[str]
    sources: list[str]
    said: NotRequired[list[SaidDict]]  # only where the reasons were kept as templates


@dataclass(frozen=True)
class Result:
    """A scored response: reproducible from (instrument, version, answers) alone."""

    instrument: str
    version: str
    total: int | None  # None where the instrument has no validated total (BAM, C-SSRS)
    band: Band | None
    flags: tuple[str, ...] = ()
    composites: Mapping[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    said: tuple[Reason, ...] = field(default=(), compare=False)  # reasons as templates, where kept

    def as_dict(self) -> ResultDict:
        out: ResultDict = {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "band": None if self.band is None else {"code": self.band.code, "label": self.band.label},
            "flags": list(self.flags),
            "composites": dict(self.composites),
            "reasons": list(self.reasons),
            "sources": list(self.sources),
        }
        if self.said:
            out["said"] = [{"template": r.template, "params": dict(r.params)} for r in self.said]
        return out
