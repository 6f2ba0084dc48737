"""Where the bundled Hub state lives: the demo's and the tests' picture of the Hub on 2026-11-22."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_state_path() -> Path:
    return Path(str(resources.files("lineupwatch") / "data" / "hub_state.json.gz"))
