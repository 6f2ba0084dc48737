"""Issue 11.3: cron expressions fire exactly when crontab (cronie / Vixie cron) would fire them.

The oracle below is written from crontab(5), independently of croniter: each field is a set of
values from lists, ranges and steps (names allowed, 7 is Sunday, @-macros expand to 5 fields), and
a day matches when day-of-month OR day-of-week matches if both are restricted, AND when either
field starts with `*` (cronie's DOM_STAR / DOW_STAR rule)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import run_cli
from lineupwatch.config.settings import parse_config
from lineupwatch.config.cron import parse_cron
from lineupwatch.ops.schedule import next_run_times

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
NAMES = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
NAMES.update({name: i + 1 for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])})
BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = NAMES.get(a) if a in NAMES else int(a), NAMES.get(b) if b in NAMES else int(b)
        else:
            first = NAMES[base] if base in NAMES else int(base)
            last = high if step else first
        values.update(range(first, last + 1, int(step or 1)))
    return values


def crontab_times(expression: str, start: datetime, count: int) -> list[datetime]:
    """The next `count` minutes at or after `start` (UTC) at which crontab runs `expression`."""
    fields = MACROS.get(expression, expression).split()
    minutes, hours, doms, months, dows = (_field(f, lo, hi) for f, (lo, hi) in zip(fields, BOUNDS))
    dows = {d % 7 for d in dows}
    dom_star, dow_star = fields[2].startswith("*"), fields[4].startswith("*")
    found, day = [], start.date()
    while len(found) < count:
        dom_ok, dow_ok = day.day in doms, (day.weekday() + 1) % 7 in dows
        day_ok = (dom_ok and dow_ok) if (dom_star or dow_star) else (dom_ok or dow_ok)
        if day.month in months and day_ok:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)
                    if moment >= start and len(found) < count:
                        found.append(moment)
        day += timedelta(days=1)
    return found


EXPRESSIONS = [
    "17 6 * * *", "0 6 * * 0-6", "0 6 * * 0-4", "0 6 * * 1-5", "0 6 * * */2", "0 6 * * 7", "0 6 * * 0",
    "0 6 * * 5-7", "30 4 * * sun", "0 9 * * mon-fri", "0 6 * * 1,3,5", "@daily", "@hourly", "@weekly",
    "@monthly", "@yearly", "*/15 * * * *", "5-10/2 3 * * *", "0 0 1,15 * *", "0 6 13 * 5", "0 6 */2 * 1",
    "0 6 1 * */3", "0 12 29 2 *", "0 0 * jan,jul *", "45 23 31 * *", "0 6 1-7 * 1", "0 */5 * * 2",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_next_fire_times_match_crontab(expression: str) -> None:
    config = parse_config({"schedule": {"run_cron": expression}}, Path("t.toml"))
    for start in (datetime(2026, 11, 23, 7, 0, 30, tzinfo=timezone.utc), datetime(2027, 2, 27, 23, 59, tzinfo=timezone.utc)):
        assert next_run_times(config, start, 6) == crontab_times(expression, start, 6), (expression, start)


def test_the_daemon_trigger_continues_strictly_after_each_fire() -> None:
    trigger = parse_cron("0 6 * * */2", "UTC")
    now = datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc)  # a Sunday, on the minute: fires now
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, now)
    assert (first, second) == tuple(crontab_times("0 6 * * */2", now, 2))


def test_a_timezone_keeps_the_wall_clock_across_dst() -> None:
    config = parse_config({"schedule": {"run_cron": "30 2 * * *", "timezone": "Europe/Berlin"}}, Path("t.toml"))
    times = next_run_times(config, datetime(2026, 10, 24, 12, tzinfo=timezone.utc), 2)
    assert [t.isoformat() for t in times] == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]


@pytest.mark.parametrize("expression, message", [
    ("0 6 31 2 *", "never fires"),
    ("0 6 30 2 *", "never fires"),
    ("0 6 31 4,6 *", "never fires"),
    ("61 * * * *", "cron expression '61 * * * *'"),
    ("0 6 * * 8", "cron expression '0 6 * * 8'"),
    ("@sometimes", "cron expression '@sometimes'"),
    ("0 6 * *", "needs 5 fields"),
], ids=["feb-31", "feb-30", "apr-jun-31", "minute-61", "weekday-8", "bad-macro", "four-fields"])
def test_a_cron_that_is_wrong_or_never_fires_is_a_config_error(tmp_path: Path, expression: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[schedule]\nrun_cron = "{expression}"\n')
    for command in ("status", "schedule"):
        result = run_cli(command, "--config", str(path), ok=False)
        assert result.exit_code == 2
        assert result.output.startswith(f"Error: {path}: key 'schedule.run_cron'") and message in result.output
        assert len(result.output.strip().splitlines()) == 1
