"""Real Hub JSON (tests/data/real, recorded by huggingface_hub's own cassettes) through the replay
Hub, the CLI poll and the CLI report: every payload is stored as it came and no report crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.normalize.lines import task_line
from lineupwatch.normalize.payload import timestamp
from lineupwatch.replay.server import ReplayHub

CORPUS = Path(__file__).parents[1] / "data" / "real"
# Llama and Gemma as shipped; every other org of the corpus in one family, so each payload is read.
CORPUS_ORGS = ["ByteDance", "CompVis", "HuggingFaceH4", "Salesforce", "alefiury", "black-forest-labs", "dandelin",
               "dbmdz", "deepset", "distilbert", "espnet", "facebook", "google-bert", "google-t5", "jonatasgrosman",
               "microsoft", "naver-clova-ix", "openai", "openai-community", "sentence-transformers", "speechbrain",
               "sshleifer", "stabilityai", "google"]
CONFIG = f"""watch = ["Llama", "Gemma", "Corpus"]
[families.Corpus]
orgs = {json.dumps(CORPUS_ORGS)}
generation = '(?P<generation>[A-Za-z]+(?:-[A-Za-z]+)?-?\\d+(?:\\.\\d+)?)'
"""


def corpus() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(CORPUS.glob("*.json"))]


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp_path = tmp_path_factory.mktemp("corpus")
    with ReplayHub(corpus(), page_size=5) as hub:
        config_path = write_config(tmp_path, hub.url, extra=CONFIG, children_budget=0)
        run_cli("poll", "--config", str(config_path))
    result = run_cli("report", "--config", str(config_path))
    report = json.loads(Path(result.output.split("latest: ")[1].split()[0]).with_suffix(".json").read_text())
    return config_path, report


def test_every_file_is_listed_in_the_readme_with_its_source() -> None:
    readme = (CORPUS / "README.md").read_text()
    files = sorted(p.name for p in CORPUS.glob("*.json"))
    assert len(files) == 42
    for name in files:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
        assert "tests/cassettes/" in row and len(row.split("`")[5]) == 40  # cassette path and commit


def test_every_payload_of_a_watched_org_is_stored_as_it_came(polled: tuple[Path, dict]) -> None:
    config_path, _ = polled
    db = store.open_db(load_config(config_path).database_path)
    served = {m["id"]: m for m in corpus()}
    stored = {row["repo_id"]: row for row in db["repos"].rows}
    assert set(stored) == {i for i in served if "/" in i}  # all but `gpt2`, an id with no org
    assert db["polls"].get(1)["status"] == "ok"
    for repo_id, row in stored.items():
        model = served[repo_id]
        assert row["created_at"] == timestamp(model.get("createdAt"))  # None for the seven bare payloads
        assert row["created_at"] is None or row["created_at"].endswith("+00:00")  # one form, whatever the Hub sent
        assert row["gated"] == {False: "false", "manual": "manual", None: "false"}[model.get("gated")]
        assert row["pipeline_tag"] == model.get("pipeline_tag")
        if row["line_source"] == "pipeline":
            assert row["line"] == task_line(model["pipeline_tag"])
    lines = {repo_id: (row["line"], row["line_source"]) for repo_id, row in stored.items()}
    assert lines["google-bert/bert-base-uncased"] == ("nlp", "pipeline")  # fill-mask: an encoder, not an LM
    assert lines["deepset/roberta-base-squad2"] == ("nlp", "pipeline")  # span QA
    assert lines["google/flan-t5-xxl"] == ("lm", "pipeline")  # the legacy text2text-generation
    assert lines["sentence-transformers/all-MiniLM-L6-v2"] == ("embedding", "pipeline")
    assert lines["stabilityai/stable-diffusion-2-1"] == ("image", "pipeline")
    assert lines["google/vit-base-patch16-224"] == ("vision", "pipeline")
    assert lines["speechbrain/sepformer-wham"] == ("audio", "pipeline")
    assert lines["meta-llama/Llama-3.3-70B-Instruct"] == ("lm", "default")  # a bare payload: nothing says
    roberta = stored["deepset/roberta-base-squad2"]
    assert json.loads(roberta["base_models"]) == [["finetune", "FacebookAI/roberta-base"]]
    llama = stored["meta-llama/Llama-3.1-8B-Instruct"]
    assert (llama["entry_key"], llama["size_class"], llama["params_total_source"]) == (
        "Llama-3.1 · LM · 8B", "small", "safetensors")


def test_the_report_counts_only_lm_lines_and_lists_what_the_hub_left_out(polled: tuple[Path, dict]) -> None:
    config_path, report = polled
    config = load_config(config_path)
    db = store.open_db(config.database_path)
    poll_day = db["polls"].get(1)["started_at"][:10]
    health = report["data_health"]
    bare = sorted(m["id"] for m in corpus() if "createdAt" not in m)
    assert sorted(health["undated_repos"]) == bare and len(bare) == 7
    # they carry no task, tag or library either; only FLUX.1-dev's name decides ("dev" is the coder
    # word of Kimi-Dev-72B: a limit of the name rules, which read every org alike)
    assert sorted(health["line_by_default"]) == [r for r in bare if r != "black-forest-labs/FLUX.1-dev"]
    assert health["stale_orgs"] == []
    entries = report["entries_since_baseline"]
    # the bare payloads are dated by the poll that saw them: after the baseline
    llama = {e["entry"]: e for e in entries if e["family"] == "Llama"}
    assert llama["Llama-3.3 · LM · 70B"]["released"] == poll_day
    assert llama["Llama-3.2 · LM · 3B"]["released"] == poll_day
    counted_lines = {"LM", "Coder", "VL", "Omni", "Math"}
    assert all(e["line"] in counted_lines for e in entries if e["counted"])
    line_of = {row["repo_id"]: row["line"] for row in db["repos"].rows}
    for e in entries:
        uncounted = [r for r in e["repos"] if line_of[r] not in config.analysis.counted_lines]
        assert not (uncounted and e["counted"]), e


def test_report_in_every_format_never_fails_on_the_corpus(polled: tuple[Path, dict]) -> None:
    config_path, report = polled
    out = Path(load_config(config_path).reports_path)
    week = report["week"]
    for suffix in (".md", ".html", ".json"):
        assert (out / f"{week}{suffix}").stat().st_size > 0
    assert "Traceback" not in (out / f"{week}.md").read_text()
    assert {f["family"] for f in report["forecasts"]} == {"Llama", "Gemma", "Corpus"}
