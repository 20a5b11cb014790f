"""`RETRIED_FAULTS`: the emulator faults every provider's listing must come through, and
`PERSISTENT_ERRORS`: the error each becomes when it outlasts the retries.

The core's transport retries these for every provider, whatever the vendor: server
errors, rate limits (as a status or inside an HTTP-200 body), a connection reset, and an
HTTP-200 body cut off or empty (the connection failing mid-answer). A provider's test
suite injects each of them and expects the listing to finish as if nothing happened; one
list here keeps every suite's idea of "retried" the same as the transport's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..emulation import Fault
from ..errors import RateLimited, RetryableError, TransientError

__all__ = ["PERSISTENT_ERRORS", "RETRIED_FAULTS"]

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

#: The error a call raises when one of `RETRIED_FAULTS` is still there after the last
#: retry: the transport's own classification, the same for every provider. A rate limit
#: (as a status or in the body) is `RateLimited`, anything else `TransientError`; either
#: carries the listing's ``resume_cursor``.
PERSISTENT_ERRORS: Mapping[Fault, type[RetryableError]] = MappingProxyType(
    {
        fault: RateLimited
        if fault in (Fault.HTTP_429, Fault.HTTP_429_RETRY_AFTER, Fault.RATE_LIMIT_BODY)
        else TransientError
        for fault in RETRIED_FAULTS
    }
)
