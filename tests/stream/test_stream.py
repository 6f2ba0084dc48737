"""The Hub-wide stream through the CLI: poll, re-scan, backfill and resume, derivative shares.

The stream repos here are SYNTHETIC (tests/synthetic.py, lineupwatch.replay.synthetic_stream); their
parents are real repos of the bundled Hub state.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.store.datasette import QUERIES
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import Fault, ReplayHub
from lineupwatch.replay.synthetic_stream import SyntheticStream
from synthetic import model

WEEK = ("2026-11-16", "2026-11-22")  # ISO week 2026-W47
# What these tests' replay Hubs serve: hand-made repos (the label travels with every answer)
HAND_MADE = {"source": "synthetic", "label": "hand-made test stream", "synthetic": ["stream"]}


def stream_config(tmp_path: Path, url: str, **settings: object) -> Path:
    return write_config(tmp_path, url, stream=True, stream_rate_reserve=-1, **settings)


def report_json(config_path: Path, as_of: str) -> dict:
    run_cli("report", "--as-of", as_of, "--config", str(config_path))
    reports = load_config(config_path).reports_path
    year, week, _ = date.fromisoformat(as_of).isocalendar()
    return json.loads((reports / f"{year}-W{week:02d}.json").read_text())


def week_of(report: dict, week: str) -> dict:
    return next(w for w in report["ecosystem"]["weeks"] if w["week"] == week)


def hand_stream() -> list[dict]:
    """Ten new repos in one week; counts worked out by hand in the test below."""
    return [
        model("empero-ai/Qwen3.8-9B", "2026-11-18", params_b=9.65, parent="Qwen/Qwen3.5-9B", downloads=130_000),
        model("u1/ft-a", "2026-11-16", parent="Qwen/Qwen3.5-9B"),
        model("u2/ft-b", "2026-11-17", parent="Qwen/Qwen3.5-9B", relation="adapter"),
        model("u3/q-c", "2026-11-17", parent="Qwen/Qwen3.5-4B", relation="quantized"),
        model("u4/g-a", "2026-11-19", parent="google/gemma-3-4b-it"),
        model("u5/g-b", "2026-11-20", parent="google/gemma-3-4b-it", relation="merge"),
        model("u6/big", "2026-11-20", parent="Qwen/Qwen3.6-27B"),
        model("u7/o-a", "2026-11-21", parent="someone/base-x"),
        model("u8/o-b", "2026-11-21", parent="someone/base-x", relation="quantized"),
        model("u9/orig", "2026-11-22", params_b=3.0),
    ]


def test_shares_and_herfindahl_match_a_hand_computation(tmp_path: Path) -> None:
    with ReplayHub(bundled_models() + hand_stream(), page_size=100, provenance=HAND_MADE) as hub:
        config_path = stream_config(tmp_path, hub.url, stream_page_size=4)
        result = run_cli("poll", "--config", str(config_path))
        assert "stream run 1: 10 repos" in result.output
    report = report_json(config_path, WEEK[1])
    assert any("SYNTHETIC" in note for note in report["data_health"]["notes"])  # the hub labelled it made up
    week = week_of(report, "2026-W47")
    assert week["complete"] and week["new_repos"] == 10 and week["new_derivatives"] == 9
    # small bases: Qwen3.5-9B x3 (empero-ai's among them) and Qwen3.5-4B x1 for Qwen, gemma-3-4b-it x2
    assert week["by_base"] == {"Qwen": {"small": 4, "medium": 1}, "Gemma": {"small": 2}, "other": {"unknown": 2}}
    assert week["by_relation"] == {"finetune": 5, "adapter": 1, "quantized": 2, "merge": 1}
    assert week["small_share"] == {"Qwen": round(4 / 6, 4), "Gemma": round(2 / 6, 4)}
    assert week["small_hhi"] == round((4 / 6) ** 2 + (2 / 6) ** 2, 4)
    assert week["share"] == {"Qwen": round(5 / 7, 4), "Gemma": round(2 / 7, 4)}
    assert week["hhi"] == round((5 / 7) ** 2 + (2 / 7) ** 2, 4)


def test_a_community_namesake_never_founds_an_entry_and_is_listed_as_community_work(tmp_path: Path) -> None:
    own = model("u10/Qwen3.8-Flash-Next-finetune-7", "2026-11-19", params_b=7.7, parent="Qwen/Qwen3.8-Flash-Next")
    with ReplayHub(bundled_models() + hand_stream() + [own], page_size=100) as hub:
        config_path = stream_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
    report = report_json(config_path, WEEK[1])
    assert not [e for e in report["entries_since_baseline"] if "Qwen3.8" in e["entry"] and "9B" in e["entry"]]
    assert "empero-ai/Qwen3.8-9B" not in json.dumps(report["new_this_week"])
    fillers = {f["repo"]: f for f in report["ecosystem"]["fillers"]}
    assert own["id"] not in fillers  # named after a size Qwen3.8 has ("Flash-Next · 180B-A6B"): not a claim
    assert fillers["empero-ai/Qwen3.8-9B"] | {"downloads": None} == {
        "repo": "empero-ai/Qwen3.8-9B", "kind": "community", "named_after": "Qwen", "params_total_b": 9.65,
        "params_source": "safetensors", "base": "Qwen/Qwen3.5-9B", "relation": "finetune", "released": "2026-11-18",
        "downloads": None, "downloads_30d": 130_000}
    html = (load_config(config_path).reports_path / "2026-W47.html").read_text()
    assert "community work named after Qwen, not Qwen's release" in html


def test_a_rescan_picks_up_a_base_model_tag_added_late_and_dates_a_late_public_repo_by_its_first_sighting(
        tmp_path: Path) -> None:
    bare = model("late-lab/Late-7B", "2026-11-20", params_b=7.0)
    with ReplayHub(bundled_models() + [bare], page_size=100) as hub:
        config_path = stream_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
        assert week_of(report_json(config_path, WEEK[1]), "2026-W47")["new_derivatives"] == 0
        tagged = model("late-lab/Late-7B", "2026-11-20", params_b=7.0, parent="Qwen/Qwen3.5-9B")
        hidden = model("quiet-lab/Was-Private-2B", "2026-11-19", params_b=2.0, parent="Qwen/Qwen3.5-4B")
        hub.set_models(bundled_models() + [tagged, hidden, model("new-lab/Next-1B", "2026-11-24", params_b=1.0)])
        result = run_cli("poll", "--config", str(config_path))
        assert "2 new, 1 updated" in result.output
    week = week_of(report_json(config_path, WEEK[1]), "2026-W47")
    assert week["by_base"] == {"Qwen": {"small": 1}} and week["by_relation"] == {"finetune": 1}
    db = store.open_db(load_config(config_path).database_path)
    rows = {r["repo_id"]: r for r in db["stream_repos"].rows}
    today = datetime.now(timezone.utc).date().isoformat()
    assert rows["quiet-lab/Was-Private-2B"]["released"] == today  # made public after the first poll read its day
    assert rows["late-lab/Late-7B"]["released"] == "2026-11-20" and rows["new-lab/Next-1B"]["released"] == "2026-11-24"
    archived = [r["repo_count"] for r in db["stream_raw"].rows_where(order_by="run_id, page")]
    assert archived == [1, 3]  # first sighting, then the changed, the late and the new repo


def test_an_interrupted_backfill_resumes_where_it_stopped_without_duplicates(tmp_path: Path) -> None:
    stream = SyntheticStream(date(2026, 11, 1), date(2026, 11, 22), scale=0.01)
    expected = {m["id"] for d in range(5, 23) for m in stream.iter_day(date(2026, 11, d))}
    with ReplayHub(bundled_models(), page_size=100, stream=stream,
                   faults=[Fault("error", page=3, times=2, author="")]) as hub:
        config_path = stream_config(tmp_path, hub.url, stream_page_size=100)
        failed = run_cli("backfill-stream", "--since", "2026-11-05", "--config", str(config_path), ok=False)
        assert failed.exit_code == 1
        assert "stream page 3: HTTP 500" in failed.output and "run the same command again to resume" in failed.output
        status = run_cli("status", "--config", str(config_path), ok=False).output  # no org poll yet: exit 1
        assert "backfill to 2026-11-05 is interrupted: run `lineupwatch backfill-stream --since 2026-11-05`" in status
        result = run_cli("backfill-stream", "--since", "2026-11-05", "--config", str(config_path))
        assert "resumed and done" in result.output
        pages = [r.page for r in hub.requests if r.path == "/api/models"]
    assert pages[:4] == [1, 2, 3, 3] and pages[4] == 3 and pages.count(1) == 1 and pages.count(2) == 1
    db = store.open_db(load_config(config_path).database_path)
    stored = [r["repo_id"] for r in db["stream_repos"].rows]
    assert len(stored) == len(set(stored)) and set(stored) == expected
    assert sum(r["repo_count"] for r in db["stream_raw"].rows) == len(expected)
    run = db["stream_runs"].get(1)
    assert (run["status"], run["kind"], run["cursor"], run["repos"]) == ("ok", "backfill", None, len(expected))


@pytest.mark.parametrize("failing", ["stream", "org"])
def test_a_failing_stream_never_blocks_the_org_polls_and_vice_versa(tmp_path: Path, failing: str) -> None:
    fault = Fault("malformed", page=1, author="" if failing == "stream" else "Qwen")
    with ReplayHub(bundled_models() + hand_stream(), page_size=100, faults=[fault]) as hub:
        config_path = stream_config(tmp_path, hub.url)
        result = run_cli("poll", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    db = store.open_db(load_config(config_path).database_path)
    poll, run = db["polls"].get(1), db["stream_runs"].get(1)
    if failing == "stream":
        assert "stream failed: poll of org '(Hub-wide stream)'" in result.output and "not JSON" in result.output
        assert poll["status"] == "ok" and db["repos"].count > 600
        assert run["status"] == "failed" and db["stream_repos"].count == 0
    else:
        assert poll["status"] == "partial" and not db["repos"].count_where("org = 'Qwen'")
        assert run["status"] == "ok" and db["stream_repos"].count == 10


def test_rebuild_re_derives_the_stream_as_stored(tmp_path: Path) -> None:
    with ReplayHub(bundled_models() + hand_stream()[:5], page_size=100) as hub:
        config_path = stream_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
        hub.set_models(bundled_models() + hand_stream())
        run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    before = list(db["stream_repos"].rows_where(order_by="repo_id"))
    db.execute("UPDATE stream_repos SET parent = NULL, released = NULL")
    db.close()
    assert "stream: 2 runs replayed" in run_cli("rebuild", "--config", str(config_path)).output
    db = store.open_db(load_config(config_path).database_path)
    assert list(db["stream_repos"].rows_where(order_by="repo_id")) == before


def test_export_writes_monthly_parquet_partitions_that_reproduce_the_share(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow is the optional extra lineupwatch[parquet]")
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    with ReplayHub(bundled_models() + hand_stream() + [model("u0/october", "2026-10-30", parent="Qwen/Qwen3.5-9B")],
                   page_size=100) as hub:
        config_path = stream_config(tmp_path, hub.url, stream_rescan_days=30)
        run_cli("poll", "--config", str(config_path))
    out = tmp_path / "export"
    result = run_cli("export", "--parquet", str(out), "--config", str(config_path))
    assert sorted(p.name for p in (out / "stream").iterdir()) == ["month=2026-10", "month=2026-11"]
    stream = ds.dataset(out / "stream", format="parquet", partitioning="hive").to_table().to_pylist()
    assert f"stream {len(stream)} rows" in result.output and len(stream) >= 11
    repos = {r["repo_id"]: r for r in pq.read_table(out / "repos.parquet").to_pylist()}
    small = [s for s in stream if s["released"] >= date.fromisoformat(WEEK[0]) and s["parent"] in repos
             and repos[s["parent"]]["size_class"] in ("tiny", "small")]
    qwen = sum(repos[s["parent"]]["family"] == "Qwen" for s in small)
    week = week_of(report_json(config_path, WEEK[1]), "2026-W47")
    assert round(qwen / len(small), 4) == week["small_share"]["Qwen"]
    assert {s["month"] for s in stream} == {"2026-10", "2026-11"}
    observations = ds.dataset(out / "observations", format="parquet", partitioning="hive")
    assert observations.count_rows() > 600
    # typed columns (issue 23.9): date-times, the release day, lists
    utc, texts = pa.timestamp("us", tz="UTC"), pa.list_(pa.string())
    stream_schema = ds.dataset(out / "stream", format="parquet", partitioning="hive").schema
    assert (stream_schema.field("created_at").type, stream_schema.field("released").type) == (utc, pa.date32())
    assert stream_schema.field("more_bases").type == texts
    repos_schema = pq.read_schema(out / "repos.parquet")
    for column in ("created_at", "last_modified", "released_at", "first_seen_at", "last_seen_at", "removed_at"):
        assert repos_schema.field(column).type == utc, column
    assert repos_schema.field("base_models").type == texts
    assert (observations.schema.field("observed_at").type, observations.schema.field("last_modified").type) == (utc, utc)
    assert any(r["base_models"] and all(":" in b for b in r["base_models"]) for r in repos.values())
    assert all(r["created_at"] is None or r["created_at"].tzinfo is not None for r in repos.values())
    # the canned query of the Datasette metadata gives the same share, from the database
    db = store.open_db(load_config(config_path).database_path)
    shares = {(r["week_start"], r["family"]): r["small_share"]
              for r in db.query(QUERIES["derivative_shares"]["sql"])}
    assert shares[(WEEK[0], "Qwen")] == week["small_share"]["Qwen"]
    # and the DuckDB query of docs/ecosystem.md, where DuckDB is installed (it is no dependency)
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed; the docs' query is not run")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md").read_text(encoding="utf-8")
    sql = re.search(r"```sql\n(WITH small AS .*?)```", doc, re.S).group(1).replace("DIR/", f"{out}/")
    rows = duckdb.sql(sql).fetchall()
    assert {(w, f): s for w, f, _, s in rows}[("2026-W47", "Qwen")] == week["small_share"]["Qwen"]


def test_a_community_small_model_passing_the_adoption_threshold_is_announced_once(tmp_path: Path) -> None:
    with ReplayHub(bundled_models() + hand_stream(), page_size=100) as hub:
        config_path = write_config(tmp_path, hub.url)  # no stream yet: the welcome run knows nothing of it
        run_cli("poll", "--config", str(config_path))
        run_cli("alerts", "--config", str(config_path))
        config_path = stream_config(tmp_path, hub.url, extra="[alerts]\ncommunity_adoption_downloads = 300000")
        run_cli("poll", "--config", str(config_path))
        first = run_cli("alerts", "--config", str(config_path))
        second = run_cli("alerts", "--config", str(config_path))
    assert "empero-ai/Qwen3.8-9B: a community small model passed 300,000 downloads" in first.output
    assert "empero-ai" not in second.output and "0 new" in second.output


def _week(week: str, qwen: float, gemma: float) -> dict:
    return {"week": week, "complete": True, "small_share": {"Qwen": qwen, "Gemma": gemma}}


@pytest.mark.parametrize("shares, expected", [
    ([0.70, 0.55, 0.72], []),
    ([0.55, 0.50, 0.70], [("ecosystem_share_band", {"family": "Qwen", "direction": "below", "from_week": "2026-W10"})]),
    ([0.90, 0.91, 0.55, 0.50], [
        ("ecosystem_share_band", {"family": "Qwen", "direction": "above", "from_week": "2026-W10"}),
        ("ecosystem_share_band", {"family": "Qwen", "direction": "below", "from_week": "2026-W12"})]),
], ids=["one-week-out-is-noise", "two-weeks-below", "above-then-below"])
def test_the_band_rule_fires_once_per_stretch_of_weeks_outside_the_band(shares: list[float], expected: list) -> None:
    from lineupwatch.alerts.rules import AlertContext, ecosystem_share_band, ecosystem_family_share
    from lineupwatch.config.settings import parse_config

    config = parse_config({}, Path("t"))
    weeks = [_week("2026-W08", 0.7, 0.3)] + [_week(f"2026-W{10 + i}", s, 1 - s) for i, s in enumerate(shares)]
    ecosystem = {"family": "Qwen", "weeks": weeks, "band": {"family": "Qwen", "low": 0.6, "high": 0.8,
                                                           "weeks": ["2025-W50", "2026-W09"]}}
    ctx = AlertContext(None, [], [], datetime.now(timezone.utc), ecosystem)
    assert [(a.rule, a.labels) for a in ecosystem_share_band(ctx, config)] == expected
    gemma = [a.labels for a in ecosystem_family_share(ctx, config)]
    assert gemma == ([{"family": "Gemma"}] if any(1 - s >= 0.25 for s in shares) else [])


def test_the_adoption_score_divides_by_the_tenth_best_of_the_size_class_at_the_same_age() -> None:
    from lineupwatch.analysis.adoption import adoption_scores, wanted_downloads
    from lineupwatch.analysis.entries import Entry

    def entry(key: str, released: str, size_class: str = "small") -> Entry:
        return Entry("Qwen", key, "Qwen9", "lm", "9B", 9.0, None, size_class, date.fromisoformat(released),
                     (f"Qwen/{key}", f"Qwen/{key}-GGUF"), f"Qwen/{key}", "apache-2.0", "false", counted=True)

    # twelve older small entries released 2026-01-01, polled daily; entry i has i*1000 downloads at day 7,
    # split over its two repos; the new entry has 8,000 at day 7 and was never polled at day 30
    old = [entry(f"old{i}", "2026-01-01") for i in range(1, 13)]
    new = entry("new", "2026-03-10")
    poll_days = [f"2026-01-{d:02d}" for d in range(1, 32)] + ["2026-03-17"]
    downloads: dict[str, dict[str, int]] = {"2026-01-08": {}, "2026-01-31": {}, "2026-03-17": {new.repos[0]: 8000}}
    for i, e in enumerate(old, 1):
        downloads["2026-01-08"] |= {e.repos[0]: i * 600, e.repos[1]: i * 400}
        downloads["2026-01-31"] |= {e.repos[0]: i * 3000, e.repos[1]: i * 400}
    entries = old + [new, entry("big", "2026-03-10", "medium")]
    assert wanted_downloads(entries, poll_days, (7, 30), date(2026, 4, 30)) == {
        "2026-01-08": {r for e in old for r in e.repos}, "2026-01-31": {r for e in old for r in e.repos},
        "2026-03-17": {*new.repos, "Qwen/big", "Qwen/big-GGUF"}}  # day 30 of new and big: no poll near it
    rows = adoption_scores(entries, downloads, poll_days, (7, 30), 10, date(2026, 4, 30), date(2026, 3, 4))
    scores = {r["entry"]: r["scores"] for r in rows}
    # at day 7, the 13 measured small entries rank 12k, 11k, 10k, 9k, 8k, 8k (new), 7k, 6k, 5k, 4k (old4): 10th
    assert scores["new"] == {"7": round(8000 / 4000, 3), "30": None}
    assert scores["big"] == {"7": None, "30": None}  # no figure: its repos were never observed
    assert "old1" not in scores  # released before the baseline: a peer, not a row


def test_a_backfill_waits_for_the_next_rate_limit_window_instead_of_spending_the_reserve(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from lineupwatch.replay import server as replay

    monkeypatch.setattr(replay, "RATE_QUOTA", 4)  # a small window, so the test sees a wait: 4 requests a second
    monkeypatch.setattr(replay, "RATE_WINDOW_S", 1)
    stream = SyntheticStream(date(2026, 11, 20), date(2026, 11, 22), scale=0.01)  # ~80 repos: 5 pages of 20
    timings = {}
    for reserve in (-1, 1):
        with ReplayHub([], page_size=20, stream=stream) as hub:
            config_path = stream_config(tmp_path / str(reserve), hub.url, stream_page_size=20)
            config_path.write_text(config_path.read_text().replace("stream_rate_reserve = -1",
                                                                    f"stream_rate_reserve = {reserve}"))
            started = time.monotonic()
            run_cli("backfill-stream", "--since", "2026-11-20", "--config", str(config_path))
            timings[reserve] = time.monotonic() - started
            assert all(r.status == 200 for r in hub.requests)
    assert timings[-1] < 1.0 <= timings[1]  # with a reserve of 1, it paused for the next window at least once
