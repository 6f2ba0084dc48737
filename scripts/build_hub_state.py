"""Build the bundled Hub state (src/lineupwatch/data/hub_state.json.gz) and its timeline
(src/lineupwatch/data/hub_public.csv: the day each repo went public) from the facts CSVs.

The facts (repo ids, sizes, release dates, licences) come from public sources and are copied in
src/lineupwatch/data/facts/. Everything else a Hub listing carries is derived here by fixed,
documented rules (see src/lineupwatch/data/README.md), and the made-up counters (downloads, likes,
child-model counts) are drawn from a hash of the repo id, so the build is reproducible byte for
byte: `make fixture` twice gives the same file.

A repo's `createdAt` is the Hub's own where facts/hub_created.csv records it (131 repos), else its
public release minus a lag drawn (from the repo id) from the recorded lags of the same org: repos
are created, private, before they go public. The replay Hub serves each repo from its public day on.

Usage: python scripts/build_hub_state.py [--out PATH] [--timeline PATH]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "lineupwatch" / "data"
sys.path.insert(0, str(ROOT / "src"))

from lineupwatch.replay.server import save_state  # noqa: E402  (the state format has one writer)

AS_OF = datetime(2026, 11, 22, tzinfo=timezone.utc)
# Licence ids the Hub knows; anything else is listed as `other` with a `license_name`, as on the Hub.
HUB_LICENCES = {"apache-2.0", "mit", "gemma", "llama4", "cc-by-nc-4.0", "llama3.1", "llama3.2", "llama3.3"}
# Quantized copies report packed tensor totals on the Hub (int4 packs 8 weights in an I32): the
# fraction of the base total each format shows. Approximations of the Hub's behaviour, not facts.
PACKED_FRACTION = {"gptq-int4": 0.30, "awq": 0.30, "gptq-int8": 0.55, "fp8": 1.0, "mlx": 0.30}
PIPELINE_BY_LINE = {
    "lm": "text-generation", "coder": "text-generation", "math": "text-generation", "reward": "text-classification",
    "guard": "text-generation", "vl": "image-text-to-text", "omni": "any-to-any", "audio": "audio-text-to-text",
    "asr": "automatic-speech-recognition", "tts": "text-to-speech", "embedding": "feature-extraction",
    "reranker": "text-ranking", "image": "text-to-image", "image-eval": "image-text-to-text",
    "world-model": "text-generation",
}
# Parents the notes name in words rather than as repo ids ("Qwen3.5-4B + BEV perception head").
NAMED_PARENTS = {
    "Qwen/Qwen-Drive-1.0-4B": "Qwen/Qwen3.5-4B",
    "Qwen/Qwen-Image-2.1-PE-I2I": "Qwen/Qwen3.5-9B",
    "Qwen/Qwen-Image-2.1-PE-T2I": "Qwen/Qwen3.5-9B",
    # Official models of one family built on another family's base, as their notes say
    # ("distill into Qwen3-8B", "coding model on Qwen2.5-72B"): the report shows them "on Qwen3-8B".
    "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B": "Qwen/Qwen3-8B",
    "moonshotai/Kimi-Dev-72B": "Qwen/Qwen2.5-72B",
}
_QUANT_SUFFIX = re.compile(r"-(GPTQ-Int[48]|AWQ|FP8|GGUF|MLX(?:-\w+)?|Int[48]|hf)$", re.IGNORECASE)
_HUB_FIGURE = re.compile(r"HF (?:shows|displays|counts|card|widget shows|safetensors total)?\s*~?(\d+(?:\.\d+)?)([BM])\b")
_FIGURE_PER_SIZE = re.compile(r"(\d+(?:\.\d+)?)([BM]) \((\d+(?:\.\d+)?)B\)")
_DOWNLOADS = re.compile(r"(\d+(?:\.\d+)?)([kM]) downloads last month")
_LIKES = re.compile(r"(\d+(?:\.\d+)?)(k?) likes")
_BUILT_ON = re.compile(r"(?:built on|fine-tune of|tune of|on top of|converted from) ([A-Za-z][\w.-]*\d[\w.-]*)")
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_UNCERTAIN = re.compile(r"unconfirmed|guess|not found|assumed|not verified|not re-verified", re.IGNORECASE)


def unit(repo_id: str, salt: str) -> float:
    """A stable number in [0, 1) for a repo: the seed of every made-up value."""
    digest = hashlib.sha256(f"{salt}:{repo_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def hub_created() -> dict[str, str]:
    """The Hub's own createdAt of the repos recorded in facts/hub_created.csv."""
    with open(DATA / "facts" / "hub_created.csv", newline="", encoding="utf-8") as handle:
        return {row["repo_id"]: row["hub_created_at"] for row in csv.DictReader(handle)}


def recorded_lags() -> dict[str, list[float]]:
    """Days from creation to public release recorded per org (negative lags, where the facts date
    is a day before the Hub's clock, count as 0); key "" holds every org's."""
    lags: dict[str, list[float]] = {"": []}
    with open(DATA / "facts" / "hub_created.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lag = max(0.0, float(row["lag_days"]))
            lags.setdefault(row["repo_id"].split("/")[0], []).append(lag)
            lags[""].append(lag)
    return {org: sorted(values) for org, values in lags.items()}


def drawn_created(repo_id: str, public: str, lags: dict[str, list[float]]) -> str:
    """A createdAt for a repo the Hub record does not cover: its public moment minus a lag drawn
    from the same org's recorded lags (every org's where it has fewer than three)."""
    org = repo_id.split("/")[0]
    pool = lags.get(org) if len(lags.get(org, [])) >= 3 else lags[""]
    lag = pool[int(unit(repo_id, "lag") * len(pool))] + unit(repo_id, "lag-hours")
    moment = datetime.fromisoformat(public.replace("Z", "+00:00")) - timedelta(days=lag)
    return iso(moment)


def created_at(release_date: str, repo_id: str) -> tuple[str, str]:
    """(ISO timestamp of the public release, precision) from a facts date: a day, `~` day,
    `YYYY-MM~` or `YYYY~`."""
    text = release_date.rstrip("~")
    if not text:
        return "", "missing"
    if len(text) == 10:
        day, precision = datetime.strptime(text, "%Y-%m-%d"), "approximate day" if release_date.endswith("~") else "day"
    elif len(text) == 7:
        day, precision = datetime.strptime(text, "%Y-%m").replace(day=15), "month"
    else:
        day, precision = datetime(int(text), 7, 1), "year"
    # 02:00-10:00 UTC is 10:00-18:00 in UTC+8, the vendors' working day: the date stays the same.
    moment = day.replace(tzinfo=timezone.utc) + timedelta(hours=2, seconds=int(unit(repo_id, "time") * 8 * 3600))
    return iso(min(moment, AS_OF)), precision


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def licence_fields(text: str) -> tuple[str | None, str | None]:
    """(Hub licence id, license_name) from a facts licence such as 'mit (assumed)' or 'qwen'."""
    licence = text.split(" (")[0].strip().lower()
    if not licence or licence == "unknown":
        return None, None
    if licence in HUB_LICENCES:
        return licence, None
    return "other", licence


def hub_total(row: dict) -> tuple[int | None, str]:
    """The parameter count the Hub shows for an original: the figure the notes quote, else nominal."""
    if not row["params_total_b"]:
        return None, "none"
    nominal = float(row["params_total_b"]) * 1e9
    figure = _HUB_FIGURE.search(row["notes"])
    # One note quotes two repos: "HF shows 2B (1.7B) / 0.9B (0.6B)": take the figure of this size.
    per_size = {float(size): (number, unit) for number, unit, size in _FIGURE_PER_SIZE.findall(row["notes"])}
    if per_size:
        figure = None
        if (quoted := per_size.get(float(row["params_total_b"]))) is not None:
            return int(float(quoted[0]) * (1e9 if quoted[1] == "B" else 1e6)), "notes"
    if figure:
        value = float(figure.group(1)) * (1e9 if figure.group(2) == "B" else 1e6)
        if 0.5 * nominal <= value <= 4 * nominal:  # else it counts something else ("HF card 6.5B": active)
            return int(value), "notes"
    return int(nominal), "nominal"


def counters(row: dict, quantized: bool, created: str) -> dict:
    """Made-up downloads (30 days and all time), likes and child counts, unless the notes quote them."""
    repo_id, size = row["repo_id"], float(row["params_total_b"] or 1)
    age_days = max(1, (AS_OF - datetime.fromisoformat(created.replace("Z", "+00:00"))).days) if created else 365
    reach = 2e6 / (1 + size / 8) / (1 + age_days / 365) * (0.2 if quantized else 1.0)
    downloads = int(reach * (0.3 + 1.4 * unit(repo_id, "downloads")))
    if quoted := _DOWNLOADS.search(row["notes"]):
        downloads = int(float(quoted.group(1)) * (1e6 if quoted.group(2) == "M" else 1e3))
    likes = int(downloads ** 0.5 * (0.2 + unit(repo_id, "likes")))
    if quoted := _LIKES.search(row["notes"]):
        likes = int(float(quoted.group(1)) * (1000 if quoted.group(2) else 1))
    return {
        "downloads": downloads,
        "downloadsAllTime": int(downloads * (1 + age_days / 30 * (0.4 + 0.4 * unit(repo_id, "history")))),
        "likes": likes,
        "childrenModelCount": 0 if quantized else int(downloads ** 0.5 / 4 * unit(repo_id, "children")),
    }


def model_object(row: dict, org: str, line: str, variant: str, parents: list[tuple[str, str]],
                 created: str, public: str) -> dict:
    """One model as the Hub's listing returns it with every expandable property we use."""
    repo_id = row["repo_id"]
    quantized = "+" in variant or variant in PACKED_FRACTION or bool(_QUANT_SUFFIX.search(repo_id))
    quant = variant.split("+")[-1] if "+" in variant else variant
    modified = datetime.fromisoformat(public.replace("Z", "+00:00")) + timedelta(days=int(unit(repo_id, "mod") * 60))
    licence, licence_name = licence_fields(row["license"])
    gguf = repo_id.endswith("-GGUF")
    mlx = "-MLX" in repo_id or quant == "mlx"
    pipeline = PIPELINE_BY_LINE.get(line, "text-generation")
    if line == "lm" and row.get("generation", "") in ("Qwen3.5", "Qwen3.6", "Qwen3.8"):
        pipeline = "image-text-to-text"  # natively multimodal (facts: "image-text-to-text")
    library = "gguf" if gguf else "mlx" if mlx else "sentence-transformers" if line == "embedding" else "transformers"
    tags = [library, "safetensors" if not gguf else "gguf", pipeline]
    if re.search(r"instruct|chat|-it\b|thinking", repo_id, re.IGNORECASE):
        tags.append("conversational")
    card: dict = {}
    if licence:
        tags.append(f"license:{licence}")
        card["license"] = licence
        if licence_name:
            card["license_name"] = licence_name
    for relation, parent in parents:
        tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
    if parents:
        card["base_model"] = parents[0][1]
    tags.append("region:us")
    model: dict = {
        "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
        "id": repo_id,
        "author": org,
        "createdAt": created,
        "lastModified": iso(min(modified, AS_OF)),
        "sha": hashlib.sha1(f"{repo_id}@{public}".encode()).hexdigest(),
        "private": False,
        "disabled": False,
        "gated": "manual" if org == "meta-llama" else False,
        "pipeline_tag": pipeline,
        "library_name": library,
        "tags": tags,
        "cardData": card,
        **counters(row, quantized, public),
    }
    total, _ = hub_total(row)
    if total is not None and gguf:
        model["gguf"] = {"total": total, "architecture": row["repo_id"].split("/")[1].split("-")[0].lower(),
                         "context_length": 32768}
    elif total is not None:
        shown = int(total * PACKED_FRACTION.get(quant, 1.0)) if quantized else total
        dtype = {"fp8": "F8_E4M3"}.get(quant, "I32" if quantized and quant in PACKED_FRACTION else "BF16")
        model["safetensors"] = {"parameters": {dtype: shown}, "total": shown}
    return model


def base_of_copy(repo_id: str, known: set[str]) -> str | None:
    """The original a quantized or re-formatted copy was made from, if it is in the facts."""
    stripped = _QUANT_SUFFIX.sub("", repo_id)
    for candidate in (stripped, f"{stripped}-Instruct"):
        if candidate != repo_id and candidate in known:
            return candidate
    return None


def base_of_tune(repo_id: str, notes: str, known: dict[str, str]) -> str | None:
    """The base a post-trained checkpoint was tuned from: its -Base/-pt sibling, or what its notes name."""
    if repo_id in NAMED_PARENTS:
        return NAMED_PARENTS[repo_id]
    org, name = repo_id.split("/")
    for suffix, replacement in (("-Instruct", ""), ("-Instruct", "-Base"), ("-Chat", ""), ("-it", "-pt"), ("", "-Base")):
        if name.endswith(suffix):
            candidate = f"{org}/{name[:len(name) - len(suffix)] if suffix else name}{replacement}"
            if candidate != repo_id and candidate.lower() in known:
                return known[candidate.lower()]
    if named := _BUILT_ON.search(notes):
        return known.get(f"{org}/{named.group(1)}".lower())
    return None


def qwen_rows() -> list[dict]:
    with open(DATA / "facts" / "qwen_releases.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if not row["release_date"] and row["repo_id"] == "Qwen/Qwen-tokenizer":
            row["release_date"] = "2023-08-03~"  # not found; Qwen1's release day, see the README
    return rows


def peer_rows() -> tuple[list[dict], list[dict], list[str]]:
    """(rows, sibling rows named in notes, skipped descriptions)."""
    with open(DATA / "facts" / "peer_releases.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kept, siblings, skipped = [], [], []
    for row in rows:
        if not _REPO_ID.match(row["repo_id"]):
            skipped.append(row["repo_id"])
            continue
        kept.append(row)
    ids = {row["repo_id"].lower() for row in kept}
    for row in kept:
        shared = [clause for clause in row["notes"].split(";") if re.search(r"\bshares? row", clause)]
        for sibling in re.findall(rf"\b{re.escape(row['org'])}/[\w.-]*\w", ";".join(shared)):
            if sibling.lower() not in ids:
                ids.add(sibling.lower())
                siblings.append({**row, "repo_id": sibling, "notes": f"sibling named in the notes of {row['repo_id']}"})
    return kept, siblings, skipped


def peer_line(name: str) -> str:
    lowered = name.lower()
    for word, line in (("embedding", "embedding"), ("guard", "guard"), ("safeguard", "guard"), ("ocr", "vl"),
                       ("vl", "vl"), ("vision", "vl"), ("coder", "coder"), ("devstral", "coder"), ("voxtral", "audio")):
        if word in lowered:
            return line
    return "lm"


def build() -> tuple[list[dict], dict]:
    qwen = qwen_rows()
    peers, siblings, skipped = peer_rows()
    all_rows = [(row, "Qwen") for row in qwen] + [(row, row["org"]) for row in peers + siblings]
    known = {row["repo_id"].lower(): row["repo_id"] for row, _ in all_rows}
    exact = set(known.values())
    models, timeline = [], []
    recorded, lags = hub_created(), recorded_lags()
    stats = {"qwen": len(qwen), "peers": len(peers), "siblings": len(siblings), "skipped": skipped,
             "hub_figures": [], "uncertain": [], "precision": {}, "created": {"hub": 0, "drawn": 0}}
    for row, org in all_rows:
        repo_id = row["repo_id"]
        line = row.get("line") or peer_line(repo_id)
        variant = row.get("variant") or ""
        copy_base = base_of_copy(repo_id, exact) if ("+" in variant or _QUANT_SUFFIX.search(repo_id)) else None
        if copy_base:
            parents = [("quantized", copy_base)]
        else:
            tuned = base_of_tune(repo_id, row["notes"], known)
            parents = [("finetune", tuned)] if tuned else []
        public, precision = created_at(row["release_date"], repo_id)
        created_source = "hub" if repo_id in recorded else "drawn"
        created = recorded.get(repo_id) or drawn_created(repo_id, public, lags)
        public = max(public, created)  # never listed before the Hub made it (facts dates are UTC+8 days)
        stats["created"][created_source] += 1
        models.append(model_object(row, org, line, variant, parents, created, public))
        timeline.append({"repo_id": repo_id, "public_at": public, "created_at": created, "created_from": created_source})
        stats["precision"][precision] = stats["precision"].get(precision, 0) + 1
        if hub_total(row)[1] == "notes" and not copy_base:
            stats["hub_figures"].append((repo_id, row["params_total_b"], models[-1].get("safetensors", {}).get("total")))
        if org != "Qwen" and _UNCERTAIN.search(row["notes"] + row["license"]):
            stats["uncertain"].append(repo_id)
    models.sort(key=lambda m: m["id"])
    timeline.sort(key=lambda t: t["repo_id"])
    return models, timeline, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA / "hub_state.json.gz")
    parser.add_argument("--timeline", type=Path, default=DATA / "hub_public.csv")
    args = parser.parse_args()
    models, timeline, stats = build()
    save_state(models, args.out)
    with open(args.timeline, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["repo_id", "public_at", "created_at", "created_from"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(timeline)
    print(f"wrote {args.out}: {len(models)} repos ({stats['qwen']} Qwen, {stats['peers']} peer rows, "
          f"{stats['siblings']} siblings from notes; skipped {len(stats['skipped'])} rows without a repo id)")
    print(f"public release precision: {stats['precision']}; createdAt: {stats['created']} (hub = recorded, drawn = made up)")
    print(f"Hub figures from notes: {len(stats['hub_figures'])}; less certain peer repos: {len(stats['uncertain'])}")


if __name__ == "__main__":
    main()
