"""SYNTHETIC Hub model objects for test scenarios (future releases, hostile names, ...).

Nothing built here exists on the real Hub; the scenarios that use it say so in their names.
"""

from __future__ import annotations

import hashlib

from conftest import bundled_models


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


def before(models: list[dict], day: str) -> list[dict]:
    """The real bundled state cut at a day: what the Hub held before it."""
    return [m for m in models if m["createdAt"][:10] < day]


def real_until(day: str) -> list[dict]:
    return before(bundled_models(), day)
