"""One log line when writing starts failing, one when it works again: never one a request.

A full disk, a quota or a read-only remount makes every delivery fail the same way until
an operator acts. A line (let alone a traceback) per request would bury the one thing
the operator needs in thousands of copies, and fill the log's own disk. So each place
the receiver writes (the results, the pingback queue, the record of rejected deliveries)
has a `WriteAlarm`: the first failure of a burst is logged with its reason, repeats of
the same reason are only counted, and the first success after them logs how many
deliveries were refused meanwhile. A different reason in the middle of a burst is a
new line: it is news.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["WriteAlarm"]

log = logging.getLogger("seotasks.receive")


class WriteAlarm:
    """Failures of one kind of write, logged once per burst.

    ``what`` names what is written ("results in DIR"), ``meanwhile`` what the receiver
    does until writing works again ("answering 503").
    """

    def __init__(self, what: str, meanwhile: str) -> None:
        self.what = what
        self.meanwhile = meanwhile
        self._lock = threading.Lock()
        self._failing: str | None = None
        self._refused = 0

    @property
    def failing(self) -> bool:
        return self._failing is not None

    def failed(self, exc: OSError) -> None:
        """Count a failed write; log it if it starts a burst or changes its reason."""
        reason = _reason(exc)
        with self._lock:
            self._refused += 1
            if reason == self._failing:
                return
            self._failing = reason
        log.warning(
            "receiver: cannot write %s: %s; %s until a write succeeds",
            self.what,
            reason,
            self.meanwhile,
        )

    def succeeded(self) -> None:
        """A write worked: if a burst of failures was going on, say that it ended."""
        if self._failing is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._failing is None:
                return
            refused, self._refused, self._failing = self._refused, 0, None
        log.warning("receiver: writing %s works again (%d writes had failed)", self.what, refused)


def _reason(exc: OSError) -> str:
    """The error without its file name (a temporary name would make each line unique)."""
    if exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else exc.strerror
    return type(exc).__name__
