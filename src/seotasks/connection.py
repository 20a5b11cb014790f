"""`connect`: from a provider name and options to a ready `Client`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ._version import installed_version
from .client import Client
from .clock import Clock
from .config import resolve_settings
from .plugins import get_provider
from .provider import Provider
from .redact import Redactor
from .transport import RetryPolicy, Timeouts, Transport

__all__ = ["connect"]


def connect(
    name: str,
    *,
    profile: str | None = None,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    env: Mapping[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
    **options: Any,
) -> Client:
    """A `Client` for the provider registered as ``name``.

    Options come from keyword arguments, then ``SEOTASKS_<NAME>_<OPTION>`` env vars,
    then the TOML ``profile``, then the provider's defaults (a ``profile`` given here
    comes before the env vars and alone gives the account: docs/configuration.md); a
    missing credential is a `ConfigError` naming the env var to set. ``clock``, ``retry`` and ``timeouts`` tune
    the transport (tests pass a `FakeClock` to run rate limits instantly). ``now`` is the
    wall clock the provider takes "now" from (real UTC time by default): give a sandbox
    started with ``now=`` the same one, so listing windows and the emulator agree.
    """
    if env is not None and not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping of names to values, got {type(env).__name__}")
    _check_transport_arguments(retry, timeouts, clock, now)
    cls = get_provider(name)
    settings = resolve_settings(cls, options, profile=profile, env=env)
    redactor = Redactor()
    transport = Transport(
        redactor=redactor,
        clock=clock,
        retry=retry,
        timeouts=timeouts,
        user_agent=f"seotasks/{installed_version()} ({cls.name})",
        now=now,
    )
    provider: Provider | None = None
    try:
        provider = cls(settings, transport)
        provider.register_secrets(redactor)
        transport.set_rate_limits(provider.rate_limits_for(), in_flight=cls.max_in_flight)
        return Client(provider)
    except BaseException:  # a plugin's mistake: nothing of this connection is left open
        if provider is not None:
            provider.close()
        transport.close()
        raise


def _check_transport_arguments(retry: object, timeouts: object, clock: object, now: object) -> None:
    """`TypeError` at the call for a value of the wrong type: kept, it failed at the first
    request with a bare ``AttributeError`` ("'int' object has no attribute 'attempts'")."""
    for name, value, kind in (("retry", retry, RetryPolicy), ("timeouts", timeouts, Timeouts)):
        if value is not None and not isinstance(value, kind):
            raise TypeError(
                f"{name} must be a seotasks.transport.{kind.__name__} or None, "
                f"got {type(value).__name__} {value!r}"
            )
    if clock is not None and not callable(getattr(clock, "monotonic", None)):
        raise TypeError(
            f"clock must be a seotasks.clock.Clock (SystemClock, FakeClock, ScaledClock) or "
            f"None, got {type(clock).__name__} {clock!r}"
        )
    if now is not None and not callable(now):
        raise TypeError(
            f"now must be a callable returning an aware datetime, or None, got "
            f"{type(now).__name__} {now!r}"
        )
