"""Packed integer columns: how the raw archive stores a listing's doc ids and counters.

A report's adoption scores read one counter of a few repos in thousands of listings (each org's,
at each poll day an entry's age falls on). As compressed JSON each read parsed a whole listing,
about 0.3 ms. Here:
- doc ids are fixed-width little-endian integers, not compressed: a repo's position in a listing
  is a `bytes.rfind` of its doc id, in C, without decoding the listing;
- a seekable counter column (the one the adoption scores read) is fixed-width too, so the value
  at a position is a slice;
- the other counter columns are 64-bit integers, byte-shuffled (each value's lowest byte first,
  then each second byte, ... as Blosc does) and zlib'd: the high bytes of counts are almost all
  zero and compress to nothing, a fifth smaller than the JSON was; decoding runs in C.

A blob starts with `MAGIC`, a byte no zlib stream starts with, so migration m070 tells these
from the JSON columns of earlier releases.

Counters keep every JSON value the Hub sent: a key a repo lacked (`absent`) and any value that is
not an integer the column's width holds (null, a float, a string: `other`) are listed in a small
JSON header; the column holds 0 there.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from array import array

MAGIC = b"\x01"
_TYPECODES = {4: "I", 8: "q"}  # fixed widths: unsigned 32-bit when every value fits, else signed 64-bit
_SIGNED = {4: False, 8: True}
_INT64 = range(-2 ** 63, 2 ** 63)
_UINT32 = range(2 ** 32)
_HEADER = struct.Struct(">I")


def is_packed(blob: bytes) -> bool:
    return blob[:1] == MAGIC


def pack_ints(values: list[int]) -> bytes:
    """Doc ids in listing order (SQLite rowids, so within 64 bits): MAGIC, the width in bytes,
    the fixed-width values."""
    width = 4 if all(v in _UINT32 for v in values) else 8
    return MAGIC + bytes([width]) + _fixed(values, width)


def unpack_ints(blob: bytes) -> list[int]:
    return _from_fixed(blob[2:], blob[1])


def max_int(blob: bytes) -> int:
    """The largest of packed ints (-1 if none), without decoding them to a list."""
    if sys.byteorder == "big":
        return max(unpack_ints(blob), default=-1)
    return max(memoryview(blob)[2:].cast(_TYPECODES[blob[1]]), default=-1)


def last_position(blob: bytes, value: int, after: int = -1, before: int | None = None) -> int:
    """The last position of a value in packed ints, between two positions if given, or -1."""
    width = blob[1]
    if value not in (_UINT32 if width == 4 else _INT64):
        return -1
    needle, start = value.to_bytes(width, "little", signed=width == 8), 2 + (after + 1) * width
    end = len(blob) if before is None else 2 + before * width
    at = blob.rfind(needle, start, end)
    while at >= 0 and (at - 2) % width:  # a match across two values: look further back
        at = blob.rfind(needle, start, at + width - 1)
    return -1 if at < 0 else (at - 2) // width


def pack_counters(rows: list[dict], keys: tuple[str, ...], seekable: tuple[str, ...] = ()) -> bytes:
    """One column per key some row has, fixed-width for the `seekable` keys, shuffled and zlib'd
    for the others; header: each column's key, byte size and width (0: zlib'd), the positions
    where a key is absent, and the values the column cannot hold."""
    columns, absent, other, bodies = [], {}, {}, []
    for key in keys:
        present = [key in row for row in rows]
        if not any(present):
            continue
        values = [row.get(key) for row in rows]
        width = 0 if key not in seekable else 4 if all(v in _UINT32 for v in values if type(v) is int and v in _INT64) \
            else 8  # a value past 64 bits goes to the header whatever the width
        fits = _UINT32 if width == 4 else _INT64
        holds = [type(value) is int and value in fits for value in values]
        odd = [[i, value] for i, value in enumerate(values) if present[i] and not holds[i]]
        if missing := [i for i, here in enumerate(present) if not here]:
            absent[key] = missing
        if odd:
            other[key] = odd
        ints = [value if held else 0 for value, held in zip(values, holds)]
        body = _fixed(ints, width) if width else _shuffled(ints)
        columns.append([key, len(body), width])
        bodies.append(body)
    header = json.dumps({"absent": absent, "columns": columns, "other": other}, sort_keys=True,
                        separators=(",", ":"), ensure_ascii=False).encode()
    return MAGIC + _HEADER.pack(len(header)) + header + b"".join(bodies)


class Counts:
    """One counter column of a counters blob, read at positions: the integers only (None where a
    repo lacked the key or sent something else)."""

    def __init__(self, blob: bytes, key: str) -> None:
        column = _column(blob, key)
        self.found = column is not None
        if column is not None:
            header, self._body, self.width = column
            self._odd = {i: value if type(value) is int else None for i, value in header["other"].get(key, ())}
            self._odd.update(dict.fromkeys(header["absent"].get(key, ())))
            self._values = None if self.width else _unshuffled(self._body)

    def at(self, position: int) -> int | None:
        if not self.found:
            return None
        if position in self._odd:  # absent, or not an integer the column holds (a huge one is kept here)
            return self._odd[position]
        if self._values is not None:
            return self._values[position]
        at = position * self.width
        return int.from_bytes(self._body[at:at + self.width], "little", signed=_SIGNED[self.width])


def counter_column(blob: bytes, key: str) -> list | None:
    """One key's values by position as the Hub sent them (None where absent), or None if no row
    had the key: decodes that column alone."""
    if (column := _column(blob, key)) is None:
        return None
    header, body, width = column
    values: list = _from_fixed(body, width) if width else _unshuffled(body)
    for i in header["absent"].get(key, ()):
        values[i] = None
    for i, value in header["other"].get(key, ()):
        values[i] = value
    return values


def unpack_counters(blob: bytes, count: int) -> list[dict]:
    """Every row's counters as the Hub sent them (absent keys absent)."""
    header, _ = _header(blob)
    rows: list[dict] = [{} for _ in range(count)]
    for key, _size, _width in header["columns"]:
        missing = set(header["absent"].get(key, ()))
        for i, value in enumerate(counter_column(blob, key) or ()):
            if i not in missing:
                rows[i][key] = value
    return rows


def _column(blob: bytes, key: str) -> tuple[dict, bytes, int] | None:
    """(the header, the column's bytes, its width) of one key, or None if no row had it."""
    header, start = _header(blob)
    for name, size, width in header["columns"]:
        if name == key:
            return header, blob[start:start + size], width
        start += size
    return None


def _header(blob: bytes) -> tuple[dict, int]:
    (size,) = _HEADER.unpack_from(blob, 1)
    start = 1 + _HEADER.size
    return json.loads(blob[start:start + size]), start + size


def _fixed(values: list[int], width: int) -> bytes:
    column = array(_TYPECODES[width], values)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def _from_fixed(body: bytes, width: int) -> list[int]:
    column = array(_TYPECODES[width], body)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tolist()


def _shuffled(values: list[int]) -> bytes:
    raw = _fixed(values, 8)
    return zlib.compress(b"".join(raw[i::8] for i in range(8)), 9)


def _unshuffled(body: bytes) -> list[int]:
    planes = zlib.decompress(body)
    n = len(planes) // 8
    raw = bytearray(len(planes))
    for i in range(8):
        raw[i::8] = planes[i * n:(i + 1) * n]
    return _from_fixed(bytes(raw), 8)
