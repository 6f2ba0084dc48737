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
from datetime import datetime

from ..config.cron import CrontabTrigger, as_apscheduler_trigger, parse_cron
from ..config.settings import Config
from .lock import LockBusy


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

    scheduler.add_job(logged_job, as_apscheduler_trigger(run_trigger(config)), id="run", coalesce=True, max_instances=1,
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
