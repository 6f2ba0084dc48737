"""Write a database as an earlier release left it, for the migration tests.

Run with the release's code on the path, not the current one:
- legacy-m002.db.gz, lineupwatch 0.1.0 (schema m001 + m002):
    git archive 125a78e | tar -x -C /tmp/lw-0.1.0
    PYTHONPATH=/tmp/lw-0.1.0/src python tests/data/legacy/make_legacy_db.py
- legacy-m060.db.gz, the release before packed columns (m070; JSON counter columns):
    git archive 9522e27 | tar -x -C /tmp/lw-m060
    PYTHONPATH=/tmp/lw-m060/src python tests/data/legacy/make_legacy_db.py legacy-m060.db.gz --odd-counters

Four polls of the bundled Hub (every family but Qwen, to stay small) through the release's CLI
against the replay Hub, with SYNTHETIC changes between them: counters move, a licence changes,
a repo is removed and comes back, a repo is added, commits land, and one repo's listing lacks
its `likes` key while another's downloads are null (odd payloads the archive must keep as they were;
with --odd-counters also a float, a string, a bool and counts past 32 and 64 bits).
"""

from __future__ import annotations

import copy
import gzip
import sqlite3
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from lineupwatch.cli import cli
from lineupwatch.replay.fixtures import bundled_state_path
from lineupwatch.replay.server import ReplayHub, load_state

HERE = Path(__file__).parent
WATCH = '["Llama", "Gemma", "Mistral", "DeepSeek", "Phi", "gpt-oss", "SmolLM", "Granite", "Liquid", "OLMo", "GLM", "Kimi", "MiniMax"]'


def poll(config: Path) -> None:
    result = CliRunner().invoke(cli, ["poll", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def main(out: Path, odd_counters: bool) -> None:
    work = Path(tempfile.mkdtemp())
    models = [m for m in load_state(bundled_state_path()) if not m["id"].startswith("Qwen/")]
    with ReplayHub(copy.deepcopy(models), page_size=50) as hub:
        config = work / "lineupwatch.toml"
        config.write_text(f'watch = {WATCH}\n[hub]\nendpoint = "{hub.url}"\nchildren_budget = 20\n'
                          f'[storage]\ndatabase = "{work / "lw.db"}"\n')
        poll(config)
        by_id = {m["id"]: m for m in copy.deepcopy(models)}
        for i, m in enumerate(by_id.values()):
            m["downloads"] = m.get("downloads", 0) + 10 * i
            m["likes"] = m.get("likes", 0) + 1
        gemma = by_id["google/gemma-3-4b-it"]
        gemma["cardData"] = {**gemma.get("cardData", {}), "license": "other"}
        gemma["tags"] = [t for t in gemma["tags"] if not t.startswith("license:")] + ["license:other"]
        removed = by_id.pop("microsoft/phi-4")
        by_id["deepseek-ai/DeepSeek-V3.2"]["lastModified"] = "2026-11-20T10:00:00.000Z"
        added = {**by_id["google/gemma-3-4b-it"], "_id": "e" * 24, "id": "google/gemma-9-4b-it",
                 "createdAt": "2026-11-21T08:00:00.000Z"}
        hub.set_models([*by_id.values(), added])
        poll(config)
        by_id = {m["id"]: m for m in [*hub_models(hub), removed]}
        for m in by_id.values():
            m["downloads"] = (m.get("downloads") or 0) + 3
        hub.set_models(list(by_id.values()))
        poll(config)
        models4 = copy.deepcopy(list(by_id.values()))
        models4[0].pop("likes", None)
        models4[1]["downloads"] = None
        models4[2]["sha"] = "0" * 40
        if odd_counters:
            models4[3].update(downloadsAllTime=2 ** 40, likes=1.5)
            models4[4].update(downloadsAllTime="12", downloads=True, trendingScore=2 ** 70)
            models4[5]["downloadsAllTime"] = -(2 ** 63)
        hub.set_models(models4)
        poll(config)
    db = sqlite3.connect(work / "lw.db")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("VACUUM")
    db.close()
    with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write((work / "lw.db").read_bytes())
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def hub_models(hub: ReplayHub) -> list[dict]:
    return copy.deepcopy(list(hub._state.by_id.values()))


if __name__ == "__main__":
    names = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    main(HERE / (names[0] if names else "legacy-m002.db.gz"), "--odd-counters" in sys.argv)
