"""The error checks: failures are typed, resumable where they can be, and secret-free.

Callers handle a provider's failures by type (`AuthError`, `TransientError`,
`UnsupportedQuery`, ...), a transient failure must hand out a cursor to resume from, and
an error message or a repr ends up in logs: these checks make a vendor's 503, bad
credentials and an unsupported query raise the right type, and look for the secrets in
the messages and reprs a user is likely to print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ...errors import AuthError, SeotasksError, TransientError, UnsupportedQuery
from .asserts import assert_no_secret

if TYPE_CHECKING:
    from ...client import Client
    from . import ConformanceEnv

__all__ = ["ErrorChecks"]


def _credentials(client: Client) -> list[str]:
    """The values of the client's ``secret`` options: what it sends to prove who it is.

    A refused key is still someone's credential (a typo of the right one, a revoked one
    that works elsewhere), and vendors quote the key they refused; ``secrets`` names the
    env's good ones only, so the bad client's own are read from it. Shorter than four
    characters is too common to look for, as the redactor also holds.
    """
    provider = client.provider
    values = (provider.settings.get(option.name) for option in provider.options if option.secret)
    return [str(value) for value in values if value is not None and len(str(value)) >= 4]


class ErrorChecks:
    """Typed errors for refused queries, bad credentials and server errors; clean reprs."""

    def test_unsupported_query_refused(self, conformance: ConformanceEnv) -> None:
        if conformance.unsupported is None:
            pytest.skip("the provider declares no unsupported query")
        query = conformance.unsupported
        with conformance.connect() as client, pytest.raises(UnsupportedQuery):
            client.page(status=query.status or "any", since=query.since, until=query.until)

    def test_bad_credentials_are_auth_errors(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = True
        if conformance.bad_connect is None:
            pytest.skip("no bad_connect given")
        with conformance.bad_connect() as client, pytest.raises(AuthError) as info:
            sent = _credentials(client)
            list(client.tasks(status="any"))
        places = {"the AuthError's message": str(info.value), "its repr": repr(info.value)}
        assert_no_secret(conformance.secrets, places)
        assert_no_secret(sent, places, kind="bad_connect's credential")

    def test_server_errors_are_typed(self, conformance: ConformanceEnv) -> None:
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ...emulation import Fault

        conformance.faults.inject(Fault.HTTP_503, 100)
        try:
            with conformance.connect() as client, pytest.raises(SeotasksError) as info:
                list(client.tasks(status="any"))
        finally:
            conformance.faults.clear()
        assert isinstance(info.value, TransientError)
        assert info.value.resume_cursor is not None

    def test_reprs_carry_no_secret(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = True
        with conformance.connect() as client:
            places = {
                "repr(client)": repr(client),
                "str(client)": str(client),
                "repr(client.provider)": repr(client.provider),
                "repr(client.transport)": repr(client.transport),
            }
        assert_no_secret(conformance.secrets, places)
