"""What the replay Hub says about what it serves: the provenance label of its listing answers.

Whoever builds a ReplayHub knows what it serves and labels it with one of these (structured data,
sent as JSON in the `X-Lineupwatch-Provenance` header of every listing answer). The real Hub sends
no such header. `synthetic` names the figures that are made up; an empty list means none are.
"""

from __future__ import annotations

HEADER = "X-Lineupwatch-Provenance"

# The bundled Hub state and its timeline: real repos and dates, made-up counters (data/README.md).
BUNDLED = {"source": "replay", "label": "replay of the bundled facts", "synthetic": ["children", "downloads", "likes"]}
# The Hub-wide stream generator (synthetic_stream.py): every repo it serves is made up.
SYNTHETIC_STREAM = {"source": "synthetic", "label": "SYNTHETIC stream generator", "synthetic": ["stream"]}
# A Hub-state file of recorded real Hub answers (`replay-hub --data FILE`).
RECORDED = {"source": "replay", "label": "replay of recorded Hub answers", "synthetic": []}


def merged(labels: list[dict]) -> dict:
    """One label for an answer that mixes sources (the stream listing merges the state's repos with
    the generator's): every synthetic figure of each, the first label's source."""
    if not labels:
        return dict(RECORDED)
    synthetic = sorted({name for label in labels for name in label.get("synthetic", [])})
    text = " + ".join(dict.fromkeys(label.get("label", "") for label in labels))
    return {"source": labels[0].get("source", "replay"), "label": text, "synthetic": synthetic}
