"""Built on (issue 20, point 7): an official model fine-tuned from another family's base is shown as
"on Qwen3-8B" in every table, cell and verdict that uses it, and the coverage matrix marks the cells
only such models fill. deepseek-ai/DeepSeek-R1-0528-Qwen3-8B (a distill into Qwen/Qwen3-8B, by its
`base_model:finetune:` tag) is DeepSeek's last small model. In the summer of 2025 it shares DeepSeek's small cell with
DeepSeek-Prover-V2-7B, DeepSeek's own; in a SYNTHETIC state without the Prover it fills it alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import bundled_models, run_cli, write_config
from lineupwatch.replay.server import ReplayHub
from lineupwatch.report import view

AS_OF = "2025-08-03"  # a Sunday, 66 days after DeepSeek-R1-0528-Qwen3-8B; the January R1 distills are out of the window
DISTILL = "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"
KEY = "DeepSeek-R1 · LM · 8B · 0528"


def _report(tmp_path: Path, models: list[dict]) -> tuple[dict, str, str]:
    with ReplayHub(models, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
    out = tmp_path / "out"
    run_cli("report", "--config", str(config_path), "--as-of", AS_OF, "--out", str(out))
    report = json.loads((out / "2025-W31.json").read_text(encoding="utf-8"))
    return report, (out / "2025-W31.md").read_text(encoding="utf-8"), (out / "2025-W31.html").read_text(encoding="utf-8")


def _row(table: str, first_cell: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {first_cell} |"))


def test_a_model_on_another_familys_base_says_so_wherever_it_is_used(tmp_path: Path) -> None:
    assert f"base_model:finetune:Qwen/Qwen3-8B" in next(m for m in bundled_models() if m["id"] == DISTILL)["tags"]
    without_prover = [m for m in bundled_models() if m["id"] != "deepseek-ai/DeepSeek-Prover-V2-7B"]  # SYNTHETIC
    report, markdown, html = _report(tmp_path, without_prover)
    # The coverage matrix: the cell, its text and its mark.
    cell = report["coverage"]["cells"]["DeepSeek"]["small"]
    assert (cell["entry"], cell["built_on"]) == (KEY, "Qwen/Qwen3-8B")
    assert report["coverage"]["families"]["DeepSeek"]["small"].startswith(f"{KEY} on Qwen3-8B (")
    assert all(c.get("built_on") is None for family, cells in report["coverage"]["cells"].items()
               for size, c in cells.items() if (family, size) != ("DeepSeek", "small") and family != "Kimi")
    coverage = markdown[markdown.index("## Who still covers each size class"):markdown.index("## What fits your machine")]
    assert "† marks a cell filled only by a model built on another family's base" in coverage
    assert f"**{KEY} on Qwen3-8B (\\~2025-05-29) (uncertain)** †" in _row(coverage, "DeepSeek")
    assert "†" not in _row(coverage, "Qwen")
    # The newest per class (the JSON's what_to_run): the row carries its base.
    row = next(r for g in report["what_to_run"]["classes"] if g["size_class"] == "small" for r in g["rows"]
               if r["family"] == "DeepSeek")
    assert (row["repo"], row["built_on"]) == (DISTILL, "Qwen/Qwen3-8B")
    # The verdict: its last small entry, its evidence, and the headline words built from it.
    small = next(f for f in report["forecasts"] if f["family"] == "DeepSeek" and f["id"] == "small-models")
    assert small["last_small_entry"] == {"entry": KEY, "date": "2025-05-29", "built_on": "Qwen/Qwen3-8B"}
    assert any(f"{KEY} on Qwen3-8B (~2025-05-29)" in item for item in small["evidence"])
    assert f"{KEY} on Qwen3-8B" in view.answer(small)
    # Nowhere is it named without its base.
    for text in (markdown.replace("\\", ""), html, json.dumps(small["evidence"] + [small["summary"]], ensure_ascii=False)):
        assert not re.search(re.escape(KEY) + r"(?! on Qwen3-8B)", text), text[text.index(KEY) - 80:text.index(KEY) + 80]


def test_a_familys_own_model_fills_its_cell_before_one_built_on_another_base(tmp_path: Path) -> None:
    """DeepSeek-Prover-V2-7B (2025-04-30) is older than the distill (2025-05-29), and fills the cell:
    DeepSeek still publishes the size on its own base."""
    report, markdown, _ = _report(tmp_path, bundled_models())
    cell = report["coverage"]["cells"]["DeepSeek"]["small"]
    assert (cell["entry"], cell["built_on"]) == ("DeepSeek-Prover-V2 · Math · 7B", None)
    coverage = markdown[markdown.index("## Who still covers each size class"):markdown.index("## What fits your machine")]
    assert "†" not in _row(coverage, "DeepSeek")
    # The newest per class (the JSON's what_to_run) still names the distill, with its base.
    row = next(r for g in report["what_to_run"]["classes"] if g["size_class"] == "small" for r in g["rows"]
               if r["family"] == "DeepSeek")
    assert (row["repo"], row["built_on"]) == (DISTILL, "Qwen/Qwen3-8B")
