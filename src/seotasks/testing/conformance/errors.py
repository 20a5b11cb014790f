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

from ...errors import (
    AuthError,
    ResponseFormatError,
    SeotasksError,
    TransientError,
    UnsupportedQuery,
)
from .asserts import assert_no_secret, scrubbed

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

    def test_malformed_answers_are_typed(self, conformance: ConformanceEnv) -> None:
        """A field of the wrong type (`Fault.WRONG_TYPES`, which the emulator expresses
        the vendor's way) ends the listing with a `ResponseFormatError` carrying a resume
        cursor: callers catch errors by type, and a KeyError or TypeError from a
        provider's parsing reaches them as an internal error instead."""
        __tracebackhide__ = True
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ...emulation import Fault

        conformance.faults.inject(Fault.WRONG_TYPES, 1)
        try:
            with conformance.connect() as client:
                list(client.tasks(status="any"))
        except ResponseFormatError as exc:
            assert exc.resume_cursor is not None, "a listing error carries its resume_cursor"
            return
        except Exception as exc:  # what the check is about: any other type is the finding
            text = scrubbed(f"{type(exc).__name__}: {exc}", conformance.secrets)
            pytest.fail(
                f"an answer with a field of the wrong type (Fault.WRONG_TYPES) raised {text}: "
                "read the vendor's items through seotasks.convert (structure, item_reader), "
                "or raise ResponseFormatError naming the field",
                pytrace=False,
            )
        finally:
            conformance.faults.clear()
        pytest.skip(
            "the listing succeeded with Fault.WRONG_TYPES injected: the emulator does not "
            "express Fault.WRONG_TYPES (a field of the wrong type), or the provider never "
            "reads the field it breaks"
        )

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
