"""The name parser and the record builder, on real repo names from the facts tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import bundled_models
from lineupwatch.config.settings import Config, parse_config
from lineupwatch.normalize.names import parse_name
from lineupwatch.normalize.records import normalize_repos

FACTS = Path(__file__).parents[2] / "src" / "lineupwatch" / "data" / "facts"
CONFIG: Config = parse_config({}, Path("defaults.toml"))
FAMILIES = {family.name: family for family in CONFIG.watched}

# (family, repo name, generation, line, variant, size label, total B, active B), read off the names
# by hand: the parser must agree with a person reading the name.
NAMES = [
    ('Qwen', 'Qwen3.5-35B-A3B', 'Qwen3.5', 'lm', 'main', '35B-A3B', 35.0, 3.0),
    ('Qwen', 'Qwen1.5-MoE-A2.7B-Chat', 'Qwen1.5', 'lm', 'chat', 'MoE-A2.7B', None, 2.7),
    ('Qwen', 'Qwen-1_8B-Chat-Int4', 'Qwen1', 'lm', 'chat+int4', '1.8B', 1.8, None),
    ('Qwen', 'Qwen2.5-Coder-32B-Instruct-GPTQ-Int8', 'Qwen2.5', 'coder', 'instruct+gptq-int8', '32B', 32.0, None),
    ('Qwen', 'Qwen3-Coder-480B-A35B-Instruct-FP8', 'Qwen3', 'coder', 'instruct+fp8', '480B-A35B', 480.0, 35.0),
    ('Gemma', 'gemma-3n-E4B-it', 'gemma-3n', 'lm', 'instruct', 'E4B', None, None),
    ('Llama', 'Llama-4-Scout-17B-16E-Instruct', 'Llama-4', 'lm', 'instruct', 'Scout-17B-16E', None, 17.0),
    ('gpt-oss', 'gpt-oss-20b', 'gpt-oss', 'lm', 'main', '20B', 20.0, None),
    ('Qwen', 'Qwen3.5-0.8B', 'Qwen3.5', 'lm', 'main', '0.8B', 0.8, None),
    ('Qwen', 'Qwen3.5-9B-Base', 'Qwen3.5', 'lm', 'base', '9B', 9.0, None),
    ('Qwen', 'Qwen3.5-397B-A17B', 'Qwen3.5', 'lm', 'main', '397B-A17B', 397.0, 17.0),
    ('Qwen', 'Qwen3.6-27B-FP8', 'Qwen3.6', 'lm', 'main+fp8', '27B', 27.0, None),
    ('Qwen', 'Qwen3.8-2.4T-A95B', 'Qwen3.8', 'lm', 'main', '2.4T-A95B', 2400.0, 95.0),
    ('Qwen', 'Qwen3.8-Flash-Next', 'Qwen3.8', 'lm', 'main', 'Flash-Next', None, None),
    ('Qwen', 'Qwen-7B', 'Qwen1', 'lm', 'main', '7B', 7.0, None),
    ('Qwen', 'Qwen-VL-Chat', 'Qwen1', 'vl', 'chat', None, None, None),
    ('Qwen', 'Qwen-72B-Chat-Int8', 'Qwen1', 'lm', 'chat+int8', '72B', 72.0, None),
    ('Qwen', 'Qwen1.5-0.5B-Chat-AWQ', 'Qwen1.5', 'lm', 'chat+awq', '0.5B', 0.5, None),
    ('Qwen', 'Qwen1.5-110B', 'Qwen1.5', 'lm', 'main', '110B', 110.0, None),
    ('Qwen', 'CodeQwen1.5-7B-Chat', 'Qwen1.5', 'coder', 'chat', '7B', 7.0, None),
    ('Qwen', 'Qwen2-0.5B-Instruct', 'Qwen2', 'lm', 'instruct', '0.5B', 0.5, None),
    ('Qwen', 'Qwen2-57B-A14B-Instruct', 'Qwen2', 'lm', 'instruct', '57B-A14B', 57.0, 14.0),
    ('Qwen', 'Qwen2-VL-72B-Instruct-GPTQ-Int4', 'Qwen2', 'vl', 'instruct+gptq-int4', '72B', 72.0, None),
    ('Qwen', 'Qwen2-Audio-7B-Instruct', 'Qwen2', 'audio', 'instruct', '7B', 7.0, None),
    ('Qwen', 'Qwen2-Math-1.5B-Instruct', 'Qwen2', 'math', 'instruct', '1.5B', 1.5, None),
    ('Qwen', 'Qwen2.5-7B-Instruct-GGUF', 'Qwen2.5', 'lm', 'instruct+gguf', '7B', 7.0, None),
    ('Qwen', 'Qwen2.5-Math-PRM-7B', 'Qwen2.5', 'reward', 'main', '7B', 7.0, None),
    ('Qwen', 'Qwen2.5-Omni-7B', 'Qwen2.5', 'omni', 'main', '7B', 7.0, None),
    ('Qwen', 'Qwen2.5-VL-3B-Instruct-AWQ', 'Qwen2.5', 'vl', 'instruct+awq', '3B', 3.0, None),
    ('Qwen', 'QwQ-32B', 'QwQ', 'lm', 'main', '32B', 32.0, None),
    ('Qwen', 'QwQ-32B-Preview', 'QwQ', 'lm', 'preview', '32B', 32.0, None),
    ('Qwen', 'QVQ-72B-Preview', 'QVQ', 'vl', 'preview', '72B', 72.0, None),
    ('Qwen', 'Qwen3-0.6B', 'Qwen3', 'lm', 'main', '0.6B', 0.6, None),
    ('Qwen', 'Qwen3-30B-A3B-Instruct-2507', 'Qwen3', 'lm', 'instruct', '30B-A3B', 30.0, 3.0),
    ('Qwen', 'Qwen3-235B-A22B-Thinking-2507-FP8', 'Qwen3', 'lm', 'thinking+fp8', '235B-A22B', 235.0, 22.0),
    ('Qwen', 'Qwen3-Embedding-0.6B', 'Qwen3', 'embedding', 'main', '0.6B', 0.6, None),
    ('Qwen', 'Qwen3-Reranker-4B', 'Qwen3', 'reranker', 'main', '4B', 4.0, None),
    ('Qwen', 'Qwen3-VL-8B-Instruct', 'Qwen3', 'vl', 'instruct', '8B', 8.0, None),
    ('Qwen', 'Qwen3-Omni-30B-A3B-Instruct', 'Qwen3', 'omni', 'instruct', '30B-A3B', 30.0, 3.0),
    ('Qwen', 'Qwen3-Next-80B-A3B-Instruct', 'Qwen3', 'lm', 'instruct', '80B-A3B', 80.0, 3.0),
    ('Qwen', 'Qwen3Guard-Gen-0.6B', 'Qwen3', 'guard', 'main', '0.6B', 0.6, None),
    ('Qwen', 'Qwen3-ASR-1.7B', 'Qwen3', 'asr', 'main', '1.7B', 1.7, None),
    ('Qwen', 'Qwen3-ASR-0.6B-hf', 'Qwen3', 'asr', 'main+hf', '0.6B', 0.6, None),
    ('Qwen', 'Qwen3-TTS-12Hz-1.7B-Base', 'Qwen3', 'tts', 'base', '1.7B', 1.7, None),
    ('Qwen', 'WebWorld-8B', 'WebWorld', 'world-model', 'main', '8B', 8.0, None),
    ('Qwen', 'Qwen-Drive-1.0-4B', 'Qwen-Drive', 'vl', 'main', '4B', 4.0, None),
    ('Qwen', 'Qwen-Image-2.1-PE-T2I', 'Qwen-Image', 'image', 'main', None, None, None),
    ('Qwen', 'Qwen-AgentWorld-35B-A3B', 'Qwen-AgentWorld', 'world-model', 'main', '35B-A3B', 35.0, 3.0),
    ('Qwen', 'Qwen3-8B-MLX-4bit', 'Qwen3', 'lm', 'main+mlx-4bit', '8B', 8.0, None),
    ('Qwen', 'WorldPM-72B', 'WorldPM', 'reward', 'main', '72B', 72.0, None),
    ('Gemma', 'gemma-3-270m', 'gemma-3', 'lm', 'main', '270M', 0.27, None),
    ('Gemma', 'gemma-3-4b-it', 'gemma-3', 'lm', 'instruct', '4B', 4.0, None),
    ('Gemma', 'gemma-4-E2B-it', 'gemma-4', 'lm', 'instruct', 'E2B', None, None),
    ('Gemma', 'embeddinggemma-300m', 'embeddinggemma', 'embedding', 'main', '300M', 0.3, None),
    ('Gemma', 't5gemma-2b-2b-ul2', 't5gemma', 'lm', 'main', '2B-2B', 4.0, None),
    ('Gemma', 'medgemma-27b-text-it', 'medgemma', 'lm', 'instruct', '27B', 27.0, None),
    ('Llama', 'Llama-Guard-4-12B', 'Llama-Guard', 'guard', 'main', '12B', 12.0, None),
    ('Llama', 'Llama-4-Maverick-17B-128E-Instruct-FP8', 'Llama-4', 'lm', 'instruct+fp8', 'Maverick-17B-128E', None, 17.0),
    ('Mistral', 'Mistral-Small-3.2-24B-Instruct-2506', 'Mistral-Small-3.2', 'lm', 'instruct', '24B', 24.0, None),
    ('Mistral', 'Ministral-3-8B-Instruct-2512', 'Ministral-3', 'lm', 'instruct', '8B', 8.0, None),
    ('Mistral', 'Devstral-Small-2507', 'Devstral-Small', 'coder', 'main', None, None, None),
    ('Mistral', 'Mistral-Large-4.0-1T05-A52B', 'Mistral-Large-4.0', 'lm', 'main', '1.05T-A52B', 1050.0, 52.0),
    ('DeepSeek', 'DeepSeek-V3.1', 'DeepSeek-V3.1', 'lm', 'main', None, None, None),
    ('DeepSeek', 'DeepSeek-R1-Distill-Qwen-7B', 'DeepSeek-R1', 'lm', 'main', '7B', 7.0, None),
    ('DeepSeek', 'DeepSeek-OCR-2', 'DeepSeek-OCR-2', 'ocr', 'main', None, None, None),
    ('Phi', 'Phi-4-mini-instruct', 'Phi-4', 'lm', 'instruct', 'mini', None, None),
    ('Phi', 'Phi-4-reasoning-plus', 'Phi-4', 'lm', 'reasoning', None, None, None),
    ('SmolLM', 'SmolLM3-3B', 'SmolLM3', 'lm', 'main', '3B', 3.0, None),
    ('SmolLM', 'SmolVLM2-500M-Video-Instruct', 'SmolVLM2', 'vl', 'instruct', '500M', 0.5, None),
    ('Granite', 'granite-4.0-h-tiny', 'granite-4.0', 'lm', 'main', 'tiny', None, None),
    ('Granite', 'granite-3.3-8b-instruct', 'granite-3.3', 'lm', 'instruct', '8B', 8.0, None),
    ('Liquid', 'LFM2-8B-A1B', 'LFM2', 'lm', 'main', '8B-A1B', 8.0, 1.0),
    ('Liquid', 'LFM2.5-350M', 'LFM2.5', 'lm', 'main', '350M', 0.35, None),
    ('OLMo', 'OLMoE-1B-7B-0125', 'OLMo', 'lm', 'main', '1B-7B', 7.0, 1.0),
    ('OLMo', 'Olmo-3-1025-7B', 'OLMo-3', 'lm', 'main', '7B', 7.0, None),
    ('GLM', 'GLM-4.5-Air', 'GLM-4.5', 'lm', 'main', 'Air', None, None),
    ('GLM', 'GLM-4.1V-9B-Thinking', 'GLM-4.1', 'vl', 'thinking', '9B', 9.0, None),
    ('Kimi', 'Kimi-K2-Instruct', 'Kimi-K2', 'lm', 'instruct', None, None, None),
    ('Kimi', 'Moonlight-16B-A3B-Instruct', 'Moonlight', 'lm', 'instruct', '16B-A3B', 16.0, 3.0),
    ('MiniMax', 'MiniMax-M2.5', 'MiniMax-M2.5', 'lm', 'main', None, None, None),
    ('gpt-oss', 'gpt-oss-safeguard-20b', 'gpt-oss', 'guard', 'main', '20B', 20.0, None),
]


@pytest.mark.parametrize(("family", "name", "generation", "line", "variant", "label", "total", "active"), NAMES,
                         ids=[case[1] for case in NAMES])
def test_name_parser_reads_real_names(family: str, name: str, generation: str, line: str, variant: str,
                                      label: str | None, total: float | None, active: float | None) -> None:
    parsed = parse_name(name, FAMILIES[family])
    assert (parsed.generation, parsed.line, parsed.variant, parsed.size_label) == (generation, line, variant, label)
    assert (parsed.total_b, parsed.active_b) == (pytest.approx(total) if total else None, active)


def test_enough_real_names_are_covered() -> None:
    assert len(NAMES) >= 60 and len({family for family, *_ in NAMES}) >= 13


RECORDS = {record.repo_id: record for record in normalize_repos(bundled_models(), CONFIG)}
# The facts file a repo-level line the analysis has no use for; both are outside the counted lines.
FACTS_LINE_DIFFERENCES = {"Qwen/Qwen-Image-Bench": ("image", "image-eval"), "Qwen/Qwen-tokenizer": ("other", "tokenizer")}


def test_every_qwen_repo_agrees_with_the_facts_table() -> None:
    """469 names, classified by hand in the facts: generation, line and nominal size must match."""
    with open(FACTS / "qwen_releases.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 469
    for row in rows:
        record = RECORDS[row["repo_id"]]
        assert record.generation == row["generation"], row["repo_id"]
        expected_line = FACTS_LINE_DIFFERENCES.get(row["repo_id"], (row["line"], row["line"]))
        assert (record.line, row["line"]) == expected_line, row["repo_id"]
        if row["params_total_b"]:
            assert record.params_total_b is not None, row["repo_id"]
            if record.nominal_total_b is not None:
                assert record.nominal_total_b == pytest.approx(float(row["params_total_b"])), row["repo_id"]


def test_size_point_is_the_vendors_not_the_hubs_count() -> None:
    nine = RECORDS["Qwen/Qwen3.5-9B"]  # the Hub counts 10B (facts: "HF displays 10B")
    assert (nine.params_total_b, nine.params_total_source, nine.size_class) == (10.0, "safetensors", "small")
    omni = RECORDS["Qwen/Qwen2.5-Omni-7B"]  # 11B on the Hub, still the 7B point
    assert (omni.entry_key, omni.size_class) == ("Qwen2.5 · Omni · 7B", "small")
    moe = RECORDS["Qwen/Qwen3.5-35B-A3B"]  # 3B active, but 36B (the Hub's count) must be held in memory
    assert (moe.params_total_b, moe.params_active_b, moe.nominal_total_b, moe.size_class) == (36.0, 3.0, 35.0, "medium")


def test_quantized_copies_take_the_size_of_their_base() -> None:
    awq = RECORDS["Qwen/Qwen2.5-7B-Instruct-AWQ"]  # the Hub shows packed int4 tensors (~30 %)
    assert (awq.quantized, awq.quant, awq.params_total_b, awq.params_total_source) == (True, "awq", 7.0, "base")
    assert awq.entry_key == RECORDS["Qwen/Qwen2.5-7B-Instruct"].entry_key == "Qwen2.5 · LM · 7B"
    gguf = RECORDS["Qwen/Qwen2.5-7B-Instruct-GGUF"]
    assert (gguf.params_total_b, gguf.size_class) == (7.0, "small")
    int4 = RECORDS["Qwen/Qwen-1_8B-Chat-Int4"]  # Qwen1's bare Int4 suffix
    assert (int4.quantized, int4.entry_key, int4.size_class) == (True, "Qwen1 · LM · 1.8B", "tiny")


def test_derivatives_take_their_parents_generation_and_keep_their_own_entry() -> None:
    drive = RECORDS["Qwen/Qwen-Drive-1.0-4B"]
    assert drive.base_models == (("finetune", "Qwen/Qwen3.5-4B"),)
    assert (drive.generation, drive.line, drive.size_class) == ("Qwen3.5", "vl", "small")
    assert drive.entry_key == "Qwen3.5 · VL · Qwen-Drive-1.0-4B"
    rewriter = RECORDS["Qwen/Qwen-Image-2.1-PE-T2I"]
    assert (rewriter.generation, rewriter.line) == ("Qwen3.5", "image")
    qwq = RECORDS["Qwen/QwQ-32B"]
    assert (qwq.generation, qwq.entry_key) == ("Qwen2.5", "Qwen2.5 · LM · QwQ-32B")


def test_licence_gating_and_counters_come_through() -> None:
    qwen1 = RECORDS["Qwen/Qwen-7B"]  # listed as `other` with a licence name, as on the Hub
    assert qwen1.license == "qwen"
    assert RECORDS["Qwen/Qwen3.5-9B"].license == "apache-2.0"
    assert RECORDS["meta-llama/Llama-Guard-4-12B"].gated == "manual"
    assert RECORDS["Qwen/Qwen3.5-4B"].downloads == 8_600_000  # quoted in the facts' notes


def test_other_orgs_repos_and_broken_objects_are_skipped() -> None:
    models = [{"id": "google/t5-small"}, {"id": "nobody/gemma-clone"}, {"no": "id"}, "not a dict",
              {"id": "Qwen/Qwen3-0.6B", "safetensors": {"total": "many"}, "gated": None, "tags": None}]
    records = normalize_repos(models, CONFIG)
    assert [r.repo_id for r in records] == ["Qwen/Qwen3-0.6B"]
    assert (records[0].params_total_b, records[0].params_total_source, records[0].gated) == (0.6, "name", "false")
