"""Where each figure of a report comes from: the `provenance` block (issue 20, point 6). Pure.

Every input of a report has a source, read from the labels stored with what it read (m090),
never from the endpoint's address: the org polls (which repos, when), the counters those polls
carried (downloads, likes, child counts) and the Hub-wide stream. A replay Hub labels its answers
(`X-Lineupwatch-Provenance`, replay/labels.py) and says which figures are made up; the real Hub
sends no label ("hub"). When any input is synthetic, `headline` is the sentence every output puts
first, and `sections` gives each section its source line (marked SYNTHETIC where it rests on one).
"""

from __future__ import annotations

import json
from datetime import date

from ..store.facts import Poll

COUNTER_FIGURES = ("downloads", "likes", "children")
_FIGURE_WORDS = {"downloads": "downloads", "likes": "likes", "children": "child counts",  # in the order said
                 "stream": "the Hub-wide stream", "all": "all figures"}


def provenance_block(polls: list[Poll], stream: dict | None, as_of: date) -> dict:
    """`polls`: the facts' polls up to the day; `stream`: the stream facts' runs summary
    (stream/facts.py), None when the report has no stream."""
    stored = [p for p in polls if p.stored]
    labels = [_label(p.provenance) for p in stored]
    known = [label for label in labels if label]
    made_up = sorted({name for label in known for name in label.get("synthetic", [])})
    since = stored[0].started_at[:10] if stored else None
    org = {"what": "org polls", "sources": _unique(l.get("source", "replay") for l in known),
           "labels": _unique(l.get("label", "") for l in known), "since": since, "polls": len(stored),
           "unlabelled": sum(1 for label in labels if label is None),
           "synthetic": [name for name in made_up if name not in COUNTER_FIGURES]}
    counters = {"what": "counters", "sources": org["sources"], "labels": org["labels"], "since": since,
                "synthetic": [name for name in made_up if name in COUNTER_FIGURES or name == "all"]}
    inputs = {"org_polls": org, "counters": counters}
    if stream is not None and stream.get("runs"):
        label = stream.get("provenance") or {}
        inputs["stream"] = {"what": "the Hub-wide stream", "sources": label.get("sources") or [],
                            "labels": label.get("labels") or [], "since": stream.get("since"),
                            "runs": stream.get("ok", 0), "unlabelled": label.get("unlabelled", 0),
                            "synthetic": ["stream"] if label.get("synthetic") else []}
    for block in inputs.values():
        block["source"] = _source_text(block)
    synthetic = _unique(name for block in inputs.values() for name in block["synthetic"])
    return {"synthetic": bool(synthetic), "synthetic_figures": synthetic,
            "headline": _headline(synthetic, inputs) if synthetic else None,
            "inputs": inputs, "sections": _sections(inputs)}


def _label(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        label = json.loads(text)
    except ValueError:
        return {"source": "unknown", "label": text, "synthetic": ["all"]}
    return label if isinstance(label, dict) else None


def _unique(items) -> list:
    return list(dict.fromkeys(item for item in items if item))


def _parts(labels) -> list[str]:
    """Each label once, a merged one ("a + b") taken apart; the Hub's own says nothing."""
    return _unique(part.strip() for label in labels for part in (label or "").split(" + ")
                   if part.strip() and part.strip() != "the Hub listing")


def _where(block: dict) -> str:
    """'the Hub', 'a replay Hub (replay of the bundled facts)', ..."""
    sources, labels = block["sources"], _parts(block["labels"])
    if not sources:
        return "a source not recorded (read before lineupwatch kept it)" if block.get("unlabelled") else "nothing yet"
    if sources == ["hub"]:
        return "the Hub's own listings"
    return f"a replay Hub ({'; '.join(labels)})" if labels else "a replay Hub"


def _source_text(block: dict) -> str:
    since = f" since {block['since']}" if block.get("since") else ""
    where = _where(block)
    if block["what"] == "the Hub-wide stream":
        text = f"the Hub-wide stream read by this monitor{since}, from {where}"
    elif block["what"] == "counters":
        text = f"the counters (downloads, likes, child counts) of this monitor's own polls{since}, from {where}"
    else:
        text = f"this monitor's own polls{since}, of {where}"
    if block["synthetic"]:
        names = block["synthetic"]
        text += f" (SYNTHETIC: {_figures(names)} {'is' if len(names) == 1 and names[0] != 'all' else 'are'} made up)"
    return text


def _figures(names: list[str]) -> str:
    order = list(_FIGURE_WORDS)
    names = sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))
    words = [_FIGURE_WORDS.get(name, name) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _headline(synthetic: list[str], inputs: dict) -> str:
    labels = _parts(label for block in inputs.values() if block["synthetic"] for label in block["labels"])
    return (f"SYNTHETIC DATA: {_figures(synthetic)} in this report are made up"
            + (f" ({'; '.join(labels)})." if labels else "."))


def _sections(inputs: dict) -> dict[str, dict]:
    """Per section of the report: its source line and whether it rests on made-up figures."""
    org, counters, stream = inputs["org_polls"], inputs["counters"], inputs.get("stream")

    def line(*blocks: dict | None) -> dict:
        present = [b for b in blocks if b]
        return {"source": "; ".join(b["source"] for b in present),
                "synthetic": any(b["synthetic"] for b in present)}

    return {"forecasts": line(org), "lineup": line(org), "coverage": line(org), "licences": line(org),
            "adoption": line(counters), "ecosystem": line(stream), "resilience": line(stream),
            "fits": line(org, stream), "community_builds": line(stream)}
