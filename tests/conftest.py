"""Shared test harness: a real replay Hub on loopback, real SQLite files, the real CLI."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lineupwatch.cli import cli
from lineupwatch.replay.fixtures import bundled_state_path
from lineupwatch.replay.server import ReplayHub, load_state

_BUNDLED: list[dict] | None = None


def bundled_models() -> list[dict]:
    """A fresh deep copy of the bundled Hub state (tests mutate it freely)."""
    global _BUNDLED
    if _BUNDLED is None:
        _BUNDLED = load_state(bundled_state_path())
    return copy.deepcopy(_BUNDLED)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in a test may reach huggingface.co or read the developer's settings."""
    for name in ("HF_ENDPOINT", "LINEUPWATCH_CONFIG", "HF_TOKEN", "LINEUPWATCH_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture
def hub() -> Iterator[ReplayHub]:
    with ReplayHub(bundled_models(), page_size=100) as server:
        yield server


def write_config(tmp_path: Path, endpoint: str, extra: str = "", **hub_settings: object) -> Path:
    """A config for tests: files under tmp_path, short timeouts and retry waits."""
    # The Hub-wide stream is off unless a test asks for it: org-poll tests count their requests.
    settings = {"request_timeout_s": 2.0, "max_retries": 1, "retry_wait_s": 0.05, "poll_deadline_s": 20.0,
                "stream": False}
    settings.update(hub_settings)
    hub_lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "lineupwatch.toml"
    lines = extra.splitlines()
    first_table = next((i for i, line in enumerate(lines) if line.startswith("[")), len(lines))
    top, tables = "\n".join(lines[:first_table]), "\n".join(lines[first_table:])  # TOML: top-level keys first
    path.write_text(
        f'{top}\n[hub]\nendpoint = "{endpoint}"\n{hub_lines}\n'
        f'[storage]\ndatabase = "{tmp_path / "db" / "lineupwatch.db"}"\nreports_dir = "{tmp_path / "reports"}"\n'
        f"{tables}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config_path(tmp_path: Path, hub: ReplayHub) -> Path:
    return write_config(tmp_path, hub.url)


def run_cli(*args: str, ok: bool = True) -> Result:
    """Invoke the CLI; on the success path exceptions propagate instead of hiding as exit codes."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=not ok)
    if ok:
        assert result.exit_code == 0, result.output
    return result


class MailSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it received."""

    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[MailSink, int]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    sink = MailSink()

    def authenticate(server, session, envelope, mechanism, auth_data):
        sink.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret-pass")

    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def mail_config(port: int, **settings: object) -> str:
    """A [mail] section sending to the loopback SMTP server."""
    values = {"enabled": True, "host": "127.0.0.1", "port": port, "sender": "watch@example.org",
              "recipients": ["a@example.org", "b@example.org"], "timeout_s": 5.0}
    values.update(settings)
    return "[mail]\n" + "\n".join(f"{key} = {json.dumps(value)}" for key, value in values.items())
