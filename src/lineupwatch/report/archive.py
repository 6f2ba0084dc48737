"""The reports directory: atomic writes, and every weekly report in it read back from its JSON.

The index and the feed are rebuilt from the *.json files there, not from memory, so they always
list exactly the reports a reader can open, whichever process wrote them; what they show of each
week is read from its summary (`.summaries/<week>.json`) while that matches the report.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..sanitize import clean

WEEK_FILE = re.compile(r"^\d{4}-W\d{2}\.json$")


# Reports are published: readable by a web server whatever umask the service runs under
# (the shipped units use 0027 to keep the database private).
PUBLIC_FILE, PUBLIC_DIR = 0o644, 0o755


def make_public_dir(path: Path) -> Path:
    """Create the reports directory (and parents) readable and searchable by everyone."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in missing:
        created.chmod(PUBLIC_DIR)
    return path


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write beside the target, then rename: a reader (or a crash) never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), PUBLIC_FILE)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def report_json(report: dict) -> str:
    """The report's canonical JSON text (stable: sorted keys, so reruns are byte-identical)."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# What the index and the feed read of a week (render.render_index, feed.render_feed): kept apart in
# `.summaries/<week>.json`, so that the index of a year of weeks does not parse a year of full
# reports (on a Hub of 10,000 repos each is over a megabyte: 0.6 s at 39 weeks, growing every
# week). A hidden directory: whoever globs `*-W*.json` in the reports gets the reports only.
SUMMARY_KEYS = ("as_of", "changes", "forecasts", "week", "provenance")
SUMMARY_DIR = ".summaries"


def summary_of(report: dict) -> dict:
    """The parts of a (cleaned) report the index and feed show; `lineup` only for its family."""
    kept = {key: report[key] for key in SUMMARY_KEYS if key in report}
    lineup = report.get("lineup")
    return {**kept, "lineup": {"family": lineup.get("family")}} if isinstance(lineup, dict) else kept




def load_reports(out_dir: Path) -> list[dict]:
    """The summary of every `<YYYY>-W<ww>.json` in out_dir, newest first: read from
    `.summaries/<week>.json` when that was written after the report, else from the report itself,
    whose summary is then written (a week from before summaries, or rewritten by hand).
    Unreadable files are skipped, since one damaged week must not take the index and feed of all
    the others down with it."""
    reports = []
    for path in out_dir.iterdir():
        if not WEEK_FILE.match(path.name):
            continue
        report = _read_summary(path)
        if report is None and (report := _read_report(path)) is not None:
            write_summary(path, report)
        if report is not None:
            reports.append(report)
    return sorted(reports, key=lambda r: (str(r["week"]), str(r.get("as_of") or "")), reverse=True)


def _read_summary(path: Path) -> dict | None:
    """The week's summary, unless the report was rewritten since (newer, or of another size)."""
    summary = path.parent / SUMMARY_DIR / path.name
    try:
        report, written = path.stat(), summary.stat()
        loaded = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if written.st_mtime_ns < report.st_mtime_ns or not isinstance(loaded, dict) \
            or loaded.get("report_bytes") != report.st_size or not isinstance(loaded.get("summary"), dict):
        return None
    return loaded["summary"] if "week" in loaded["summary"] else None


def write_summary(path: Path, summary: dict) -> Path:
    """`.summaries/<week>.json` of the report at `path`, just written: its size says which
    report it summarizes. Only a cache, so a directory that cannot take it (read-only, full)
    still gets its report, index and feed."""
    target = path.parent / SUMMARY_DIR / path.name
    try:
        text = json.dumps({"report_bytes": path.stat().st_size, "summary": summary}, sort_keys=True, ensure_ascii=False)
        make_public_dir(target.parent)
        write_atomic(target, text + "\n")
    except OSError:
        pass
    return target


def _read_report(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict):
        return None
    report = clean(report)  # a week written before cleaning existed must not break the feed
    report.setdefault("week", path.stem)
    return summary_of(report)
