"""What `seotasks.connect` and the transport settings refuse as misuse, and when.

A `retry`, `timeouts`, `clock` or `now` of the wrong type was kept, then failed at the
first call with a bare ``AttributeError: 'int' object has no attribute 'attempts'`` (or
``'tuple' ... 'connect'``, ``'str' ... 'monotonic'``, ``'int' object is not callable``);
``Timeouts(read=-5)`` failed there with urllib3's words, and ``RetryPolicy(base=-1)`` or
``attempts=1.5`` were taken. docs/errors.md: misuse is a `ValueError` or `TypeError`, at
the call, naming what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import seotasks
from seotasks.transport import RetryPolicy, Timeouts


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: Timeouts(connect=0), "connect"),
        (lambda: Timeouts(read=-5), "read"),
        (lambda: RetryPolicy(base=-1), "base"),
        (lambda: RetryPolicy(cap=-0.5), "cap"),
        (lambda: RetryPolicy(rate_limited_floor=-1), "rate_limited_floor"),
        (lambda: RetryPolicy(attempts=0), "attempts"),
        (lambda: Timeouts(read=float("inf")), "read"),
        (lambda: Timeouts(read=1e12), "read"),
        (lambda: Timeouts(connect=float("nan")), "connect"),
        (lambda: RetryPolicy(cap=float("inf")), "cap"),
        (lambda: RetryPolicy(base=float("nan")), "base"),
    ],
)
def test_a_transport_setting_out_of_range_is_refused_when_built(
    build: Callable[[], object], named: str
) -> None:
    """Infinite or absurd seconds were taken, then failed at the first call with
    ``OverflowError: timestamp out of range for platform time_t``."""
    with pytest.raises(ValueError, match=f"^{named} "):
        build()


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: Timeouts(read="5"), "read"),
        (lambda: RetryPolicy(base="x"), "base"),
        (lambda: RetryPolicy(attempts=2.0), "attempts"),
        (lambda: RetryPolicy(attempts=1.5), "attempts"),
        (lambda: RetryPolicy(attempts=True), "attempts"),
        (lambda: Timeouts(connect=None), "connect"),
    ],
)
def test_a_transport_setting_of_the_wrong_type_is_a_type_error_naming_it(
    build: Callable[[], object], named: str
) -> None:
    """``'>=' not supported between instances of 'str' and 'int'`` named nothing."""
    with pytest.raises(TypeError, match=f"^{named} must be "):
        build()


@pytest.mark.parametrize(
    "argument",
    [{"retry": 5}, {"timeouts": (1.0, 2.0)}, {"clock": "x"}, {"now": 5}],
    ids=lambda argument: next(iter(argument)),
)
def test_connect_refuses_an_argument_of_the_wrong_type_at_the_call(
    argument: dict[str, Any],
) -> None:
    (name,) = argument
    with pytest.raises(TypeError, match=f"^{name} must be "):
        seotasks.connect("serpstat", token="t", **argument)


def test_the_right_types_and_none_are_taken() -> None:
    from seotasks.clock import FakeClock

    client = seotasks.connect(
        "serpstat",
        token="t",
        retry=RetryPolicy(attempts=1, base=0.0, cap=0.0),
        timeouts=Timeouts(connect=0.5, read=0.5),
        clock=FakeClock(),
        now=None,
    )
    client.close()
