"""The ``ready`` listing: one ``GET /v3/<endpoint>/tasks_ready`` per catalogue endpoint.

A call shows at most 1000 completed, uncollected tasks and hides the rest until those
are collected, so a capped endpoint is asked again (a new *round*) after its page: when
the caller collected while iterating, the next 1000 appear; when nothing changed (the
same ids, compared by digest), the listing moves on and says the list was capped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from seotasks.errors import CursorError
from seotasks.provider import Batch, Position

from . import wire
from .endpoints import CATALOGUE
from .positions import int_field
from .readers import ready_tasks

__all__ = ["CAP", "ReadyListing", "ReadyPosition"]

#: The vendor's hard cap per tasks_ready call.
CAP = 1000
_MAX_ROUNDS = 100_000
_DIGEST = re.compile(r"[0-9a-f]{16}\Z")

#: ``call(method, path, endpoint)``: the provider's authenticated, paced vendor call.
Call = Callable[[str, str, str], dict[str, Any]]


def _digest(ids: Sequence[str]) -> str:
    return hashlib.blake2b("\n".join(sorted(ids)).encode(), digest_size=8).hexdigest()


@attrs.frozen(slots=True)
class ReadyPosition:
    """Where a ready listing stands: the ``ep``-th selected endpoint (named, so an edited
    index cannot point elsewhere), the ``round`` of a capped endpoint, and the ``digest``
    of the ids the previous round saw (``None`` on round 0)."""

    ep: int
    name: str
    round: int = 0
    digest: str | None = None

    def to_json(self) -> Position:
        return {"ep": self.ep, "name": self.name, "round": self.round, "digest": self.digest}


class ReadyListing:
    """Pages through the selected endpoints (catalogue indexes ``selected``)."""

    def __init__(self, selected: Sequence[int], call: Call, scrub: Callable[[str], str]) -> None:
        self.selected = tuple(selected)
        self._call = call
        self._scrub = scrub

    def position(self, index: int, round_: int = 0, digest: str | None = None) -> ReadyPosition:
        return ReadyPosition(index, CATALOGUE[self.selected[index]].name, round_, digest)

    def start(self) -> ReadyPosition:
        return self.position(0)

    def check(self, position: Position) -> ReadyPosition:
        """A position from a caller-held cursor, each field checked (`CursorError`)."""
        if set(position) != {"ep", "name", "round", "digest"}:
            raise CursorError("dataforseo cursor: not a tasks_ready position")
        index = int_field(position, "ep", 0, len(self.selected) - 1)
        if position["name"] != CATALOGUE[self.selected[index]].name:
            raise CursorError("dataforseo cursor: endpoint does not match this client's families")
        round_ = int_field(position, "round", 0, _MAX_ROUNDS)
        digest = position["digest"]
        if digest is not None and not (isinstance(digest, str) and _DIGEST.match(digest)):
            raise CursorError("dataforseo cursor: bad digest")
        if (round_ == 0) != (digest is None):
            raise CursorError("dataforseo cursor: round and digest disagree")
        return self.position(index, round_, digest)

    def load(self, position: Position) -> ReadyPosition:
        """A position this listing made (or `check` passed) back from its JSON form."""
        return self.check(position)

    def fetch(self, at: ReadyPosition) -> Batch:
        endpoint = CATALOGUE[self.selected[at.ep]]
        body = self._call("GET", endpoint.path, "tasks_ready")
        task = wire.first_task(body, endpoint.path, self._scrub)
        items = wire.result_items(task)
        tasks = ready_tasks(endpoint, items)
        count = task.get("result_count")
        capped = len(items) >= CAP or (type(count) is int and count >= CAP)
        following = self.position(at.ep + 1).to_json() if at.ep + 1 < len(self.selected) else None
        notes: tuple[str, ...] = ()
        if capped:
            notes = (
                f"{endpoint.path}: capped at {CAP}; more tasks appear once these are "
                "collected (client.collect)",
            )
        digest = _digest([t.id for t in tasks])
        if at.round > 0 and digest == at.digest:
            # Nothing was collected since the last round: the same 1000 again.
            return Batch(tasks=(), next=following, capped=True, notes=notes)
        if capped:
            again = self.position(at.ep, at.round + 1, digest)
            return Batch(tasks=tasks, next=again.to_json(), capped=True, notes=notes)
        return Batch(tasks=tasks, next=following)
