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

``serp_type`` names the kind of results page in the vendors' shared vocabulary
(``organic``, ``maps``, ``local_finder``, ``news`` ...); each provider says which ones it
can post. ``pingback_url`` / ``postback_url`` ask the vendor to call you when a task is
done (DataForSEO; ``$id`` and ``$tag`` in them are the vendor's placeholders and are
sent as written). They may carry your own tokens, so a spec's repr masks their query
string, and providers register those values as secrets before sending them.

Submission is not idempotent: `Client.submit` never sends a batch twice. A batch whose
answer is lost (connection reset, timeout, HTTP 5xx after sending) is reported as a
`TransientError` on each of its specs, whose ``task_id`` is ``None``: the tasks may or
may not exist, so check the vendor's task list before resubmitting them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import cattrs
from cattrs.strategies import configure_union_passthrough
from cattrs.v import format_exception

from .convert import is_ascii_digits
from .errors import ConfigError, ResponseFormatError, SeotasksError
from .redact import mask_path_secrets

__all__ = [
    "DEVICES",
    "POSTBACK_DATA",
    "PRIORITIES",
    "SPEC_FIELDS",
    "URL_MAX",
    "SerpTaskSpec",
    "SubmitResult",
    "spec_from_json",
]

DEVICES = ("desktop", "mobile")
PRIORITIES = ("normal", "high")
#: What a postback carries (DataForSEO's result flavours); which ones a SERP type offers
#: is the provider's business.
POSTBACK_DATA = ("regular", "advanced", "html")
#: Longest callback URL accepted. Browsers and servers commonly stop near 2000 characters;
#: a longer one is far more likely a mistake than a real endpoint.
URL_MAX = 2048
_TOKEN = re.compile(r"[a-z0-9_]{1,32}\Z")
_ISO = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?\Z", re.IGNORECASE)


def _place(value: int | str) -> int | str:
    """Digit-only strings are codes; everything else is kept as given (the validator
    refuses what is neither). Typed as the field is: an untyped converter made a type
    checker take any ``location`` at all."""
    if isinstance(value, str):
        text = value.strip()
        return int(text) if is_ascii_digits(text) else text
    return value


def _optional_place(value: int | str | None) -> int | str | None:
    return None if value is None else _place(value)


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


def _check_token(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _TOKEN.match(value):
        example = "google" if attribute.name == "engine" else "organic"
        raise ValueError(
            f"{attribute.name} must be a lower-case name such as {example!r}, got {value!r}"
        )


def _check_url(instance: Any, attribute: Any, value: Any) -> None:
    """An absolute http(s) URL, sent verbatim; messages never quote it (it may hold tokens)."""
    if value is None:
        return
    name = attribute.name
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None, got a {type(value).__name__}")
    if not value or len(value) > URL_MAX:
        raise ValueError(f"{name} must be 1..{URL_MAX} characters long")
    if any(ord(c) < 33 or ord(c) == 127 for c in value):
        raise ValueError(f"{name} must not contain spaces or control characters")
    try:
        split = urlsplit(value)
        _ = split.port  # raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f"{name} is not a well-formed URL") from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ValueError(f"{name} must be an absolute http:// or https:// URL with a host")
    if "#" in value:
        # The vendor would percent-encode it into the URL it calls (%23): never what was meant.
        raise ValueError(f"{name} must not contain '#' (a fragment is never sent to a server)")


def _mask_url(value: str | None) -> str:
    """The URL for a repr: scheme, host and path; the query and the path segments that
    could be a token (`seotasks.redact.path_secrets`, a receiver's secret) masked."""
    if value is None:
        return "None"
    split = urlsplit(value)
    host = split.hostname or ""
    if split.port is not None:
        host = f"{host}:{split.port}"
    masked = f"{split.scheme}://{host}{mask_path_secrets(split.path)}"
    return repr(masked + ("?***" if split.query else ""))


def _one_of(choices: tuple[str, ...], *, optional: bool = False) -> Any:
    """A validator for a field with a fixed set of values whose message is the user's own
    terms (``device must be one of desktop, mobile, got 'tablet'``): attrs' ``in_`` puts
    its ``Attribute`` repr into the exception, which then reached the command line."""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and optional:
            return
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, got {value!r}")

    return check


def _check_postback_data(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and value not in POSTBACK_DATA:
        raise ValueError(f"postback_data must be one of {', '.join(POSTBACK_DATA)}, got {value!r}")


@attrs.frozen(slots=True, kw_only=True)
class SerpTaskSpec:
    """One SERP crawl to post, in provider-neutral terms; validated on construction.

    ``engine`` is the search engine's lower-case name (``google``, ``bing`` ...);
    ``serp_type`` the kind of results page (``organic``, ``maps``, ``news`` ...);
    ``depth`` the number of results wanted (``None``: the vendor's default);
    ``priority`` ``"normal"`` or ``"high"`` (``None``: the vendor's default);
    ``tag`` the caller's own label, echoed back by vendors that keep one;
    ``pingback_url`` a URL the vendor calls (GET) when the task is done;
    ``postback_url`` a URL the vendor sends the result to (POST), in the
    ``postback_data`` flavour (``None``: the provider's default for that SERP type).
    Invalid values raise ``ValueError``.
    """

    keyword: str = attrs.field(validator=_check_keyword)
    location: int | str = attrs.field(converter=_place, validator=_check_code_or_name)
    language: int | str | None = attrs.field(
        default=None, converter=_optional_place, validator=_check_code_or_name
    )
    engine: str = attrs.field(default="google", validator=_check_token)
    serp_type: str = attrs.field(default="organic", validator=_check_token)
    device: str = attrs.field(default="desktop", validator=_one_of(DEVICES))
    depth: int | None = attrs.field(default=None, validator=_check_depth)
    priority: str | None = attrs.field(default=None, validator=_one_of(PRIORITIES, optional=True))
    tag: str | None = attrs.field(default=None, validator=_check_tag)
    pingback_url: str | None = attrs.field(default=None, validator=_check_url, repr=_mask_url)
    postback_url: str | None = attrs.field(default=None, validator=_check_url, repr=_mask_url)
    postback_data: str | None = attrs.field(default=None, validator=_check_postback_data)

    def __attrs_post_init__(self) -> None:
        if self.postback_data is not None and self.postback_url is None:
            raise ValueError("postback_data only applies together with a postback_url")

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
        unstructured: dict[str, Any] = _SPECS.unstructure(self)
        return unstructured


#: Every field of a spec, read off the class: what JSON may carry and what each provider
#: must declare as mapped or refused (`Provider.spec_fields`).
SPEC_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(SerpTaskSpec))

#: Spec JSON in and out: the class's own fields, validators and converters, nothing kept
#: by hand. Extra keys are refused (a misspelled field must not be dropped).
_SPECS = cattrs.Converter(forbid_extra_keys=True)
configure_union_passthrough(int | str | None, _SPECS)


def _exactly(kind: type) -> Any:
    """A structure hook taking JSON values of ``kind`` as they are: ``"10"`` is not a depth
    and ``5`` is not a tag (cattrs would convert both), so the validators see the truth."""

    def hook(value: object, _type: object) -> object:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    return hook


_SPECS.register_structure_hook(int, _exactly(int))
_SPECS.register_structure_hook(str, _exactly(str))


def _words(exc: BaseException) -> str:
    """An exception's message. attrs' own validators (``in_``) raise with the message
    *and* the attribute, the choices and the value as arguments, whose ``str`` is the
    tuple's repr: only the message is for a person."""
    if len(exc.args) > 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def _spec_problem(exc: BaseException, _type: type | None) -> str:
    """The validator's own words for a bad value; cattrs' wording for the rest."""
    if isinstance(exc, ValueError | TypeError) and str(exc):
        return _words(exc)
    return format_exception(exc, _type)


def spec_from_json(data: object) -> SerpTaskSpec:
    """A spec from a decoded JSON object; unknown or invalid fields are a `ConfigError`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a task spec must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - set(SPEC_FIELDS))
    if unknown:
        raise ConfigError(f"unknown task spec field(s): {', '.join(unknown)}")
    try:
        return _SPECS.structure(dict(data), SerpTaskSpec)
    except cattrs.BaseValidationError as exc:
        # A validator's problem is the whole spec's ("@ $", the root): the path says nothing.
        problems = [
            p.removesuffix(" @ $")
            for p in cattrs.transform_error(exc, format_exception=_spec_problem)
        ]
        raise ConfigError(f"invalid task spec: {'; '.join(problems)}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid task spec: {_words(exc)}") from None


@attrs.frozen(slots=True, kw_only=True)
class SubmitResult:
    """What became of one spec: the vendor's ``task_id``, or the ``error`` that stopped it.

    Exactly one of the two is set. Several specs may share one ``task_id`` when the
    vendor takes many keywords in one task (Serpstat ``tasks.addKeywordList``). An
    ``error`` that is a `ResponseFormatError` (the vendor answered, but not readably) is
    marked ``outcome_unknown``, as a lost answer is: the vendor may have created the
    task, so no caller may take it for a refusal and post the spec again.

    ``kind`` is the accepted task's kind exactly as its listing will give `Task.kind`
    (DataForSEO ``serp/google/maps``, Serpstat ``serp/google``): what fetching it by id
    needs (``Task(provider=..., id=task_id, kind=kind, ...)``, ``collect --id ID --kind
    KIND``) without working it out from the spec. ``None`` where the provider cannot say,
    and always for an ``error``.
    """

    spec: SerpTaskSpec
    task_id: str | None = None
    error: SeotasksError | None = attrs.field(default=None, eq=False)
    kind: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.task_id is None) == (self.error is None):
            raise ValueError("a SubmitResult has either a task_id or an error")
        if self.kind is not None and self.task_id is None:
            raise ValueError("a SubmitResult's kind is that of its task: none without a task_id")
        if isinstance(self.error, ResponseFormatError):
            self.error.outcome_unknown = True

    @property
    def ok(self) -> bool:
        return self.error is None
