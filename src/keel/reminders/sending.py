"""The send loop both kinds of reminder share: a person's own reminders (`reminders.ReminderSend`) and
appointment reminders (`appointments.AppointmentSend`). Each caller decides what is due, what a message says
and whether a retry is still wanted; this module holds the rest, once:

- the claim: a send's row (unique per reminder and day, or per appointment, slot and move) is inserted
  "sending" before its message goes out, so two workers never send it twice; a retry is claimed by one
  conditional update (RETRYING -> SENDING), so it, too, is made by one worker only;
- the attempt: a failure keeps the exception's class only (its text may quote the address), and is tried
  again after the delays of keel.jobs.schedule up to KEEL_REMINDER_MAX_ATTEMPTS, or marked failed at once
  when the provider refused it for good (channels.is_permanent); /healthz counts the failed ones;
- the lease: a send still "sending" KEEL_REMINDER_SEND_LEASE_SECONDS after its attempt was claimed was lost
  with its worker (killed mid-send) and counts as a failed attempt (`WorkerLost`), as in keel.jobs' lost-run
  recovery. An attempt takes at most the providers' timeouts (seconds), far less than the lease, so a send
  within its lease is never taken from its worker; an attempt's end is written only while the row is still
  that attempt's (its number), so a late worker never overwrites the next attempt's state;
- the clock: each claim is timed when it is made (`clock`), not when the loop began: a loop slowed by the
  providers' timeouts would otherwise claim its last sends "older than the lease" at once, and another
  worker would take them from it as lost and send them again. A caller's fixed `now` (tests) is kept.
  A row left "sending" with no claim time (from before `claimed_at` was kept) is given one when first
  seen, so it is recovered a lease later: never stuck, never taken at once from a worker still on it.

The logs name a send by a number only: no address, no words of the message, no health information."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from keel.jobs.schedule import backoff
from keel.patients.models import Patient, zone_of
from keel.reminders import channels
from keel.reminders.models import SendStatus

WORKER_LOST = "WorkerLost"  # the error of a send whose worker stopped mid-send (as keel.jobs.WorkerLost)
SendModel = TypeVar("SendModel", bound=models.Model)
SendField = str | int | datetime | None  # a value written to a send row's own fields (not a relation)


class SendRow(Protocol):
    """What a send row carries that the send loop reads."""

    @property
    def pk(self) -> object: ...

    @property
    def attempts(self) -> int: ...


def clock(now: datetime | None) -> datetime:
    """The time of one step of a send loop: the caller's fixed `now` when given (tests, so they stay
    deterministic), else the real time read at this moment (each claim and each end timed when made)."""
    return now if now is not None else timezone.now()


@dataclass(frozen=True)
class Sends(Generic[SendModel]):
    """The send rows of one model (with the fields status, attempts, error, sent_at, claimed_at,
    next_try_at, finished_at) and how the logs name one: `noun` and the row's field `log_id`.

    A send's claim, attempt, retries and lease (a send lost with its worker), for reminders and appointment
    reminders alike: a new kind of message send uses it (`clock` for each claim's time, `zone_or_skip` for a
    person's zone, so one broken program never stops the others)."""

    model: type[SendModel]
    noun: str
    log_id: str
    logger: logging.Logger

    def _rows(self) -> models.QuerySet[SendModel]:
        return self.model._default_manager.all()

    def claim_new(self, *, usable: bool, now: datetime, **fields: object) -> SendModel | None:
        """Insert the send's row, claimed ("sending", attempt 1) when it can go out, else "no address"; None
        when the row is there already (another worker has it, or it went out)."""
        try:
            with transaction.atomic():
                return self._rows().create(
                    status=SendStatus.SENDING if usable else SendStatus.NO_ADDRESS,
                    attempts=1 if usable else 0,
                    sent_at=now,
                    claimed_at=now if usable else None,
                    **fields,
                )
        except IntegrityError:
            return None

    def recover_lost(self, now: datetime) -> None:
        """Sends left "sending" by a worker stopped mid-send (claimed more than the lease ago): each counts
        as a failed attempt, retried after its delay, or marked failed (and counted by /healthz) when
        KEEL_REMINDER_MAX_ATTEMPTS are used up. One conditional update each: no send is recovered twice."""
        # A "sending" row with no claim time (written before claimed_at was kept) starts its lease now:
        # never stuck (NULL < cutoff is never true), never taken from a worker that may still be on it.
        unclaimed = (
            self._rows().filter(status=SendStatus.SENDING, claimed_at__isnull=True).update(claimed_at=now)
        )
        if unclaimed:
            self.logger.warning(
                "%d %s send(s) left sending with no claim time; recovered after the lease if still sending.",
                unclaimed,
                self.noun.lower(),
            )
        cutoff = now - timedelta(seconds=settings.KEEL_REMINDER_SEND_LEASE_SECONDS)
        lost = self._rows().filter(status=SendStatus.SENDING, claimed_at__lt=cutoff)
        for row_id, attempts, log_id in list(lost.values_list("pk", "attempts", self.log_id)):
            delay = backoff(max(attempts, 1), max_attempts=settings.KEEL_REMINDER_MAX_ATTEMPTS)
            fields: dict[str, SendField] = (
                {"status": SendStatus.FAILED, "finished_at": now, "next_try_at": None}
                if delay is None
                else {"status": SendStatus.RETRYING, "next_try_at": now + delay}
            )
            recovered = (
                self._rows()
                .filter(pk=row_id, status=SendStatus.SENDING, attempts=attempts, claimed_at__lt=cutoff)
                .update(error=WORKER_LOST, **fields)
            )
            if recovered:
                self.logger.warning(
                    "%s %s was left sending by a stopped worker (attempt %d); %s.",
                    self.noun,
                    log_id,
                    attempts,
                    "not trying again" if delay is None else f"trying again in {delay}",
                )

    def retry_due(self, now: datetime | None, try_again: Callable[[int], bool]) -> int:
        """The failed sends whose next attempt is due: each claimed by one worker (RETRYING -> SENDING, one
        conditional update, timed when made: `clock`), then handed to `try_again(row_id)`, which finishes it
        (`finish`, or `attempt`) and says whether it went out (a row gone meanwhile: False). Returns how
        many went out."""
        sent = 0
        due = self._rows().filter(status=SendStatus.RETRYING, next_try_at__lte=clock(now))
        for row_id in list(due.values_list("pk", flat=True)):
            at = clock(now)
            claimed = (
                self._rows()
                .filter(pk=row_id, status=SendStatus.RETRYING, next_try_at__lte=at)
                .update(
                    status=SendStatus.SENDING, attempts=F("attempts") + 1, next_try_at=None, claimed_at=at
                )
            )
            if claimed and try_again(row_id):
                sent += 1
        return sent

    def _this_attempt(self, row: SendRow) -> models.QuerySet[SendModel]:
        return self._rows().filter(pk=row.pk, status=SendStatus.SENDING, attempts=row.attempts)

    def finish(self, row: SendRow, status: str, now: datetime, error: str | None = None) -> None:
        """End the claimed attempt `row` with `status` (unless it was taken as lost meanwhile)."""
        fields: dict[str, SendField] = {"status": status, "finished_at": now, "next_try_at": None}
        if error is not None:
            fields["error"] = error
        self._this_attempt(row).update(**fields)

    def attempt(self, row: SendRow, deliver: Callable[[], None], now: datetime | None) -> bool:
        """One attempt of the claimed (SENDING) send `row`: `deliver()` writes and sends its message. True
        when it went out; on failure, tried again after its delay or marked failed. Its end is timed when
        the provider answered (`clock`)."""
        try:
            deliver()
        except Exception as exc:
            now = clock(now)
            error = type(exc).__name__[:200]  # the class only: an exception's text may quote the address
            attempts = row.attempts
            delay = (
                None
                if channels.is_permanent(exc)
                else backoff(attempts, max_attempts=settings.KEEL_REMINDER_MAX_ATTEMPTS)
            )
            log_id = getattr(row, self.log_id)
            if delay is None:
                self.finish(row, SendStatus.FAILED, now, error)
                self.logger.error(
                    "%s %s was not sent after %d attempt(s) (%s).", self.noun, log_id, attempts, error
                )
            else:
                self._this_attempt(row).update(
                    status=SendStatus.RETRYING, error=error, next_try_at=now + delay
                )
                self.logger.warning(
                    "%s %s was not sent (attempt %d, %s); trying again in %s.",
                    self.noun,
                    log_id,
                    attempts,
                    error,
                    delay,
                )
            return False
        self.finish(row, SendStatus.SENT, clock(now), "")
        return True


def zone_or_skip(patient: Patient) -> ZoneInfo | None:
    """The person's time zone (their program's), or None when it does not load: a zone name edited by hand
    ("America/New York") or dropped by a tzdata upgrade. The caller skips that person's send (never at a
    guessed time) and every other program's reminders still go out; the log names the program, not the
    person."""
    try:
        return zone_of(patient)
    except (ZoneInfoNotFoundError, ValueError):
        logging.getLogger("keel.reminders").error(
            "reminder skipped: the time zone of program %s does not load", patient.program_id
        )
        return None
