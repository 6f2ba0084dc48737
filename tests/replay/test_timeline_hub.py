"""The bundled timeline served from a process of its own (the demo's replay Hub), moved by its caller."""

from __future__ import annotations

from datetime import date, datetime, timezone

from huggingface_hub import HfApi

from lineupwatch.replay.timeline_hub import TimelineHub


def test_the_hub_serves_the_moment_it_was_moved_to() -> None:
    # Qwen3.5-0.8B went public at 06:58 UTC on 2026-03-02: after that day's 06:17 poll, before the next.
    with TimelineHub(datetime(2026, 3, 2, 6, 17, tzinfo=timezone.utc), stream_since=date(2026, 2, 23)) as hub:
        api = HfApi(endpoint=hub.url)
        before = {m.id for m in api.list_models(author="Qwen", sort="createdAt")}
        newest_stream = next(iter(api.list_models(sort="createdAt", limit=1))).created_at
        hub.move_to(datetime(2026, 3, 3, 6, 17, tzinfo=timezone.utc))
        after = {m.id for m in api.list_models(author="Qwen", sort="createdAt")}
        newest_stream_after = next(iter(api.list_models(sort="createdAt", limit=1))).created_at
    assert "Qwen/Qwen3.5-0.8B" in after - before and before <= after
    assert newest_stream.date() == date(2026, 3, 2) and newest_stream_after.date() == date(2026, 3, 3)
