"""Words from numbers: the one place a figure becomes a phrase, so a sentence never says more than
its figures do. Forecast summaries, alert subjects and the report's headlines all call these.

Pure, and each band is stated here (and in docs/forecasts.md) so a test can check words against
the numbers they rest on.
"""

from __future__ import annotations

# A pace ratio (releases per 30 days since the baseline / releases per 30 days before) in words:
# the first band whose upper bound the ratio is below (the last band has no bound).
PACE_BANDS: tuple[tuple[float, str, str], ...] = (
    # (upper bound, exclusive; words; direction)
    (0.35, "well under half its old pace", "slower"),
    (0.65, "about half its old pace", "slower"),
    (0.9, "slower than its old pace", "slower"),
    (1.1 + 1e-9, "about its old pace", "unchanged"),  # 0.9 to 1.1, both included
    (1.5, "faster than its old pace", "faster"),
    (2.5, "about twice its old pace", "faster"),
)  # 2.5 and over: "about N times its old pace"; 0: "no release at all"


def pace_ratio(new_rate: float | None, old_rate: float | None) -> float | None:
    """new / old, rounded to two places; None when there is no old pace to compare with."""
    if new_rate is None or not old_rate:
        return None
    return round(new_rate / old_rate, 2)


def pace_words(ratio: float | None) -> str:
    """'about half its old pace' for 0.56: a pace ratio in words (bands in PACE_BANDS).

    >>> pace_words(0.56), pace_words(1.0), pace_words(3.2)
    ('about half its old pace', 'about its old pace', 'about 3 times its old pace')
    """
    if ratio is None:
        return "no old pace to compare with"
    if ratio <= 0:
        return "no release at all"
    for bound, words, _ in PACE_BANDS:
        if ratio < bound:
            return words
    return f"about {round(ratio)} times its old pace"


def pace_direction(ratio: float | None) -> str | None:
    """'slower', 'unchanged' or 'faster' (the bands of PACE_BANDS); None without an old pace."""
    if ratio is None:
        return None
    for bound, _, direction in PACE_BANDS:
        if ratio < bound:
            return direction
    return "faster"


def times(ratio: float) -> str:
    """'1.6x', '0.56x': a ratio as a reader writes it (two significant places below 1)."""
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x"


def size_ratio(new_b: float | None, old_b: float | None) -> float | None:
    if not new_b or not old_b:
        return None
    return new_b / old_b


def is_bigger(new_b: float | None, old_b: float | None, margin: float) -> bool:
    """Bigger than before only by at least `margin` times (1.25: +2% is the same size class of model)."""
    ratio = size_ratio(new_b, old_b)
    return ratio is not None and ratio >= margin


def size_words(new_b: float, old_b: float, margin: float) -> str:
    """How a new model's size compares with the largest before it, from the two sizes:
    'bigger than any model it had opened before (2400B, 5.0x its previous largest, 480B)', or
    'about the size of the largest it had opened before (246B, +2% on 241B)'."""
    ratio = new_b / old_b
    if ratio >= margin:
        return f"bigger than any model it had opened before ({new_b:g}B, {times(ratio)} its previous largest, {old_b:g}B)"
    change = (ratio - 1) * 100
    if ratio >= 1:
        return (f"about the size of the largest it had opened before ({new_b:g}B, {change:+.0f}% on {old_b:g}B, "
                f"under the {margin:g}x margin)")
    return f"smaller than the largest it had opened before ({new_b:g}B against {old_b:g}B)"


def days_words(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def gap_words(days: int, reference: float | None, what: str) -> str:
    """'264 days, 1.6x Qwen's longest gap between small-model waves before the baseline (161 days)':
    a gap beside a reference gap, as a ratio."""
    if not reference:
        return days_words(days)
    return f"{days_words(days)}, {times(days / reference)} {what} ({reference:g} days)"
