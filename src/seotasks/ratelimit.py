"""Client-side pacing, so a well-behaved run never meets the vendor's rate limit.

Vendors state limits as "N calls per period" (DataForSEO ``tasks_ready``: 20 a minute).
A sliding-window log is used rather than a token bucket: it guarantees at most N calls
in *any* window of one period, which satisfies a vendor that counts per calendar minute
and one that counts over a sliding minute alike, while still allowing the first N calls
at once. A small margin absorbs the network delay between our clock and the vendor's.

Limits are keyed by a request's ``endpoint``. Some vendors limit each *resource* rather
than each endpoint (Apify: 30 requests a second per dataset, per run): a key holding
``*`` is a pattern (``"datasets/*"``), and every endpoint it matches
(``"datasets/abc123"``) gets a window of its own with the pattern's limit
(`limit_key`). The emulators' `seotasks.emulation.ServerRateLimit` reads the same keys.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from fractions import Fraction

import attrs

from .cancel import stop_for
from .clock import Clock
from .errors import Interrupted

__all__ = ["Pacer", "RateLimit", "Slot", "limit_key"]

#: Resource windows a pacer keeps before it drops the idle ones (each is a few hundred
#: bytes; a long run over thousands of datasets must not keep one per dataset forever).
_PRUNE_AT = 256


@functools.lru_cache(maxsize=64)
def _pattern(key: str) -> re.Pattern[str]:
    """``key`` as a pattern: ``*`` matches any run of characters, nothing else is special."""
    return re.compile(".*".join(re.escape(part) for part in key.split("*")), re.DOTALL)


def limit_key(keys: Iterable[str], endpoint: str) -> str | None:
    """The key of a limits table that governs ``endpoint``: ``endpoint`` itself when it
    is a key, else the first key holding ``*`` that matches all of it, else ``None``.

    A pattern limits each endpoint it matches on its own: ``"datasets/*"`` at 30 a second
    allows 30 calls a second to ``"datasets/a"`` *and* 30 to ``"datasets/b"``. Put the
    resource in the endpoint (``Request(endpoint=f"datasets/{dataset_id}")``) and declare
    the pattern; an endpoint no key matches is not limited.
    """
    candidates = list(keys)
    if endpoint in candidates:
        return endpoint
    for key in candidates:
        if "*" in key and _pattern(key).fullmatch(endpoint):
            return key
    return None


#: Real seconds a caller waiting for room waits for the oldest call's answer. The
#: transport answers every slot (``finally``) within its connect and read timeouts; this
#: only bounds the wait should a caller of `Pacer.reserve` forget `Slot.done`, after which
#: the call counts from its send time.
_ANSWER_WAIT = 300.0
#: Real seconds between checks of the stop flag while waiting for another call's answer.
_STOP_CHECK = 0.25


@attrs.frozen(slots=True)
class RateLimit:
    """At most ``calls`` calls in any ``period`` seconds."""

    calls: int = attrs.field(validator=attrs.validators.gt(0))
    period: float = attrs.field(validator=attrs.validators.gt(0))

    @classmethod
    def per_minute(cls, calls: int) -> RateLimit:
        return cls(calls, 60.0)

    @classmethod
    def per_second(cls, calls: float) -> RateLimit:
        """``calls`` may be fractional: 0.5 is one call every two seconds, 2.5 five every two.
        A rate under one call in 1000 s, which the fraction would round to no call at
        all, is one call every ``1 / calls`` seconds."""
        if calls <= 0:
            raise ValueError("calls per second must be positive")
        ratio = Fraction(calls).limit_denominator(1000)
        if not ratio:
            return cls(1, 1 / calls)
        return cls(ratio.numerator, float(ratio.denominator))


class Slot:
    """One paced call's place in its window: when it counts from, and how long it waited.

    The window counts a call from when it was sent until `done` moves it to when its
    answer arrived. The vendor stamped the call somewhere between the two, so counting
    from the answer is never early, however slow the network was: a window that starts
    at the send time could start before the vendor's, by as much as the call's latency.
    """

    __slots__ = ("_answered", "_clock", "at", "waited")

    def __init__(self, at: float, waited: float, clock: Clock, *, answered: bool = False) -> None:
        self.at = at
        self.waited = waited
        self._clock = clock
        self._answered = threading.Event()
        if answered:
            self._answered.set()

    def done(self) -> None:
        """The answer (or the failure) arrived: the call counts from now.

        No window lock: a caller waiting for room holds the window's lock while it
        sleeps, and an answer must not wait behind it. One float store is atomic, and
        the event tells a caller waiting on this slot (see `Pacer.reserve`) that ``at``
        is final.
        """
        self.at = max(self.at, self._clock.monotonic())
        self._answered.set()

    def answered(self) -> bool:
        """Whether `done` was called: ``at`` is final."""
        return self._answered.is_set()

    def wait_answered(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Block (real time, at most ``timeout`` seconds) until `done`; False if it never came.

        With ``stop``, checked every quarter second: `Interrupted` once it is set.
        """
        if stop is None:
            return self._answered.wait(timeout)
        left = timeout
        while left > 0:
            if self._answered.wait(min(left, _STOP_CHECK)):
                return True
            if stop.is_set():
                raise Interrupted("stopped while waiting for the answer of an earlier call")
            left -= _STOP_CHECK
        return False


class _Window:
    def __init__(self, limit: RateLimit, margin: float) -> None:
        self.limit = limit
        self.span = limit.period * (1.0 + margin)
        self.stamps: deque[Slot] = deque(maxlen=limit.calls)
        self.lock = threading.Lock()
        #: Dropped from the pacer as idle (a resource window): a caller that got it
        #: before that looks its window up again rather than count in a lost one.
        self.retired = False

    def idle(self, now: float) -> bool:
        """No call in it could still hold a later one back (caller holds ``lock``)."""
        return all(slot.answered() and slot.at + self.span <= now for slot in self.stamps)


#: How many unpaced endpoints a `Pacer` remembers (a name per resource must not grow it).
_UNPACED_KEPT = 64


class Pacer:
    """Thread-safe per-endpoint pacing; one per client, shared by all its threads.

    ``reserve(endpoint)`` blocks (on the injected clock) until a call to ``endpoint``
    fits in its limit and records it; the transport calls ``done()`` on the returned
    `Slot` when the answer arrives. Endpoints without a declared limit pass straight
    through. A limit keyed by a pattern (``"datasets/*"``, see `limit_key`) paces each
    matching endpoint in a window of its own, made on its first call and dropped once
    idle when there are many.
    """

    def __init__(
        self,
        limits: dict[str, RateLimit],
        clock: Clock,
        *,
        margin: float = 0.02,
        stop: threading.Event | None = None,
    ) -> None:
        self._clock = clock
        #: Set it to end every wait at once with `Interrupted` (see `Transport.interrupt`).
        self.stop = stop if stop is not None else threading.Event()
        self._margin = margin
        self._limits = dict(limits)
        self._windows = {
            name: _Window(limit, margin) for name, limit in limits.items() if "*" not in name
        }
        self._has_patterns = any("*" in name for name in limits)
        #: Windows of endpoints matched by a pattern key, made as they are first called.
        self._resources: dict[str, _Window] = {}
        self._resources_lock = threading.Lock()
        self._prune_at = _PRUNE_AT
        self.waited = 0.0
        #: Endpoints called that no limit paces (the first `_UNPACED_KEPT`): a key of
        #: ``rate_limits`` spelt unlike the requests' ``endpoint`` shows here, not as
        #: the vendor's refusals at the first busy minute.
        self.unpaced: set[str] = set()
        #: The slot each thread was last handed by `reserve` and has not `settle`d.
        self._held = threading.local()

    def limit_for(self, endpoint: str) -> RateLimit | None:
        """The limit that paces ``endpoint`` (its own key's, or its pattern's), or None."""
        key = limit_key(self._limits, endpoint)
        return None if key is None else self._limits[key]

    def _window(self, endpoint: str) -> _Window | None:
        window = self._windows.get(endpoint)
        if window is not None or not self._has_patterns:
            return window
        with self._resources_lock:
            window = self._resources.get(endpoint)
            if window is not None:
                return window
            key = limit_key(self._limits, endpoint)
            if key is None:
                return None
            if len(self._resources) >= self._prune_at:
                self._prune()
            window = self._resources[endpoint] = _Window(self._limits[key], self._margin)
            return window

    def _prune(self) -> None:
        """Drop idle resource windows (caller holds ``_resources_lock``). A window in
        use (its lock held: a caller is counting or waiting in it) is kept."""
        now = self._clock.monotonic()
        for endpoint, window in list(self._resources.items()):
            if not window.lock.acquire(blocking=False):
                continue
            try:
                if window.idle(now):
                    window.retired = True
                    del self._resources[endpoint]
            finally:
                window.lock.release()
        self._prune_at = max(_PRUNE_AT, 2 * len(self._resources))

    def acquire(self, endpoint: str) -> float:
        """Wait for room, record the call as sent and answered now; return the seconds waited.

        For callers that do not report answers: the call counts from the moment it got
        its room, as if it were answered at once.
        """
        slot = self.reserve(endpoint)
        self.settle()
        return slot.waited

    def reserve(self, endpoint: str, on_wait: Callable[[float], None] | None = None) -> Slot:
        """Wait for room and record the call; call ``done()`` on the slot when it is answered.

        ``on_wait`` is called with the expected wait before the first sleep, so a caller
        can say what it is waiting for while it waits rather than after. Once `stop` is
        set, a wait ends at once with `Interrupted` and no call is recorded.
        """
        while True:
            window = self._window(endpoint)
            if window is None:
                if len(self.unpaced) < _UNPACED_KEPT:
                    self.unpaced.add(endpoint)
                return Slot(0.0, 0.0, self._clock)
            slot = self._reserve_in(window, endpoint, on_wait)
            if slot is not None:
                return slot

    def _reserve_in(
        self, window: _Window, endpoint: str, on_wait: Callable[[float], None] | None
    ) -> Slot | None:
        """`reserve` in ``window``; None when it was retired meanwhile (look it up again)."""
        waited = 0.0
        # The window's lock is held while sleeping on purpose: callers queue up in
        # order instead of all waking at the same instant and racing for one slot.
        with window.lock:
            if window.retired:
                return None
            # A loop for the one case where the wait is worked out from a send time: the
            # oldest call's answer did not come within _ANSWER_WAIT. Should it arrive
            # while we sleep, it moves the window's start later (`Slot.done`), so the
            # wait is checked again on waking.
            while len(window.stamps) == window.limit.calls:
                oldest = window.stamps[0]
                # The oldest call still in flight: where its window starts is not known
                # until it is answered (the vendor may stamp it as late as that), so
                # its answer is awaited before the wait is worked out.
                oldest.wait_answered(_ANSWER_WAIT, stop_for(self.stop))
                delay = oldest.at + window.span - self._clock.monotonic()
                if delay <= 0:
                    break
                if on_wait is not None and not waited:
                    on_wait(delay)
                if self._clock.wait(delay, stop_for(self.stop)):
                    raise Interrupted(f"stopped while waiting {delay:.1f}s to call {endpoint}")
                waited += delay
            slot = Slot(self._clock.monotonic(), waited, self._clock)
            self._held.slot = slot  # before it counts: see `settle`
            window.stamps.append(slot)
        if waited:
            self.waited += waited
        return slot

    def settle(self) -> None:
        """`Slot.done` on the slot this thread was last handed by `reserve`, if any.

        What a caller's ``finally`` calls rather than ``slot.done()``: an interrupt
        (Ctrl-C raises `KeyboardInterrupt` between any two bytecodes) can land after
        `reserve` recorded the call and before the caller holds the slot, and a slot
        never answered makes the next caller in a full window wait for it (`_ANSWER_WAIT`
        of real time). Settling a slot twice, or one that never counted, is harmless."""
        slot = getattr(self._held, "slot", None)
        if slot is not None:
            self._held.slot = None
            slot.done()

    def after_fork_in_child(self) -> None:
        """In a forked child (`seotasks.forksafe`): locks of its own, and each call still
        unanswered counted as answered now. The threads that held those locks, or waited
        for those answers, did not follow into the child: nothing would ever release or
        settle them. The calls already counted stay counted (the vendor saw them)."""
        now = self._clock.monotonic()
        self._resources_lock = threading.Lock()
        self._held = threading.local()
        for window in [*self._windows.values(), *self._resources.values()]:
            window.lock = threading.Lock()
            window.stamps = deque(
                (
                    slot if slot.answered() else Slot(now, 0.0, self._clock, answered=True)
                    for slot in window.stamps
                ),
                maxlen=window.limit.calls,
            )

    def penalize(self, endpoint: str) -> None:
        """The vendor said we went too fast: treat the current window as full.

        Called when a rate-limit answer arrives despite pacing (another process
        shares the account, say), so the next call waits out a whole window. Calls
        still in flight (other threads') stay in it, after the penalty's own: the
        vendor may stamp them as late as their answers, so they count from those.
        """
        window = self._window(endpoint)
        if window is None:
            return
        with window.lock:
            if window.retired:  # idle, hence nothing to penalize in it: count afresh
                self.penalize(endpoint)
                return
            now = self._clock.monotonic()
            in_flight = [slot for slot in window.stamps if not slot.answered()]
            window.stamps.extend(
                Slot(now, 0.0, self._clock, answered=True)
                for _ in range(window.limit.calls - len(in_flight))
            )
            window.stamps.extend(in_flight)
