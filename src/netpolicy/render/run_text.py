"""Sets of sorted integers as runs, `0-5,9,12-14` (the `ports` syntax), many sets at once: numpy finds
the runs and writes their digits into one buffer, so no Python code runs per number."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

#: Members turned into text at a time: bounds the memory of the buffers.
CHUNK = 1 << 18
#: 10, 100, …: a number has one digit more than the powers of ten it reaches.
_POWERS = 10 ** np.arange(1, 19, dtype=np.int64)
_COMMA, _HYPHEN, _ZERO = ord(","), ord("-"), ord("0")


def run_texts(sets: Sequence[np.ndarray]) -> Iterator[str]:
    """Each set of sorted non-negative integers as its runs, in order (`""` for an empty set)."""
    sizes = np.array([len(members) for members in sets], dtype=np.int64)
    ends = np.cumsum(sizes)
    start = 0
    while start < len(sets):
        done = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + CHUNK, side="right")))
        yield from _chunk_texts(np.concatenate(sets[start:stop]).astype(np.int64), sizes[start:stop])
        start = stop


def _chunk_texts(flat: np.ndarray, sizes: np.ndarray) -> list[str]:
    """The texts of consecutive sets given as their concatenated members and sizes. A run starts at a
    set's start or where a member does not follow the one before; each run is written with a comma
    after it, which the set's text leaves off."""
    ends = np.cumsum(sizes)
    if not len(flat):
        return [""] * len(sizes)
    head = np.empty(len(flat), dtype=bool)
    head[0] = True
    head[1:] = np.diff(flat) != 1
    head[(ends - sizes)[sizes > 0]] = True
    heads = np.flatnonzero(head)
    firsts, lasts = flat[heads], flat[np.append(heads[1:] - 1, len(flat) - 1)]
    ranged = firsts != lasts
    first_digits = _digit_counts(firsts)
    last_digits = np.where(ranged, _digit_counts(lasts), 0)
    widths = first_digits + ranged * (1 + last_digits) + 1
    offsets = np.cumsum(widths) - widths
    buffer = np.full(int(widths.sum()), _COMMA, dtype=np.uint8)
    _write_digits(buffer, offsets, firsts, first_digits)
    buffer[(offsets + first_digits)[ranged]] = _HYPHEN
    _write_digits(buffer, (offsets + first_digits + 1)[ranged], lasts[ranged], last_digits[ranged])
    text = buffer.tobytes().decode("ascii")
    runs = np.bincount(np.searchsorted(ends, heads, side="right"), minlength=len(sizes))
    after = np.cumsum(runs)  # one past each set's last run (an empty set: where its runs would start)
    last = len(heads) - 1
    starts = np.where(runs > 0, offsets[np.minimum(after - runs, last)], 0)
    stops = np.where(runs > 0, (offsets + widths - 1)[np.maximum(after - 1, 0)], 0)
    return [text[a:b] for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]


def _digit_counts(numbers: np.ndarray) -> np.ndarray:
    return 1 + np.searchsorted(_POWERS, numbers, side="right")


def _write_digits(buffer: np.ndarray, offsets: np.ndarray, numbers: np.ndarray, digits: np.ndarray) -> None:
    """Write each number's decimal digits into `buffer` from its offset (`digits` of them)."""
    ends = offsets + digits - 1
    place = 0
    while len(numbers):
        numbers, digit = np.divmod(numbers, 10)
        buffer[ends - place] = _ZERO + digit
        longer = digits > place + 1
        numbers, digits, ends = numbers[longer], digits[longer], ends[longer]
        place += 1
