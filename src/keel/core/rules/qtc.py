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
