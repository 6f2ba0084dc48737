"""Poll benchmark: a 10,000-repo SYNTHETIC Hub over the replay server with 50 ms per request.

The replay Hub runs in its own process (`lineupwatch replay-hub`), so the CPU time measured here
is the poll's own: fetch, normalize, store. Figures are appended to benchmarks/RESULTS.md.

Run: .venv/bin/python benchmarks/bench_poll.py [--repos 10000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from lineupwatch.store import database as store
from lineupwatch.config.settings import DEFAULT_FAMILIES, parse_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import save_state

# (org, name pattern) per family: names the family's generation regex parses.
NAME_PATTERNS = {
    "Qwen": "Qwen{g}-Synth{i}-{s}B", "Llama": "Llama-{g}-Synth{i}-{s}B", "Gemma": "gemma-{g}-synth{i}-{s}b-it",
    "Mistral": "Ministral-{g}-Synth{i}-{s}B", "DeepSeek": "DeepSeek-V{g}-Synth{i}-{s}B", "Phi": "Phi-{g}-synth{i}-{s}B",
    "gpt-oss": "gpt-oss-synth{i}-{s}b", "SmolLM": "SmolLM{g}-Synth{i}-{s}B", "Granite": "granite-{g}-synth{i}-{s}b",
    "Liquid": "LFM{g}-Synth{i}-{s}B", "OLMo": "OLMo-{g}-Synth{i}-{s}B", "GLM": "GLM-{g}-Synth{i}-{s}B",
    "Kimi": "Kimi-K{g}-Synth{i}-{s}B", "MiniMax": "MiniMax-M{g}-Synth{i}-{s}B",
}
SIZES = (0.6, 1.7, 4, 8, 14, 32, 72, 235)


def synthetic_hub(count: int) -> list[dict]:
    """SYNTHETIC repos spread over the 14 watched orgs (40% Qwen); every value made up."""
    families = list(DEFAULT_FAMILIES.values())
    models = []
    for i in range(count):
        family = families[0] if i % 10 < 4 else families[1 + i % (len(families) - 1)]
        size = SIZES[i % len(SIZES)]
        name = NAME_PATTERNS[family.name].format(g=2 + i % 3, i=i, s=size)
        digest = hashlib.sha1(name.encode()).hexdigest()
        total = int(size * 1.02e9)
        day = 1 + i % 28
        models.append({
            "_id": digest[:24], "id": f"{family.orgs[0]}/{name}", "author": family.orgs[0],
            "createdAt": f"2025-{1 + i % 12:02d}-{day:02d}T{i % 24:02d}:00:00.000Z",
            "lastModified": f"2026-{1 + i % 10:02d}-{day:02d}T00:00:00.000Z", "sha": digest, "private": False,
            "disabled": False, "gated": False, "downloads": (i * 7919) % 100000, "downloadsAllTime": (i * 7919) % 1000000,
            "likes": i % 500, "pipeline_tag": "text-generation", "library_name": "transformers",
            "tags": ["transformers", "safetensors", "text-generation", "license:apache-2.0", "region:us"],
            "cardData": {"license": "apache-2.0"}, "safetensors": {"parameters": {"BF16": total}, "total": total},
            "childrenModelCount": i % 50,
        })
    return models


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_bytes(path: Path, db) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lw-bench-poll-"))
    state = work / "hub.json.gz"
    models = synthetic_hub(args.repos)
    save_state(models, state)
    per_org = Counter(m["author"] for m in models)
    expected_pages = sum(math.ceil(n / 1000) for n in per_org.values())
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lineupwatch", "replay-hub", "--data", str(state), "--port", str(port),
                               "--latency", str(args.latency)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()  # "replay Hub serving ..."
    endpoint = f"http://127.0.0.1:{port}"
    config = parse_config({"storage": {"database": str(work / "bench.db")}}, Path("(benchmark)"))
    db = store.open_db(config.database_path)
    base = db_bytes(config.database_path, db)
    rows = []
    try:
        for label in ("first poll", "second poll, Hub unchanged"):
            wall, cpu = time.perf_counter(), time.process_time()
            result = run_poll(config, db, endpoint=endpoint, now=lambda: datetime.now(timezone.utc))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            size = db_bytes(config.database_path, db)
            rows.append((label, result.repo_count, result.listing_requests, result.info_requests, wall, cpu,
                         result.repo_count / wall, size - base))
            base = size
    finally:
        server.terminate()
    lines = ["| poll | repos | listing requests | model_info requests | wall s | CPU s (poll process) | repos/s | DB bytes added |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} | {r[5]:.2f} | {r[6]:.0f} | {r[7]:,} |" for r in rows]
    report = "\n".join(lines)
    print(report)
    first, second = rows
    print(f"targets: listing requests = pages ({expected_pages}): {first[2] == second[2] == expected_pages}; "
          f"second poll adds < 1 MB: {second[7] < 1_000_000}; poll CPU < 10 s: {first[5] < 10}; CPUs: {os.cpu_count()}")


if __name__ == "__main__":
    main()
