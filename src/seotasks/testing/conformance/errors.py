"""The error checks: failures are typed, resumable where they can be, and secret-free.

Callers handle a provider's failures by type (`AuthError`, `TransientError`,
`UnsupportedQuery`, ...), a transient failure must hand out a cursor to resume from, and
an error message or a repr ends up in logs: these checks make a vendor's 503, bad
credentials and an unsupported query raise the right type, and look for the secrets in
the messages and reprs a user is likely to print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import pytest

from ...errors import (
    AuthError,
    ResponseFormatError,
    SeotasksError,
    TransientError,
    UnsupportedQuery,
)
from ...model import Task, TaskQuery
from .asserts import assert_no_secret, assert_once, failures_only, scrubbed, task_ids

if TYPE_CHECKING:
    from ...client import Client
    from ...emulation import Fault
    from ...redact import Redactor
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


def _retry_advice(fault: Fault) -> str:
    """What to change when a listing did not come through one ``fault`` the transport
    retries: the two a provider's ``parse`` decides, else the client's retry policy."""
    if fault.name == "RATE_LIMIT_BODY":
        return (
            "raise seotasks.RateLimited from the parse function given to transport.call for "
            "the vendor's rate-limit answer in an HTTP-200 body (not after call returns), so "
            "the transport waits and retries it as it does an HTTP 429"
        )
    if fault.name in ("TRUNCATED", "EMPTY"):
        return (
            "decode the body with response.json() or seotasks.transport.decode_json_object, "
            "which raise the retried TransientError for an HTTP-200 body cut off or empty "
            "(json.loads(response.body) raises a bare ValueError)"
        )
    return (
        "the transport retries it before parse sees it: connect with a RetryPolicy of at "
        "least 2 attempts, and raise nothing of your own for it. If the error is the "
        "vendor's answer to the retry instead (its rate limit: an emulator enforcing its "
        "limits counts the kit's fresh clients together), raise that answer as "
        "seotasks.RateLimited from parse"
    )


def _read_as_a_page(fault: Fault) -> Callable[[set[str], set[str]], str]:
    """Why a listing with ``fault`` injected ended short without an error."""

    def explain(missing: set[str], extra: set[str]) -> str:
        if not missing:
            return ""
        return (
            "The listing ended without an error: the provider read the fault's answer as a "
            "page (an error in an HTTP-200 body taken for a short last page). "
            + _retry_advice(fault)
        )

    return explain


class ErrorChecks:
    """Typed errors for refused queries, bad credentials and server errors; clean reprs."""

    def test_unsupported_query_refused(self, conformance: ConformanceEnv) -> None:
        if conformance.unsupported is None:
            pytest.skip("the provider declares no unsupported query")
        query = conformance.unsupported
        with conformance.connect() as client, pytest.raises(UnsupportedQuery):
            client.page(status=query.status or "any", since=query.since, until=query.until)

    def test_bad_credentials_are_auth_errors(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = failures_only
        if conformance.bad_connect is None:
            pytest.skip("no bad_connect given")
        refused: AuthError | None = None
        failure = ""
        with conformance.bad_connect() as client:
            sent = _credentials(client)
            try:
                failure = (
                    f"listed {len(list(client.tasks(status='any')))} tasks, without an AuthError"
                )
            except AuthError as exc:
                refused = exc
            except Exception as exc:  # the type is the finding
                failure = f"raised {type(exc).__name__}: {exc}"
        if refused is None:
            failure = scrubbed(failure, [*conformance.secrets, *sent])
            pytest.fail(
                f"a client with bad credentials (bad_connect) {failure[:300]}: raise the "
                "vendor's refusal (an HTTP 401 or 403, or its code in an HTTP-200 body) as "
                "seotasks.AuthError from parse",
                pytrace=False,
            )
        places = {"the AuthError's message": str(refused), "its repr": repr(refused)}
        assert_no_secret(conformance.secrets, places)
        assert_no_secret(sent, places, kind="bad_connect's credential")

    def test_server_errors_are_typed(self, conformance: ConformanceEnv) -> None:
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ...emulation import Fault

        __tracebackhide__ = failures_only
        conformance.faults.inject(Fault.HTTP_503, 100)
        before = len(conformance.faults.injected)
        raised: SeotasksError | None = None
        try:
            with conformance.connect() as client:
                listed = len(list(client.tasks(status="any")))
        except SeotasksError as exc:
            raised = exc
        finally:
            conformance.faults.clear()
        if raised is None:
            reached = len(conformance.faults.injected) - before
            pytest.fail(
                f"with Fault.HTTP_503 injected for every request, the listing succeeded "
                f"({listed} tasks) and {reached} requests reached the emulator: pages served "
                "from a cache that outlives a client, or a provider that turns a server "
                "error into an empty page",
                pytrace=False,
            )
        assert isinstance(raised, TransientError)
        assert raised.resume_cursor is not None

    def test_transient_faults_are_retried(self, conformance: ConformanceEnv) -> None:
        """Each fault the transport retries (`seotasks.testing.faults.RETRIED_FAULTS`: a
        5xx, a 429, a rate limit in an HTTP-200 body, a reset, a cut-off or empty body),
        injected once, leaves the listing exactly as it is without it.

        Two of them are the provider's to get right, in the ``parse`` it hands the
        transport: the vendor's rate limit inside an HTTP-200 body must be a `RateLimited`,
        and a broken body must be decoded through ``response.json()``. Got wrong, both pass
        every quiet listing and end a real one at the vendor's first busy second. An
        emulator that does not express `Fault.RATE_LIMIT_BODY` (a vendor without that
        quirk) answers normally: the other faults are checked, then the test skips,
        saying so, rather than pass what it could not see.
        """
        __tracebackhide__ = failures_only
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ..faults import RETRIED_FAULTS

        expected = conformance.expected_ids(TaskQuery(status=None))
        # Each fault is judged against the listing as it is without one: a listing wrong
        # already (what test_every_task_exactly_once reports) is not the fault's doing.
        with conformance.connect() as client:
            assert_once(task_ids(list(client.tasks(status="any"))), expected, "without a fault")
        unexpressed: list[str] = []
        for fault in RETRIED_FAULTS:
            what = f"a listing with one Fault.{fault.name} injected"
            retried: list[str] = []
            tasks, raised = _listed_with(conformance, fault, retried)
            if raised is not None:  # what the check is about: the type is the finding
                failure = scrubbed(f"{type(raised).__name__}: {raised}", conformance.secrets)
                pytest.fail(
                    f"{what} (a failure the transport retries) raised {failure[:300]}: "
                    f"{_retry_advice(fault)}",
                    pytrace=False,
                )
            assert_once(
                task_ids(tasks),
                expected,
                what,
                explain=_read_as_a_page(fault),
            )
            if fault.name == "RATE_LIMIT_BODY" and "rate-limited" not in retried:
                unexpressed.append(fault.name)
        if unexpressed:
            pytest.skip(
                f"every other fault is retried; the emulator answered Fault.{unexpressed[0]} "
                "normally (no retry followed it), so the provider's reading of the vendor's "
                "rate limit in an HTTP-200 body is not checked: express it in handle"
            )

    def test_malformed_answers_are_typed(self, conformance: ConformanceEnv) -> None:
        """A field of the wrong type (`Fault.WRONG_TYPES`, which the emulator expresses
        the vendor's way) ends the listing with a `ResponseFormatError` carrying a resume
        cursor: callers catch errors by type, and a KeyError or TypeError from a
        provider's parsing reaches them as an internal error instead."""
        __tracebackhide__ = failures_only
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ...emulation import Fault

        _, raised = _listed_with(conformance, Fault.WRONG_TYPES)
        if isinstance(raised, ResponseFormatError):
            assert raised.resume_cursor is not None, "a listing error carries its resume_cursor"
            return
        if raised is not None:  # what the check is about: any other type is the finding
            text = scrubbed(f"{type(raised).__name__}: {raised}", conformance.secrets)
            pytest.fail(
                f"an answer with a field of the wrong type (Fault.WRONG_TYPES) raised {text}: "
                "read the vendor's items through seotasks.convert (structure, item_reader), "
                "or raise ResponseFormatError naming the field",
                pytrace=False,
            )
        pytest.skip(
            "the listing succeeded with Fault.WRONG_TYPES injected: the emulator does not "
            "express Fault.WRONG_TYPES (a field of the wrong type), or the provider never "
            "reads the field it breaks"
        )

    def test_reprs_carry_no_secret(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = failures_only
        with conformance.connect() as client:
            places = {
                "repr(client)": repr(client),
                "str(client)": str(client),
                "repr(client.provider)": repr(client.provider),
                "repr(client.transport)": repr(client.transport),
            }
        assert_no_secret(
            conformance.secrets,
            places,
            advice="declare each credential option with secret=True: the core masks those "
            "in reprs, messages, logs and cursors",
        )

    def test_tasks_carry_no_secret(self, conformance: ConformanceEnv) -> None:
        """No field of a listed task holds a secret. A vendor that echoes the request in
        its items (the key among them, in any of the spellings the core masks:
        URL-encoded, JSON-escaped, base64...) puts it in `Task.raw`, which ``seotasks
        tasks --raw`` and every export print as the vendor sent it; a vendor's text
        passed through (`Task.message`, a tag) is printed by every listing: drop or mask
        such a value where the task is built."""
        __tracebackhide__ = failures_only
        from ...export import task_record
        from ...redact import Redactor

        with conformance.connect() as client:
            listed = list(client.tasks(status="any"))
        every = Redactor(conformance.secrets)  # masks the path's keys, should one hold any
        for number, secret in enumerate(conformance.secrets, 1):
            one = Redactor([secret])
            for task in listed:
                found = _echoed(task.raw, one)
                if found is not None:
                    pytest.fail(
                        f"secret #{number} of {len(conformance.secrets)} found in the raw "
                        f"item of task {task.id} at {every.scrub(found)}: the vendor echoes "
                        "it, and --raw would print it; drop or mask that field in the "
                        "Task's raw",
                        pytrace=False,
                    )
                fields = {k: v for k, v in task_record(task).items() if k != "raw"}
                found = _echoed(fields, one)
                if found is not None:
                    pytest.fail(
                        f"secret #{number} of {len(conformance.secrets)} found in task "
                        f"{every.scrub(task.id)}'s {found.removeprefix('$.')}: every listing "
                        "and export prints it; mask it where the task is built (a vendor's "
                        "text passed through)",
                        pytrace=False,
                    )


def _listed_with(
    conformance: ConformanceEnv, fault: Fault, events: list[str] | None = None
) -> tuple[list[Task], Exception | None]:
    """Every task listed with ``fault`` injected once (the transport's event kinds into
    ``events``), or the exception the listing ended with: returned, not raised, so a
    check fails outside the handler and pytest shows no chain holding a secret."""
    assert conformance.faults is not None
    conformance.faults.inject(fault, 1)
    try:
        with conformance.connect() as client:
            if events is not None:
                client.transport.on_event = lambda event: events.append(event.kind)
            return list(client.tasks(status="any")), None
    except Exception as exc:
        return [], exc
    finally:
        conformance.faults.clear()


def _echoed(value: object, redactor: Redactor, path: str = "$") -> str | None:
    """The JSON path of the first key or string in ``value`` that holds a spelling of a
    secret ``redactor`` masks, or None."""
    if isinstance(value, str):
        return path if redactor.scrub(value) != value else None
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, object]] = ((f".{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for step, item in items:
        if redactor.scrub(step) != step:
            return f"{path}{step}"
        found = _echoed(item, redactor, f"{path}{step}")
        if found is not None:
            return found
    return None
