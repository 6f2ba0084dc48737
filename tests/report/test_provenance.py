"""Provenance on every figure (issue 20, point 6): the replay Hub labels its answers, the label is
stored with each poll and stream run, and every output of a report whose inputs are synthetic
says so first; a replay of real recorded Hub answers on 127.0.0.1 is not called synthetic."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from conftest import bundled_models, mail_config, run_cli, write_config
from lineupwatch.config.settings import load_config
from lineupwatch.replay import labels
from lineupwatch.replay.server import ReplayHub, load_state
from lineupwatch.replay.fixtures import bundled_state_path
from lineupwatch.replay.synthetic_stream import SyntheticStream
from lineupwatch.store import database as store

REAL = Path(__file__).parents[1] / "data" / "real"
AS_OF = "2026-11-22"
ATOM = "{http://www.w3.org/2005/Atom}"
# tests/normalize/test_real_corpus.py's families: every org of the recordings watched
CORPUS_ORGS = ["ByteDance", "CompVis", "HuggingFaceH4", "Salesforce", "alefiury", "black-forest-labs", "dandelin",
               "dbmdz", "deepset", "distilbert", "espnet", "facebook", "google-bert", "google-t5", "jonatasgrosman",
               "microsoft", "naver-clova-ix", "openai", "openai-community", "sentence-transformers", "speechbrain",
               "sshleifer", "stabilityai", "google"]
CORPUS_CONFIG = f"""watch = ["Llama", "Gemma", "Corpus"]
[families.Corpus]
orgs = {json.dumps(CORPUS_ORGS)}
generation = '(?P<generation>[A-Za-z]+(?:-[A-Za-z]+)?-?\\d+(?:\\.\\d+)?)'
"""


def _report(tmp_path: Path) -> tuple[dict, dict[str, str]]:
    reports = tmp_path / "reports"
    data = json.loads(next(reports.glob("*-W*.json")).read_text())
    week = data["week"]
    texts = {kind: (reports / f"{week}.{kind}").read_text() for kind in ("md", "html")}
    texts["feed"] = (reports / "feed.xml").read_text()
    return data, texts


def test_the_bundled_state_and_the_stream_generator_label_their_answers() -> None:
    assert load_state(bundled_state_path()).provenance == labels.BUNDLED
    stream = SyntheticStream(date(2026, 11, 20), date(2026, 11, 22), scale=0.01)
    with ReplayHub(bundled_models(), stream=stream, page_size=50) as hub:
        import httpx2

        org = httpx2.get(f"{hub.url}/api/models", params={"author": "Qwen", "sort": "createdAt"})
        wide = httpx2.get(f"{hub.url}/api/models", params={"sort": "createdAt"})
    assert json.loads(org.headers[labels.HEADER]) == labels.BUNDLED
    assert json.loads(wide.headers[labels.HEADER])["synthetic"] == ["children", "downloads", "likes", "stream"]


def test_a_report_of_the_bundled_replay_says_synthetic_first_everywhere(tmp_path: Path, smtp) -> None:
    sink, port = smtp
    stream = SyntheticStream(date(2026, 11, 15), date(2026, 11, 22), scale=0.01)
    with ReplayHub(bundled_models(), stream=stream, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, mail_config(port) + '\n[site]\nbase_url = "https://example.org/lw/"',
                                   stream=True, stream_rate_reserve=-1)
        run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    polls = [json.loads(r["provenance"]) for r in db["polls"].rows]
    runs = [json.loads(r["provenance"]) for r in db["stream_runs"].rows]
    assert polls == [labels.BUNDLED]
    assert runs and all("stream" in r["synthetic"] for r in runs)

    run_cli("report", "--config", str(config_path))
    report, texts = _report(tmp_path)
    block = report["provenance"]
    assert block["synthetic"] is True
    assert block["headline"] == ("SYNTHETIC DATA: downloads, likes, child counts and the Hub-wide stream in this report "
                                 "are made up (replay of the bundled facts; SYNTHETIC stream generator).")
    assert "replay of the bundled facts" in block["headline"]
    assert block["inputs"]["counters"]["synthetic"] == ["children", "downloads", "likes"]
    assert block["inputs"]["org_polls"]["synthetic"] == []
    assert block["inputs"]["stream"]["synthetic"] == ["stream"]
    assert block["sections"]["adoption"]["synthetic"] and block["sections"]["resilience"]["synthetic"]
    assert not block["sections"]["lineup"]["synthetic"]
    assert texts["md"].splitlines()[0] == f"**{block['headline']}**"
    assert "## Ecosystem indicators (SYNTHETIC)" in texts["md"]
    assert "Downloads and children per family (SYNTHETIC" in texts["md"]
    assert "The resilience index (SYNTHETIC)" in texts["md"]
    assert f"_Source: this monitor's own polls since {report['provenance']['inputs']['org_polls']['since']}" in texts["md"]
    header = texts["html"].split('<header class="masthead">', 1)[1].split("</header>", 1)[0]
    assert header.lstrip().startswith('<p class="synthetic-banner"') and "SYNTHETIC DATA: downloads" in header
    assert "SYNTHETIC: " in texts["html"]  # the chart titles (inline SVG)
    assert "<title>SYNTHETIC · lineupwatch " in texts["html"]  # the tab and the bookmark say so too
    entry = ET.fromstring(texts["feed"]).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text.startswith("SYNTHETIC DATA: ")
    assert entry.find(f"{ATOM}summary").text.startswith("SYNTHETIC DATA: ")
    assert "SYNTHETIC DATA" in entry.find(f"{ATOM}content").text.split("</p>")[0]

    run_cli("report", "--format", "forum", "--config", str(config_path))
    forum = next((tmp_path / "reports").glob("*.forum.md")).read_text()
    assert forum.splitlines()[0] == f"**{block['headline']}**"

    run_cli("alerts", "--config", str(config_path))
    assert sink.messages
    _, message, _ = sink.messages[0]
    # the subject is what an inbox shows: it says so too, after the tag filters key on
    assert message["Subject"].startswith("[lineupwatch] SYNTHETIC: ")
    text = message.get_body(("plain",)).get_content()
    assert text.splitlines()[0].startswith("SYNTHETIC DATA: downloads, likes, child counts and the Hub-wide stream")
    assert "SYNTHETIC DATA" in message.get_body(("html",)).get_content().split("<h2")[0]


def test_a_replay_of_recorded_real_hub_answers_on_loopback_is_not_called_synthetic(tmp_path: Path) -> None:
    models = [json.loads(path.read_text()) for path in sorted(REAL.glob("*.json"))]
    stream = SyntheticStream(date(2026, 11, 15), date(2026, 11, 22), scale=0.01)
    stream_label = {"source": "replay", "label": "replay of recorded Hub answers", "synthetic": []}
    stream.provenance = stream_label  # a recording of the real stream, served on 127.0.0.1
    with ReplayHub(models, stream=stream, page_size=5) as hub:
        assert hub.url.startswith("http://127.0.0.1:")
        config_path = write_config(tmp_path, hub.url, extra=CORPUS_CONFIG, stream=True, stream_rate_reserve=-1,
                                   children_budget=0)
        run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    assert [json.loads(r["provenance"]) for r in db["polls"].rows] == [labels.RECORDED]
    run_cli("report", "--config", str(config_path))
    report, texts = _report(tmp_path)
    block = report["provenance"]
    assert block["synthetic"] is False and block["headline"] is None
    assert block["inputs"]["stream"]["labels"] == ["replay of recorded Hub answers"]
    for text in texts.values():
        assert "SYNTHETIC" not in text
    assert "replay of recorded Hub answers" in texts["md"]
    assert not any("SYNTHETIC" in note for note in report["data_health"]["notes"])


def test_the_real_hub_sends_no_label_and_a_poll_of_it_is_the_hub_listing(tmp_path: Path) -> None:
    from lineupwatch.hub.client import HUB, merge_provenance

    assert merge_provenance(None, HUB) == HUB
    assert merge_provenance(HUB, labels.BUNDLED)["synthetic"] == ["children", "downloads", "likes"]


def test_m090_adds_the_provenance_columns_to_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = store.open_db(path)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm090_provenance'")
    for table in ("polls", "stream_runs"):
        db[table].transform(drop={"provenance"})
    db.conn.close()
    assert "provenance" not in sqlite3.connect(path).execute("SELECT * FROM polls").description.__str__()
    db = store.open_db(path)
    assert "provenance" in db["polls"].columns_dict and "provenance" in db["stream_runs"].columns_dict
