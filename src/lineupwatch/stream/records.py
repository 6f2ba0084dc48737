"""Hub-wide stream JSON -> compact repo records. Pure: data in, records out.

Through normalize's rules: lineage from the `base_model:<relation>:<parent>` tags, parameters
from `safetensors.total`, else the name, else unknown. A quantized copy or an adapter counts
packed or adapter weights, not its size: its size is its parent's (source "base"), which the
analysis reads through the parent's lineup entry. An object this module cannot read (`unreadable`)
is never made a record: the stream skips it, counts it and names it in the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..normalize.names import name_params_b
from ..normalize.payload import moment_of
from ..normalize.records import lineage

# The columns a re-scan may change and the archive keeps; the counters change every day.
DERIVED = ("author", "created_at", "pipeline_tag", "library_name", "params_b", "params_source", "relation",
           "parent", "more_bases")
COUNTERS = ("downloads", "downloads_all_time")
# The relation a repo is counted under when its tags name several: the most specific first.
RELATION_ORDER = ("quantized", "adapter", "merge", "finetune")


@dataclass(frozen=True)
class StreamRecord:
    repo_id: str
    author: str | None  # only when it differs from the repo id's namespace (it almost never does)
    created_at: str  # YYYY-MM-DDTHH:MM:SS+00:00
    pipeline_tag: str | None
    library_name: str | None
    params_b: float | None
    params_source: str  # safetensors | name | base | unknown
    relation: str | None  # the counted relation, None for an original
    parent: str | None  # that relation's first parent
    more_bases: str | None  # every other "relation:parent", space-separated
    downloads: int | None
    downloads_all_time: int | None

    def derived(self) -> dict:
        return {name: getattr(self, name) for name in DERIVED}


def as_utc(value: object) -> str | None:
    """An ISO date-time as 'YYYY-MM-DDTHH:MM:SS+00:00' (UTC; normalize's `timestamp`, the form of
    every table), or None when it names none: the only form the stream stores, compares and keeps
    as its newest `createdAt`."""
    return _utc_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=65536)
def _utc_text(value: str) -> str | None:
    """Cached: each poll re-reads a week of repos (the re-scan), and reads each date three times."""
    moment = moment_of(value)
    return moment.isoformat(timespec="seconds") if moment else None


def created_of(model: dict) -> str | None:
    return as_utc(model.get("createdAt"))


def unreadable(model: object) -> str | None:
    """Why a stream object cannot be a record, or None: an id that is not "org/name", a createdAt
    that is no date-time, tags that are not a list (absent tags are no tags)."""
    if not isinstance(model, dict):
        return f"a {type(model).__name__}, not a model object"
    repo_id = model.get("id")
    org, _, name = repo_id.partition("/") if isinstance(repo_id, str) else ("", "", "")
    if not org or not name or "/" in name:
        return f"id {_shown(repo_id)} is not org/name"
    if created_of(model) is None:
        return f"createdAt {_shown(model.get('createdAt'))} is no date-time"
    if "tags" in model and not isinstance(model["tags"], list):
        return f"tags {_shown(model['tags'])} are not a list"
    return None


def skipped_name(model: object) -> str:
    """What names a skipped object in data health: its id, else its `_id`."""
    if isinstance(model, dict):
        for key in ("id", "_id"):
            if isinstance(model.get(key), str) and model[key]:
                return model[key][:96]
    return "(an object without an id)"


def _shown(value: object) -> str:
    """A field's value in a reason: short, whatever the Hub sent."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def stream_record(model: dict) -> StreamRecord:
    """The record of a readable object (`unreadable` is None)."""
    repo_id = model["id"]
    pairs = list(lineage(model))
    ranked = sorted(pairs, key=lambda pair: RELATION_ORDER.index(pair[0]) if pair[0] in RELATION_ORDER else 9)
    relation, parent = ranked[0] if ranked else (None, None)
    rest = " ".join(f"{r}:{p}" for r, p in pairs if (r, p) != (relation, parent)) or None
    params, source = _params(model, repo_id.partition("/")[2], relation)
    return StreamRecord(
        repo_id=repo_id, author=_other_author(model.get("author"), repo_id),
        created_at=created_of(model), pipeline_tag=_text(model.get("pipeline_tag")),
        library_name=_text(model.get("library_name")), params_b=params, params_source=source,
        relation=relation, parent=parent, more_bases=rest,
        downloads=_count(model.get("downloads")), downloads_all_time=_count(model.get("downloadsAllTime")))


def _params(model: dict, name: str, relation: str | None) -> tuple[float | None, str]:
    if relation not in ("quantized", "adapter"):
        st = model.get("safetensors")
        total = st.get("total") if isinstance(st, dict) else None
        if isinstance(total, (int, float)) and not isinstance(total, bool) and total > 0:
            return round(total / 1e9, 3), "safetensors"
    from_name = name_params_b(name)
    if from_name is not None:
        return from_name, "name"
    return None, "base" if relation in ("quantized", "adapter") else "unknown"


def _other_author(author: object, repo_id: str) -> str | None:
    return author if isinstance(author, str) and author and author != repo_id.partition("/")[0] else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
