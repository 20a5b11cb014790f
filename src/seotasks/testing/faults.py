"""`RETRIED_FAULTS`: the emulator faults every provider's listing must come through.

The core's transport retries these for every provider, whatever the vendor: server
errors, rate limits (as a status or inside an HTTP-200 body), a connection reset, and an
HTTP-200 body cut off or empty (the connection failing mid-answer). A provider's test
suite injects each of them and expects the listing to finish as if nothing happened; one
list here keeps every suite's idea of "retried" the same as the transport's.
"""

from __future__ import annotations

from ..emulation import Fault

__all__ = ["RETRIED_FAULTS"]

#: In `Fault`'s own order, so parametrized test ids keep a stable order.
RETRIED_FAULTS: tuple[Fault, ...] = (
    Fault.HTTP_500,
    Fault.HTTP_502,
    Fault.HTTP_503,
    Fault.HTTP_429,
    Fault.HTTP_429_RETRY_AFTER,
    Fault.RATE_LIMIT_BODY,
    Fault.RESET,
    Fault.TRUNCATED,
    Fault.EMPTY,
)
