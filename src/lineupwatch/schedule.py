"""`lineupwatch schedule`: the job on the config's cron expression, in an APScheduler daemon.

Runs coalesce (a backlog of missed runs is one run), never overlap (one instance, plus the run
lock shared with `lineupwatch run`), and stop cleanly on SIGTERM and SIGINT after the running job.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from .config import Config
from .lock import LockBusy

CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """Standard 5-field crontab, or 6 fields with seconds first ("*/2 * * * * *") for fast tests."""
    fields = expression.split()
    if len(fields) == 6:
        return CronTrigger(second=fields[0], **dict(zip(CRON_FIELDS, fields[1:])), timezone=timezone)
    return CronTrigger.from_crontab(expression, timezone=timezone)


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
        next_time = scheduler.get_job("run").next_run_time if scheduler.get_job("run") else None
        log.info("run %s in %.1f s; next run %s", outcome, time.monotonic() - started, next_time)

    scheduler.add_job(logged_job, run_trigger(config), id="run", coalesce=True, max_instances=1,
                      misfire_grace_time=config.schedule.misfire_grace_s)

    def stop(signum: int, _frame: object) -> None:
        log.info("received %s, stopping after the running job", signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: %s (%s); first run %s", config.schedule.run_cron, config.schedule.timezone,
             next_run_times(config, datetime.now(scheduler.timezone), 1)[0])
    scheduler.start()
    log.info("stopped")
