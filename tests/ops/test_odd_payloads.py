"""One odd repo never stops the monitor (issue 19): odd payloads served by the replay Hub to the
real client, in the Hub-wide stream and in a watched org, through `lineupwatch run`.

The odd repos are SYNTHETIC, made up here on tests/synthetic.py's `model`: a createdAt that is no
date, an empty createdAt, a time without a date, tags as a string, tags null, empty `base_model`
tags. `oddlab` is a made-up community org only the stream lists; the same odd repos under `Qwen`
are listed by the org poll and by the stream. The stream also gets a made-up repo whose id is not
"org/name", one created in 2099, and one made-up new repo a day (`freshlab`), to show it keeps
reading new repos. Everything else is the bundled real Hub state.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest

import lineupwatch.cli
import lineupwatch.ops.poll
import lineupwatch.stream.store
from conftest import bundled_models, mail_config, run_cli, write_config
from lineupwatch.config.settings import load_config
from lineupwatch.normalize.payload import moment_of
from lineupwatch.replay.server import ReplayHub
from lineupwatch.store import database as store
from synthetic import model

DAYS = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 30))  # two in ISO week 48, one in 49
FRESH = {DAYS[0]: "2026-11-22", DAYS[1]: "2026-11-23", DAYS[2]: "2026-11-29"}  # a new repo the day before each
ODD_DATES = ("Odd-NotADate-7B", "Odd-Empty-7B", "Odd-TimeOnly-7B")


def odd_repos(org: str) -> list[dict]:
    """The six odd payloads under `org` (SYNTHETIC), each otherwise an ordinary 7B repo."""
    repos = {name: model(f"{org}/{name}", "2026-11-20", params_b=7.0) for name in (
        *ODD_DATES, "Odd-TagString-7B", "Odd-TagNull-7B", "Odd-EmptyBase-7B")}
    for name, created in zip(ODD_DATES, ("not-a-date", "", "12:30:00"), strict=True):
        repos[name]["createdAt"] = created
    repos["Odd-TagString-7B"]["tags"] = "text-generation"
    repos["Odd-TagNull-7B"]["tags"] = None
    repos["Odd-EmptyBase-7B"]["tags"] += ["base_model:finetune:", "base_model:"]
    return list(repos.values())


def stream_only() -> list[dict]:
    """SYNTHETIC repos only the Hub-wide listing shows: an id without an org, a createdAt in 2099."""
    no_org = model("oddlab/placeholder", "2026-11-20") | {"id": "no-org-repo"}
    future = model("oddlab/From-2099-1B", "2099-01-01", params_b=1.0)
    return [no_org, future]


def hub_on(day: date) -> list[dict]:
    fresh = [model(f"freshlab/Fresh-{made}-1B", made, params_b=1.0) for poll_day, made in FRESH.items() if poll_day <= day]
    return bundled_models() + odd_repos("Qwen") + odd_repos("oddlab") + stream_only() + fresh


def clock_at(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The CLI's clock at the shipped timer's time on `day`: each run is a live run of its day."""
    moment = datetime.combine(day, time(6, 17), timezone.utc)
    monkeypatch.setattr(lineupwatch.cli, "utc_now", lambda: moment)


def report_of(config_path: Path, day: date) -> dict:
    year, week, _ = day.isocalendar()
    return json.loads((load_config(config_path).reports_path / f"{year}-W{week:02d}.json").read_text(encoding="utf-8"))


def test_odd_repos_in_the_stream_and_a_watched_org_never_stop_a_run(tmp_path: Path, smtp, monkeypatch) -> None:
    sink, port = smtp
    with ReplayHub(hub_on(DAYS[0]), page_size=100) as hub:
        # One stream page holds the whole replay Hub: it sorts createdAt as text, so '' and '12:30:00' come last.
        config_path = write_config(tmp_path, hub.url, mail_config(port), stream=True, stream_rate_reserve=-1)
        for number, day in enumerate(DAYS, 1):
            hub.set_models(hub_on(day))
            clock_at(monkeypatch, day)
            result = run_cli("run", "--as-of", day.isoformat(), "--config", str(config_path))
            assert f"poll {number}: " in result.output and f"stream run {number}: " in result.output
            assert "11 unreadable skipped" in result.output  # five odd payloads under each org, and no-org-repo
            assert f"report: {tmp_path / 'reports'}" in result.output and "alerts:" in result.output
            health = report_of(config_path, day)["data_health"]
            assert set(health["undated_repos"]) == {f"Qwen/{name}" for name in ODD_DATES}
            notes = " ".join(health["notes"])
            for org in ("Qwen", "oddlab"):
                assert f"{org}/Odd-NotADate-7B: createdAt 'not-a-date' is no date-time" in notes
                assert f"{org}/Odd-Empty-7B: createdAt '' is no date-time" in notes
                assert f"{org}/Odd-TimeOnly-7B: createdAt '12:30:00' is no date-time" in notes
                assert f"{org}/Odd-TagString-7B: tags 'text-generation' are not a list" in notes
                assert f"{org}/Odd-TagNull-7B: tags None are not a list" in notes
            assert "no-org-repo: id 'no-org-repo' is not org/name" in notes
        assert len(sink.messages) == 1  # the first live run's welcome digest; nothing changed after it
    db = store.open_db(load_config(config_path).database_path)
    polls = [(p["status"], p["repo_count"]) for p in db["polls"].rows]
    assert [status for status, _ in polls] == ["ok"] * 3 and len({count for _, count in polls}) == 1
    stored = {r["repo_id"]: r for r in db["repos"].rows_where("repo_id LIKE 'Qwen/Odd-%'")}
    assert len(stored) == 6 and {r for r, row in stored.items() if not row["created_at"]} == {
        f"Qwen/{name}" for name in ODD_DATES}
    assert all(json.loads(row["base_models"]) == [] for row in stored.values())  # an empty parent is no parent
    runs = list(db["stream_runs"].rows)
    assert [r["status"] for r in runs] == ["ok"] * 3 and all(r["skipped"] == 11 for r in runs)
    assert all(moment_of(r["newest_created"]) and moment_of(r["cutoff"]) for r in runs)
    assert max(r["newest_created"] for r in runs) < "2099"  # a repo from 2099 never moves the window
    stream = {r["repo_id"]: r for r in db["stream_repos"].rows}
    assert {f"freshlab/Fresh-{made}-1B" for made in FRESH.values()} <= stream.keys()  # every day's new repo read
    assert (stream["oddlab/Odd-EmptyBase-7B"]["relation"], stream["oddlab/Odd-EmptyBase-7B"]["parent"]) == (None, None)
    unreadable = {f"{org}/{name}" for org in ("Qwen", "oddlab")
                  for name in (*ODD_DATES, "Odd-TagString-7B", "Odd-TagNull-7B")} | {"no-org-repo"}
    assert not unreadable & stream.keys()
    db.close()
    rebuilt = run_cli("rebuild", "--config", str(config_path))
    assert "stream: 3 runs replayed" in rebuilt.output


def test_a_step_that_raises_is_recorded_and_the_later_steps_still_run(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    (tmp_path / "reports").write_text("a file where the reports directory should be", encoding="utf-8")
    today = datetime.now(timezone.utc).date()  # a live run: the alerts record and send
    result = run_cli("run", "--as-of", today.isoformat(), "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert "poll 1: " in result.output and "alerts: " in result.output  # the steps before and after it ran
    failed = [line for line in result.output.splitlines() if " failed: " in line]  # one line, not repeated
    assert len(failed) == 1 and " ERROR step=report status=failed report failed: FileExistsError" in failed[0]
    assert "`lineupwatch report --as-of DAY` writes it" in failed[0]
    assert len(sink.messages) == 1  # the welcome digest went out
    db = store.open_db(load_config(config_path).database_path)
    assert [p["status"] for p in db["polls"].rows] == ["ok"]


@pytest.mark.parametrize("step", ["poll", "stream"])
def test_a_step_that_breaks_on_one_repo_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """A bug no rule foresaw, simulated: normalizing (poll) or storing (stream) one SYNTHETIC repo raises."""
    culprit = "Qwen/Odd-TagNull-7B"
    if step == "poll":
        normalize = lineupwatch.ops.poll.normalize_repos

        def breaking(models: list[dict], config: object) -> list:
            if any(m.get("id") == culprit for m in models):
                raise KeyError("a field no rule foresaw")
            return normalize(models, config)

        monkeypatch.setattr(lineupwatch.ops.poll, "normalize_repos", breaking)
    else:
        record = lineupwatch.stream.store.stream_record
        monkeypatch.setattr(lineupwatch.stream.store, "stream_record", lambda m: (
            {}["a field no rule foresaw"] if m["id"] == "oddlab/Odd-EmptyBase-7B" else record(m)))
        culprit = "oddlab/Odd-EmptyBase-7B"
    with ReplayHub(hub_on(DAYS[0]), page_size=100) as hub:
        config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1)
        result = run_cli("run", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert f"{step} failed: repo {culprit}: KeyError: 'a field no rule foresaw' (at " in result.output
    assert "alerts: " in result.output  # the alerts still ran
    db = store.open_db(load_config(config_path).database_path)
    poll, run = db["polls"].get(1), db["stream_runs"].get(1)
    if step == "poll":
        assert poll["status"] == "failed" and culprit in poll["error"] and db["repos"].count == 0
        assert db["poll_orgs"].count == 0  # no org is to blame
        assert run["status"] == "ok"
    else:
        assert run["status"] == "failed" and culprit in run["error"] and db["stream_repos"].count == 0
        assert poll["status"] == "ok" and "report: " in result.output


def test_a_stream_page_of_nothing_but_odd_repos_does_not_end_the_read(tmp_path: Path) -> None:
    """The replay Hub sorts createdAt as text: 'not-a-date' comes first, so page 1 (two repos a
    page) holds only the two SYNTHETIC odd repos; the read goes on to the made-up new repo."""
    odd = [m for m in odd_repos("oddlab") if m["id"] == "oddlab/Odd-NotADate-7B"]
    odd += [model("otherlab/Also-NotADate-1B", "2026-11-20") | {"createdAt": "not-a-date"}]
    with ReplayHub(bundled_models() + odd + [model("freshlab/Fresh-1B", "2026-11-22", params_b=1.0)],
                   page_size=100) as hub:
        config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1, stream_page_size=2)
        result = run_cli("poll", "--config", str(config_path))
    assert "2 unreadable skipped" in result.output
    db = store.open_db(load_config(config_path).database_path)
    assert "freshlab/Fresh-1B" in {r["repo_id"] for r in db["stream_repos"].rows}
    run = db["stream_runs"].get(1)
    assert run["pages"] >= 2 and sorted(json.loads(run["skipped_repos"])) == [
        "oddlab/Odd-NotADate-7B: createdAt 'not-a-date' is no date-time",
        "otherlab/Also-NotADate-1B: createdAt 'not-a-date' is no date-time"]
