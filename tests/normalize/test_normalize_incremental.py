"""A Normalizer fed poll after poll gives exactly what `normalize_repos` gives each poll alone.

The polls are SYNTHETIC sequences made from the bundled Hub state (real repo ids and JSON shapes;
its counters are made up by the fixture builder, see data/README.md): each step drops, restores,
re-commits and re-tags repos, adds '-hf' re-packagings and copies, points base-model tags at other
repos (cycles included) and moves every counter, seeded so a failure replays.
"""

from __future__ import annotations

import copy
import hashlib
import random

import pytest

from conftest import bundled_models
from lineupwatch.config.settings import parse_config
from lineupwatch.normalize.records import Normalizer, normalize_repos
from lineupwatch.store.raw_archive import canonical, split_model

CONFIG = parse_config({}, __import__("pathlib").Path("defaults.toml"))


def doc_key(model: dict) -> bytes:
    """What rebuild keys a model by: the digest of its JSON without counters (raw_archive)."""
    return hashlib.sha1(canonical(split_model(model)[0])).digest()


def _retag(model: dict, relation: str, parent: str) -> None:
    tags = [t for t in model.get("tags", []) if not t.startswith("base_model:")]
    model["tags"] = [*tags, f"base_model:{relation}:{parent}"]


def _step(rng: random.Random, live: dict[str, dict], dropped: dict[str, dict], cycle: list[str], step: int) -> None:
    """One day of SYNTHETIC changes to the Hub state `live` (repo_id -> model)."""
    ids = sorted(live)
    for model in live.values():
        model["downloads"] = rng.randint(0, 10_000)
        model["likes"] = rng.randint(0, 500)
    for repo_id in rng.sample(ids, 3):
        dropped[repo_id] = live.pop(repo_id)
    for repo_id in rng.sample(sorted(dropped), min(2, len(dropped))):
        live[repo_id] = dropped.pop(repo_id)
    ids = sorted(live)
    for repo_id in rng.sample(ids, 4):
        live[repo_id]["sha"] = f"{step:040x}"
    roots = [r for r in ids if not any(t.startswith("base_model:") for t in live[r].get("tags", []))]
    for repo_id in rng.sample(ids, 3):  # re-tag: quantized or fine-tuned from another watched repo
        relation = rng.choice(["quantized", "finetune", "adapter"])
        _retag(live[repo_id], relation, rng.choice(roots))  # (a cycle now and then, not for good)
    for repo_id in cycle:  # last step's cycle is undone (the tags go) ...
        if repo_id in live:
            live[repo_id]["tags"] = [t for t in live[repo_id].get("tags", []) if not t.startswith("base_model:")]
    cycle.clear()
    if rng.random() < 0.25:  # ... and sometimes a new one made: two repos quantized from each other
        cycle.extend(rng.sample(ids, 2))
        _retag(live[cycle[0]], "quantized", cycle[1])
        _retag(live[cycle[1]], "quantized", cycle[0])
    original = rng.choice(ids)
    if rng.random() < 0.5 and original in live:  # a re-packaging, alone or beside its original
        hf = copy.deepcopy(live[original])
        hf["id"] = hf["modelId"] = f"{original}-hf"
        live[hf["id"]] = hf
    if rng.random() < 0.5:  # a copy with no base tag: it finds its original by match key
        copy_ = copy.deepcopy(live[original])
        copy_["id"] = copy_["modelId"] = f"{original}-GGUF-s{step}"
        copy_["tags"] = [t for t in copy_.get("tags", []) if not t.startswith("base_model:")] + ["gguf"]
        live[copy_["id"]] = copy_
    for repo_id in rng.sample(ids, 2):  # new counted totals: an unnamed size's label moves
        live[repo_id]["safetensors"] = {"total": rng.randint(1, 900) * 10**9}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_poll_after_poll_equals_each_poll_alone(seed: int) -> None:
    rng = random.Random(seed)
    live = {m["id"]: m for m in bundled_models() if isinstance(m.get("id"), str)}
    dropped: dict[str, dict] = {}
    cycle: list[str] = []
    normalizer = Normalizer(CONFIG)
    partial = 0
    for step in range(30):
        models = [live[r] for r in rng.sample(sorted(live), len(live))]  # the Hub's order varies
        got = normalizer.normalize(models, [doc_key(m) for m in models])
        assert got == normalize_repos(models, CONFIG), f"step {step}"
        partial += normalizer.resolved_anew < len(got)
        _step(rng, live, dropped, cycle, step)
    assert partial >= 8  # the reuse path ran, not only the whole pass (seed 4 takes it 9 times in 30)


def test_unchanged_docs_with_moved_counters_reuse_every_record() -> None:
    models = bundled_models()
    normalizer = Normalizer(CONFIG)
    normalizer.normalize(models, [doc_key(m) for m in models])
    for model in models:
        model["downloads"] = (model.get("downloads") or 0) + 7
    got = normalizer.normalize(models, [doc_key(m) for m in models])
    assert normalizer.resolved_anew == 0
    assert got == normalize_repos(models, CONFIG)
    assert {r.downloads for r in got} != {None}


def test_without_keys_it_normalizes_everything() -> None:
    models = bundled_models()
    normalizer = Normalizer(CONFIG)
    first = normalizer.normalize(models)
    assert normalizer.normalize(models) == first
    assert normalizer.resolved_anew == len(first)
