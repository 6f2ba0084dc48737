"""The `lineupwatch` command line: thin click commands over the modules that do the work."""

from __future__ import annotations

import functools
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .config.settings import Config

# Each command imports what it needs when it runs: `--help` and `status` must start in under
# 0.2 s, and the report (numpy, matplotlib, jinja2), the alerts, pydantic (the config's schema)
# and huggingface_hub cost about 0.5 s together. tests/ops/test_operations.py holds this.


class UsageFailure(click.ClickException):
    """A config the tool cannot use: exit code 2, like a usage error."""

    exit_code = 2


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


CONFIG_HELP = "Config file (default: $LINEUPWATCH_CONFIG, else config/lineupwatch.toml)."


def config_option(command: Callable) -> Callable:
    """--config PATH, shared by every command that reads the config; it may also come before
    the command (`lineupwatch --config X status`), where the group keeps it."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  envvar="LINEUPWATCH_CONFIG", default=None, help=CONFIG_HELP)
    @functools.wraps(command)
    def wrapper(*args, config_path: Path | None, **kwargs):
        from .config.settings import ConfigError, load_config

        config_path = config_path or click.get_current_context().find_root().params.get("config_path")
        try:
            config = load_config(config_path)
        except ConfigError as err:
            raise UsageFailure(str(err)) from None
        return command(*args, config=config, **kwargs)

    return wrapper


LOG_FORMAT_HELP = "Run log format on stderr: text (UTC time, step, status, message) or json (one object a line)."


def log_format_option(command: Callable) -> Callable:
    """--log-format, for the commands that log their steps (run, poll, schedule); like --config it
    may also come before the command, or from $LINEUPWATCH_LOG_FORMAT."""

    @click.option("--log-format", "log_format", type=click.Choice(["text", "json"]), envvar="LINEUPWATCH_LOG_FORMAT",
                  default=None, help=LOG_FORMAT_HELP)
    @functools.wraps(command)
    def wrapper(*args, log_format: str | None, **kwargs):
        log_format = log_format or click.get_current_context().find_root().params.get("log_format") or "text"
        return command(*args, log_format=log_format, **kwargs)

    return wrapper


@contextmanager
def database_errors(config: Config) -> Iterator[None]:
    """A broken, locked or full database is a one-line error, not a traceback; SQLite has rolled
    back the transaction that failed, so the file holds what the last complete write left."""
    try:
        yield
    except sqlite3.DatabaseError as err:
        raise click.ClickException(
            f"database {config.database_path}: {err}. Nothing of this run was stored; check the file and the "
            "disk (a damaged file can be moved away: `lineupwatch rebuild` cannot help without its raw archive)."
        ) from None


@contextmanager
def locked_db(config: Config) -> Iterator:
    """The run lock, then the database: a second run leaves the database untouched."""
    from .ops.lock import LockBusy, run_lock
    from .store import database as store

    try:
        with run_lock(config.database_path), database_errors(config):
            db = store.open_db(config.database_path)
            try:
                yield db
            finally:
                db.close()
    except LockBusy as err:
        raise click.ClickException(str(err)) from None


@contextmanager
def reader_db(config: Config) -> Iterator:
    """The database for reading beside a running writer: no lock, no migration, no write."""
    from .store import database as store

    with database_errors(config):
        try:
            db = store.open_reader(config.database_path)
        except store.SchemaOutdated as err:
            raise click.ClickException(str(err)) from None
        try:
            yield db
        finally:
            db.close()


@click.group()
@click.version_option(package_name="lineupwatch")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=CONFIG_HELP)
@click.option("--log-format", "log_format", type=click.Choice(["text", "json"]), envvar="LINEUPWATCH_LOG_FORMAT",
              default=None, help=LOG_FORMAT_HELP)
def cli(config_path: Path | None, log_format: str | None) -> None:
    """Watch open-weight model families on the Hugging Face Hub: are the models that fit on
    ordinary hardware still being made?

    \b
    Example:
        lineupwatch init && lineupwatch run
    """


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Replace an existing config/lineupwatch.toml.")
@click.option("--systemd", "systemd", is_flag=True,
              help="Also write DIRECTORY/systemd/: the service, timer and daemon units with this install's paths.")
@click.option("--systemd-user", default="lineupwatch", show_default=True, help="The User= and Group= of the units.")
def init(directory: Path, force: bool, systemd: bool, systemd_user: str) -> None:
    """Write a commented config, Datasette metadata and the data and reports directories into DIRECTORY.

    The config is the default one shipped in the package, every key with its default and a
    comment; its paths are relative to DIRECTORY, so run the other commands from there.

    \b
    Example:
        lineupwatch init /var/lib/lineupwatch && cd /var/lib/lineupwatch && lineupwatch run
        lineupwatch init --systemd /var/lib/lineupwatch
    """
    from .ops.scaffold import InitRefused, init_directory, units_howto, write_units

    try:
        written = init_directory(directory, force=force)
    except InitRefused as err:
        if not systemd:
            raise click.ClickException(str(err)) from None
        click.echo(str(err))
        written = []  # the units alone, beside the config kept
    units = write_units(directory, systemd_user) if systemd else []
    for path in [*written, *units]:
        click.echo(f"wrote {path}")
    if units:
        click.echo(units_howto(units, systemd_user))
    click.echo(f"next: cd {directory} && lineupwatch run   (edit {directory / 'config/lineupwatch.toml'} first)")


@cli.command()
@click.option("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else hub.endpoint, else huggingface.co).")
@log_format_option
@config_option
def poll(config: Config, endpoint: str | None, log_format: str) -> None:
    """Poll every watched org once and store the snapshot, then the Hub-wide stream.

    Each org is stored on its own: an org whose listing fails or that lists no repos is recorded
    as failed for this poll, the others are stored. The stream runs whatever the orgs did, and
    any error in one step is recorded without stopping the other. Each step logs one line to
    stderr with its UTC time (a progress bar of pages on a terminal); the command exits 1 after
    one line per failed step (and org) saying what to do.

    \b
    Example:
        lineupwatch poll --endpoint http://127.0.0.1:8321
    """
    from .ops import job as jobs
    from .ops import runlog

    started = time.monotonic()
    with runlog.session(log_format) as log:
        with locked_db(config) as db, page_progress() as on_page:
            result = jobs.run_polls(config, db, endpoint=config.endpoint(endpoint), now=utc_now, on_page=on_page,
                                    on_step=runlog.step_logger(log))
        if not config.hub.stream:
            runlog.info(log, "stream: off (hub.stream = false)", step="stream", status="off")
        runlog.finished(log, result, time.monotonic() - started, what="poll")
    if not result.ok:
        sys.exit(1)


@contextmanager
def page_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar of listing pages on a terminal; silent anywhere else."""
    from tqdm import tqdm

    with tqdm(unit="page", disable=not sys.stderr.isatty(), leave=False) as bar:
        bar.set_description("asking the Hub")  # shown before the first page: a slow Hub is not a hang
        bar.refresh()

        def on_page(org: str, page: int, count: int) -> None:
            bar.set_description(f"{org} page {page} ({count} repos)")
            bar.update(1)

        yield on_page


@cli.command("backfill-stream")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Read back to repos created on this day (YYYY-MM-DD).")
@click.option("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else hub.endpoint, else huggingface.co).")
@config_option
def backfill_stream(config: Config, since: datetime, endpoint: str | None) -> None:
    """Page back through the Hub-wide stream of new repos once, to --since, with a progress bar.

    Each page is stored with the cursor after it: after an interruption, the same command
    resumes where it stopped. It keeps within the Hub's rate limit (hub.stream_rate_reserve).

    \b
    Example:
        lineupwatch backfill-stream --since 2025-03-04
    """
    from tqdm import tqdm

    from .hub.client import PollError
    from .stream.fetch import StreamPage
    from .stream.poll import run_backfill

    with locked_db(config) as db, tqdm(unit="page", disable=not sys.stderr.isatty()) as bar:
        def on_page(page: StreamPage, repos: int) -> None:
            bar.set_description(f"back to {page.items[-1]['createdAt'][:10] if page.items else '?'} ({repos} repos)")
            bar.update(1)

        try:
            result = run_backfill(config, db, endpoint=config.endpoint(endpoint), since=since.date(), now=utc_now,
                                  on_page=on_page)
        except PollError as err:
            raise click.ClickException(f"{err}. The backfill stopped; every page before it is stored: run the "
                                       "same command again to resume.") from None
    click.echo(f"stream backfill {'resumed and ' if result.resumed else ''}done: {result.repos} repos in "
               f"{result.pages} pages back to {since.date()} ({result.new} new, {result.updated} updated)")


@cli.command()
@click.option("--parquet", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for the Parquet files (partitioned by month; replaced on re-export).")
@config_option
def export(config: Config, out_dir: Path) -> None:
    """Export the Hub-wide stream and the observations as Parquet, partitioned by month.

    For DuckDB on one machine or Spark on a cluster; docs/ecosystem.md (`lineupwatch docs
    ecosystem`) has a query that reproduces the report's derivative share. Needs pyarrow:
    pip install 'lineupwatch[parquet]'.

    \b
    Example:
        lineupwatch export --parquet export/
        duckdb -c "SELECT COUNT(*) FROM read_parquet('export/stream/*/*.parquet', hive_partitioning=true)"
    """
    try:
        from .store.export import export_parquet
    except ImportError as err:
        raise click.ClickException(f"export needs pyarrow ({err}): install the extra with "
                                   "`pip install 'lineupwatch[parquet]'` (or `pip install pyarrow`) in this "
                                   f"environment ({sys.prefix})") from None
    with reader_db(config) as db:  # beside a running poll: no lock, no write
        written = export_parquet(db, out_dir)
    click.echo(f"wrote {out_dir}: " + ", ".join(f"{name} {rows} rows" for name, rows in written.items()))


@cli.command()
@click.option("--json", "as_json", is_flag=True,
              help="Print the health as one JSON object (last poll, last good poll, its age, threshold, healthy).")
@config_option
def status(config: Config, as_json: bool) -> None:
    """Show the last polls, the database size and the next scheduled runs; exit 1 when stale.

    The health check of Docker and systemd: exits 1, saying what is stale and what to do, when no
    poll has stored data for alerts.stale_poll_hours (default 48), or none ever has. It only
    reads: it runs beside a job without waiting for its lock.

    \b
    Example:
        lineupwatch status
        lineupwatch status --json
    """
    import json

    from .ops import status as status_view

    now = utc_now()
    health = status_view.health(config, now)
    click.echo(json.dumps(health.as_dict(), indent=2) if as_json else status_view.render_status(config, now, health))
    if not health.healthy:
        if as_json:
            sys.exit(1)
        raise click.ClickException(health.problem or "unhealthy")


@cli.command()
@config_option
def rebuild(config: Config) -> None:
    """Re-derive repos, observations and events from the archived raw polls.

    Use it after changing families, size classes or lines in the config, or to repair the
    derived tables: the raw Hub JSON of every poll is kept.

    \b
    Example:
        lineupwatch rebuild
    """
    with locked_db(config) as db:
        from .store.rebuild import rebuild as rebuild_tables
        from .stream.store import rebuild_stream

        count = rebuild_tables(config, db)
        repos = db["repos"].count
        stream_runs = rebuild_stream(db)
    click.echo(f"rebuilt from {count} polls: {repos} repos; stream: {stream_runs} runs replayed")


@cli.command()
@config_option
def vacuum(config: Config) -> None:
    """Thin old download/like counters as the retention settings say, and give free space back.

    Counters older than storage.counters_daily_days keep one poll per week (or month); with 0
    (the default) nothing is thinned and only free pages are returned, e.g. after an upgrade.
    Needs as much free disk as the database takes. See docs/storage.md.

    \b
    Example:
        lineupwatch vacuum
    """
    from .store import retention

    with locked_db(config) as db:
        result = retention.vacuum(db, config.database_path, config.storage)
    click.echo(f"thinned the counters of {result.thinned_polls} polls; database {result.bytes_before / 1e6:.1f} MB "
               f"-> {result.bytes_after / 1e6:.1f} MB")


@cli.command("replay-hub")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Hub-state file (.json or .json.gz); default: the bundled Hub state.")
@click.option("--port", type=int, default=8321, show_default=True, help="Port on 127.0.0.1.")
@click.option("--latency", type=float, default=0.0, help="Seconds to wait before every answer.")
@click.option("--page-size", type=int, default=1000, show_default=True, help="Repos per listing page.")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Serve the bundled Hub as it was at the end of this day (only repos public by then, "
                   "counters grown to then); not with --data.")
@click.option("--stream-scale", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Also serve a SYNTHETIC Hub-wide stream of new repos at this fraction of the real volume "
                   "(1.0: about 2,700 a day), from 2024-01-01 to --day (default: today).")
def replay_hub(data_path: Path | None, port: int, latency: float, page_size: int, day: datetime | None,
               stream_scale: float | None) -> None:
    """Serve a Hub-state file over HTTP on 127.0.0.1, like the Hub's model API.

    \b
    Example:
        lineupwatch replay-hub --port 8321 &
        HF_ENDPOINT=http://127.0.0.1:8321 lineupwatch poll
        lineupwatch replay-hub --day 2026-04-01   # the bundled Hub on 1 April 2026
        lineupwatch replay-hub --stream-scale 0.02   # with a synthetic stream for backfill-stream
    """
    from .replay.fixtures import bundled_state_path
    from .replay.server import ReplayHub, load_state

    if day is not None and data_path is not None:
        raise UsageFailure("--day replays the bundled Hub timeline; it cannot be combined with --data")
    if day is not None:
        from .replay.timeline import HubTimeline

        models = HubTimeline.bundled().state_at(datetime.combine(day.date(), datetime.max.time(), timezone.utc))
    else:
        models = load_state(data_path or bundled_state_path())
    stream = None
    if stream_scale is not None:
        from .replay.synthetic_stream import SyntheticStream

        stream = SyntheticStream(date(2024, 1, 1), day.date() if day else utc_now().date(), scale=stream_scale)
    hub = ReplayHub(models, port=port, latency_s=latency, page_size=page_size, stream=stream)
    click.echo(f"replay Hub serving {len(models)} repos at {hub.url} ({hub.provenance['label']})"
               + (f" and a SYNTHETIC stream at {stream_scale:g}x the Hub's volume" if stream else "") + " (Ctrl-C to stop)")
    sys.stdout.flush()
    hub.serve_forever()


def as_of_option(command: Callable) -> Callable:
    return click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                        help="Compute as of this day (YYYY-MM-DD) from the data known then; default: today.")(command)


def _day(as_of: datetime | None) -> date:
    return as_of.date() if as_of else utc_now().date()


@cli.command()
@as_of_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: storage.reports_dir, reports/).")
@click.option("--since-baseline", is_flag=True,
              help="Also write every earlier week since the baseline, each as it was on its Sunday.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="With --since-baseline: worker processes computing the weeks (default: the machine's CPUs).")
@click.option("--format", "output_format", type=click.Choice(["all", "forum"]), default="all", show_default=True,
              help="all: Markdown, HTML, JSON, index and feed; forum: only DIR/<YYYY>-W<ww>.forum.md (and its "
                   "charts), a post under 10,000 characters for Reddit, Discourse or GitHub (needs site.base_url).")
@config_option
def report(config: Config, as_of: datetime | None, out_dir: Path | None, since_baseline: bool,
           jobs: int | None, output_format: str) -> None:
    """Write the weekly report for the ISO week of --as-of (default today).

    Writes DIR/<YYYY>-W<ww>.md, .html and .json with PNG charts, and refreshes DIR/index.html
    and DIR/feed.xml (Atom). With site.base_url set, every link in them is absolute.

    \b
    Example:
        lineupwatch report --as-of 2026-11-22 --out reports/
        lineupwatch report --since-baseline
        lineupwatch report --format forum
    """
    from .report import writer as reporting
    from .store import database as store

    out = out_dir or config.reports_path
    if output_format == "forum" and since_baseline:
        raise click.UsageError("--format forum writes one week's post; it cannot be combined with --since-baseline")
    if output_format == "forum" and not config.site.base_url:
        raise UsageFailure(f"{config.path}: key 'site.base_url' is empty: a forum post needs absolute image URLs; "
                           "set it to where the reports directory is published")
    with reader_db(config) as db:  # a report only reads: it never waits for, or blocks, a run
        if not store.ok_poll_ids(db):
            raise click.ClickException(f"no successful poll in {config.database_path} yet, so nothing to report: "
                                       "run `lineupwatch poll` first. No report written.")
        if output_format == "forum":
            forum = reporting.write_forum_post(config, db, _day(as_of), out)["forum"]
            click.echo(f"wrote {forum} ({len(forum.read_text(encoding='utf-8')):,} characters)")
            return
        if since_baseline:
            written = reporting.backfill(config, db, _day(as_of), out, jobs or reporting.usable_cpus())
        else:
            written = [reporting.write_weekly_report(config, db, _day(as_of), out)]
    click.echo(f"wrote {len(written)} report(s); latest: {written[-1]['html']}")
    click.echo(f"index: {written[-1]['index']}")


@cli.command()
@as_of_option
@click.option("--endpoint", help="Hub URL (default: $HF_ENDPOINT, else hub.endpoint, else huggingface.co).")
@log_format_option
@config_option
def run(config: Config, as_of: datetime | None, endpoint: str | None, log_format: str) -> None:
    """Poll, write the weekly report when one is due, then send alerts: the job for cron and timers.

    Without --as-of, a report is written for the last complete ISO week if it is missing; with
    --as-of, the report of that day's week is (re)written. Each step logs one line to stderr with
    its UTC time (--log-format json: one JSON object a line); a failed step gives one line saying
    what to do, and the run exits 1.

    \b
    Example:
        lineupwatch run --config /etc/lineupwatch/lineupwatch.toml
    """
    from .ops import job as jobs
    from .ops import runlog
    from .ops.lock import LockBusy

    started = time.monotonic()
    with runlog.session(log_format) as log:
        try:
            with database_errors(config), page_progress() as on_page:
                result = jobs.run_job(config, endpoint=config.endpoint(endpoint), now=utc_now,
                                      as_of=as_of.date() if as_of else None, on_page=on_page,
                                      on_step=runlog.step_logger(log))
        except LockBusy as err:
            raise click.ClickException(str(err)) from None
        runlog.finished(log, result, time.monotonic() - started)
    if not result.ok:
        sys.exit(1)


@cli.command()
@as_of_option
@click.option("--dry-run", is_flag=True, help="Print the mails that would be sent; change nothing.")
@click.option("--test-mail", is_flag=True, help="Send one test mail with the mail settings, and nothing else.")
@config_option
def alerts(config: Config, as_of: datetime | None, dry_run: bool, test_mail: bool) -> None:
    """Evaluate the alert rules and send each new alert once by email.

    With --as-of a day other than today it only prints what that day looked like: alert state and
    delivery change only in a run for today.

    \b
    Example:
        lineupwatch alerts --dry-run
        LINEUPWATCH_SMTP_PASSWORD=... lineupwatch alerts --test-mail
    """
    from .alerts import mailer
    from .alerts.engine import run_alerts
    from .ops.runlog import alert_lines
    from .sanitize import clean_text

    if test_mail:
        try:
            mailer.send([mailer.test_message(config.mail)], config.mail)
        except mailer.MailError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"test mail sent to {', '.join(config.mail.recipients)} via {config.mail.host}:{config.mail.port}")
        return
    now = utc_now()
    day = as_of.date() if as_of else now.date()
    # Only a live run for today records alert state and sends; anything else reads beside a run.
    with (reader_db(config) if dry_run or day != now.date() else locked_db(config)) as db:
        run = run_alerts(config, db, as_of=day, now=now, dry_run=dry_run)
    for line in alert_lines(run, dry_run):
        click.echo(line)
    if dry_run or run.read_only:
        for notification in run.preview:  # as each would go out; text_body leaves no terminal escapes
            click.echo(f"\n--- {mailer.one_line(clean_text(notification.subject))}\n{mailer.text_body(notification, None)}")
    if not run.ok:
        raise click.ClickException(run.error)


@cli.command()
@log_format_option
@config_option
def schedule(config: Config, log_format: str) -> None:
    """Run the job (poll, report, alerts) on schedule.run_cron until SIGTERM or Ctrl-C.

    Logs to stderr like `run`: a line per step with its UTC time, and a line per run.

    \b
    Example:
        lineupwatch schedule --config /etc/lineupwatch/lineupwatch.toml
    """
    from .ops import job as jobs
    from .ops import runlog
    from .ops import schedule as scheduler

    def job() -> str | None:
        """One run, a line per step; returns which steps failed (each said on its line), or None."""
        try:
            with database_errors(config):
                result = jobs.run_job(config, endpoint=config.endpoint(), now=utc_now, on_step=runlog.step_logger(log))
        except click.ClickException as err:
            return runlog.short(err.format_message())
        steps = list(dict.fromkeys(f.step for f in result.failures))
        return None if result.ok else f"{len(result.failures)} failure(s) in {', '.join(steps)}"

    with runlog.session(log_format) as log:
        scheduler.serve(config, job, log)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"),
              show_default=True, help="Where the demo database and reports go.")
@as_of_option
def demo(out_dir: Path, as_of: datetime | None) -> None:
    """Serve the bundled Hub data on loopback, run the whole job against it, print the report.

    \b
    Example:
        lineupwatch demo --out demo-out
    """
    from .ops.demo import DemoFailed, run_demo

    try:
        html = run_demo(out_dir, _day(as_of), echo=click.echo)
    except DemoFailed as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"\nThe report: {html}")



@cli.command("docs")
@click.argument("name", required=False)
@click.option("--path", "path_only", is_flag=True, help="Print the installed file's path instead of its text.")
def docs(name: str | None, path_only: bool) -> None:
    """Print one of the documents installed with lineupwatch (docs/NAME.md), or list them.

    The help, the config and the errors name these as docs/NAME.md; they travel in the package,
    so an installed wheel has them without a checkout.

    \b
    Example:
        lineupwatch docs deployment | less
        lineupwatch docs storage --path
    """
    from importlib.resources import files

    folder = files("lineupwatch").joinpath("docs")
    names = sorted(entry.name[:-3] for entry in folder.iterdir() if entry.name.endswith(".md"))
    if name is None:
        for known in names:
            click.echo(f"{known:<14} {folder.joinpath(known + '.md')}")
        return
    stem = name.removeprefix("docs/").removesuffix(".md")
    if stem not in names:
        raise click.ClickException(f"no document {name!r}; the installed ones: {', '.join(names)}")
    doc = folder.joinpath(f"{stem}.md")
    click.echo(str(doc) if path_only else doc.read_text(encoding="utf-8"), nl=path_only)


@cli.command("datasette-metadata")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("metadata.json"),
              show_default=True, help="Where to write the metadata ('-' for standard output).")
@config_option
def datasette_metadata(config: Config, out_path: Path) -> None:
    """Write Datasette's metadata for the configured database: descriptions, facets, sorts, canned queries.

    Datasette keys a database by its file's stem (data/watch.db is "watch"), so the metadata is
    written for the file the config names.

    \b
    Example:
        lineupwatch datasette-metadata --out metadata.json
        datasette data/lineupwatch.db -m metadata.json
    """
    from .store.datasette import metadata_text

    text = metadata_text(config.database_path.stem)
    if str(out_path) == "-":
        click.echo(text, nl=False)
        return
    out_path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out_path} (database {config.database_path.stem!r}): "
               f"datasette {config.database_path} -m {out_path}")
