"""DataForSEO's wire format: the envelope, its status codes, and task_post answers.

Why one module: the vendor answers HTTP 200 for nearly everything and puts the real
outcome in two levels of ``status_code`` (the call, then each task). Classifying those
codes is the rule most likely to change with the vendor, so it lives here, away from
the paging logic. The result items are declared and read in `items`, made tasks in `readers`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from seotasks.errors import (
    AuthError,
    NoResult,
    ProviderError,
    RateLimited,
    ResponseFormatError,
    SeotasksError,
    TransientError,
)
from seotasks.model import TaskStatus
from seotasks.transport import Response

__all__ = [
    "ECHOED",
    "OK",
    "classify",
    "format_time",
    "parse_envelope",
    "parse_one",
]

PROVIDER = "dataforseo"
OK = 20000
AUTH_CODES = frozenset({40100})
PAYMENT_CODES = frozenset({40200, 40210})
RATE_CODES = frozenset({40202, 40209})
TRANSIENT_CODES = frozenset({50000, 50301, 50303, 50304})
#: task_get lifecycle codes: not errors, the task is simply not done yet. Neither is
#: started: 40601 "Task Handed." is received and not yet enqueued, 40602 "Task In Queue."
#: enqueued for processing (the vendor's Errors page); both are queued.
PENDING = {40601: TaskStatus.QUEUED, 40602: TaskStatus.QUEUED}
#: Codes that mean "finished fine" (40102: no search results, zero rows).
SUCCESS_CODES = frozenset({OK, 40102})
#: Calls of one account the vendor serves at once; the next is answered 40209 "Too many
#: simultaneous queries." (docs/vendors/dataforseo.md, "Authentication / host").
SIMULTANEOUS = 30
#: 40209 (too many simultaneous queries) clears quickly; waiting a whole pacing
#: window for it would be wasteful, so it carries a short hint.
_CONCURRENCY_WAIT = 1.0


def format_time(when: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS +00:00``, the vendor's request format (UTC)."""
    when = when.astimezone(UTC)
    # f-string rather than strftime: strftime writes year 1 as "1", not "0001".
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} +00:00"
    )


def classify(
    code: int, message: str, *, where: str, http_status: int = 200
) -> SeotasksError | None:
    """The typed error for a vendor status code, or ``None`` for success.

    Decided on codes only: the vendor extends messages with details ("Invalid Field:
    'keywords'."), so matching text would break silently.
    """
    if code == OK:
        return None
    detail = f"{PROVIDER}: {where}: {code} {message}".strip()
    if code in AUTH_CODES or http_status == 401:
        return AuthError(f"{detail} (check the API login and password)")
    if code in RATE_CODES:
        retry_after = _CONCURRENCY_WAIT if code == 40209 else None
        return RateLimited(detail, retry_after=retry_after)
    if code in TRANSIENT_CODES:
        return TransientError(detail)
    if code in PAYMENT_CODES:  # retrying will not help; topping up the account will
        message = f"{message} (the account needs funds: see the DataForSEO dashboard)".strip()
    if http_status != 200:  # the URL asked says which part of a wrong base URL to fix
        message = f"{message} ({where})".strip()
    return ProviderError(code, message, provider=PROVIDER)


def _code(value: object, field: str) -> int:
    if type(value) is not int:
        raise ResponseFormatError(f"{PROVIDER}: status code is {value!r}", field=field)
    return value


def _message(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_envelope(response: Response, scrub: Callable[[str], str]) -> dict[str, Any]:
    """Check the HTTP status and the top-level ``status_code``; return the body.

    Raises the classified error (retryable ones are retried by the transport).
    ``scrub`` redacts vendor text before it reaches an exception.
    """
    status = response.status
    body: object = None
    # A cut-off HTTP-200 body raises TransientError (retried); a body that is not JSON
    # on another status is only decoration: the status says what happened.
    with contextlib.suppress(ResponseFormatError):
        body = response.json()
    code: int | None = None
    message = ""
    if isinstance(body, dict):
        raw_code = body.get("status_code")
        code = raw_code if type(raw_code) is int else None
        message = scrub(_message(body.get("status_message")))
    where = f"HTTP {status} from {response.url}"
    if status == 401:
        raise AuthError(
            f"{PROVIDER}: {where}: {code or 40100} {message} (check the API login and password)"
        )
    if status == 402:
        raise ProviderError(code or 40200, message or "Payment Required.", provider=PROVIDER)
    if status != 200:
        if code is not None and code != OK:
            error = classify(code, message, where=where, http_status=status)
            if error is not None:
                raise error
        # The URL asked says which part of a wrong base URL to fix (a 404 from a path).
        said = f"{message} ({where})" if message else f"unexpected {where}"
        raise ProviderError(code or status, said, provider=PROVIDER)
    if not isinstance(body, dict):
        raise ResponseFormatError(
            f"{PROVIDER}: expected a JSON object from {response.url}, got {type(body).__name__}"
        )
    top = _code(body.get("status_code"), "status_code")
    error = classify(top, message, where=response.url)
    if error is not None:
        raise error
    tasks = body.get("tasks")
    if not isinstance(tasks, list):
        raise ResponseFormatError(f"{PROVIDER}: no tasks array in {response.url}", field="tasks")
    return body


def parse_one(response: Response, scrub: Callable[[str], str]) -> dict[str, Any]:
    """`parse_envelope` for a call one task answers (``task_get``, ``tasks_ready``,
    ``id_list``, ``user_data``), that task's code judged too where it says "try again".

    The vendor may put 50000 "Internal Error" or a rate limit in the task under a 20000
    envelope; its documented meaning is the same at either level, so it is raised here,
    inside the transport's retry loop, rather than by `first_task` after the retries.
    Not for ``task_post``, whose tasks are one each per spec and must not be sent twice.
    """
    body = parse_envelope(response, scrub)
    tasks = body["tasks"]
    task = tasks[0] if tasks else None
    if isinstance(task, dict):
        code = task.get("status_code")
        if type(code) is int and (code in RATE_CODES or code in TRANSIENT_CODES):
            message = scrub(_message(task.get("status_message")))
            error = classify(code, message, where=f"task in {response.url}")
            if error is not None:  # always, for these codes
                raise error
    return body


def first_task(body: Mapping[str, Any], url: str, scrub: Callable[[str], str]) -> dict[str, Any]:
    """The envelope's one task object, its ``status_code`` checked.

    Pending codes pass (the caller decides what an unfinished task means), and so does
    40102 "No Search Results.": the vendor documents it as a finished task with zero
    rows, so a collect run writes it like any result and does not count it as failed.
    """
    tasks = body["tasks"]
    if not tasks:
        raise ResponseFormatError(f"{PROVIDER}: empty tasks array from {url}", field="tasks")
    task = tasks[0]
    if not isinstance(task, dict):
        raise ResponseFormatError(f"{PROVIDER}: task is not an object", field="tasks[0]")
    code = _code(task.get("status_code"), "tasks[0].status_code")
    if code in PENDING or code in SUCCESS_CODES:  # 40102 "No Search Results.": a result
        return task
    error = classify(code, scrub(_message(task.get("status_message"))), where=f"task in {url}")
    if error is not None:
        raise error
    return task


#: The error codes of a ``task_get`` task object that are the vendor's word on that task,
#: for good (its Errors page): the search engine failed it (40101, 40103 "Task execution
#: failed"), it is unknown to this account (40401), its results expired (40403), the
#: sandbox has none (40404), its target page could not be read (40405-40408, 50402).
#: Any other code (an account's: blocked, IP not whitelisted, funds; a path built wrong)
#: says nothing of the task.
NO_RESULT = frozenset({40101, 40103, 40401, 40403, 40404, 40405, 40406, 40407, 40408, 50402})


def fetched_task(
    body: Mapping[str, Any], url: str, scrub: Callable[[str], str], asked: str
) -> dict[str, Any]:
    """`first_task` of the ``task_get`` answer for task ``asked``: a `NO_RESULT` code in
    the task object of *that* task is a `NoResult` (a collect run may forget the task);
    the same code in an answer naming another task, or none, is a `ResponseFormatError`
    (a misrouted answer says nothing of the task asked), and every other error stays
    the `ProviderError` it is."""
    try:
        return first_task(body, url, scrub)
    except ProviderError as exc:
        if type(exc) is not ProviderError or exc.code not in NO_RESULT:
            raise
        # The task object's own id, or (the vendor may give an unknown task's answer an id
        # of its own) the request path it echoes, must name the task asked.
        first = body["tasks"][0]
        answered, path = first.get("id"), first.get("path")
        if answered != asked and not (isinstance(path, list) and asked in path):
            raise ResponseFormatError(
                f"{PROVIDER}: asked for the result of task {asked}, the vendor answered "
                f"{exc.code} for task {answered!r}; nothing was stored",
                item_id=asked,
            ) from None
        # The vendor answers "Task Not Found." for a task of another kind too: say where.
        said = f"{exc.message} (asked at {url})" if exc.code == 40401 else exc.message
        raise NoResult(exc.code, said, provider=PROVIDER) from None


#: The scalar fields of a ``task_get`` answer `check_streamed` judges it by (ijson paths).
STREAMED_FIELDS = frozenset(
    {
        "status_code",
        "status_message",
        "tasks_count",
        "tasks.item.id",
        "tasks.item.path.item",
        "tasks.item.status_code",
        "tasks.item.status_message",
    }
)


def check_streamed(
    response: Response, head: Mapping[str, Any], scrub: Callable[[str], str], asked: str
) -> dict[str, Any]:
    """`parse_envelope` then `first_task` for an answer streamed to disk: judged on the
    few fields of ``head`` (`STREAMED_FIELDS`), the rest never held in memory.

    Returns the first task's ``id``, ``status_code`` and ``status_message``.
    """
    if response.status != 200:
        parse_envelope(response, scrub)  # raises: its body is a short error, in memory
    top = _code(head.get("status_code"), "status_code")
    error = classify(top, scrub(_message(head.get("status_message"))), where=response.url)
    if error is not None:
        raise error
    if "tasks.item.status_code" not in head:
        raise ResponseFormatError(
            f"{PROVIDER}: no task in the answer from {response.url}", field="tasks"
        )
    task = {
        "id": head.get("tasks.item.id"),
        "path": head.get("tasks.item.path.item"),
        "status_code": head["tasks.item.status_code"],
        "status_message": head.get("tasks.item.status_message"),
    }
    return fetched_task({"tasks": [task]}, response.url, scrub, asked)


def result_items(task: Mapping[str, Any]) -> list[Any]:
    """``task.result`` as a list (``null`` is an empty result)."""
    result = task.get("result")
    if result is None:
        return []
    if not isinstance(result, list):
        raise ResponseFormatError(
            f"{PROVIDER}: result is {type(result).__name__}, not a list",
            field="tasks[0].result",
        )
    count = task.get("result_count")
    if count is not None and type(count) is not int:
        raise ResponseFormatError(
            f"{PROVIDER}: result_count is {count!r}", field="tasks[0].result_count"
        )
    return result


# -- task_post (submission) ----------------------------------------------------------------

#: Most tasks in one task_post call (those beyond it are each answered 40006).
POST_MAX = 100
#: Longest keyword the vendor accepts, counted here after `encode_keyword`.
KEYWORD_MAX = 700
#: Longest tag the vendor keeps.
TAG_MAX = 255
#: task_post's per-task code for an accepted task.
CREATED = 20100


def encode_keyword(keyword: str) -> str:
    """The keyword as task_post must carry it.

    The vendor percent-decodes ``keyword`` (``%##`` sequences, and ``+`` to a space), so a
    literal ``%`` is sent as ``%25`` and a literal ``+`` as ``%2B``; everything else as is.
    """
    return keyword.replace("%", "%25").replace("+", "%2B")


#: The fields of a posted task that task_post's answer echoes in its ``data`` as they
#: were sent (the caller's tag, a location code): the check that an answer is this
#: task's. Not the keyword: the vendor decodes it ("+" is a space) before echoing.
ECHOED = ("tag", "location_code")


def post_results(
    body: Mapping[str, Any], posted: Sequence[Mapping[str, Any]], scrub: Callable[[str], str]
) -> list[tuple[str | None, SeotasksError | None]]:
    """One ``(task_id, error)`` per ``posted`` task, in posting order, from a task_post answer.

    Tasks come back in the order they were posted; a missing or malformed one is a
    `ResponseFormatError` for that task (it may exist: check before resubmitting), and so
    is one whose ``data`` echoes another task's `ECHOED` fields: an answer to another
    request (a proxy's cached answer, a mixed-up array), whose id is not this task's.
    The answers carry no request id, so tasks alike in those fields cannot be told apart.
    """
    tasks = body.get("tasks") or []
    out: list[tuple[str | None, SeotasksError | None]] = []
    for index, item in enumerate(posted):
        task = tasks[index] if index < len(tasks) else None
        echoed = task.get("data") if isinstance(task, dict) else None
        if isinstance(echoed, dict):
            other = [k for k in ECHOED if k in item and k in echoed and echoed[k] != item[k]]
            if other:
                out.append(
                    (
                        None,
                        ResponseFormatError(
                            f"{PROVIDER}: task_post's answer at this task's place echoes "
                            f"another {other[0]}: it answers another task, which may or "
                            "may not have been created",
                            field=f"tasks[{index}].data.{other[0]}",
                        ),
                    )
                )
                continue
        if not isinstance(task, dict):
            out.append(
                (
                    None,
                    ResponseFormatError(
                        f"{PROVIDER}: task_post answered no task object for this spec; "
                        "it may or may not have been created",
                        field=f"tasks[{index}]",
                    ),
                )
            )
            continue
        code = task.get("status_code")
        task_id = task.get("id")
        if type(code) is not int:
            out.append(
                (
                    None,
                    ResponseFormatError(
                        f"{PROVIDER}: status code is {code!r}", field=f"tasks[{index}].status_code"
                    ),
                )
            )
            continue
        if code == CREATED:
            if not isinstance(task_id, str) or not task_id:
                out.append(
                    (
                        None,
                        ResponseFormatError(
                            f"{PROVIDER}: created task without an id", field=f"tasks[{index}].id"
                        ),
                    )
                )
            else:
                out.append((task_id, None))
            continue
        message = scrub(_message(task.get("status_message")))
        error = classify(code, message, where=f"task_post tasks[{index}]")
        if error is None:  # 20000 where 20100 belongs: accepted all the same
            if isinstance(task_id, str) and task_id:
                out.append((task_id, None))
                continue
            error = ResponseFormatError(f"{PROVIDER}: task without an id", field=f"tasks[{index}]")
        out.append((None, error))
    return out
