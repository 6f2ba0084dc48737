"""`lineupwatch schedule`: the job on the config's cron expression, in an APScheduler daemon.

Runs coalesce (a backlog of missed runs is one run), never overlap (one instance, plus the run
lock shared with `lineupwatch run`), and stop cleanly on SIGTERM and SIGINT after the running job.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from .config import Config
from .lock import LockBusy

CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
# crontab numbers weekdays from Sunday = 0 (7 too); APScheduler 3 from Monday = 0. Names agree.
_CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMBER = re.compile(r"(?<![\w/])[0-7](?![\w])")


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """Standard 5-field crontab, or 6 fields with seconds first ("*/2 * * * * *") for fast tests."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"cron expression {expression!r} needs 5 fields (or 6 with seconds first)")
    second = fields[0] if len(fields) == 6 else "0"
    values = dict(zip(CRON_FIELDS, fields[-5:]))
    values["day_of_week"] = _WEEKDAY_NUMBER.sub(lambda m: _CRON_WEEKDAYS[int(m.group(0))], values["day_of_week"])
    return CronTrigger(second=second, **values, timezone=timezone)


def run_trigger(config: Config) -> CronTrigger:
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


def serve(config: Config, job: Callable[[], bool], log: logging.Logger) -> None:
    """Block running `job` on schedule until SIGTERM or SIGINT."""
    scheduler = BlockingScheduler(timezone=config.schedule.timezone)

    def logged_job() -> None:
        started = time.monotonic()
        log.info("run started")
        try:
            outcome = "ok" if job() else "failed"
        except LockBusy:
            outcome = "skipped: another run holds the lock"
        except Exception:  # the daemon outlives a bad run; the traceback goes to the log
            log.exception("run crashed")
            outcome = "crashed"
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
