"""`ProviderConformance`: the abstract test class a provider's test suite subclasses.

A plugin imports the two names defined here, `ConformanceEnv` (what the kit needs to
know about the provider under test) and `ProviderConformance` (the tests), from
``seotasks.testing`` or from this package; both paths are public and stay put.

The checks themselves are grouped by what they prove, one module a theme, each a mixin
class of test methods that `ProviderConformance` inherits:

* `listing`: the plugin loads through its entry point, a listing is complete and exact,
  filters and time bounds hold, tasks are self-consistent;
* `cursors`: a cursor resumes in a fresh client, refuses tampering, other providers and
  forged positions, and carries no secret;
* `churn`: paging stays exact while the data moves;
* `ties`: tasks sharing a time across a page boundary are all listed, once;
* `submission`: ``submit``'s spec fields are declared, and each mapped one reaches the
  vendor, each refused one is refused;
* `declarations`: capabilities, the times filled and the declared order are true;
* `filters`: each filter declared the vendor's own is sent to the vendor;
* `sandbox`: the provider's sandbox draws its data around the ``now`` it is given, and
  counts its rate limits on the clock it is given;
* `zones`: a task's times do not depend on the machine's time zone;
* `errors`: failures are typed and no secret reaches a message or a repr;

and `asserts` holds the verdicts they share. pytest collects inherited test methods
base by base, the last base first, so the bases below are listed in the reverse of that
reading order: a run lists the checks from loading to reprs, as it always has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import pytest

from ...errors import UnknownProvider
from ...model import TaskQuery
from ...plugins import get_provider
from ...submit import SerpTaskSpec
from .callbacks import CallbackChecks, Delivery
from .churn import ChurnChecks
from .cursors import CursorChecks
from .declarations import DeclarationChecks
from .errors import ErrorChecks
from .filters import FilterChecks
from .listing import ListingChecks
from .sandbox import SandboxChecks
from .submission import SubmissionChecks
from .ties import TieChecks
from .zones import ZoneChecks

if TYPE_CHECKING:
    from ...client import Client
    from ...emulation import FaultPlan

__all__ = ["ConformanceEnv", "ProviderConformance"]


@attrs.frozen(kw_only=True)
class ConformanceEnv:
    """What the kit needs to know about a provider under test.

    ``connect`` returns a *fresh* client each call (a new process, as far as the
    listing is concerned), configured so that a full listing spans several pages.
    ``expected_ids(query)`` is the ground truth: the vendor ids that listing ``query``
    must return *now* (it is asked again after each ``churn``). ``bad_connect``
    (optional) connects with wrong credentials; ``faults`` (optional) is the emulator's
    `FaultPlan`; ``unsupported`` (optional) is a query the provider must refuse with
    `UnsupportedQuery`. ``churn`` (optional) changes the emulator's data the way the
    vendor's data moves while someone pages through it: adds tasks, removes some (expiry,
    draining) and changes some task's status; the kit calls it between pages and checks
    that nothing present throughout is lost and nothing is listed twice. ``tie``
    (optional, every emulator should offer it) adds tasks exactly like an existing one:
    ``tie(task_id, count)`` stores ``count`` new tasks with that task's status and
    every one of its times (``created_at``, ``started_at``, ``completed_at``) under new
    ids, placed in the listing as the vendor places equal times, and returns their ids;
    ``expected_ids`` includes them from then on. The kit ties the last task of the first
    page and checks that the tied group spans the page boundary and is listed whole.

    ``secrets`` are kept out of this object's repr, so a failing test never prints them.
    """

    provider: str
    connect: Callable[[], Client]
    expected_ids: Callable[[TaskQuery], set[str]]
    secrets: Sequence[str] = attrs.field(default=(), repr=False)
    bad_connect: Callable[[], Client] | None = None
    faults: FaultPlan | None = None
    unsupported: TaskQuery | None = None
    #: Pages the full listing should at least span (proves paging was exercised). A vendor
    #: whose whole listing fits one page sets 1: the cursor checks then run on the cursor
    #: that resumes the listing at its start (the one an error on the first page carries).
    min_pages: int = 2
    churn: Callable[[], object] | None = None
    tie: Callable[[str, int], Sequence[str]] | None = None
    #: A spec the provider can post (optional): the kit sets each field the provider
    #: declares in ``spec_refuses`` on it and checks the refusal, with nothing sent; it
    #: posts it with each field of ``spec_maps`` changed and checks the request changed;
    #: and it checks that the result's ``kind`` is the listed task's.
    spec: SerpTaskSpec | None = None
    #: Callbacks the vendor sends, written from its documentation, as ``(route, body,
    #: query)`` the way the receiver hands them to `Provider.read_callback` (``body`` the
    #: parsed JSON, None for a GET; ``query`` ``{name: [values]}``): each must give entries,
    #: and read safely when bent (a key dropped, a value of another type). A fourth
    #: element, the `CallbackEntry` list it must give, checks what the entries say.
    deliveries: Sequence[Delivery] = ()
    #: A fresh client like ``connect``'s that asks the vendor for pages of another size
    #: (its page-size option; optional, every provider with such an option should give
    #: it): a cursor handed out by one must resume in the other with nothing lost or
    #: repeated, which a position holding a page number fails.
    connect_other_size: Callable[[], Client] | None = None
    #: Each task's fields as the vendor's documentation gives them for the emulator's data
    #: (optional, every emulator should offer it): ``expected_task(task_id)`` maps `Task`
    #: field names (``status``, ``progress``, the times, ``kind``, ``cost``...; any
    #: subset) to the values a listing must show. Without it the kit knows each task's
    #: status (from ``expected_ids``) but not, say, a progress read on the wrong scale.
    expected_task: Callable[[str], Mapping[str, object]] | None = None


@pytest.mark.seotasks_conformance
class ProviderConformance(
    ErrorChecks,
    ZoneChecks,
    CallbackChecks,
    SandboxChecks,
    FilterChecks,
    DeclarationChecks,
    SubmissionChecks,
    TieChecks,
    ChurnChecks,
    CursorChecks,
    ListingChecks,
):
    """Subclass in your plugin's tests and define the ``conformance`` fixture."""

    @pytest.fixture
    def conformance(self) -> ConformanceEnv:  # pragma: no cover - must be overridden
        raise NotImplementedError("define a `conformance` fixture returning a ConformanceEnv")

    @pytest.fixture(autouse=True)
    def _provider_loaded(self, request: pytest.FixtureRequest) -> None:
        """Every check but the entry point's skips when the provider did not load: each
        failed with the same `UnknownProvider` traceback (forty of them), some under a
        cause of their own ("a field of the wrong type raised UnknownProvider"), and
        `test_loads_through_entry_point` alone says why."""
        if getattr(request.node, "originalname", "") == "test_loads_through_entry_point":
            return
        conformance: ConformanceEnv = request.getfixturevalue("conformance")
        try:
            get_provider(conformance.provider)
        except UnknownProvider:
            pytest.skip(
                f"{conformance.provider} did not load: test_loads_through_entry_point says why"
            )
