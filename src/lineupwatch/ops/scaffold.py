"""`lineupwatch init`: a working directory from the package alone, so an installed wheel runs
outside the repository (the default config travels in the wheel as package data)."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path
from string import Template

from ..config.settings import DEFAULT_CONFIG_PATH, StorageSettings
from ..report.archive import make_public_dir
from ..store.datasette import metadata_text


class InitRefused(Exception):
    """An existing config would be overwritten; the message says how to proceed."""


def default_config_text() -> str:
    """The shipped config: every key with its default and a comment."""
    return files("lineupwatch").joinpath("data/lineupwatch.toml").read_text(encoding="utf-8")


def init_directory(directory: Path, force: bool = False) -> list[Path]:
    """Write DIRECTORY/config/lineupwatch.toml and metadata.json (Datasette's), and create the database's and reports' directories
    (the config's default relative paths); an existing config is kept unless `force`."""
    config_path = directory / DEFAULT_CONFIG_PATH
    if config_path.exists() and not force:
        raise InitRefused(f"{config_path} exists; keeping it (pass --force to replace it with the default)")
    storage = StorageSettings()
    written = []
    for folder in (config_path.parent, directory / Path(storage.database).parent):
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            written.append(folder)
    reports = directory / storage.reports_dir
    if not reports.is_dir():
        written.append(make_public_dir(reports))  # served by a web server: see report/archive.py
    config_path.write_text(default_config_text(), encoding="utf-8")
    metadata = directory / "metadata.json"  # `datasette data/lineupwatch.db -m metadata.json`
    # Keyed to the default database's stem; `lineupwatch datasette-metadata` rewrites it for another file.
    metadata.write_text(metadata_text(Path(storage.database).stem), encoding="utf-8")
    return [config_path, metadata, *written]


# --- systemd units: the shipped templates with this install's paths ------------------------------

UNITS = ("lineupwatch.service", "lineupwatch.timer", "lineupwatch-schedule.service")


def lineupwatch_command() -> str:
    """How systemd starts this install: the `lineupwatch` script beside this Python (a venv's bin/),
    else `python -m lineupwatch` with this very interpreter. Not resolved: a venv's python is a
    symlink, and resolving it would leave the venv."""
    python = Path(sys.executable).absolute()
    script = python.parent / "lineupwatch"
    return str(script) if script.is_file() else f"{python} -m lineupwatch"


def docs_path(name: str) -> Path:
    """The installed copy of docs/NAME.md (the wheel carries docs/ as package data)."""
    return Path(str(files("lineupwatch").joinpath("docs", f"{name}.md")))


def render_units(lineupwatch: str, config: Path, workdir: Path, user: str = "lineupwatch",
                 secrets: Path | None = None, docs: Path | None = None) -> dict[str, str]:
    """Unit name -> text: config/systemd/ holds these rendered for /opt, /etc and /var/lib."""
    home = any(workdir == root or root in workdir.parents for root in (Path("/home"), Path("/root")))
    state = (f"StateDirectory={workdir.name}" if workdir.parent == Path("/var/lib") else
             f"# No StateDirectory=: {workdir} is outside /var/lib; it must exist and belong to {user}.")
    values = {"lineupwatch": lineupwatch, "config": str(config), "workdir": str(workdir), "user": user,
              "group": user, "secrets": str(secrets or config.parent / "secrets.env"),
              "docs": str(docs or docs_path("deployment")), "state_directory": state,
              "protect_home": "read-only" if home else "yes"}
    return {name: Template(files("lineupwatch").joinpath("data", "systemd", name).read_text(encoding="utf-8"))
            .substitute(values) for name in UNITS}


def write_units(directory: Path, user: str = "lineupwatch") -> list[Path]:
    """DIRECTORY/systemd/*: the units for this install, DIRECTORY as the working directory."""
    directory = directory.absolute()
    out = directory / "systemd"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_units(lineupwatch_command(), directory / DEFAULT_CONFIG_PATH, directory, user).items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written


def units_howto(units: list[Path], user: str) -> str:
    """What an admin types next, with the paths of this install."""
    folder = units[0].parent
    return "\n".join([
        f"install the units (as root; the user {user} must exist and own {folder.parent}):",
        f"  cp {folder}/lineupwatch.service {folder}/lineupwatch.timer /etc/systemd/system/",
        "  systemctl daemon-reload && systemctl enable --now lineupwatch.timer",
        f"  (or the daemon instead of the timer: {folder}/lineupwatch-schedule.service)",
        f"  docs: {docs_path('deployment')}",
    ])
