"""Issue 11.6: webhooks beside mail through Apprise, exactly once per channel, each channel's outage its own.

The webhook is Apprise's json:// posting to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import _free_port, bundled_models, mail_config, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub
from synthetic import qwen4_release


class Receiver:
    """Records every POST; answers `status` (500 while it is "down")."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.status == 200:
                    receiver.posts.append((self.path, json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook?cto=2&rto=2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sink = Receiver()
    thread = threading.Thread(target=sink.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.server.shutdown()
        sink.server.server_close()


def _config(tmp_path: Path, hub: ReplayHub, mail_port: int, webhook: str) -> Path:
    return write_config(tmp_path, hub.url, mail_config(mail_port, report_url="https://watch.example.org/reports")
                        + f"\n[webhooks]\nurls = [{json.dumps(webhook)}]\n")


def _relicense(hub: ReplayHub, repo_id: str) -> None:
    models = bundled_models()
    target = next(m for m in models if m["id"] == repo_id)
    target["cardData"] = {**target.get("cardData", {}), "license": "other", "license_name": "synthetic-closed"}
    hub.set_models(models)


def _pending(config_path: Path) -> list[tuple[str, int]]:
    db = store.open_db(load_config(config_path).database_path)
    try:
        return db.execute("SELECT channel, count(*) FROM deliveries WHERE sent_at IS NULL GROUP BY channel").fetchall()
    finally:
        db.close()


def test_a_webhook_outage_keeps_its_alert_pending_without_holding_mail_back(
        tmp_path: Path, hub: ReplayHub, smtp, receiver: Receiver) -> None:
    sink, port = smtp
    config_path = _config(tmp_path, hub, port, receiver.url)
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))  # the welcome digest, on both channels
    assert len(sink.messages) == 1 and len(receiver.posts) == 1
    path, post = receiver.posts[0]
    assert path == "/hook" and post["title"].startswith("[lineupwatch] SYNTHETIC: watching 14 families; Qwen small-models ")
    assert "Qwen small-models: " in post["message"]

    _relicense(hub, "Qwen/Qwen3-8B")
    run_cli("poll", "--config", str(config_path))
    receiver.status = 500  # the chat service is down
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1
    assert "cannot post to webhook json://127.0.0.1:" in failed.output and "stay pending for this channel" in failed.output
    assert len(sink.messages) == 2  # mail went out regardless
    # Two notices: the licence change, and the Qwen open-weights verdict it turns (tighter terms on record).
    assert [(c.split(":")[0], n) for c, n in _pending(config_path)] == [("webhook", 2)]

    run_cli("alerts", "--config", str(config_path), ok=False)  # still down: retried, nothing doubled
    receiver.status = 200
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(sink.messages) == 2 and len(receiver.posts) == 2
    # Both missed changes in one post, the warning first.
    title, message = receiver.posts[1][1]["title"], receiver.posts[1][1]["message"]
    assert title == "[lineupwatch] SYNTHETIC: Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed (+1 more)"
    assert message.index("Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed\n[warning, first]") \
        < message.index("Qwen open-weights forecast: open\n[info, changed]")
    assert "The weekly report" not in message  # no page written yet: no dead link
    assert _pending(config_path) == []


def test_one_run_is_one_post_per_webhook_beside_one_mail(
        tmp_path: Path, hub: ReplayHub, smtp, receiver: Receiver) -> None:
    sink, port = smtp
    # small_share_drop off: whether the 4B lifts Qwen's share back depends on the day (test_alerts.py).
    config_path = write_config(tmp_path, hub.url, mail_config(port) + f"\n[webhooks]\nurls = [{json.dumps(receiver.url)}]"
                               + "\n[alerts]\nsmall_share_drop = false")
    run_cli("run", "--config", str(config_path))  # the welcome digest
    hub.set_models(bundled_models() + qwen4_release())
    result = run_cli("run", "--config", str(config_path))
    assert "3 new; 3 sent in 2 messages" in result.output  # one mail, one post
    run_cli("run", "--config", str(config_path))
    assert len(receiver.posts) == 2 and len(sink.messages) == 2
    post = receiver.posts[1][1]
    assert post["title"] == "[lineupwatch] SYNTHETIC: Qwen small-models forecast: refuted (+2 more)"
    mail_text = sink.messages[1][1].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert post["message"] == mail_text.rstrip("\n")  # the same notification (Apprise trims the last newline)
    db = store.open_db(load_config(config_path).database_path)
    carried = db.execute("SELECT channel, count(*), count(DISTINCT message_id) FROM deliveries "
                         "WHERE notification_id > 1 GROUP BY channel ORDER BY channel").fetchall()
    assert [(channel.split(":")[0], count, ids) for channel, count, ids in carried] == [("mail", 3, 1), ("webhook", 3, 1)]


def test_a_mail_outage_keeps_its_alert_pending_without_holding_webhooks_back(
        tmp_path: Path, hub: ReplayHub, smtp, receiver: Receiver) -> None:
    sink, port = smtp
    config_path = _config(tmp_path, hub, port, receiver.url)
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    _relicense(hub, "Qwen/Qwen3-8B")
    run_cli("poll", "--config", str(config_path))

    _config(tmp_path, hub, 1, receiver.url)  # nothing listens on port 1
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert "cannot send mail via 127.0.0.1:1 (plain)" in failed.output
    assert len(receiver.posts) == 2 and len(sink.messages) == 1
    assert _pending(config_path) == [("mail", 2)]  # the licence change and the verdict it turns

    _config(tmp_path, hub, port, receiver.url)
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(receiver.posts) == 2 and len(sink.messages) == 2
    assert "Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed" in sink.messages[1][1]["Subject"]
    db = store.open_db(load_config(config_path).database_path)
    assert db["notifications"].count_where("sent_at IS NULL") == 0
    assert db.execute("SELECT count(*), sum(attempts) FROM deliveries WHERE channel = 'mail'").fetchone() == (3, 5)


def test_webhook_urls_from_the_environment_and_no_secret_in_output(
        tmp_path: Path, hub: ReplayHub, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_url = receiver.url.replace("/hook?", "/hook?token=hunter2-secret&")
    monkeypatch.setenv("LINEUPWATCH_WEBHOOK_URLS", secret_url)
    config_path = write_config(tmp_path, hub.url)  # mail off, no URL in the file
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(receiver.posts) == 1
    receiver.status = 500
    _relicense(hub, "Qwen/Qwen3-8B")
    run_cli("poll", "--config", str(config_path))
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert "cannot post to webhook" in failed.output and "hunter2-secret" not in failed.output
    db = store.open_db(load_config(config_path).database_path)
    assert "hunter2-secret" not in json.dumps(list(db["deliveries"].rows))


def test_a_dead_webhook_host_fails_fast_and_alone(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = _config(tmp_path, hub, port, f"json://127.0.0.1:{_free_port()}/hook?cto=1&rto=1")
    run_cli("poll", "--config", str(config_path))
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1 and "cannot post to webhook" in failed.output
    assert len(sink.messages) == 1


def test_an_unusable_url_from_the_environment_fails_that_channel_alone(
        tmp_path: Path, hub: ReplayHub, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    sink, port = smtp
    monkeypatch.setenv("LINEUPWATCH_WEBHOOK_URLS", "nope://secret-token")
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    run_cli("poll", "--config", str(config_path))
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1
    assert "Apprise cannot use the webhook URL nope://..." in failed.output and "secret-token" not in failed.output
    assert len(sink.messages) == 1
