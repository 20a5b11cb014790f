"""The cursor checks: a cursor resumes anywhere, refuses edits, and holds no secret.

A cursor is handed to users (printed, stored in a job's state) and comes back from them,
so it is untrusted input and a possible leak. These checks take the cursor a listing
hands out after its first page (or, for a listing that fits one page, the cursor that
resumes it at its start) and prove that it resumes in a fresh client, and in one asking
for pages of another size, with nothing lost or repeated; that an edited or cut token,
another provider's token and a changed query are `CursorError`; that a position forged
around the public checksum is stopped by the provider's ``check_position`` before any
request; and that no secret is in the token or in its decoded payload.
"""

from __future__ import annotations

import base64
import json
from functools import partial
from typing import TYPE_CHECKING

import pytest

from ... import cursor as cursor_codec
from ...errors import CursorError
from ...model import Task, TaskQuery
from ...provider import Position
from .asserts import assert_no_secret, assert_once, failures_only, scrubbed, secret_paths, task_ids
from .submission import differing, first_page_sent, steady_noise

if TYPE_CHECKING:
    from ...client import Client
    from . import ConformanceEnv

__all__ = ["CursorChecks"]


def _cursor_to_check(conformance: ConformanceEnv, client: Client) -> tuple[list[Task], str]:
    """The tasks of the first page and a cursor for the cursor checks.

    The cursor is the first page's ``next_cursor``. A listing that fits one page has
    none; with ``min_pages=1`` the checks then run on the cursor that resumes the listing
    at its start, which is what an error on the only page hands out (its
    ``resume_cursor``): it must still resume in a fresh client, refuse edits and other
    providers, pass through ``check_position`` and carry no secret.
    """
    __tracebackhide__ = True
    page = client.page(status="any")
    if page.next_cursor is not None:
        return list(page.tasks), page.next_cursor
    if conformance.min_pages > 1:
        pytest.fail(
            f"the first page was also the last, but min_pages={conformance.min_pages}: seed "
            "more tasks or connect with a smaller page size (a vendor whose listing always "
            "fits one page sets min_pages=1)",
            pytrace=False,
        )
    return [], _start_cursor(client)


def _start_cursor(client: Client) -> str:
    """The cursor that resumes a listing of every task at its start: what an error on
    the first page hands out (its ``resume_cursor``), built from the provider's
    ``start`` position as the client builds it."""
    query = TaskQuery(status=None)
    return cursor_codec.encode(
        provider=client.name,
        listing=client.listing_options,
        query=query,
        position=client.provider.start(query),
    )


class CursorChecks:
    """Resuming in a fresh client; tampered, foreign and forged cursors; no secret inside."""

    def test_cursor_resumes_in_fresh_client(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as first:
            seen, cursor = _cursor_to_check(conformance, first)
        with conformance.connect() as second:
            # A cached client (or provider) would carry the listing's state across, and
            # this check, and every other, would prove nothing about a new process.
            assert second is not first and second.provider is not first.provider, (
                "ConformanceEnv.connect returned the same client (or provider) twice: it "
                "must connect anew on each call, as a new process would"
            )
            rest = list(second.tasks(cursor))
        ids = task_ids(seen) + task_ids(rest)
        assert_once(ids, conformance.expected_ids(TaskQuery(status=None)), "resumed", resumed=True)

    def test_start_cursor_resumes_in_fresh_client(self, conformance: ConformanceEnv) -> None:
        """The cursor an error on the first page hands out (``resume_cursor``) resumes the
        whole listing in a fresh client. No quiet listing ever shows it, so a ``start``
        position that the provider's own ``check_position`` refuses passed every other
        check, and the first vendor error of a real listing left a cursor that could not
        be used."""
        __tracebackhide__ = failures_only
        with conformance.connect() as first:
            start = _start_cursor(first)
        with conformance.connect() as second:
            try:
                listed = list(second.tasks(start))
            except CursorError as exc:
                message = scrubbed(str(exc), conformance.secrets)
                pytest.fail(
                    f"the cursor of the listing's start (the resume_cursor of an error on the "
                    f"first page) was refused: {message[:200]}; start() must return a "
                    "position check_position accepts",
                    pytrace=False,
                )
        assert_once(
            task_ids(listed),
            conformance.expected_ids(TaskQuery(status=None)),
            "resumed from the start cursor (the resume_cursor of an error on the first page)",
        )

    def test_cursor_resumes_with_another_page_size(self, conformance: ConformanceEnv) -> None:
        """A cursor comes back to a client asking for pages of another size (a new
        release's default, another job's setting): resumed there, the listing is still
        whole and once. A position holding a page number loses or repeats tasks here."""
        if conformance.connect_other_size is None:
            pytest.skip(
                "no connect_other_size: a cursor is resumed with one page size only (a "
                "position holding a page number, wrong once the size changes, passes)"
            )
        other_size = conformance.connect_other_size
        sent = first_page_sent(other_size, {})
        noise = steady_noise(partial(first_page_sent, conformance.connect, {}))
        if not differing(first_page_sent(conformance.connect, {}), sent) - noise:
            pytest.fail(
                "a client of connect_other_size sent the vendor what one of connect sends "
                "for a first page: the page-size option is not sent (or connect_other_size "
                "asks for the same size), and a cursor is never resumed with another size",
                pytrace=False,
            )
        with conformance.connect() as first:
            seen, cursor = _cursor_to_check(conformance, first)
        with other_size() as other:
            rest = list(other.tasks(cursor))
        assert_once(
            task_ids(seen) + task_ids(rest),
            conformance.expected_ids(TaskQuery(status=None)),
            "resumed in a client asking for pages of another size (a position must say "
            "where the listing stands, an offset or the last key, not the next page number)",
        )

    def test_cursor_tampering_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = _cursor_to_check(conformance, client)[1]
            middle = len(token) // 2
            edited = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
            with pytest.raises(CursorError):
                client.page(edited)
            with pytest.raises(CursorError):
                client.page(token[: len(token) - 5])

    def test_foreign_cursor_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = _cursor_to_check(conformance, client)[1]
            state = cursor_codec.decode(token)
            foreign = cursor_codec.encode(
                provider=conformance.provider + "-other",
                listing=state.listing,
                query=state.query,
                position=state.position,
            )
            with pytest.raises(CursorError):
                client.page(foreign)
            with pytest.raises(CursorError):
                client.page(token, status="queued" if state.query.status is None else "any")

    def test_forged_position_refused(self, conformance: ConformanceEnv) -> None:
        # The checksum key is public: anyone can re-encode a cursor around any position.
        # The provider's check_position is what stands between that and a request.
        __tracebackhide__ = failures_only
        with conformance.connect() as client:
            state = cursor_codec.decode(_cursor_to_check(conformance, client)[1])
            # Typed variables on purpose: a `Position` must take a list[str] or a
            # dict[str, int] as they stand (JSONValue is covariant), and mypy checks
            # these lines, so a stricter JSONValue would fail the type check here.
            urls: list[str] = ["http://attacker.example/", "../../etc/passwd"]
            numbers: dict[str, int] = {"page": -1, "offset": -1}
            forgeries: list[tuple[str, Position]] = [
                ("an unknown key", {"__forged__": "http://attacker.example/"}),
                ("a URL in every field", {k: "http://attacker.example/" for k in state.position}),
                ("-1 in every field", {key: -1 for key in state.position}),
                # JSON's true is a Python int too: isinstance(value, int) lets it through.
                ("true in every field", {key: True for key in state.position}),
                ("a list of URLs in every field", {key: urls for key in state.position}),
                ("an object in every field", {key: numbers for key in state.position}),
            ]
            for what, junk in forgeries:
                forged = cursor_codec.encode(
                    provider=conformance.provider,
                    listing=state.listing,
                    query=state.query,
                    position=dict(junk),
                )
                try:
                    client.page(forged)
                except CursorError:
                    continue
                except Exception as exc:
                    message = scrubbed(f"{type(exc).__name__}: {exc}", conformance.secrets)
                    pytest.fail(
                        f"check_position accepted a forged position ({what}); the provider "
                        f"then failed with {message[:200]} instead of a CursorError. Check "
                        "every field of a position in check_position and rebuild it.",
                        pytrace=False,
                    )
                pytest.fail(
                    f"check_position accepted a forged position ({what}) and a page was "
                    "fetched with it. Check every field of a position in check_position.",
                    pytrace=False,
                )

    def test_cursor_carries_no_secret(self, conformance: ConformanceEnv) -> None:
        """Neither a page's cursor nor the start's (which only an error on the first page
        hands out, and errors are logged) holds a secret."""
        __tracebackhide__ = failures_only
        with conformance.connect() as client:
            cursors = {
                "the cursor": _cursor_to_check(conformance, client)[1],
                "the start cursor (an error's resume_cursor)": _start_cursor(client),
            }
        for name, token in cursors.items():
            payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
            body = json.loads(payload)
            for number, secret in enumerate(conformance.secrets, 1):
                paths = sorted(set(secret_paths(body, secret))) if secret else []
                if paths:
                    pytest.fail(
                        f"secret #{number} of {len(conformance.secrets)} found in {name}'s "
                        f"payload at {scrubbed(', '.join(paths), conformance.secrets)}",
                        pytrace=False,
                    )
            assert_no_secret(conformance.secrets, {name: token, f"{name}'s payload": payload})
