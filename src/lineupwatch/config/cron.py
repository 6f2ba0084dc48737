"""Cron expressions with crontab's semantics: the one parser, used to check the config and to
fire the daemon's runs (an APScheduler trigger)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter


class CrontabTrigger:
    """An APScheduler trigger that fires exactly when croniter says, with crontab's semantics.

    It is registered as a virtual subclass of APScheduler's BaseTrigger by the daemon
    (`as_apscheduler_trigger`), so that checking a config, or `status`, never imports APScheduler.

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


def as_apscheduler_trigger(trigger: CrontabTrigger) -> CrontabTrigger:
    """The trigger, known to APScheduler as one of its own (BaseTrigger is an ABC)."""
    from apscheduler.triggers.base import BaseTrigger

    BaseTrigger.register(CrontabTrigger)
    return trigger


def parse_cron(expression: str, timezone: str) -> CrontabTrigger:
    """Standard crontab (5 fields, names, 0 and 7 for Sunday, @-macros), or 6 fields with seconds
    first ("*/2 * * * * *") for fast tests. Raises ValueError (LookupError for an unknown zone)."""
    return CrontabTrigger(expression, ZoneInfo(timezone))
