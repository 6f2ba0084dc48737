"""Issue 23.7: what an installed wheel needs is in it. pyarrow is an extra (`lineupwatch[parquet]`)
and `export` says how to get it; every path the config, the help and the messages name is in the
wheel; `init --systemd` writes the units with this install's paths; no placeholder URLs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli, write_config

from lineupwatch.cli import cli
from lineupwatch.ops.scaffold import UNITS, docs_path, lineupwatch_command, render_units

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "lineupwatch"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy: an in-tree build beside tests/test_install.py's would share build/
    for name in ("src", "docs", "config"):
        shutil.copytree(ROOT / name, source / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(next(out.glob("lineupwatch-*.whl"))) as built:
        yield built


def _help_texts() -> str:
    runner = CliRunner()
    texts = [runner.invoke(cli, ["--help"]).output]
    texts += [runner.invoke(cli, [name, "--help"]).output for name in sorted(cli.commands)]
    return "\n".join(texts)


def _mentioned(text: str) -> set[str]:
    """Paths in the wheel a text names: docs/NAME.md, `lineupwatch docs NAME`, lineupwatch/....py."""
    paths = {f"lineupwatch/docs/{name}.md" for name in re.findall(r"\bdocs/([a-z][\w-]*)\.md", text)}
    paths |= {f"lineupwatch/docs/{name}.md" for name in re.findall(r"`lineupwatch docs ([\w-]+)", text)}
    paths |= set(re.findall(r"(?<![\w/])(lineupwatch/[\w/]+\.py)", text))
    return paths


def test_the_wheel_holds_every_path_the_config_the_help_and_the_messages_name(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    config = (ROOT / "config" / "lineupwatch.toml").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    texts = {"config": config, "help": _help_texts(), "sources": sources}
    for where, text in texts.items():
        assert "src/lineupwatch" not in text.replace("src/lineupwatch: where", ""), where  # no checkout paths
        missing = _mentioned(text) - names
        assert not missing, (where, sorted(missing))
    assert len(_mentioned(texts["help"] + config)) >= 4
    data = {"lineupwatch/data/lineupwatch.toml", "lineupwatch/data/metadata.json", "lineupwatch/data/hub_state.json.gz",
            "lineupwatch/docs/deployment.md", "lineupwatch/docs/storage.md",
            *(f"lineupwatch/data/systemd/{unit}" for unit in UNITS),
            *(f"lineupwatch/report/templates/{p.name}" for p in (PACKAGE / "report" / "templates").iterdir())}
    assert not data - names, sorted(data - names)
    assert wheel.read("lineupwatch/data/lineupwatch.toml").decode() == config


def test_pyarrow_is_an_extra_not_a_requirement(wheel: zipfile.ZipFile) -> None:
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE)
    base = [r for r in requires if "extra ==" not in r]
    assert base and not any(r.startswith("pyarrow") for r in base), base
    assert any(r.startswith("pyarrow") and 'extra == "parquet"' in r for r in requires), requires
    assert "Provides-Extra: parquet" in metadata


def test_export_without_pyarrow_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    monkeypatch.setitem(sys.modules, "lineupwatch.store.export", None)
    result = run_cli("export", "--parquet", str(tmp_path / "out"), "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert result.output.startswith("Error: export needs pyarrow (")
    assert "pip install 'lineupwatch[parquet]'" in result.output and sys.prefix in result.output
    assert not (tmp_path / "out").exists()


def test_init_systemd_writes_the_units_with_this_installs_paths(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = run_cli("init", "--systemd", "--systemd-user", "watcher", str(site))
    units = {name: (site / "systemd" / name).read_text(encoding="utf-8") for name in UNITS}
    service = units["lineupwatch.service"]
    assert f"ExecStart={lineupwatch_command()} run --config {site / 'config' / 'lineupwatch.toml'}\n" in service
    assert f"WorkingDirectory={site}\n" in service and f"ReadWritePaths={site}\n" in service
    assert "User=watcher\nGroup=watcher\n" in service and "$" not in "".join(units.values())
    assert f"Documentation=file://{docs_path('deployment')}\n" in service and docs_path("deployment").is_file()
    assert "/opt/" not in "".join(units.values()) and "StateDirectory=" not in service.replace("# No StateDirectory=", "")
    assert f"ExecStart={lineupwatch_command()} schedule --config" in units["lineupwatch-schedule.service"]
    assert f"wrote {site / 'systemd' / 'lineupwatch.timer'}" in result.output
    assert f"cp {site / 'systemd'}/lineupwatch.service {site / 'systemd'}/lineupwatch.timer /etc/systemd/system/" \
        in result.output
    assert "systemctl daemon-reload && systemctl enable --now lineupwatch.timer" in result.output
    again = run_cli("init", "--systemd", str(site))  # the config is kept, the units rewritten
    assert "exists; keeping it" in again.output and f"wrote {site / 'systemd' / 'lineupwatch.service'}" in again.output


def test_the_shipped_example_units_are_the_templates_rendered_for_opt_etc_and_var_lib() -> None:
    rendered = render_units("/opt/lineupwatch/.venv/bin/lineupwatch", Path("/etc/lineupwatch/lineupwatch.toml"),
                            Path("/var/lib/lineupwatch"), secrets=Path("/etc/lineupwatch/secrets.env"),
                            docs=Path("/opt/lineupwatch/.venv/lib/python3.11/site-packages/lineupwatch/docs/deployment.md"))
    assert rendered == {name: (ROOT / "config" / "systemd" / name).read_text(encoding="utf-8") for name in UNITS}
    assert "StateDirectory=lineupwatch\n" in rendered["lineupwatch.service"]


def test_the_docs_command_prints_the_installed_documents() -> None:
    assert run_cli("docs", "deployment", "--path").output == f"{docs_path('deployment')}\n"
    assert run_cli("docs", "storage").output == (ROOT / "docs" / "storage.md").read_text(encoding="utf-8")
    listing = run_cli("docs").output
    assert {line.split()[0] for line in listing.splitlines()} == {p.stem for p in (ROOT / "docs").glob("*.md")}
    missing = run_cli("docs", "nope", ok=False)
    assert missing.exit_code == 1 and missing.output.startswith("Error: no document 'nope'; the installed ones: alerts")


PLACEHOLDERS = re.compile(r"example\.(org|com)|your-org|your-domain|https?://\S*TODO", re.IGNORECASE)


def test_no_placeholder_urls_in_readme_docs_config_and_container() -> None:
    files = [ROOT / "README.md", ROOT / "Dockerfile", ROOT / "compose.yaml", ROOT / "config" / "lineupwatch.toml",
             *(ROOT / "docs").glob("*.md"), *(ROOT / "config" / "systemd").iterdir()]
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in files
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if PLACEHOLDERS.search(line)]
    assert found == []
