"""Lines from the Hub's own task list: every pipeline tag the Hub defines maps to a line.

Why a copy of the Hub's list: a tag the code does not know must never fall into the counted LM
line (MiniMax-H3 is `image-text-to-video`, MiniMax-Music3 `text-to-audio`: neither is a language
model). Each tag below is mapped on purpose; a tag outside this list is "other", never "lm".

Which rule decides, in order (the record keeps it as `line_source`):
- `name`: a line word in the repo name (Embedding, Guard, VL, Coder ...; names.py's rules);
- `pipeline`: the repo's `pipeline_tag`;
- `tags`: no pipeline tag, but a task of the list among the repo's tags;
- `library`: no task anywhere, but a library that makes one kind of model (diffusers: image);
- `default`: nothing says: "lm". The name rules already had their say, and a silent original of
  a watched LM family is far more often a language model (custom code, no card) than anything else.
"""

from __future__ import annotations

from collections.abc import Iterable

# Every line a record can have, with the label entries and reports show.
LINE_LABELS: dict[str, str] = {
    "lm": "LM", "coder": "Coder", "vl": "VL", "omni": "Omni", "math": "Math", "embedding": "Embedding",
    "reranker": "Reranker", "guard": "Guard", "audio": "Audio", "asr": "ASR", "tts": "TTS", "image": "Image",
    "reward": "Reward", "interpretability": "Interpretability", "world-model": "World model", "ocr": "OCR",
    "nlp": "NLP", "vision": "Vision", "video": "Video", "3d": "3D", "tabular": "Tabular", "robotics": "Robotics",
    "other": "Other",
}

# The Hub's task list: PIPELINE_DATA in huggingface.js packages/tasks/src/pipelines.ts
# (github.com/huggingface/huggingface.js at fe42e68017ffc76d09922ea8f9b38a6964345710, 2026-08-21;
# the file last changed in 2c2de8989f91496da71ac8a68de3477566641633, 2025-12-05), all 57 tags in
# the file's order, with the line lineupwatch files each under. Generative models whose output is
# text are LMs whatever they read (Qwen3.5 and Gemma 3 are `image-text-to-text`): a VL name makes
# them VL. Task heads (classification, extraction, QA over spans) are "nlp" or "vision".
HUB_TASK_LINES: dict[str, str] = {
    "text-classification": "nlp",
    "token-classification": "nlp",
    "table-question-answering": "nlp",
    "question-answering": "nlp",
    "zero-shot-classification": "nlp",
    "translation": "nlp",
    "summarization": "nlp",
    "feature-extraction": "embedding",
    "text-generation": "lm",
    "fill-mask": "nlp",
    "sentence-similarity": "embedding",
    "text-to-speech": "tts",
    "text-to-audio": "audio",
    "automatic-speech-recognition": "asr",
    "audio-to-audio": "audio",
    "audio-classification": "audio",
    "audio-text-to-text": "audio",
    "voice-activity-detection": "audio",
    "depth-estimation": "vision",
    "image-classification": "vision",
    "object-detection": "vision",
    "image-segmentation": "vision",
    "text-to-image": "image",
    "image-to-text": "vl",
    "image-to-image": "image",
    "image-to-video": "video",
    "unconditional-image-generation": "image",
    "video-classification": "vision",
    "reinforcement-learning": "robotics",
    "robotics": "robotics",
    "tabular-classification": "tabular",
    "tabular-regression": "tabular",
    "tabular-to-text": "tabular",
    "table-to-text": "nlp",
    "multiple-choice": "nlp",
    "text-ranking": "reranker",
    "text-retrieval": "embedding",
    "time-series-forecasting": "tabular",
    "text-to-video": "video",
    "image-text-to-text": "lm",
    "image-text-to-image": "image",
    "image-text-to-video": "video",
    "visual-question-answering": "vision",
    "document-question-answering": "vision",
    "zero-shot-image-classification": "vision",
    "graph-ml": "other",
    "mask-generation": "vision",
    "zero-shot-object-detection": "vision",
    "text-to-3d": "3d",
    "image-to-3d": "3d",
    "image-feature-extraction": "embedding",
    "video-text-to-text": "lm",
    "keypoint-detection": "vision",
    "visual-document-retrieval": "embedding",
    "any-to-any": "omni",
    "video-to-video": "video",
    "other": "other",
}

# Tags the Hub no longer defines but older repos still carry (text2text-generation left the list
# in huggingface.js 7087d29, July 2025: google/flan-t5-xxl still shows it).
LEGACY_TASK_LINES: dict[str, str] = {"text2text-generation": "lm", "conversational": "lm"}

# Libraries that make one kind of model, for repos that name no task at all.
LIBRARY_LINES: dict[str, str] = {
    "sentence-transformers": "embedding", "diffusers": "image", "timm": "vision", "open_clip": "embedding",
    "espnet": "audio", "speechbrain": "audio", "pyannote-audio": "audio", "stable-baselines3": "robotics",
    "ml-agents": "robotics", "lerobot": "robotics",
}

LINE_SOURCES = ("name", "pipeline", "tags", "library", "default")


def task_line(tag: str) -> str:
    """The line of one pipeline tag; a tag the Hub does not define is "other", never "lm"."""
    return HUB_TASK_LINES.get(tag) or LEGACY_TASK_LINES.get(tag) or "other"


def line_from_hub(pipeline_tag: object, tags: Iterable[object], library: object) -> tuple[str, str]:
    """(line, source) from what the Hub says about a repo whose name names no line."""
    if isinstance(pipeline_tag, str) and pipeline_tag:
        return task_line(pipeline_tag), "pipeline"
    known = [t for t in tags if isinstance(t, str) and (t in HUB_TASK_LINES or t in LEGACY_TASK_LINES)]
    if known:
        return task_line(known[0]), "tags"
    if isinstance(library, str) and library in LIBRARY_LINES:
        return LIBRARY_LINES[library], "library"
    return "lm", "default"
