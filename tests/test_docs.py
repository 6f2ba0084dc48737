"""Every command teaches; every forecast and alert rule is documented; the reference is current."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest

from lineupwatch.alerts.rules import RULES
from lineupwatch.analysis.forecasts import FORECASTS
from lineupwatch.cli import cli

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cli_docs  # noqa: E402


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_an_example_and_every_option_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.split("\n")[0].rstrip().endswith(".")
    assert "Example:" in command.help and "\b" in command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.name} has no help"


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == cli_docs.render(), "run: python scripts/cli_docs.py"


def _sections(path: Path) -> set[str]:
    return set(re.findall(r"^## (\S+)$", path.read_text(), re.MULTILINE))


def test_every_forecast_and_rule_has_a_doc_and_every_doc_a_registry_entry() -> None:
    assert _sections(ROOT / "docs" / "forecasts.md") == set(FORECASTS)
    assert _sections(ROOT / "docs" / "alerts.md") == set(RULES)
    for doc in ("forecasts.md", "alerts.md"):
        text = (ROOT / "docs" / doc).read_text()
        for part in ("Short.", "Motivation.", "How it is computed."):
            assert text.count(f"**{part}**") == len(_sections(ROOT / "docs" / doc)), (doc, part)
