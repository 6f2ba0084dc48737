"""Issue 22: what fits your machine. Memory estimates against real GGUF files (docs/fits.md), and the
report's `fits` block through the CLI: budgets on the bundled data, an MoE with its offload note, an
official MXFP4 model (gpt-oss), a community GGUF found in the Hub-wide stream named as a build.

The stream repos here are SYNTHETIC (tests/synthetic.py): made-up community builds of real bases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.analysis.fits import NATIVE_BPW, QUANT_BPW, weights_gb
from lineupwatch.replay.server import ReplayHub
from synthetic import model

ROOT = Path(__file__).parent.parent.parent


def _table_rows() -> list[dict]:
    text = (ROOT / "docs" / "fits.md").read_text(encoding="utf-8")
    section = text.split("### The estimate against real GGUF files", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"[\d.]+", cells[1]):
            rows.append({"model": cells[0], "params": float(cells[1]), "format": cells[2], "estimate": float(cells[3]),
                         "real": float(cells[4]), "difference": cells[5], "source": cells[6]})
    return rows


def test_the_estimate_holds_within_ten_percent_of_real_gguf_files_for_at_least_ten_models() -> None:
    rows = _table_rows()
    assert len(rows) >= 10 and len({r["model"] for r in rows}) == len(rows)
    bits = {**QUANT_BPW, **NATIVE_BPW}
    for row in rows:
        estimate = weights_gb(row["params"], bits[row["format"]])
        assert round(estimate, 2) == pytest.approx(row["estimate"], abs=0.011), row["model"]  # the doc shows the code's figure
        gap = (estimate - row["real"]) / row["real"]
        assert abs(gap) <= 0.10, (row["model"], gap)
        assert row["difference"] == f"{100 * gap:+.1f}%", row["model"]
        assert row["source"], row["model"]  # every real size names where it was read
    assert QUANT_BPW == {"Q4_K_M": 4.85, "Q5_K_M": 5.69, "Q6_K": 6.56, "Q8_0": 8.5} and NATIVE_BPW["MXFP4"] == 4.25


def _report(tmp_path: Path, config_path: Path) -> dict:
    """Today's report: the day of the poll and the stream run, so both are behind its picks."""
    run_cli("report", "--config", str(config_path))
    return json.loads(next((tmp_path / "reports").glob("*-W*.json")).read_text(encoding="utf-8"))


def _files(tmp_path: Path) -> tuple[str, str]:
    week = next((tmp_path / "reports").glob("*-W*.json")).stem
    return ((tmp_path / "reports" / f"{week}.html").read_text(encoding="utf-8"),
            (tmp_path / "reports" / f"{week}.md").read_text(encoding="utf-8"))


def _budget(report: dict, gb: float, memory: str = "gpu") -> dict:
    return next(b for b in report["fits"]["budgets"] if b["gb"] == gb and b["memory"] == memory)


def _pick(report: dict, repo: str) -> dict:
    return next(p for b in report["fits"]["budgets"] for p in b["picks"] if p["repo"] == repo)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The bundled Hub state polled once, with its Hub-wide stream carrying SYNTHETIC community
    builds: a GGUF and an MLX copy of Qwen3.6-35B-A3B, a GGUF of gpt-oss-20b."""
    tmp_path = tmp_path_factory.mktemp("fits")
    community = [
        {**model("unsloth/Qwen3.6-35B-A3B-GGUF", "2026-04-17", parent="Qwen/Qwen3.6-35B-A3B", relation="quantized",
                 downloads=90_000), "library_name": "gguf"},
        {**model("mlx-community/Qwen3.6-35B-A3B-4bit", "2026-04-18", parent="Qwen/Qwen3.6-35B-A3B",
                 relation="quantized", downloads=20_000), "library_name": "mlx"},
        {**model("ggml-org/gpt-oss-20b-GGUF", "2025-08-06", parent="openai/gpt-oss-20b", relation="quantized",
                 downloads=300_000), "library_name": "gguf"},
    ]
    # the replay Hub says what it serves: the bundled facts' made-up counters and hand-made community repos
    made_up = {"source": "replay", "label": "replay of the bundled facts with hand-made community builds",
               "synthetic": ["children", "downloads", "likes", "stream"]}
    with ReplayHub(bundled_models() + community, page_size=200, provenance=made_up) as hub:
        config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1)
        run_cli("poll", "--config", str(config_path))
        run_cli("backfill-stream", "--since", "2025-08-01", "--config", str(config_path))  # the stream's history
    return _report(tmp_path, config_path), tmp_path


def test_a_budget_table_on_the_demo_data(demo_report: tuple[dict, Path]) -> None:
    report, tmp_path = demo_report
    fits = report["fits"]
    assert fits["context_tokens"] == [8192, 32768]
    assert [(b["memory"], b["gb"]) for b in fits["budgets"]] == [
        (kind, gb) for kind in ("gpu", "unified") for gb in (8, 12, 16, 24, 32, 48, 64)]
    for budget in fits["budgets"]:
        assert 1 <= len(budget["picks"]) <= 3
        for pick in budget["picks"]:
            # each pick fits at 8k, with its memory at both contexts, its licence and why
            assert pick["total_gb"]["8192"] <= budget["usable_gb"]
            assert pick["total_gb"]["32768"] > pick["total_gb"]["8192"]
            assert pick["total_gb"]["8192"] == pytest.approx(
                pick["weights_gb"] + pick["kv_gb"]["8192"] + fits["runtime_overhead_gb"], abs=0.02)
            assert pick["why"] and pick["licence"] and "license_status" in pick
            assert pick["data_as_of"].keys() == {"last_poll", "last_stream_run"}
    # unified memory leaves a quarter to the system
    assert _budget(report, 16, "unified")["usable_gb"] == 12
    # Q4_K_M at llama.cpp's 4.85 bits per weight: 9B-class weights are not "params x 0.5"
    qwen = next(p for b in fits["budgets"] for p in b["picks"] if p["quant"] == "Q4_K_M")
    assert qwen["bits_per_weight"] == 4.85
    assert qwen["weights_gb"] == pytest.approx(qwen["params_total_b"] * 4.85 / 8, abs=0.01)
    # an 8 GB card: small models only, each needing more than half the card
    eight = _budget(report, 8)
    assert all(p["params_total_b"] <= 10 and p["total_gb"]["8192"] > 4 for p in eight["picks"])
    assert "mainline" in fits["rule"] and "adoption score" in fits["rule"]
    # the freshness of the data behind the picks
    assert fits["freshness"]["last_poll"][:10] == report["as_of"]
    assert "last poll" in fits["freshness"]["note"]
    html, markdown = _files(tmp_path)
    assert 'id="fits"' in html and "What fits your machine" in html
    assert html.index('id="fits"') < html.index('id="adoption"') and 'id="run-now"' not in html
    assert "## What fits your machine" in markdown and "| 8 GB |" in markdown


def test_an_moe_pick_carries_the_offload_note(demo_report: tuple[dict, Path]) -> None:
    report, _ = demo_report
    moe = _pick(report, "Qwen/Qwen3.6-35B-A3B")
    assert moe["params_active_b"] and moe["params_active_b"] / moe["params_total_b"] < 0.25
    offload = moe["offload"]
    # all experts count for the total; with them in system RAM only the active share, the KV cache
    # and the runtime must stay in VRAM
    assert moe["weights_gb"] == pytest.approx(moe["params_total_b"] * 4.85 / 8, abs=0.01)
    assert offload["vram_gb"]["8192"] < moe["total_gb"]["8192"] / 2
    assert offload["system_ram_gb"] == pytest.approx((moe["params_total_b"] - moe["params_active_b"]) * 4.85 / 8, abs=0.01)
    assert "must stay in VRAM" in offload["note"] and "--n-cpu-moe" in offload["note"]
    dense = _pick(report, "Qwen/Qwen3.8-27B")
    assert dense["offload"] is None
    # an 8 GB card cannot hold it whole, but runs it with its experts in system RAM
    eight = _budget(report, 8)["offload_pick"]
    assert eight["offload"]["vram_gb"]["8192"] <= 8 < eight["total_gb"]["8192"]
    assert eight["offload"]["system_ram_gb"] <= report["fits"]["offload_system_ram_gb"]
    assert all(b["offload_pick"] is None or b["offload_pick"]["offload"] for b in report["fits"]["budgets"]
               if b["memory"] == "gpu")


def test_gpt_oss_is_sized_and_built_in_its_official_mxfp4(demo_report: tuple[dict, Path]) -> None:
    report, _ = demo_report
    oss = _pick(report, "openai/gpt-oss-20b")
    assert oss["quant"] == "MXFP4" and oss["native"] and oss["bits_per_weight"] == 4.25
    assert oss["weights_gb"] == pytest.approx(oss["params_total_b"] * 4.25 / 8, abs=0.01)
    assert {"repo": "openai/gpt-oss-20b", "format": "MXFP4", "official": True} in oss["builds"]
    # its KV cache comes from its architecture (sliding-window layers), not the allowance
    assert "gpt-oss-20b config.json" in oss["kv_source"]


def test_a_community_gguf_from_the_stream_is_named_as_a_build(demo_report: tuple[dict, Path]) -> None:
    report, tmp_path = demo_report
    moe = _pick(report, "Qwen/Qwen3.6-35B-A3B")
    community = [b for b in moe["builds"] if not b["official"]]
    assert community[:2] == [
        {"repo": "unsloth/Qwen3.6-35B-A3B-GGUF", "format": "GGUF", "official": False, "downloads": 270_000},
        {"repo": "mlx-community/Qwen3.6-35B-A3B-4bit", "format": "MLX", "official": False, "downloads": 60_000}]
    assert {"repo": "Qwen/Qwen3.6-35B-A3B-FP8", "format": "FP8", "official": True} in moe["builds"]
    oss = _pick(report, "openai/gpt-oss-20b")
    assert any(b["repo"] == "ggml-org/gpt-oss-20b-GGUF" and b["format"] == "GGUF" for b in oss["builds"])
    assert report["fits"]["freshness"]["last_stream_run"] and report["fits"]["freshness"]["stream_synthetic"]
    assert "SYNTHETIC" in report["fits"]["freshness"]["note"]
    assert "community_builds" not in (report.get("ecosystem") or {})
    html, _ = _files(tmp_path)
    assert "unsloth/Qwen3.6-35B-A3B-GGUF" in html


def test_the_forum_post_leads_with_the_budgets_and_stays_short(demo_report: tuple[dict, Path]) -> None:
    _, tmp_path = demo_report
    config_path = tmp_path / "lineupwatch.toml"
    config_path.write_text(config_path.read_text(encoding="utf-8").replace(
        "[storage]", '[site]\nbase_url = "https://example.org/lw/"\n[storage]'), encoding="utf-8")
    run_cli("report", "--config", str(config_path), "--format", "forum")
    post = next((tmp_path / "reports").glob("*.forum.md")).read_text(encoding="utf-8")
    assert len(post) < 10_000
    assert "**What fits your machine**" in post and "What to run now" not in post
    for gb in (8, 12, 16, 24, 32, 48, 64):
        assert f"- **{gb} GB**: " in post
    assert "unsloth/Qwen3.6-35B-A3B-GGUF" in post  # the most downloaded community build, named


def _entry(repo: str, family: str, total: float, active: float | None = None, released: str = "2026-05-01",
           generation: str | None = None, **fields: object):
    from datetime import date

    from lineupwatch.analysis.entries import Entry
    name = repo.rpartition("/")[2]
    return Entry(family=family, key=f"{generation or name} · LM · {total:g}B", generation=generation or name.split("-")[0],
                 line="lm", size_label=f"{total:g}B", params_total_b=total, params_active_b=active,
                 size_class="small" if total <= 10 else "medium", released=date.fromisoformat(released),
                 repos=(repo,), primary=repo, license="apache-2.0", gated="false", counted=True, **fields)


def test_budgets_and_the_unified_share_come_from_the_config_and_the_rule_is_kept() -> None:
    from datetime import date

    from lineupwatch.analysis.fits import fits_block
    from lineupwatch.config.settings import FitsSettings
    settings = FitsSettings(budgets_gb=(10.0,), contexts=(4096, 8192), unified_usable_fraction=0.5,
                            runtime_overhead_gb=0.5, picks_per_budget=3, community_builds=1, offload_system_ram_gb=64)
    entries = [
        _entry("acme/Acme2-8B", "Acme", 8, released="2026-01-01"),
        _entry("acme/Acme3-4B", "Acme", 4, released="2026-06-01"),
        _entry("beta/Beta1-7B", "Beta", 7, released="2026-02-01", doubts=("date approximate",)),
        _entry("beta/diffusionbeta-9B", "Beta", 9, released="2026-07-01", generation="diffusionbeta"),
        _entry("gamma/Gamma1-R-7B", "Gamma", 7, released="2026-03-01", built_on="acme/Acme2-8B"),
        _entry("acme/Acme4-30B", "Acme", 30, released="2026-08-01"),
    ]
    community = [{"repo_id": "someone/Acme2-8B-GGUF", "parent": "acme/Acme2-8B", "library_name": "gguf",
                  "downloads_all_time": 10},
                 {"repo_id": "other/Acme2-8B-mlx", "parent": "acme/Acme2-8B", "library_name": "mlx",
                  "downloads_all_time": 5}]
    block = fits_block(entries, settings, date(2026, 9, 1), community=community, last_poll="2026-08-30T06:00:00+00:00",
                       last_stream_run="2026-08-31T06:00:00+00:00")
    assert block["context_tokens"] == [4096, 8192]
    gpu, unified = block["budgets"]
    assert (gpu["memory"], gpu["usable_gb"], unified["memory"], unified["usable_gb"]) == ("gpu", 10.0, "unified", 5.0)
    # mainline LMs first, the newest first among those needing more than half the budget (at 4k): Beta's
    # 7B, Acme's 8B; then one per family: Gamma's 7B built on Acme's base (not mainline) before Acme's
    # smaller 4B and Beta's experimental 9B; the 30B does not fit
    assert [p["repo"] for p in gpu["picks"]] == ["beta/Beta1-7B", "acme/Acme2-8B", "gamma/Gamma1-R-7B"]
    beta, acme, gamma = gpu["picks"]
    assert acme["mainline"] and beta["mainline"] and not gamma["mainline"]
    assert acme["builds"] == [{"repo": "someone/Acme2-8B-GGUF", "format": "GGUF", "official": False, "downloads": 10}]
    assert gamma["built_on"] == "acme/Acme2-8B" and "built on Acme2-8B" in gamma["why"]
    assert beta["uncertain"] == ["date approximate"]
    assert acme["data_as_of"] == {"last_poll": "2026-08-30T06:00:00+00:00", "last_stream_run": "2026-08-31T06:00:00+00:00"}
    assert "2 days before this report" in block["freshness"]["note"]
    assert [p["repo"] for p in unified["picks"]] == ["acme/Acme3-4B"]  # 5 of 10 GB usable
    assert not mainline_of(entries, "beta/diffusionbeta-9B")


def mainline_of(entries: list, repo: str) -> bool:
    from lineupwatch.analysis.fits import mainline
    return mainline(next(e for e in entries if e.primary == repo))
