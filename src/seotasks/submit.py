"""Provider-neutral task submission: `SerpTaskSpec` in, one `SubmitResult` per spec out.

A `SerpTaskSpec` says *what* to crawl (a keyword on a search engine, for a location,
language and device) in terms every vendor can read; each provider maps it to its own
call in `Provider.submit` and says `UnsupportedQuery` for a field it cannot express,
never dropping it silently.

``location`` and ``language`` accept a name or a code:

* ``location``: an ``int`` is a vendor's numeric code (DataForSEO ``location_code``
  2840, Serpstat ``countryId`` 23); a string of digits is read as that int; any other
  string is a name (``"London,England,United Kingdom"``) or, for Serpstat, the
  ``"<country_id>/<region_id>"`` form its listing produces.
* ``language``: an ``int`` is a numeric id (Serpstat ``langId``); a short string such as
  ``"en"`` or ``"pt-br"`` is an ISO code (DataForSEO ``language_code``); anything longer
  is a name (``"English"``).

Submission is not idempotent: `Client.submit` never sends a batch twice. A batch whose
answer is lost (connection reset, timeout, HTTP 5xx after sending) is reported as a
`TransientError` on each of its specs, whose ``task_id`` is ``None``: the tasks may or
may not exist, so check the vendor's task list before resubmitting them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from .errors import ConfigError, SeotasksError

__all__ = ["DEVICES", "PRIORITIES", "SerpTaskSpec", "SubmitResult", "spec_from_json"]

DEVICES = ("desktop", "mobile")
PRIORITIES = ("normal", "high")
_ENGINE = re.compile(r"[a-z0-9_]{1,32}\Z")
_ISO = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?\Z", re.IGNORECASE)
_FIELDS = ("keyword", "engine", "location", "language", "device", "depth", "priority", "tag")


def _place(value: Any) -> Any:
    """Digit-only strings are codes; everything else is kept as given."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, str):
        return value.strip()
    return value


def _check_keyword(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("keyword must be a non-empty string")
    if any(ord(c) < 32 for c in value):
        raise ValueError("keyword must not contain control characters")


def _check_code_or_name(instance: Any, attribute: Any, value: Any) -> None:
    if value is None and attribute.name == "language":
        return
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{attribute.name} must be a name (str) or a code (int), got {value!r}")
    if isinstance(value, int) and value < 1:
        raise ValueError(f"{attribute.name} code must be >= 1, got {value}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{attribute.name} must not be empty")


def _check_depth(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (type(value) is not int or value < 1):
        raise ValueError(f"depth must be a positive integer or None, got {value!r}")


def _check_tag(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"tag must be a string or None, got {value!r}")


@attrs.frozen(slots=True, kw_only=True)
class SerpTaskSpec:
    """One SERP crawl to post, in provider-neutral terms; validated on construction.

    ``engine`` is the search engine's lower-case name (``google``, ``bing`` ...);
    ``depth`` the number of results wanted (``None``: the vendor's default);
    ``priority`` ``"normal"`` or ``"high"`` (``None``: the vendor's default);
    ``tag`` the caller's own label, echoed back by vendors that keep one.
    Invalid values raise ``ValueError``.
    """

    keyword: str = attrs.field(validator=_check_keyword)
    location: int | str = attrs.field(converter=_place, validator=_check_code_or_name)
    language: int | str | None = attrs.field(
        default=None, converter=_place, validator=_check_code_or_name
    )
    engine: str = attrs.field(default="google")
    device: str = attrs.field(default="desktop", validator=attrs.validators.in_(DEVICES))
    depth: int | None = attrs.field(default=None, validator=_check_depth)
    priority: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(PRIORITIES))
    )
    tag: str | None = attrs.field(default=None, validator=_check_tag)

    @engine.validator
    def _check_engine(self, attribute: Any, value: Any) -> None:
        if not isinstance(value, str) or not _ENGINE.match(value):
            raise ValueError(f"engine must be a lower-case name such as 'google', got {value!r}")

    @property
    def language_kind(self) -> str | None:
        """``"id"`` (numeric), ``"code"`` (ISO such as ``en``), ``"name"``, or ``None``."""
        value = self.language
        if value is None:
            return None
        if isinstance(value, int):
            return "id"
        return "code" if _ISO.match(value) else "name"

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON object (what ``seotasks submit`` reads, one per line)."""
        return {name: getattr(self, name) for name in _FIELDS}


def spec_from_json(data: object) -> SerpTaskSpec:
    """A spec from a decoded JSON object; unknown or invalid fields are a `ConfigError`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a task spec must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"unknown task spec field(s): {', '.join(map(str, unknown))}")
    try:
        return SerpTaskSpec(**{str(k): v for k, v in data.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid task spec: {exc}") from None


@attrs.frozen(slots=True, kw_only=True)
class SubmitResult:
    """What became of one spec: the vendor's ``task_id``, or the ``error`` that stopped it.

    Exactly one of the two is set. Several specs may share one ``task_id`` when the
    vendor takes many keywords in one task (Serpstat ``tasks.addKeywordList``).
    """

    spec: SerpTaskSpec
    task_id: str | None = None
    error: SeotasksError | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if (self.task_id is None) == (self.error is None):
            raise ValueError("a SubmitResult has either a task_id or an error")

    @property
    def ok(self) -> bool:
        return self.error is None
