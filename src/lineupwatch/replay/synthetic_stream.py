"""SYNTHETIC: a seeded, lazy generator of the Hub-wide stream of new model repos.

Nothing generated here exists on the Hub. It gives the replay Hub an author-less listing sorted
by `createdAt` at the real Hub's volume (about 2,700 new public model repos a day in 2026), with
derivative shares by base family shaped on published figures: Qwen's share of new derivatives
rising linearly from about 1 % (January 2024) to about 69 % (February 2026, ATOM Report, arXiv
2604.07190), small bases (<= 10B) preferred three to one (about 70 % of downloads are in the 1-9B
class). Parent ids are real: the originals of the bundled Hub state (built from the facts tables),
each used only after its own `createdAt`. A few named community repos (`SCRIPTED`) carry
Qwen-release names without being Qwen's, as the community has done since 2026-08.

Days are generated on demand and cached a few at a time, so a year of a million repos never sits
in memory: a listing page is a bisect into one or two days.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import ClassVar

from .labels import SYNTHETIC_STREAM
from .server import MAX_LIMIT

REPOS_PER_DAY = 2700
DERIVATIVE_FRACTION = 0.42
RELATIONS = (("finetune", 0.45), ("quantized", 0.35), ("adapter", 0.15), ("merge", 0.05))
# Share of derivatives whose base is outside the watched families ("other").
OTHER_BASE_FRACTION = 0.22
# (family, share of watched-base derivatives in 2024-01, share in 2026-02), linear in between and
# flat after; families absent from the table split what is left. Qwen's line follows ATOM's figures.
FAMILY_SHAPE = (("Qwen", 0.01, 0.69), ("Llama", 0.50, 0.06), ("Mistral", 0.15, 0.03), ("Gemma", 0.08, 0.08))
SHAPE_START, SHAPE_END = date(2024, 1, 1), date(2026, 2, 1)
PIPELINES = (("text-generation", 0.46), ("image-text-to-text", 0.08), ("text-classification", 0.12),
             ("feature-extraction", 0.08), ("automatic-speech-recognition", 0.05), ("text-to-image", 0.08),
             ("reinforcement-learning", 0.08), (None, 0.05))
LIBRARIES = ("transformers", "transformers", "transformers", "peft", "gguf", "diffusers", "mlx", None)
OTHER_PARENTS = tuple(f"synthetic-base-{i:03d}/community-base-{1 + i % 13}B" for i in range(400))
# Named community repos (SYNTHETIC ids and figures, shaped on the example): day, id,
# (relation, parent) or None for an original, total parameters, all-time downloads.
SCRIPTED = (
    (date(2026, 8, 20), "empero-ai/Qwen3.8-9B", ("finetune", "Qwen/Qwen3.5-9B"), 9.65e9, 1_040_000),
    (date(2026, 8, 27), "empero-ai/Qwen3.8-4B", ("finetune", "Qwen/Qwen3.5-4B"), 4.66e9, 310_000),
    (date(2026, 9, 3), "open-small-lab/Bloomlet-3B", None, 3.1e9, 620_000),
)


@dataclass(frozen=True)
class Parent:
    repo_id: str
    family: str
    created: date
    small: bool


# Bases the community built on in 2024 that the bundled Hub state (built from the 2025-2026 facts
# tables) does not hold: real repo ids of the watched orgs, their `createdAt` approximate (to the
# week). Without them the families other than Qwen would have no parent before 2025, their share of
# the 2024 derivatives would go to "other", and the history would not follow ATOM's path (Qwen about
# 1 % in January 2024). No poll lists them: the resilience index attributes them by namespace.
HISTORIC_PARENTS = tuple(Parent(repo_id, family, date.fromisoformat(created), small) for repo_id, family, created, small in (
    ("meta-llama/Llama-2-7b-hf", "Llama", "2023-07-13", True),
    ("meta-llama/Llama-2-7b-chat-hf", "Llama", "2023-07-13", True),
    ("meta-llama/Llama-2-13b-chat-hf", "Llama", "2023-07-13", False),
    ("meta-llama/Meta-Llama-3-8B", "Llama", "2024-04-17", True),
    ("meta-llama/Meta-Llama-3-8B-Instruct", "Llama", "2024-04-17", True),
    ("meta-llama/Llama-3.1-8B", "Llama", "2024-07-14", True),
    ("meta-llama/Llama-3.1-8B-Instruct", "Llama", "2024-07-18", True),
    ("meta-llama/Llama-3.1-70B-Instruct", "Llama", "2024-07-16", False),
    ("meta-llama/Llama-3.2-1B-Instruct", "Llama", "2024-09-18", True),
    ("meta-llama/Llama-3.2-3B-Instruct", "Llama", "2024-09-18", True),
    ("meta-llama/Llama-3.3-70B-Instruct", "Llama", "2024-11-26", False),
    ("mistralai/Mistral-7B-v0.1", "Mistral", "2023-09-20", True),
    ("mistralai/Mistral-7B-Instruct-v0.1", "Mistral", "2023-09-27", True),
    ("mistralai/Mistral-7B-Instruct-v0.2", "Mistral", "2023-12-11", True),
    ("mistralai/Mistral-7B-Instruct-v0.3", "Mistral", "2024-05-22", True),
    ("google/gemma-2b-it", "Gemma", "2024-02-08", True),
    ("google/gemma-7b-it", "Gemma", "2024-02-08", True),
    ("google/gemma-2-2b-it", "Gemma", "2024-07-16", True),
    ("google/gemma-2-9b-it", "Gemma", "2024-06-24", True),
    ("google/gemma-2-27b-it", "Gemma", "2024-06-24", False),
    ("microsoft/phi-2", "Phi", "2023-12-13", True),
    ("microsoft/Phi-3-mini-4k-instruct", "Phi", "2024-04-22", True),
    ("microsoft/Phi-3.5-mini-instruct", "Phi", "2024-08-16", True),
))


def default_parents() -> tuple[Parent, ...]:
    """The originals of the bundled Hub state, with their family and whether they are small, and the
    2024 bases it lacks (`HISTORIC_PARENTS`)."""
    from pathlib import Path

    from ..config.settings import parse_config
    from ..normalize.records import normalize_repos
    from .fixtures import bundled_state_path
    from .server import load_state

    config = parse_config({}, Path("(defaults)"))
    records = normalize_repos(load_state(bundled_state_path()), config)
    bundled = tuple(Parent(r.repo_id, r.family, date.fromisoformat(r.created_at[:10]), r.size_class in ("tiny", "small"))
                    for r in records if not r.quantized and r.line in config.analysis.counted_lines)
    known = {p.repo_id for p in bundled}
    return bundled + tuple(p for p in HISTORIC_PARENTS if p.repo_id not in known)


@dataclass
class SyntheticStream:
    """New repos from `start` to `until` (inclusive days), `scale` x the real volume.

    `until` may be moved forward (a demo living day by day); `edits` replaces fields of named
    repos when served (a base_model tag added after creation)."""

    start: date
    until: date
    seed: int = 13
    scale: float = 1.0
    parents: tuple[Parent, ...] = field(default_factory=default_parents)
    edits: dict[str, dict] = field(default_factory=dict)
    provenance: ClassVar[dict] = SYNTHETIC_STREAM  # what the replay Hub labels its repos with

    def __post_init__(self) -> None:
        self._by_family: dict[str, list[Parent]] = {}
        for parent in sorted(self.parents, key=lambda p: (p.created, p.repo_id)):
            self._by_family.setdefault(parent.family, []).append(parent)
        self._created = {family: [p.created for p in pool] for family, pool in self._by_family.items()}
        # A few days, and at least two listing pages' worth: a daily poll re-reads the same days.
        self._day = lru_cache(maxsize=8 + math.ceil(2 * MAX_LIMIT / (REPOS_PER_DAY * self.scale)))(self._generate_day)

    def count(self, day: date) -> int:
        """How many repos `day` has: the daily volume, +-10 % by the day's own draw."""
        rng = random.Random(f"{self.seed}:{day}:count")
        return max(1, round(REPOS_PER_DAY * self.scale * rng.uniform(0.9, 1.1)))

    def total(self) -> int:
        return sum(self.count(self.start + timedelta(days=i)) for i in range((self.until - self.start).days + 1))

    def before(self, key: tuple[str, str] | None, limit: int) -> list[tuple[tuple[str, str], dict]]:
        """Up to `limit` (sort key, model) pairs strictly before `key`, newest first."""
        day = self.until if key is None else min(self.until, date.fromisoformat(key[0][:10]))
        out: list[tuple[tuple[str, str], dict]] = []
        while day >= self.start and len(out) < limit:
            keys, models = self._day(day)
            end = len(keys) if key is None or key[0][:10] > day.isoformat() else bisect.bisect_left(keys, key)
            for position in range(end - 1, -1, -1):
                out.append((keys[position], self._served(models[position])))
                if len(out) == limit:
                    break
            day -= timedelta(days=1)
        return out

    def iter_day(self, day: date) -> Iterator[dict]:
        yield from (self._served(m) for m in self._day(day)[1])

    def _served(self, model: dict) -> dict:
        edit = self.edits.get(model["id"])
        return {**model, **edit} if edit else model

    def _generate_day(self, day: date) -> tuple[list[tuple[str, str]], list[dict]]:
        rng = random.Random(f"{self.seed}:{day}")
        n = self.count(day)
        models = [self._repo(rng, day, i, n) for i in range(n)]
        for when, repo_id, lineage, total, downloads in SCRIPTED:
            if when == day:
                models.append(_scripted(day, repo_id, lineage, total, downloads))
        models.sort(key=lambda m: (m["createdAt"], m["_id"]))
        return [(m["createdAt"], m["_id"]) for m in models], models

    def _repo(self, rng: random.Random, day: date, i: int, n: int) -> dict:
        created = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(milliseconds=i * 86_400_000 // n)
        serial = f"{(day - date(2020, 1, 1)).days:05d}{i:05d}"
        author = f"synthetic-user-{rng.randrange(60_000):05d}"
        pipeline = _pick(rng, PIPELINES)
        tags = ["region:us"]
        lineage = self._lineage(rng, day) if rng.random() < DERIVATIVE_FRACTION else None
        if lineage:
            relation, parent = lineage
            stem = parent.split("/")[1]
            name = f"{stem}-{'GGUF' if relation == 'quantized' else relation}-{serial}"
            tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
            params = None if relation in ("quantized", "adapter") else _params(rng)
        else:
            name = f"model-{serial}"
            params = _params(rng) if rng.random() < 0.6 else None
        library = rng.choice(LIBRARIES)
        if library:
            tags.insert(0, library)
        if pipeline:
            tags.append(pipeline)
        model = {"_id": _object_id(day, i), "id": f"{author}/{name}", "author": author,
                 "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
                 "tags": tags, "pipeline_tag": pipeline, "library_name": library,
                 "downloads": _downloads(rng), "downloadsAllTime": 0}
        model["downloadsAllTime"] = model["downloads"] * rng.randint(1, 4)
        if params:
            model["safetensors"] = {"parameters": {"BF16": params}, "total": params}
        return model

    def _lineage(self, rng: random.Random, day: date) -> tuple[str, str]:
        relation = _pick(rng, RELATIONS)
        if rng.random() < OTHER_BASE_FRACTION:
            return relation, rng.choice(OTHER_PARENTS)
        weights = self._family_weights(day)
        family = _pick(rng, tuple(weights.items()))
        if family is None:
            return relation, rng.choice(OTHER_PARENTS)
        pool = self._by_family[family]
        released = pool[max(0, bisect.bisect_right(self._created[family], day) - 40):
                        bisect.bisect_right(self._created[family], day)]  # the 40 newest parents dominate
        weighted = [(p, 3.0 if p.small else 1.0) for p in released]
        return relation, _pick(rng, tuple(weighted)).repo_id

    def _family_weights(self, day: date) -> dict[str | None, float]:
        fraction = min(1.0, max(0.0, (day - SHAPE_START).days / (SHAPE_END - SHAPE_START).days))
        shaped = {family: a + (b - a) * fraction for family, a, b in FAMILY_SHAPE}
        available = {f for f, pool in self._by_family.items() if pool and pool[0].created <= day}
        rest = [f for f in sorted(available) if f not in shaped]
        leftover = max(0.0, 1.0 - sum(shaped.values()))
        weights: dict[str | None, float] = {f: w for f, w in shaped.items() if f in available}
        weights.update({f: leftover / len(rest) for f in rest} if rest else {})
        missing = sum(w for f, w in shaped.items() if f not in available)
        if missing:
            weights[None] = missing  # a family with no released parent yet: its share goes to "other"
        return weights


def _pick(rng: random.Random, options: tuple) -> object:
    total = sum(weight for _, weight in options)
    point = rng.random() * total
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]


def _params(rng: random.Random) -> int:
    """Log-uniform from 50M to 120B: most community models are small."""
    return int(10 ** rng.uniform(7.7, 11.08))


def _downloads(rng: random.Random) -> int:
    """Heavy-tailed: most new repos are barely downloaded, a few thousandths take off."""
    if rng.random() < 0.002:
        return int(10 ** rng.uniform(4, 6.3))
    return int(10 ** rng.uniform(0, 3))


def _object_id(day: date, i: int) -> str:
    return f"{(day - date(2020, 1, 1)).days:08x}{i:08x}00000000"


def _scripted(day: date, repo_id: str, lineage: tuple[str, str] | None, total: float, downloads: int) -> dict:
    created = f"{day.isoformat()}T12:00:00.000Z"
    tags = ["transformers", "safetensors", "text-generation", "region:us"]
    if lineage:
        tags += [f"base_model:{lineage[1]}", f"base_model:{lineage[0]}:{lineage[1]}"]
    digest = hashlib.sha1(repo_id.encode()).hexdigest()[:24]
    return {"_id": digest, "id": repo_id, "author": repo_id.split("/")[0], "createdAt": created, "tags": tags,
            "pipeline_tag": "text-generation", "library_name": "transformers", "downloads": downloads // 8,
            "downloadsAllTime": downloads, "safetensors": {"parameters": {"BF16": int(total)}, "total": int(total)}}


# The demo's stream: 1/50 of the Hub's volume (about 54 new repos a day), so that a backfill of the
# reports' whole history (the resilience index's 2024-01-01 to the demo's first day: about 40,000
# repos, 41 pages) and the
# weekly reports stay within the demo's time budget. The benchmark uses the full volume.
DEMO_SCALE = 0.02


def demo_stream(start: date, until: date) -> SyntheticStream:
    """The stream the demo serves beside the bundled Hub state; move `until` to live day by day."""
    return SyntheticStream(start, until, scale=DEMO_SCALE)
