"""Issue 14.4: `make check-browser` fails on text under 11 px and on faint text, in either scheme."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { background: #fff; color: #111; font-size: 16px; }
@media (prefers-color-scheme: dark) { body { background: #111; } .faint { color: #333; } }
.tiny { font-size: 8px; }</style></head>
<body><p>Readable text.</p><p class="tiny">tiny words</p><p class="faint">faint in the dark</p></body></html>
"""


@pytest.mark.skipif(not CHROMIUM.exists() and not shutil.which("chromium"), reason="needs Chromium (make check-browser installs it)")
def test_the_check_fails_on_small_or_faint_text_and_saves_every_screenshot(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    result = subprocess.run([sys.executable, ROOT / "scripts" / "check_browser.py", tmp_path / "shots", page],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    fails = result.stderr.splitlines()
    assert "FAIL page-390-light: text 'tiny words' renders at 8.0 px (< 11)" in fails
    assert any(line.startswith("FAIL page-1280-dark: text 'faint in the dark' has contrast") for line in fails)
    assert not any("faint" in line and "light" in line for line in fails)
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == [
        "page-1280-dark.png", "page-1280-light.png", "page-390-dark.png", "page-390-light.png"]


@pytest.mark.skipif(not CHROMIUM.exists() and not shutil.which("chromium"), reason="needs Chromium (make check-browser installs it)")
def test_a_real_report_passes_at_both_widths_in_both_schemes(tmp_path: Path, config_path: Path) -> None:
    from conftest import run_cli

    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22")
    result = subprocess.run([sys.executable, ROOT / "scripts" / "check_browser.py", tmp_path / "shots",
                             tmp_path / "reports" / "2026-W47.html"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "shots").glob("2026-W47-*.png"))) == 4
