"""Issue 14.5: the wheel alone runs outside the repository: `init`, then `run`, in a fresh venv.

The wheel is built from this checkout (pip, build isolation from pip's cache) and installed with
--no-deps into a venv created in a temp dir; its dependencies come from the project's .venv through
a .pth path entry. A .pth path does not run the .venv's own .pth files, so the editable install
of this checkout is invisible there: `lineupwatch` imports from the wheel, and the config and
templates the commands read can only come from the wheel's package data (asserted below). What
`pipx install dist/lineupwatch-*.whl` does is the same: a venv of its own with the wheel in it.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from lineupwatch.replay.server import ReplayHub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv holding only the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True, timeout=240)
    wheel = next(wheels.glob("lineupwatch-*.whl"))
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "project-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True, timeout=240)
    return env_dir / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LINEUPWATCH_CONFIG", "HF_ENDPOINT", "PYTHONPATH")}
    env.update(HF_HUB_DISABLE_TELEMETRY="1", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run([str(bin_dir / "lineupwatch"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)


def test_the_wheel_imports_from_its_venv_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([installed / "python", "-c", "import lineupwatch; print(lineupwatch.__file__)"],
                           cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(installed.parent)), where


def test_init_then_run_outside_the_repo(installed: Path, tmp_path: Path, hub: ReplayHub) -> None:
    outside = tmp_path / "site"
    outside.mkdir()
    before = _run(installed, outside, "status")
    assert before.returncode == 2 and "run `lineupwatch init`" in before.stderr, before.stderr

    init = _run(installed, outside, "init")
    assert init.returncode == 0, init.stderr
    shipped = (ROOT / "config" / "lineupwatch.toml").read_text(encoding="utf-8")
    assert (outside / "config" / "lineupwatch.toml").read_text(encoding="utf-8") == shipped
    assert (outside / "data").is_dir() and (outside / "reports").is_dir()

    run = _run(installed, outside, "run", "--endpoint", hub.url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (outside / "data" / "lineupwatch.db").is_file()
    weeks = sorted((outside / "reports").glob("*-W*.json"))
    assert weeks, run.stdout
    report = json.loads(weeks[-1].read_text(encoding="utf-8"))
    assert report["forecasts"] and (outside / "reports" / "index.html").is_file()

    # --config after the group, as an admin types it, from another directory
    status = _run(installed, tmp_path, "--config", str(outside / "config" / "lineupwatch.toml"), "status")
    assert status.returncode != 2 and "No such option" not in status.stderr, status.stderr
