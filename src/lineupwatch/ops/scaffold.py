"""`lineupwatch init`: a working directory from the package alone, so an installed wheel runs
outside the repository (the default config travels in the wheel as package data)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

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
    metadata.write_text(metadata_text(), encoding="utf-8")
    return [config_path, metadata, *written]
