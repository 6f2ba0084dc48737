"""SYNTHETIC Hub model objects for test scenarios (future releases, hostile names, ...).

Nothing built here exists on the real Hub; the scenarios that use it say so in their names.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from lineupwatch.replay.timeline import HubTimeline


def model(repo_id: str, created: str, *, params_b: float | None = None, licence: str = "apache-2.0",
          gated: bool | str = False, parent: str | None = None, relation: str = "finetune",
          pipeline_tag: str = "text-generation", downloads: int = 1000) -> dict:
    """A Hub listing object as the Hub returns it with expand (made-up counters)."""
    digest = hashlib.sha1(repo_id.encode()).hexdigest()
    tags = ["transformers", "safetensors", pipeline_tag, f"license:{licence}", "region:us"]
    if parent:
        tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
    item = {
        "_id": digest[:24], "id": repo_id, "author": repo_id.split("/")[0], "createdAt": f"{created}T08:00:00.000Z",
        "lastModified": f"{created}T09:00:00.000Z", "sha": digest, "private": False, "disabled": False,
        "gated": gated, "downloads": downloads, "downloadsAllTime": downloads * 3, "likes": 10,
        "tags": tags, "pipeline_tag": pipeline_tag, "library_name": "transformers",
        "cardData": {"license": licence, **({"base_model": parent} if parent else {})}, "childrenModelCount": 0,
    }
    if params_b is not None:
        total = int(params_b * 1e9)
        item["safetensors"] = {"parameters": {"BF16": total}, "total": total}
    return item


def real_until(day: str) -> list[dict]:
    """The real bundled Hub as it was just before a day: the repos public by then (a repo created
    earlier but published later is not there yet), with counters grown to then."""
    moment = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) - timedelta(seconds=1)
    return HubTimeline.bundled().state_at(moment)


BASELINE = "2026-03-04"
# Days a scenario's history is polled on before its synthetic part: before Qwen3.5's waves (Feb 16,
# 24 and Mar 2) and after the last one, so Qwen3.5's entries are dated as a running job saw them.
HISTORY_DAYS = ("2026-02-14", "2026-03-02")


def poll_days(synthetic: list[dict], as_of: str) -> list[str]:
    """The scenario's poll days: the history days, each synthetic repo's creation day, `as_of`."""
    days = {*HISTORY_DAYS, *(m["createdAt"][:10] for m in synthetic if "createdAt" in m), as_of}
    return sorted(day for day in days if day <= as_of)


def hub_on(day: str, synthetic: list[dict], real_cut: str = BASELINE) -> list[dict]:
    """The Hub at the end of `day`: the real repos public by then (none after `real_cut`) and the
    synthetic repos created by then (a synthetic repo is public from its creation)."""
    next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    return real_until(min(next_day, real_cut)) + [m for m in synthetic if m.get("createdAt", "")[:10] <= day]


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=23, tzinfo=timezone.utc)


def qwen4_release() -> list[dict]:
    """A new Qwen generation with a 4B (72B, 27B, 4B) created in the last three days, so the next
    poll lists it first: the run after it finds a release wave, the small-models forecast refuted
    and the gap since the last small model ended."""
    today = datetime.now(timezone.utc).date()
    return [model(f"Qwen/Qwen4-{size}", (today - timedelta(days=ago)).isoformat(), params_b=params)
            for size, params, ago in (("72B", 72.7, 3), ("27B", 27.3, 2), ("4B", 4.4, 1))]
