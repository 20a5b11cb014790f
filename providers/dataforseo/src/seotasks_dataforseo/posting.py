"""``task_post`` items: a `SerpTaskSpec` as the array item DataForSEO's endpoint takes.

What each endpoint takes (devices, depth limits and field, postback flavours) comes
from `serp_types.SERP_TYPES`, the table the emulator checks against too; a field the
endpoint cannot express is an `UnsupportedQuery` for that spec, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from seotasks.errors import UnsupportedQuery
from seotasks.redact import Redactor, path_secrets

from . import serp_types, wire
from .endpoints import kind_from_url

if TYPE_CHECKING:
    from seotasks.submit import SerpTaskSpec, SubmitResult

__all__ = ["post_item", "register_callback_secrets"]

#: The vendor's placeholders in callback URLs: not secrets, and too common to scrub.
_PLACEHOLDERS = frozenset({"$id", "$tag"})
#: The query parameters `seotasks receive` routes a pingback by: the task's id, tag and
#: kind, never a token. Taken for secrets, ``kind=serp/google/organic`` masked every path
#: holding the kind (the ``task_post`` call's own in the debug log).
_ROUTING = frozenset({"id", "tag", "kind"})


def post_item(spec: SerpTaskSpec) -> tuple[str, dict[str, Any]]:
    """The task_post path and array item for ``spec``; `UnsupportedQuery` if it cannot be.

    What the endpoint takes (devices, depth limits and field, postback flavours) comes
    from `serp_types.SERP_TYPES`, the table the emulator checks against too.
    """
    serp = serp_types.find(spec.engine, spec.serp_type)
    if serp is None:
        raise UnsupportedQuery(f"dataforseo: {serp_types.why_unknown(spec.engine, spec.serp_type)}")
    keyword = wire.encode_keyword(spec.keyword)
    if len(keyword) > wire.KEYWORD_MAX:
        raise UnsupportedQuery(
            f"dataforseo: keyword is {len(keyword)} characters once '%' and '+' are encoded; "
            f"the vendor accepts at most {wire.KEYWORD_MAX}"
        )
    item: dict[str, Any] = {"keyword": keyword}
    if isinstance(spec.location, int):
        item["location_code"] = spec.location
    else:
        item["location_name"] = spec.location
    kind_of_language = spec.language_kind
    if kind_of_language == "id":
        raise UnsupportedQuery(
            f"dataforseo: language {spec.language!r} is a numeric id; DataForSEO takes an ISO "
            "code such as 'en' or a name such as 'English'"
        )
    if kind_of_language is not None:
        item["language_code" if kind_of_language == "code" else "language_name"] = spec.language
    elif serp.language_required:
        raise UnsupportedQuery(
            f"dataforseo: {serp.kind} task_post needs a language (a name or an ISO code)"
        )
    problem = serp_types.device_problem(serp, spec.device)
    if problem is not None:
        raise UnsupportedQuery(f"dataforseo: {problem}")
    if serp.device_field:
        item["device"] = spec.device
    if spec.depth is not None:
        problem = serp_types.depth_problem(serp, spec.device, spec.depth)
        if problem is not None or serp.depth_field is None:
            raise UnsupportedQuery(f"dataforseo: {problem}")
        item[serp.depth_field] = spec.depth
    if spec.priority is not None:
        item["priority"] = 2 if spec.priority == "high" else 1
    if spec.tag is not None:
        if len(spec.tag) > wire.TAG_MAX:
            raise UnsupportedQuery(f"dataforseo: tag is longer than {wire.TAG_MAX} characters")
        item["tag"] = spec.tag
    if spec.pingback_url is not None:
        item["pingback_url"] = spec.pingback_url
    if spec.postback_url is not None:
        data = spec.postback_data or serp.default_postback_data
        if data not in serp.postback_data:
            raise UnsupportedQuery(
                f"dataforseo: postback_data {data!r} is not offered by {serp.kind} "
                f"(it offers {', '.join(serp.postback_data)})"
            )
        item["postback_url"] = spec.postback_url
        item["postback_data"] = data
    return f"/v3/{serp.kind}/task_post", item


def register_callback_secrets(redactor: Redactor, spec: SerpTaskSpec) -> None:
    """Scrub the tokens a callback URL may carry (query values, a userinfo password, a
    path segment such as `seotasks receive`'s secret)."""
    for url in (spec.pingback_url, spec.postback_url):
        if url is None:
            continue
        split = urlsplit(url)
        if split.password:
            redactor.add(split.password)
        for segment in path_secrets(split.path):
            redactor.add(segment)
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            if value not in _PLACEHOLDERS and name not in _ROUTING:
                redactor.add(value)
        if split.query:
            redactor.add(split.query)


def post_specs(
    specs: Sequence[SerpTaskSpec],
    post: Callable[[str, list[dict[str, Any]]], dict[str, Any]],
    redactor: Redactor,
) -> list[SubmitResult]:
    """`DataForSEOProvider.submit`'s work: group by endpoint, post arrays of at most 100
    with ``post(path, items)``, and give each spec its own outcome, in order.

    A failure of a whole call (after the transport's rules for non-idempotent calls) is
    each of its specs' error; per-task codes become per-spec results (20100: the id,
    and the kind read off the path as the history listing reads it off the task's
    ``url``: the ``Task.kind`` it lists, which ``task_get`` needs).
    """
    from seotasks.errors import SeotasksError
    from seotasks.submit import SubmitResult

    results: list[SubmitResult | None] = [None] * len(specs)
    by_path: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, spec in enumerate(specs):
        try:
            path, item = post_item(spec)
        except UnsupportedQuery as exc:
            results[index] = SubmitResult(spec=spec, error=exc)
            continue
        register_callback_secrets(redactor, spec)
        by_path.setdefault(path, []).append((index, item))
    for path, entries in by_path.items():
        for start in range(0, len(entries), wire.POST_MAX):
            batch = entries[start : start + wire.POST_MAX]
            try:
                body = post(path, [item for _, item in batch])
            except SeotasksError as exc:
                for index, _ in batch:
                    results[index] = SubmitResult(spec=specs[index], error=exc)
                continue
            outcomes = wire.post_results(body, [item for _, item in batch], redactor.scrub)
            kind = kind_from_url(path)
            for (index, _), (task_id, error) in zip(batch, outcomes, strict=True):
                results[index] = SubmitResult(
                    spec=specs[index],
                    task_id=task_id,
                    error=error,
                    kind=None if task_id is None else kind,
                )
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
