"""Issue 11.2: whatever characters the Hub sends, every output stays valid and no poll step is blocked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from conftest import bundled_models, mail_config, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub
from lineupwatch.sanitize import clean_text
from synthetic import model

# SYNTHETIC: a small Qwen release whose id and card carry characters XML 1.0 forbids, a bidi override
# and a lone surrogate, as an uploader could type them.
HOSTILE_ID = "Qwen/Qwen3.9-4B\x0b\x1b"
HOSTILE_LICENCE = "apache-2.0\x0c\u202e"
UNSAFE = ("\x0b", "\x1b", "\x0c", "\u202e")


def _hostile() -> dict:
    item = model(HOSTILE_ID, "2026-11-20", params_b=4.0)
    item["cardData"] = {"license": HOSTILE_LICENCE, "model_name": "four\x00B"}
    return item


def test_a_hostile_id_and_card_leave_every_output_valid(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    hub.set_models(bundled_models() + [_hostile()])
    config_path = write_config(tmp_path, hub.url, 'watch = ["Qwen"]\n' + mail_config(port, digest=False),
                               children_budget=1000)
    run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    (warnings,) = db.execute("SELECT warnings FROM polls").fetchone()
    assert json.loads(warnings) == ["child counts skipped for 1 repo id(s) the Hub client refuses: 'Qwen/Qwen3.9-4B\\x0b\\x1b'"]
    (info,) = db.execute("SELECT info_requests FROM polls").fetchone()
    assert info == db["raw_children"].count > 4  # every other due repo still got its child count
    assert db["repos"].get(HOSTILE_ID)["repo_id"] == HOSTILE_ID  # stored as the Hub sent it

    run_cli("report", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    hub.set_models(bundled_models())  # the hostile repo is removed: an alert that names it
    run_cli("poll", "--config", str(config_path))
    printed = run_cli("alerts", "--dry-run", "--config", str(config_path)).output
    assert "Qwen/Qwen3.9-4B was removed" in printed
    assert not any(char in printed for char in UNSAFE)  # no terminal escapes either
    run_cli("alerts", "--config", str(config_path))
    assert any("Qwen/Qwen3.9-4B was removed" in m["Subject"] for _, m, _ in sink.messages)
    reports = tmp_path / "reports"
    feed = ET.parse(reports / "feed.xml")  # well-formed XML 1.0
    assert feed.getroot().tag.endswith("feed")
    week = json.loads(next(reports.glob("*-W*.json")).read_text(encoding="utf-8"))
    assert "last poll: child counts skipped for 1 repo id(s)" in " ".join(week["data_health"]["notes"])
    for path in [reports / "feed.xml", *reports.glob("*-W*.*"), reports / "index.html"]:
        if path.suffix in (".xml", ".html", ".md", ".json"):
            text = path.read_text(encoding="utf-8")
            assert not any(char in text for char in UNSAFE), path.name
    assert "Qwen/Qwen3.9-4B" in (reports / next(reports.glob("*-W*.html")).name).read_text(encoding="utf-8")
    HTMLParser().feed(next(reports.glob("*-W*.html")).read_text(encoding="utf-8"))
    for _, message, raw in sink.messages:
        assert not any(char in raw for char in UNSAFE)


def test_the_feed_stays_valid_when_an_older_week_was_written_damaged(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    reports = tmp_path / "reports"
    reports.mkdir()
    damaged = {"schema": 1, "week": "2026-W10", "as_of": "2026-03-08", "forecasts": [
        {"id": "small-models", "family": "Qwen", "verdict": "open\x01", "summary": "Qwen3.5-9B\x08 is the last"}]}
    (reports / "2026-W10.json").write_text(json.dumps(damaged), encoding="utf-8")
    run_cli("report", "--config", str(config_path))
    feed = (reports / "feed.xml").read_text(encoding="utf-8")
    ET.fromstring(feed.encode())
    assert "Qwen3.5-9B is the last" in feed


def test_clean_text_keeps_ordinary_text_and_whitespace() -> None:
    assert clean_text("Qwen/Qwen3.5-9B\tGGUF\n· 9B — ü 中文") == "Qwen/Qwen3.5-9B\tGGUF\n· 9B — ü 中文"
    assert clean_text("a\x00b\x1fc\x7fd\x85e\ud800f\ufffeg\u202eh") == "abcdefgh"
