"""Reading one Hub model object defensively: what the real Hub sends is not always what its docs show.

Recorded answers carry `modelId` beside `id` (or instead of it), ids with no org (`gpt2`), no
`createdAt` at all, `tags` and `safetensors` missing; a proxy or a future Hub can send any type in
any field. These helpers return a typed value or None and never raise, so no single repo can
break a poll or a report (normalize.py builds the records from them).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

# A counted total below this share of the name's size, in a packed original, is packed weights.
PACKED_FRACTION = 0.75
_FORMAT_COPIES = {"gguf", "mlx"}  # libraries and tags of re-formatted copies
_PACKED_TAGS = {"fp8", "compressed-tensors", "4-bit", "8-bit", "int4", "int8", "awq", "gptq", "bitsandbytes"}
_PACKED_DTYPES = {"I32", "U32", "I8", "U8", "I16", "U16", "F8_E4M3", "F8_E5M2", "U4", "I4"}
# A date-time starts with a full calendar date and a time: fromisoformat alone also takes a bare
# date, '20260101' or '2026-W01', which a date comparison on the text would misplace.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class RepoError(Exception):
    """A step broke on one repo's payload in a way no rule here foresaw: names the repo, so the
    run that records the failure can say which one (the cause is chained)."""

    def __init__(self, repo_id: str, cause: Exception) -> None:
        super().__init__(f"repo {repo_id}: {type(cause).__name__}: {cause}")
        self.repo_id = repo_id


def repo_id_of(model: object) -> str | None:
    """`id`, else the older `modelId`: "org/name", or None for anything else."""
    if not isinstance(model, dict):
        return None
    repo_id = model.get("id") if isinstance(model.get("id"), str) else model.get("modelId")
    return repo_id if isinstance(repo_id, str) and "/" in repo_id else None


def tags_of(model: dict) -> list[str]:
    """The string tags; a `tags` that is not a list is no tags (a string is never iterated)."""
    tags = model.get("tags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def moment_of(value: object) -> datetime | None:
    """The UTC moment an ISO date-time names (one without an offset is UTC, as the Hub's are), or
    None: 'not-a-date', '', a time without a date ('12:30:00') and a bare date are no date-time."""
    return _moment(value) if isinstance(value, str) else None


@lru_cache(maxsize=65536)
def _moment(value: str) -> datetime | None:
    """Cached: a poll reads the same dates day after day (a stream poll re-reads a week of repos)."""
    if not _DATE_TIME.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves year 1 or 9999 out of range
        return None


def timestamp(value: object) -> str | None:
    """An ISO timestamp in the one form every table stores, 'YYYY-MM-DDTHH:MM:SS+00:00' (UTC, whole
    seconds, as the polls' own clocks are written), or None: a malformed date is no date at all.
    The Hub's '2026-03-02T06:58:12.000Z' is stored '2026-03-02T06:58:12+00:00'; the raw archive keeps
    what the Hub sent."""
    moment = moment_of(value)
    return moment.isoformat(timespec="seconds") if moment is not None else None


def format_copy(library: str | None, tags: set[str], counted_source: str) -> bool:
    """A GGUF or MLX re-formatted copy, whatever its name says: by library; by GGUF weights or a
    gguf/mlx tag only when no safetensors weights are there too (google/gemma-2b ships a .gguf
    beside its original weights)."""
    return ((library or "").lower() in _FORMAT_COPIES or counted_source == "gguf"
            or (bool(tags & _FORMAT_COPIES) and counted_source != "safetensors"))


def packed(model: dict, tags: set[str]) -> bool:
    """Whether safetensors may count packed weights: the tags say so, or integer/FP8 dtypes hold
    the weights (an int4 checkpoint stores eight weights in one I32)."""
    safetensors = model.get("safetensors")
    dtypes = safetensors.get("parameters") if isinstance(safetensors, dict) else None
    return bool(tags & _PACKED_TAGS) or (isinstance(dtypes, dict) and bool(set(dtypes) & _PACKED_DTYPES))
