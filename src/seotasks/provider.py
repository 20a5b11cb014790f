"""The contract a provider plugin implements.

The contract is narrow on purpose (as libcloud's drivers and llm's models are): a
provider says how to *start* a listing for a query, and how to *fetch* one page at a
position. The core owns everything around it: the paging loop, cursors, retries,
pacing, client-side filtering, de-duplication and merging.

A *position* is a small JSON-able mapping that only the provider understands
(``{"page": 3}``, ``{"family": 2, "after": "2026-11-20 10:00:00 +00:00", "ids": [...]}``).
The core stores it in the opaque cursor, so it must hold no secret and must be enough
to continue in a fresh process. `Provider.check_position` validates one that comes back
from a cursor: a cursor must never be a way to redirect a request.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Union

import attrs

from .capabilities import Capabilities
from .errors import CursorError, UnsupportedQuery
from .model import Task, TaskQuery, as_notes
from .plugin_fault import plugin_fault
from .ratelimit import RateLimit
from .redact import Redactor, scrub_userinfo
from .retention import WINDOW_EDGE, require_window

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from .account import Account
    from .sandbox import SandboxRequest
    from .submit import SerpTaskSpec, SubmitResult
    from .transport import Request, Response, Transport

__all__ = [
    "KIND_MAX",
    "WINDOW_EDGE",
    "Batch",
    "CallbackEntry",
    "Capabilities",
    "JSONValue",
    "Option",
    "Position",
    "Provider",
    "ResultDownload",
    "Sandbox",
    "Settings",
    "declared_capabilities",
    "require_window",
]

#: Any JSON value; arrays, objects covariant (so mypy takes a ``list[str]`` as one).
JSONValue = Union[str, int, float, bool, None, Sequence["JSONValue"], Mapping[str, "JSONValue"]]
Position = dict[str, JSONValue]

_KINDS = ("str", "int", "float", "bool", "list")


@attrs.frozen(slots=True, kw_only=True)
class Option:
    """One setting a provider accepts (credential, base URL, listing option).

    ``kind`` says how a string from an env var or ``-o key=value`` is read:
    ``str``, ``int``, ``float``, ``bool`` or ``list`` (comma-separated).
    ``secret`` options are redacted everywhere. ``listing`` options change *what* a
    listing returns (e.g. ``source``), so they are recorded in cursors and a cursor made
    under other values is refused; never also secret (a cursor holds none). ``account``
    options (a login, the API host; never secret) say whose account it is (`account.account_key`)."""

    name: str
    help: str
    kind: str = attrs.field(default="str", validator=attrs.validators.in_(_KINDS))
    default: Any = None
    required: bool = False
    secret: bool = False
    listing: bool = False
    account: bool = False
    choices: tuple[str, ...] | None = None


def _shown(value: Any) -> Any:
    return scrub_userinfo(value) if isinstance(value, str) else value


class Settings(Mapping[str, Any]):
    """Validated option values of one provider instance; secrets masked in its repr.

    ``sources``: where each value read from the environment or a profile came from (the
    variable's name, the profile's table and file), never the value; one given outright
    or a default is not in it. ``seotasks check`` says whose credentials it proved."""

    def __init__(
        self,
        values: Mapping[str, Any],
        secret_names: frozenset[str],
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self._values = dict(values)
        self._secret_names = secret_names
        self.sources: Mapping[str, str] = dict(sources or {})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        shown = {
            k: ("***" if k in self._secret_names and v else _shown(v))
            for k, v in self._values.items()
        }
        return f"Settings({shown!r})"

    __str__ = __repr__


@attrs.frozen(slots=True, kw_only=True)
class Batch:
    """What one `Provider.fetch` returns: the page's tasks and where to go next.

    ``next`` is ``None`` at the end of the listing. ``capped`` / ``notes`` pass on what the
    vendor said about completeness.
    """

    tasks: Sequence[Task]
    next: Position | None
    capped: bool = False
    notes: tuple[str, ...] = attrs.field(default=(), converter=as_notes)


@attrs.frozen(slots=True, kw_only=True)
class ResultDownload:
    """How to fetch a task's whole result in one call, streamed to disk (`Provider.result_download`).

    ``request`` is the one call. ``fields`` are the scalar fields of the answer ``check``
    needs, as ijson paths (``"status_code"``, ``"tasks.item.id"``: ``item`` is any array
    element); the core streams the answer to a file, validates it as JSON and reads just
    those. ``check(response, head)`` then judges the answer as `Provider.collect` would:
    it raises the typed error for a vendor error (``response.body`` holds a non-2xx body;
    ``head`` maps each field found to its value on a 2xx) and returns the id of the task
    the answer names, or None when it names none.
    """

    request: Request
    fields: frozenset[str]
    check: Callable[[Response, Mapping[str, Any]], str | None]


_optional_text = attrs.validators.optional(attrs.validators.instance_of(str))


@attrs.frozen(slots=True, kw_only=True)
class CallbackEntry:
    """One task a vendor's callback tells about (`Provider.read_callback`).

    ``result``: the task's whole result, as `Provider.collect` would return it, any JSON
    value (a postback carries it; the receiver writes it as its file). ``error``: the vendor's
    error for the task (no result; reported on its line). Neither: a notice that the task
    is ready (a pingback); the receiver queues it and collects it with ``collect``, for
    which ``kind`` says what the provider needs beyond the id. ``tag`` is the caller's
    label, where the callback carries it. Checked as made: ``task_id`` a non-empty `str`,
    the other texts `str` or None (`TypeError`), a result or an error, not both, and
    ``kind`` printable text of at most `KIND_MAX` characters (`ValueError`): a reader
    that lets a vendor's number, list or null through fails where it reads, not in the
    receiver's file names and lines. What a kind may be beyond that is the provider's:
    its reader refuses one its ``collect`` could not use (DataForSEO: no task_get path).
    """

    task_id: str = attrs.field(validator=attrs.validators.instance_of(str))
    result: JSONValue = None
    error: str | None = attrs.field(default=None, validator=_optional_text)
    tag: str | None = attrs.field(default=None, validator=_optional_text)
    kind: str | None = attrs.field(default=None, validator=_optional_text)

    def __attrs_post_init__(self) -> None:
        if not self.task_id:
            raise ValueError("CallbackEntry needs a task id; the delivery named none")
        if self.result is not None and self.error is not None:
            raise ValueError(
                f"CallbackEntry for task {self.task_id}: a result or an error, not both"
            )
        if self.kind is not None and not (len(self.kind) <= KIND_MAX and self.kind.isprintable()):
            raise ValueError(
                f"CallbackEntry for task {self.task_id}: kind is no printable text of at most "
                f"{KIND_MAX} characters"
            )


#: The longest `CallbackEntry.kind`: a kind names what a task is, it holds no data.
KIND_MAX = 200


@attrs.frozen(slots=True, kw_only=True)
class Sandbox:
    """A running emulator: the settings that point a provider at it, and how to stop it."""

    settings: Mapping[str, Any]
    stop: Any  # Callable[[], None]; Any keeps attrs from wrapping it
    description: str = ""


class Provider(abc.ABC):
    """Base class of every provider. Subclass it in your plugin and register the class.

    Class attributes describe the provider; an instance is created by
    `seotasks.connect` with validated `Settings` and a ready `Transport`
    (pacing set from `rate_limits`, secrets from `options` registered for redaction).
    """

    #: Registered name, lower case: what ``connect(name)`` and ``-p NAME`` use.
    name: ClassVar[str]
    #: One line for ``seotasks providers``.
    description: ClassVar[str] = ""
    #: Every setting the provider accepts.
    options: ClassVar[tuple[Option, ...]] = ()
    #: Client-side pacing per endpoint key (the ``endpoint`` of each `Request`).
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {}
    #: How many calls of an account the vendor serves at once, refusing the next
    #: (DataForSEO: 30); a client never has more out, whatever its workers and threads
    #: (`seotasks.inflight`). ``None``: the vendor states no such limit.
    max_in_flight: ClassVar[int | None] = None
    #: Query parameters whose values are secrets (e.g. Serpstat's ``token``).
    secret_params: ClassVar[tuple[str, ...]] = ()
    #: `SerpTaskSpec` fields `submit` expresses in the vendor's call (perhaps only for
    #: some values, refusing the others with `UnsupportedQuery`).
    spec_maps: ClassVar[frozenset[str]] = frozenset()
    #: `SerpTaskSpec` fields `submit` cannot express at all: a spec that sets one is
    #: refused with `UnsupportedQuery`, never posted without it. Together with
    #: `spec_maps` they must name every spec field, which the conformance kit checks,
    #: so a field added to the spec later is never silently dropped by a provider.
    spec_refuses: ClassVar[frozenset[str]] = frozenset()
    #: The callbacks the vendor makes, by route name, with the HTTP method each comes
    #: with (DataForSEO: ``{"postback": "POST", "pingback": "GET"}``): what ``seotasks
    #: receive`` serves, at ``/<secret>/<route>``, and hands to `read_callback`.
    callbacks: ClassVar[Mapping[str, str]] = {}
    #: How many specs one `submit` call should get at most: the vendor's batch (DataForSEO
    #: posts 100 tasks a call, Serpstat 1000 keywords a task). ``seotasks submit`` hands
    #: specs over this many at a time and journals each handful, so a run stopped midway
    #: leaves at most one batch whose outcome is unknown.
    submit_batch: ClassVar[int] = 100

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self.settings = settings
        self.transport = transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.settings!r}>"

    # -- hooks the core calls ---------------------------------------------------------

    @classmethod
    def configure(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        """Check option values together (e.g. page size bounds) before any request.

        Raise `seotasks.ConfigError` for bad combinations; return the settings,
        possibly with derived values filled in. Called once by `connect`.
        """
        return settings

    def rate_limits_for(self) -> Mapping[str, RateLimit]:
        """The pacing actually used; override when it depends on settings (a plan's rps)."""
        return self.rate_limits

    def register_secrets(self, redactor: Redactor) -> None:
        """Tell the redactor every secret form; the default adds each ``secret`` option.

        Override to add derived secrets (the Basic-auth header built from a password).
        """
        for option in self.options:
            value = self.settings.get(option.name)
            if option.secret and isinstance(value, str):
                redactor.add(value)
        for param in self.secret_params:
            redactor.add_param(param)

    @abc.abstractmethod
    def capabilities(self) -> Capabilities:
        """What this instance's listing can do (may depend on its settings)."""

    @abc.abstractmethod
    def start(self, query: TaskQuery) -> Position:
        """The position of the first page for ``query``.

        Raise `UnsupportedQuery` (with the reason) for a query the vendor cannot answer,
        e.g. a ``since`` older than the vendor keeps. No request needs to be made here.
        """

    @abc.abstractmethod
    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        """Fetch one page at ``position``; return its tasks and the next position.

        May return tasks outside ``query`` (the core filters); must not return a task
        twice across consecutive positions if it can tell (the core also drops repeats
        at page boundaries). Raise the typed errors of `seotasks.errors`.
        """

    def check_position(self, position: Position) -> Position:
        """Validate a position decoded from a caller-held cursor; raise `CursorError`.

        The default accepts any mapping. Override to check types and ranges, so that an
        edited cursor cannot make the provider call an endpoint it would not call itself.
        """
        if not isinstance(position, dict):
            raise CursorError("cursor position is not an object")
        return position

    def collect(self, task: Task) -> JSONValue:
        """Fetch a finished task's result (the vendor's JSON). Not all providers can.

        Any JSON value (an object; an array for some vendors), stored as returned. A task
        from ``seotasks collect --id`` has only its id, status and ``--kind``, no ``raw``.
        A vendor's documented "nothing found" (DataForSEO 40102 No Search Results) is a
        result, not an error: return the answer. When the listing `Capabilities.drains`,
        this fetch is taken to consume the task: callers that store results record it in
        a `seotasks.journal.Journal` first (``seotasks collect`` and ``load`` do).
        """
        raise UnsupportedQuery(f"provider {self.name!r} cannot collect task results")

    def result_download(self, task: Task) -> ResultDownload | None:
        """The one call that answers with ``task``'s whole result, to stream to disk.

        ``seotasks collect`` fetches results this way when a provider offers it, so a
        result of any size costs one read buffer of memory, and the file keeps the
        vendor's bytes. ``None`` (the default, and right for a result read in several
        calls, such as Serpstat's pages): `collect` is called and its JSON encoded.
        """
        return None

    def result_task_id(self, result: Mapping[str, Any]) -> str | None:
        """The id of the task ``result`` answers for, as the answer itself says; ``None``
        when the vendor's answer does not name its task.

        `Client.collect` compares it with the id it asked for: an answer for another task
        is a `ResponseFormatError` for the asked one, never stored under its name (asked
        only of a JSON object: an array cannot name its task).
        """
        return None

    def submit(self, specs: Sequence[SerpTaskSpec]) -> list[SubmitResult]:
        """Post ``specs`` as vendor tasks; one `SubmitResult` per spec, in order.

        Batch as the vendor allows and report each spec's task id or error: lose none,
        and never send a batch twice (build requests with ``idempotent=False`` so the
        transport retries only failures that prove nothing was processed). A field the
        vendor cannot express is an `UnsupportedQuery` for that spec - check every field,
        ``serp_type`` and the callback URLs included, so that a field added to the spec
        later is refused rather than dropped. Not all providers can.
        """
        raise UnsupportedQuery(f"provider {self.name!r} cannot submit tasks")

    @classmethod
    def check_spec(cls, spec: SerpTaskSpec) -> None:
        """Raise `UnsupportedQuery` for a spec `submit` would refuse without any call (a
        value outside the vendor's range, an engine it does not crawl).

        ``seotasks submit`` asks it of every spec before anything is posted, and names the
        file's line of each refused one (exit 2): found one by one in the output, a
        refused spec cost a run that posted the others, and a second to post it fixed.
        The default refuses nothing (every spec is tried by `submit`).
        """

    @classmethod
    def read_callback(
        cls, route: str, body: object, query: Mapping[str, Sequence[str]]
    ) -> list[CallbackEntry]:
        """The tasks one delivered callback tells about (the receiver's only vendor knowledge).

        ``route`` is one of `callbacks`; ``body`` the request's body as strict JSON
        (within the receiver's size caps, decompressed), or None for a GET; ``query``
        the URL's query values (the secret removed). Raise `ValueError` with a short
        reason for a delivery that is not what the vendor sends: the receiver answers
        400 and keeps the body in ``.rejected/``. A class method: no connection is needed
        to read a callback (collecting a pingback's task later uses one).
        """
        raise ValueError(f"provider {cls.name!r} receives no callbacks")

    def advice(self, topic: str, detail: str = "") -> str | None:
        """A short hint for the person running a listing, or None; the CLI shows it.

        ``topic`` is ``"wait"`` (a pacing wait of more than a few seconds is starting
        before a call to the endpoint key ``detail``: how to need fewer calls) or
        ``"capped"`` (the vendor hid part of a list: how to see the rest).
        """
        return None

    def account(self) -> Account | None:
        """The account behind the credentials: balance and limits (`seotasks.account.Account`).

        ``seotasks check`` calls it to prove the credentials and the base URL and to show
        what is left to spend. Override it with the vendor's account call when it has one
        (free, read-only); raise the classified error as any call would (`AuthError` for
        refused credentials). ``None``, the default, means the vendor has no such call:
        ``check`` then proves the credentials with the first page of a listing instead.
        """
        return None

    def close(self) -> None:
        """Release resources beyond the transport (the transport is closed by the client)."""

    # -- sandbox -------------------------------------------------------------------------

    @classmethod
    def sandbox(cls, request: SandboxRequest) -> AbstractContextManager[Sandbox] | None:
        """Start this provider's emulator on loopback, if it ships one.

        Returns a context manager yielding a `Sandbox` whose ``settings`` (base URL and
        credentials) make `connect` talk to it, or ``None`` without an emulator.
        ``request`` (`seotasks.SandboxRequest`) holds the seed, the size, the data's wall
        clock ``now`` (draw the seeded tasks' times around it: the same seed and ``now``
        give the same tasks, timestamps included) and the ``clock`` of the rate limits.
        """
        return None


def declared_capabilities(provider: Provider) -> Capabilities:
    """``provider.capabilities()``, refused by name when it is no `Capabilities`: a dict
    would otherwise fail as an ``AttributeError`` in whichever part of the core reads
    it first, seventeen places away from the plugin's mistake."""
    declared = provider.capabilities()
    if not isinstance(declared, Capabilities):
        raise plugin_fault(
            TypeError(
                f"{provider.name}: capabilities() returned a {type(declared).__name__}, not "
                "seotasks.Capabilities"
            ),
            provider.name,
        )
    return declared
