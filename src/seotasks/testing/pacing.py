"""`most_in_window`: how many calls a vendor counting in a sliding window saw at once.

Vendors state limits as "N calls a minute" and refuse the call that would make N+1 in any
sliding window of that length; a pacing test or benchmark records when each call reached
the emulator and checks the busiest window, not the average rate (which can be under the
limit while a burst is not).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["most_in_window"]


def most_in_window(stamps: Iterable[float], seconds: float) -> int:
    """The most ``stamps`` (times in seconds, any order) inside any half-open window
    ``[t, t + seconds)``: a call exactly ``seconds`` after another is in the next window,
    as a vendor's sliding window counts it."""
    ordered = sorted(stamps)
    most = start = 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most
