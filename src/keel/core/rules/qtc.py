"""QTc monitoring on methadone (Krantz et al., Ann Intern Med 2009) [V]: ECG before treatment, within 30 days
and yearly; extra ECG above 100 mg/day; QTc > 450 and < 500 ms: discuss and monitor more often; > 500 ms:
consider reducing or stopping methadone or another treatment. Boundaries (reference conflict 6): exactly 450
is routine; exactly 500 is treated as the higher band (safer)."""

from __future__ import annotations

from typing import TypedDict

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.rules.base import NoPolicy, Rule
from keel.core.rules.inputs import Field
from keel.core.words import gettext_noop

EXTRA_ECG_ABOVE_MG = 100
DISCUSS_ABOVE_MS = 450
HIGH_FROM_MS = 500

INPUTS = (
    Field("qtc_ms", "integer", minimum=200, maximum=800, help="the corrected QT interval (ms)"),
    Field(
        "daily_dose_mg", "number", required=False, minimum=0, maximum=1000, help="current methadone mg/day"
    ),
)


class QtcInput(TypedDict):
    """INPUTS as `Rule.run` checks them (daily_dose_mg not given: None)."""

    qtc_ms: int
    daily_dose_mg: float | None


def _qtc(v: QtcInput, p: NoPolicy) -> Decision[NoPolicy, NoDetails]:
    qtc = v["qtc_ms"]
    if qtc >= HIGH_FROM_MS:
        decision, text = (
            "above_500",
            gettext_noop(
                "QTc %(ms)s ms (500 or more): consider reducing or stopping methadone, correcting "
                "contributors such as low potassium or interacting drugs, or another treatment."
            ),
        )
    elif qtc > DISCUSS_ABOVE_MS:
        decision, text = (
            "450_to_500",
            gettext_noop(
                "QTc %(ms)s ms (over 450, under 500): discuss risks and benefits and monitor more often."
            ),
        )
    else:
        decision, text = (
            "routine",
            gettext_noop("QTc %(ms)s ms: routine monitoring (ECG before, within 30 days, then yearly)."),
        )
    reasons = [Reason.said(text, ("krantz-2009",), ms=qtc)]
    if v["daily_dose_mg"] is not None and v["daily_dose_mg"] > EXTRA_ECG_ABOVE_MG:
        reasons.append(
            Reason.said(
                gettext_noop("Dose above %(mg)s mg/day: get an extra ECG."),
                ("krantz-2009",),
                mg=EXTRA_ECG_ABOVE_MG,
            )
        )
    return Decision("qtc-monitoring", "1", decision, tuple(reasons), p.copy())


QTC: Rule[QtcInput, NoPolicy, NoDetails] = Rule(
    "qtc-monitoring", "1", "What does this QTc mean for methadone care?", INPUTS, (), _qtc
)


QTC_SOURCES = ("krantz-2009",)
NEEDS_REASON = "needs_reason"  # an increase of the methadone order on a QTc of 500 ms or more
WARN = "warn"  # an increase on a QTc over 450 ms: allowed, with the warning
RAISE_ON_HIGH_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower methadone dose or "
    "stopping, not raising it (%(current)s to %(new)s mg/day). A raise needs the prescriber's reason."
)


def order_increase(
    qtc_ms: int | None, current_mg: float | None, new_mg: float
) -> tuple[str | None, tuple[Reason, ...], tuple[str, ...]]:
    """Does this QTc gate a methadone order raised from `current_mg` to `new_mg`? (verdict, reasons, source
    ids). `qtc_ms`: the person's latest QTc within the program's recent window (`methadone-dose-check`'s
    `qtc_recent_days`), None if none. An increase on 500 ms or more (Krantz 2009: consider reducing or
    stopping) needs the prescriber's reason of substance (NEEDS_REASON); over 450 ms it is allowed with the
    warning to discuss and monitor more often (WARN); a lowering, the same dose or a first order is never
    gated (None)."""
    if qtc_ms is None or current_mg is None or new_mg <= current_mg:
        return None, (), ()
    if qtc_ms >= HIGH_FROM_MS:
        reason = Reason.said(
            RAISE_ON_HIGH_QTC, QTC_SOURCES, ms=qtc_ms, current=f"{current_mg:g}", new=f"{new_mg:g}"
        )
        return NEEDS_REASON, (reason,), QTC_SOURCES
    if qtc_ms > DISCUSS_ABOVE_MS:
        reason = Reason.said(
            gettext_noop(
                "The latest QTc is %(ms)s ms (over 450): discuss the risks of a higher methadone dose and "
                "monitor more often."
            ),
            QTC_SOURCES,
            ms=qtc_ms,
        )
        return WARN, (reason,), QTC_SOURCES
    return None, (), ()


START_ON_HIGH_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower methadone dose or "
    "stopping, not starting it (%(new)s mg/day). A start needs the prescriber's reason."
)


def order_on_qtc(
    qtc_ms: int | None, last_mg: float | None, new_mg: float
) -> tuple[str | None, tuple[Reason, ...], tuple[str, ...]]:
    """`order_increase`, and a start (review 19a): `last_mg` is the person's last methadone order within the
    program's recent window, whatever the episode (None: none, a start). A methadone start on a QTc of 500 ms
    or more needs the prescriber's reason of substance as a raise does (Krantz 2009, `krantz-2009`: for a QTc
    over 500 ms consider reducing or stopping methadone, or another treatment; starting it is not reducing).
    A start on a lower QTc is not gated here (the warning over 450 ms is `order_increase`'s, for raises)."""
    if last_mg is None and qtc_ms is not None and qtc_ms >= HIGH_FROM_MS:
        reason = Reason.said(START_ON_HIGH_QTC, QTC_SOURCES, ms=qtc_ms, new=f"{new_mg:g}")
        return NEEDS_REASON, (reason,), QTC_SOURCES
    return order_increase(qtc_ms, last_mg, new_mg)


ABOVE_ORDER_ON_HIGH_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more): a day's override cannot take methadone above the order "
    "(%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 advises considering a lower dose or stopping. "
    "To give more, a prescriber raises the order itself, where the reason for a raise on this QTc is "
    "recorded."
)


def above_order_on_high_qtc(qtc_ms: int | None, ordered_mg: float | None, total_mg: float) -> Reason | None:
    """Why a day's methadone total of `total_mg` above the active order (`ordered_mg`) is refused on the
    person's recent QTc (`qtc_ms`, as `order_increase` reads it): on 500 ms or more (Krantz 2009: consider
    reducing or stopping) no day's override takes the dose above the order, so the gate on a raise of the
    order (NEEDS_REASON, with the prescriber's reason recorded on the order) is not walked around at the
    window. One definition: a prescriber's limit override above the order, a dose at the window and a
    correction that raises one. None: no recent QTc, under 500 ms, no order, or within the order."""
    if qtc_ms is None or ordered_mg is None or total_mg <= ordered_mg or qtc_ms < HIGH_FROM_MS:
        return None
    return Reason.said(ABOVE_ORDER_ON_HIGH_QTC, QTC_SOURCES, ms=qtc_ms, ordered=ordered_mg, mg=total_mg)


# The verdict of a methadone dose refused on a high QTc (`raise_on_later_qtc`, `above_order_on_high_qtc`): no
# day's override releases it (unlike "needs_override"); only the prescriber re-writing the order with a reason
# for the QTc does, and meanwhile the dose stays at the level already given (session 21: the window said
# "needs a prescriber's override", and a nurse called for one that could not work).
NEEDS_NEW_ORDER = "needs_new_order"
RAISE_ON_LATER_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more), recorded after this order was written: the order raised "
    "methadone before this QTc was known (%(before)s to %(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 "
    "advises considering a lower dose or stopping. No day's override releases this: up to %(level)s mg a day "
    "(the level already given) can be given; to give more, the prescriber re-writes the order with a reason "
    "for a raise on this QTc."
)
START_ON_LATER_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more), recorded after this methadone start was written (%(ordered)s "
    "mg a day; %(mg)s mg asked). Krantz 2009 advises considering a lower dose, stopping or another treatment, "
    "not starting methadone. No day's override releases this: no methadone until the prescriber re-writes the "
    "start with a reason for a start on this QTc."
)
START_GIVEN_ON_LATER_QTC = gettext_noop(
    "The latest QTc is %(ms)s ms (500 or more), recorded after this methadone start was written (%(ordered)s "
    "mg a day; %(mg)s mg asked). Krantz 2009 advises considering a lower dose, stopping or another treatment. "
    "No day's override releases this: up to %(level)s mg a day (the level already given) can be given; to "
    "give more, the prescriber re-writes the start with a reason for a start on this QTc."
)


def raise_on_later_qtc(
    qtc_ms: int | None,
    recorded_after_order: bool,
    from_mg: float | None,
    ordered_mg: float,
    total_mg: float,
    given_mg: float | None = None,
    *,
    reason_recorded: bool,
) -> Reason | None:
    """Why a day's methadone total of `total_mg` under an order of `ordered_mg` is refused on the person's
    recent QTc (review 19c, 20a): the prescriber's gate on a raise or a start (`order_on_qtc`) decided on what
    was known when the order was written, comparing it with `from_mg` (the order in force then, else the last
    methadone across episodes; 0: a start). A QTc of 500 ms or more recorded after that
    (`recorded_after_order`, whatever day it was measured: ECG reads come back days later) was never weighed
    by a prescriber; Krantz 2009 advises considering a lower dose or stopping, so a total above `from_mg` is
    not given until a prescriber re-writes the order, where the reason is recorded. Never below the level
    already given under the order (`given_mg`): stopping a stable dose abruptly is harmful too. None: the
    order was written with the prescriber's QTc reason (`reason_recorded`), no recent QTc, under 500 ms,
    recorded before the order was written, `from_mg` unknown (written before it was kept), the order is no
    raise, or the total is not above the dose it raised from and the level given."""
    if (
        reason_recorded
        or qtc_ms is None
        or qtc_ms < HIGH_FROM_MS
        or not recorded_after_order
        or from_mg is None
        or ordered_mg <= from_mg
        or total_mg <= max(from_mg, given_mg or 0.0)
    ):
        return None
    level = max(from_mg, given_mg or 0.0)  # what is still given: never below the level already given
    if from_mg == 0 and level == 0:
        return Reason.said(
            START_ON_LATER_QTC, QTC_SOURCES, ms=qtc_ms, ordered=f"{ordered_mg:g}", mg=f"{total_mg:g}"
        )
    if from_mg == 0:
        return Reason.said(
            START_GIVEN_ON_LATER_QTC,
            QTC_SOURCES,
            ms=qtc_ms,
            ordered=f"{ordered_mg:g}",
            mg=f"{total_mg:g}",
            level=f"{level:g}",
        )
    return Reason.said(
        RAISE_ON_LATER_QTC,
        QTC_SOURCES,
        ms=qtc_ms,
        before=f"{from_mg:g}",
        ordered=f"{ordered_mg:g}",
        mg=f"{total_mg:g}",
        level=f"{level:g}",
    )


def qtc_band_reason(qtc_ms: int) -> Reason:
    """The `qtc-monitoring` rule's reason for this QTc's band (its first reason, without a dose)."""
    return _qtc({"qtc_ms": qtc_ms, "daily_dose_mg": None}, {}).reasons[0]


def prescribing_warnings(qtc_ms: int | None, current_mg: float | None, new_mg: float) -> tuple[Reason, ...]:
    """What a prescriber of methadone is warned of on the person's recent QTc (`qtc_ms`, as `order_increase`
    reads it): over 450 ms, a raise is to be discussed and monitored more often (`order_increase`'s WARN);
    otherwise the QTc's band (Krantz 2009: over 450 discuss and monitor; 500 or more consider reducing or
    stopping). None at 450 ms or under, or with no recent QTc."""
    if qtc_ms is None or qtc_ms <= DISCUSS_ABOVE_MS:
        return ()
    verdict, reasons, _sources = order_increase(qtc_ms, current_mg, new_mg)
    return reasons if verdict == WARN else qtc_warning(qtc_ms)


def qtc_warning(qtc_ms: int | None) -> tuple[Reason, ...]:
    """The warning a recent QTc over 450 ms carries (its band's reason, Krantz 2009), shown where methadone
    is ordered; none at 450 ms or under, or with no recent QTc."""
    if qtc_ms is None or qtc_ms <= DISCUSS_ABOVE_MS:
        return ()
    return (qtc_band_reason(qtc_ms),)


def needs_dose_review(qtc_ms: int | None) -> bool:
    """Whether the person's recent QTc (500 ms or more, Krantz 2009) calls for a review of the methadone
    dose: the care team's notice on the record."""
    return qtc_ms is not None and qtc_ms >= HIGH_FROM_MS
