"""Packed integer columns (packing.py): every value the Hub can send comes back as it was, and the
seeking reads agree with decoding the whole column. The payloads here are made up to be odd."""

from __future__ import annotations

import random

import pytest

from lineupwatch.store import packing

KEYS = ("downloads", "downloadsAllTime", "likes", "trendingScore")
ODD_ROWS = [
    {"downloads": 5, "downloadsAllTime": 50, "likes": '"downloadsAllTime":[9,9]'},
    {"downloads": None, "likes": {"columns": {"downloadsAllTime": [1]}}},
    {"downloadsAllTime": 7, "trendingScore": 1.5, "likes": ['"downloads":[', "]"]},
    {},
    {"downloads": True, "downloadsAllTime": 2 ** 40, "likes": -3, "trendingScore": 2 ** 70},
    {"downloads": 0, "downloadsAllTime": -(2 ** 63), "likes": 2 ** 63 - 1, "trendingScore": -(2 ** 64)},
]


@pytest.mark.parametrize("seekable", [(), ("downloadsAllTime",), KEYS], ids=["shuffled", "one-seekable", "all-seekable"])
def test_counters_come_back_as_the_hub_sent_them(seekable: tuple[str, ...]) -> None:
    blob = packing.pack_counters(ODD_ROWS, KEYS, seekable)
    assert packing.is_packed(blob)
    assert packing.unpack_counters(blob, len(ODD_ROWS)) == ODD_ROWS
    for key in KEYS:
        column = [row.get(key) for row in ODD_ROWS]
        assert packing.counter_column(blob, key) == column
        counts = packing.Counts(blob, key)
        assert [counts.at(i) for i in range(len(ODD_ROWS))] == [
            value if type(value) is int else None for value in column]  # bools, floats, strings: no count
    assert packing.counter_column(packing.pack_counters([{"likes": 1}], KEYS), "downloadsAllTime") is None
    assert packing.Counts(packing.pack_counters([{"likes": 1}], KEYS), "downloadsAllTime").at(0) is None


def test_a_seekable_column_is_four_bytes_a_value_while_the_counts_fit() -> None:
    rows = [{"downloadsAllTime": n} for n in (0, 1, 2 ** 32 - 1)]
    small = packing.pack_counters(rows, KEYS, ("downloadsAllTime",))
    large = packing.pack_counters([*rows, {"downloadsAllTime": 2 ** 32}], KEYS, ("downloadsAllTime",))
    assert len(large) - len(small) > 4 * len(rows)  # every value widened to 8 bytes
    assert packing.counter_column(large, "downloadsAllTime") == [0, 1, 2 ** 32 - 1, 2 ** 32]
    assert packing.Counts(large, "downloadsAllTime").at(3) == 2 ** 32


@pytest.mark.parametrize("values", [[], [1], [3, 1, 2, 3, 300, 70000], [2 ** 32 + 5, 7, 2 ** 32 + 5], [-5, 3, -5]])
def test_ints_round_trip_and_their_last_position_is_found(values: list[int]) -> None:
    blob = packing.pack_ints(values)
    assert packing.unpack_ints(blob) == values
    assert packing.max_int(blob) == max(values, default=-1)
    for value in {*values, 0, 4, 2 ** 40}:
        expected = max((i for i, v in enumerate(values) if v == value), default=-1)
        assert packing.last_position(blob, value) == expected


def test_a_match_straddling_two_values_is_not_a_position() -> None:
    """256 is 00 01 00 00 in the blob; [1 << 24, 0] is 00 00 00 01 00 00 00 00, which holds those
    four bytes across its two values: only an aligned match is a position."""
    straddling = packing.pack_ints([1 << 24, 0])
    assert straddling.find((256).to_bytes(4, "little")) == 2 + 2  # the trap is there
    assert packing.last_position(straddling, 256) == -1
    blob = packing.pack_ints([1 << 24, 0, 256])
    assert packing.last_position(blob, 256) == 2
    assert packing.last_position(blob, 256, before=2) == -1


def test_seeking_agrees_with_decoding_on_random_listings() -> None:
    rng = random.Random(12)
    for _ in range(200):
        ids = [rng.choice([rng.randrange(1, 60), rng.randrange(1, 2 ** 33)]) for _ in range(rng.randrange(0, 40))]
        blob = packing.pack_ints(ids)
        for value in ids[:5] + [rng.randrange(1, 60)]:
            after = rng.randrange(-1, len(ids) + 1)
            before = rng.choice([None, rng.randrange(0, len(ids) + 1)])
            end = len(ids) if before is None else before
            expected = max((i for i in range(after + 1, end) if ids[i] == value), default=-1)
            assert packing.last_position(blob, value, after=after, before=before) == expected
