"""The shapes of an instrument, its answers' problems and its result. Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from keel.core.decision import Reason, SaidDict
from keel.core.words import gettext_noop as N_


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
    """One answer's or input's problem. `reason` is the English the API (to an English reader), the CLI and
    the audit trail carry, marked for the catalogue where it is written (`N_`). A reason with a value in it is
    made with `said`, which also keeps its `template` and its `params` as text, so the API and the pages say
    it in the reader's language (`keel.web.field_words.said`, as for `keel.core.rules.inputs.FieldError`);
    neither takes part in equality."""

    item: str
    reason: str
    template: str = field(default="", compare=False, repr=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    codes: tuple[str, ...] = field(default=(), compare=False, repr=False)  # parts that are values to send

    @classmethod
    def said(cls, item: str, template: str, codes: tuple[str, ...] = (), **params: object) -> ItemError:
        """The problem from a template with %(name)s parts; each part as an f-string would show it. The parts
        named in `codes` are values to send ("female", "severe"): never translated, as words are."""
        shown = {key: f"{value}" for key, value in params.items()}
        return cls(item, template % shown, template, tuple(shown.items()), codes)


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
        errors += [ItemError(str(k), N_("not an item of this instrument")) for k in answers if k not in known]
        for item in self.items:
            answered = answers.get(item.link_id) is not None
            if not self.is_enabled(item, answers):
                if answered:
                    errors.append(_skipped(item))
                continue
            if not answered:
                if item.required:
                    errors.append(ItemError(item.link_id, N_("missing: this question needs an answer")))
                continue
            value = answers[item.link_id]
            allowed = list(item.allowed)
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(
                    ItemError.said(
                        item.link_id, N_("must be a whole number, one of %(allowed)s"), allowed=allowed
                    )
                )
            elif value not in item.allowed:
                errors.append(
                    ItemError.said(
                        item.link_id,
                        N_("%(value)s is not allowed; use one of %(allowed)s"),
                        value=value,
                        allowed=allowed,
                    )
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


def _skipped(item: Item) -> ItemError:
    """An answer to a question the flow skips, naming the answer that asks it (one, in every shipped
    instrument; more are joined in English, codes and numbers that need no translation but for "is"/"and")."""
    if len(item.enable_when) == 1:
        (c,) = item.enable_when
        return ItemError.said(
            item.link_id,
            N_("must not be answered: it is asked only when %(question)s is %(value)s"),
            question=c.question,
            value=c.equals,
        )
    rule = " and ".join(f"{c.question} is {c.equals}" for c in item.enable_when)
    return ItemError.said(item.link_id, N_("must not be answered: it is asked only when %(rule)s"), rule=rule)


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
