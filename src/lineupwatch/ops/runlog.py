"""The run log of `run`, `poll` and the daemon: one line per step, each with its UTC time.

Text (the default), for a terminal and the cron line's `>> run.log 2>&1`:

    2026-12-07T06:17:09Z INFO step=poll status=ok duration_s=8.2 poll 1: 667 repos, 14 listing requests, ...
    2026-12-07T06:17:10Z ERROR step=report status=failed report failed: FileExistsError: ... (no report was written; ...)

JSON (`--log-format json`): the same fields, one object per line, for journald or a log shipper:

    {"time": "2026-12-07T06:17:09Z", "level": "info", "step": "poll", "status": "ok", "duration_s": 8.2,
     "message": "poll 1: 667 repos, ..."}

A failed step gives one ERROR line (a poll: one per failed org), with `error` (at most 300
characters), `todo` and the `org` or `repo` to blame; nothing repeats it. The run's last line
(`step=run`) says how it ended. Lines go to stderr; a progress bar on the terminal steps aside for
them. Imports nothing heavy: the CLI loads it for every command that logs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..alerts.engine import AlertRun
    from ..stream.poll import StreamResult
    from .job import JobResult, StepFailure

FORMATS = ("text", "json")
FIELDS = ("step", "status", "duration_s", "org", "repo")  # shown as key=value in a text line
DETAILS = ("error", "todo")  # in a JSON line only: a text line's message already says them


def utc_stamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))


class TextFormatter(logging.Formatter):
    """`<UTC time> <LEVEL> step=.. status=.. <message>`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "lw", {})
        parts = [utc_stamp(record.created), record.levelname]
        parts += [f"{key}={fields[key]}" for key in FIELDS if fields.get(key) is not None]
        line = " ".join([*parts, record.getMessage()])
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the text line's fields, and a failure's error and todo."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "lw", {})
        data: dict[str, object] = {"time": utc_stamp(record.created), "level": record.levelname.lower()}
        data |= {key: fields[key] for key in (*FIELDS, *DETAILS) if fields.get(key) is not None}
        data["message"] = record.getMessage()
        if record.name != "lineupwatch" and not record.name.startswith("lineupwatch."):
            data["logger"] = record.name
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class StderrHandler(logging.Handler):
    """Writes to the stderr of the moment (a test runner swaps it), around any progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            stream = sys.stderr
            bars = sys.modules.get("tqdm")  # only when a command has drawn a bar: no import here
            if bars is not None:
                with bars.tqdm.external_write_mode(file=stream):
                    stream.write(line)
            else:
                stream.write(line)
            stream.flush()
        except Exception:  # noqa: BLE001 - logging's own contract: never raise from a handler
            self.handleError(record)


# Whose records the run log shows: lineupwatch's own, and the scheduler's warnings (a missed run).
# Not the libraries' below them: apprise logs a webhook URL it cannot parse, token and all.
SHOWN = {"lineupwatch": logging.INFO, "apscheduler": logging.WARNING}


@contextmanager
def session(log_format: str = "text") -> Iterator[logging.Logger]:
    """The run log on stderr for the length of a command; yields lineupwatch's logger."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    loggers = {logging.getLogger(name): level for name, level in SHOWN.items()}
    before = {logger: logger.level for logger in loggers}
    for logger, level in loggers.items():
        logger.addHandler(handler)
        logger.setLevel(level)
    try:
        yield logging.getLogger("lineupwatch")
    finally:
        for logger, level in before.items():
            logger.removeHandler(handler)
            logger.setLevel(level)


def log(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    logger.log(level, message, extra={"lw": fields})


def info(logger: logging.Logger, message: str, **fields: object) -> None:
    log(logger, logging.INFO, message, **fields)


def failure(logger: logging.Logger, failed: StepFailure) -> None:
    """A failed step (or org), once: what failed, the error, what to do."""
    log(logger, logging.ERROR, failed.line(), step=failed.step, status="failed", org=failed.org, repo=failed.repo,
        error=failed.error, todo=failed.todo)


def step_logger(logger: logging.Logger):
    """The `on_step` callback of `run_job`/`run_polls`: a step's lines as it ends."""

    def on_step(step: str, result: JobResult, duration_s: float) -> None:
        failures = result.failures_of(step)
        status, message, level = _summary(step, result)
        if failures and status == "ok":
            status = "failed"
        if message is not None:
            log(logger, logging.WARNING if status == "partial" else level, message, step=step, status=status,
                duration_s=round(duration_s, 1))
        for failed in failures:
            failure(logger, failed)
        if step == "poll" and result.poll:
            for warning in result.poll.warnings:
                log(logger, logging.WARNING, f"warning: {warning}", step="poll", status="warning")
        if step == "alerts" and result.alerts:
            for line in alert_lines(result.alerts)[1:]:
                log(logger, logging.INFO, line.strip(), step="alerts", status="notice")

    return on_step


def _summary(step: str, result: JobResult) -> tuple[str, str | None, int]:
    """(status, message or None, level) of a step that has just ended."""
    if step == "poll":
        if result.poll is None:
            return "failed", None, logging.ERROR  # the failure lines say it all
        poll = result.poll
        status = "partial" if poll.failures else "ok"
        return status, poll_line(result), logging.INFO
    if step == "stream":
        return ("ok", stream_line(result.stream), logging.INFO) if result.stream else ("failed", None, logging.ERROR)
    if step == "report":
        if result.reports:
            return "ok", "; ".join(f"report: {paths['html']}" for paths in result.reports), logging.INFO
        if result.failures_of("report"):
            return "failed", None, logging.ERROR
        return "skipped", ("no report due: the last complete week's is written" if not result.report_due
                           else "no report written: no successful poll yet"), logging.INFO
    if step == "alerts" and result.alerts:
        return ("ok" if result.alerts.ok else "failed"), alert_lines(result.alerts)[0], logging.INFO
    return "failed", None, logging.ERROR


def finished(logger: logging.Logger, result: JobResult, duration_s: float, what: str = "run") -> None:
    """The run's last line (step=run, for `poll` too): ok, or which steps failed (their lines are above)."""
    steps = list(dict.fromkeys(f.step for f in result.failures))
    if not steps:
        log(logger, logging.INFO, f"{what} ok in {duration_s:.1f} s", step="run", status="ok",
            duration_s=round(duration_s, 1))
    else:
        log(logger, logging.ERROR, f"{what} failed in {duration_s:.1f} s: {len(result.failures)} failure(s) in "
            f"{', '.join(steps)} (each on its line above, with what to do)", step="run", status="failed",
            duration_s=round(duration_s, 1))


def poll_line(result: JobResult) -> str:
    poll = result.poll
    assert poll is not None
    partial = (f"; partial: {len(poll.failures)} org(s) failed and were not stored (their repos keep their last "
               "state, none is marked removed)" if poll.failures else "")
    return (f"poll {poll.poll_id}: {poll.repo_count} repos, {poll.listing_requests} listing requests, "
            f"{poll.info_requests} child-count requests; events: {counts(poll.events)}{partial}")


def stream_line(stream: StreamResult) -> str:
    """One line on a stream poll that stored its window."""
    return (f"stream run {stream.run_id}: {stream.repos} repos read back to {stream.oldest}, {stream.new} new, "
            f"{stream.updated} updated, {stream.requests} requests"
            + (f", {stream.skipped} unreadable skipped" if stream.skipped else "")
            + (f"; warning: {stream.warning}" if stream.warning else ""))


def alert_lines(run: AlertRun, dry_run: bool = False) -> list[str]:
    from ..alerts.mailer import one_line

    verb = "would send" if dry_run or run.read_only else "new"
    head = (f"alerts: {run.firing} conditions hold; {len(run.created)} {verb}"
            + (" (first run: one welcome digest)" if run.first_run else "")
            + _delivered(run) + (f"; {run.pending} pending" if run.pending else "")
            + ("; read-only (--as-of is not today): alert state and delivery change only in a run for today"
               if run.read_only and not dry_run else ""))
    return [head] + [f"  [{notice.severity}] {one_line(notice.subject)}" for notice in run.created]


def _delivered(run: AlertRun) -> str:
    """The delivery clause, e.g. "; 3 sent in 1 message": changes every channel took, and the
    messages that carried them (one per channel and run, when grouped)."""
    messages = f"{run.messages} message" + ("" if run.messages == 1 else "s")
    if run.sent:
        return f"; {run.sent} sent" + (f" in {messages}" if run.messages else "")
    return f"; {messages} sent" if run.messages else ""


def counts(by_kind: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items())) or "none"
