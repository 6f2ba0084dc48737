"""When the job runs: cron expressions from the config, evaluated by APScheduler."""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from .config import Config


def run_trigger(config: Config) -> CronTrigger:
    return CronTrigger.from_crontab(config.schedule.run_cron, timezone=config.schedule.timezone)


def next_run_times(config: Config, now: datetime, count: int) -> list[datetime]:
    trigger = run_trigger(config)
    times: list[datetime] = []
    previous = None
    moment = now
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire
    return times
