"""`lineupwatch schedule`: the job on the config's cron expression, in an APScheduler daemon.

Runs coalesce (a backlog of missed runs is one run), never overlap (one instance, plus the run
lock shared with `lineupwatch run`), and stop cleanly on SIGTERM and SIGINT after the running job.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from croniter import CroniterBadDateError, croniter

from .config import Config
from .lock import LockBusy


class CrontabTrigger(BaseTrigger):
    """An APScheduler trigger that fires exactly when croniter says, with crontab's semantics.

    APScheduler 3's own CronTrigger numbers weekdays from Monday and reads `*/2` or `0-6` in the
    day-of-week field differently from crontab; croniter is the one source of fire times instead.
    It runs in cron-compatible mode (Vixie cron / cronie): day-of-month and day-of-week are ORed
    when both are restricted, ANDed when either starts with `*`, as in `0 6 */2 * 1`."""

    def __init__(self, expression: str, timezone: tzinfo) -> None:
        fields = expression.split()
        macro = len(fields) == 1 and expression.strip().startswith("@")
        if not macro and len(fields) not in (5, 6):
            raise ValueError(f"cron expression {expression!r} needs 5 fields, an @-macro like @daily, "
                             "or 6 fields with seconds first")
        self.expression, self.timezone = expression.strip(), timezone
        self._seconds_first = len(fields) == 6
        try:
            croniter(self.expression, datetime.now(timezone), **self._options())
        except (ValueError, KeyError) as err:  # croniter's errors are ValueErrors
            raise ValueError(f"cron expression {expression!r}: {err}") from None
        if self.next_after(datetime(2026, 1, 1, tzinfo=timezone)) is None:
            raise ValueError(f"cron expression {expression!r} never fires (no such day in any year)")

    def _options(self) -> dict:
        return {"implement_cron_bug": True, "second_at_beginning": self._seconds_first}

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time at or after `moment`, or None if there is none."""
        moment = moment.astimezone(self.timezone)
        schedule = croniter(self.expression, moment - timedelta(seconds=1), **self._options())
        try:
            fire = schedule.get_next(datetime)
            while fire < moment:
                fire = schedule.get_next(datetime)
        except CroniterBadDateError:
            return None
        return fire

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        # As APScheduler's CronTrigger: strictly after the previous fire, else at or after now.
        start = now if previous_fire_time is None else min(now, previous_fire_time + timedelta(microseconds=1))
        if previous_fire_time is not None and start <= previous_fire_time:
            start = previous_fire_time + timedelta(microseconds=1)
        return self.next_after(start)

    def __str__(self) -> str:
        return f"crontab[{self.expression}]"


def parse_cron(expression: str, timezone: str) -> CrontabTrigger:
    """Standard crontab (5 fields, names, 0 and 7 for Sunday, @-macros), or 6 fields with seconds
    first ("*/2 * * * * *") for fast tests. Raises ValueError (LookupError for an unknown zone)."""
    return CrontabTrigger(expression, ZoneInfo(timezone))


def run_trigger(config: Config) -> CrontabTrigger:
    return parse_cron(config.schedule.run_cron, config.schedule.timezone)


def next_run_times(config: Config, now: datetime, count: int) -> list[datetime]:
    trigger = run_trigger(config)
    times: list[datetime] = []
    previous, moment = None, now
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire
    return times


def serve(config: Config, job: Callable[[], str | None], log: logging.Logger) -> None:
    """Block running `job` (it returns the cause of a failure, or None) until SIGTERM or SIGINT."""
    # Imported here: every command checks the config's cron expression through this module, and
    # the scheduler (with asyncio) costs ~50 ms that only the daemon needs.
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=config.schedule.timezone)

    def logged_job() -> None:
        started = time.monotonic()
        log.info("run started")
        try:
            cause = job()
            outcome = "ok" if cause is None else f"failed ({cause})"
        except LockBusy:
            outcome = "skipped: another run holds the lock"
        except Exception as err:  # the daemon outlives a bad run: the cause in one line, the traceback at debug
            log.debug("run crashed", exc_info=True)
            outcome = "failed ({})".format(" ".join(f"{type(err).__name__}: {err}".split()))
        # Not scheduler.get_job(): during shutdown the scheduler holds its job-store lock while it
        # waits for this very job, so asking it would deadlock.
        upcoming = next_run_times(config, datetime.now(scheduler.timezone), 1)
        log.info("run %s in %.1f s; next run %s", outcome, time.monotonic() - started, upcoming[0] if upcoming else None)

    scheduler.add_job(logged_job, run_trigger(config), id="run", coalesce=True, max_instances=1,
                      misfire_grace_time=config.schedule.misfire_grace_s)

    stopper: list[threading.Thread] = []

    def shut_down(name: str) -> None:
        log.info("received %s, stopping after the running job", name)
        scheduler.shutdown(wait=True)

    def stop(signum: int, _frame: object) -> None:
        # A signal handler must not block or log: it interrupts the main thread wherever it is,
        # possibly inside a logging lock the running job also needs. A thread does the waiting.
        if not stopper:
            stopper.append(threading.Thread(target=shut_down, args=(signal.Signals(signum).name,)))
            stopper[0].start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: %s (%s); first run %s", config.schedule.run_cron, config.schedule.timezone,
             next_run_times(config, datetime.now(scheduler.timezone), 1)[0])
    scheduler.start()
    for thread in stopper:
        thread.join()
    log.info("stopped")
