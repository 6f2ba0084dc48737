"""Config: the shipped file loads; every mistake is one line naming the file and the key, exit 2."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import run_cli
from lineupwatch.config.settings import DEFAULT_FAMILIES, load_config

SHIPPED = Path(__file__).parents[2] / "config" / "lineupwatch.toml"


def test_shipped_config_is_the_defaults() -> None:
    config = load_config(SHIPPED)
    assert config.watch == tuple(DEFAULT_FAMILIES)
    assert config.watch[0] == "Qwen"
    assert config.analysis.baseline_date == date(2026, 3, 4)
    assert config.families["Gemma"].orgs == ("google",) and config.families["Gemma"].matches("gemma-3-4b-it")
    assert not config.families["Gemma"].matches("t5-base")


def test_every_setting_is_documented_in_the_shipped_file() -> None:
    text = SHIPPED.read_text()
    import dataclasses
    from lineupwatch.config import settings as module
    for section, cls in module._SECTIONS.items():
        assert f"[{section}]" in text
        for field in dataclasses.fields(cls):
            line = next((ln for ln in text.splitlines() if ln.startswith(f"{field.name} = ")), None)
            assert line is not None and "#" in line, f"{section}.{field.name} is missing or has no comment"


@pytest.mark.parametrize("body, message", [
    ("[hub]\ntimeout = 3\n", "unknown key 'hub.timeout'"),
    ("colour = 1\n", "unknown key 'colour'"),
    ("[hub]\nmax_retries = \"three\"\n", "key 'hub.max_retries': expected an integer, got str 'three'"),
    ("[analysis]\nbaseline_date = \"March\"\n", "key 'analysis.baseline_date': expected a date like 2026-03-04"),
    ("[analysis]\ncounted_lines = \"lm\"\n", "key 'analysis.counted_lines': expected a list"),
    ("watch = [\"Qwen\", \"Falcon\"]\n", "key 'watch[1]': unknown family 'Falcon'"),
    ("[families.Qwen]\ngeneration = \"(Qwen\"\n", "key 'families.Qwen.generation': bad regex"),
    ("[families.Qwen]\ngeneration = \"Qwen\\\\d\"\n", "key 'families.Qwen.generation': regex needs a (?P<generation>...) group"),
    ("[families.Falcon]\nrepo_match = \"falcon\"\n", "key 'families.Falcon.orgs' is required"),
    ("[size_classes]\nsmall = 1.0\n", "key 'size_classes': bounds must grow"),
    ("[mail]\nsecurity = \"ssl\"\n", "key 'mail.security': expected plain, starttls or tls"),
    ("[schedule]\nrun_cron = \"every day\"\n", "key 'schedule.run_cron'"),
    ("[hub\n", "not valid TOML"),
], ids=["unknown-key", "unknown-top-key", "wrong-type", "bad-date", "not-a-list", "unknown-family", "bad-regex",
        "no-group", "new-family-needs-orgs", "bounds-order", "bad-security", "bad-cron", "broken-toml"])
def test_bad_config_is_a_one_line_error_with_exit_2(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    result = run_cli("status", "--config", str(path), ok=False)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path}: ")
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_config_says_how_to_choose_one(tmp_path: Path) -> None:
    result = run_cli("poll", "--config", str(tmp_path / "nope.toml"), ok=False)
    assert result.exit_code == 2
    assert "config file not found (run `lineupwatch init` to write one here, or pass --config PATH or set LINEUPWATCH_CONFIG)" in result.output


def test_new_family_and_env_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('watch = ["Qwen", "Falcon"]\n[families.Falcon]\norgs = ["tiiuae"]\nrepo_match = "falcon"\n'
                    'generation = \'(?P<generation>Falcon\\d*)\'\n')
    monkeypatch.setenv("LINEUPWATCH_CONFIG", str(path))
    config = load_config()
    assert [f.name for f in config.watched] == ["Qwen", "Falcon"]
    assert config.endpoint() == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:1/")
    assert config.endpoint() == "http://127.0.0.1:1" and config.endpoint("http://x") == "http://x"
