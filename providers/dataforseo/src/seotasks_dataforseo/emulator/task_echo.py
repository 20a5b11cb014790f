"""What a task was posted with, and the ``data`` / ``metadata`` that echo it.

The vendor answers ``task_get`` with ``data`` = the call (``api``, ``function:
"task_get"``, ``se``, ``se_type``) plus every field of the posted task *as posted*: a
``location_name`` stays a name, a ``keywords`` list stays a JSON list, ``depth``, ``os``,
``priority`` and ``se_domain`` are kept, an LLM task keeps ``user_prompt`` and
``model_name``. id_list ``metadata`` is the same echo with ``function`` naming the call
that created the task (``task_post``, or ``live`` for the live-only APIs). A caller
reading either sees what it asked for, so the emulator must not replace a name by its
code (the *result* carries codes) nor invent fields a task was not posted with.

A posted task keeps its item (`EmuTask.request`). A seeded task was never posted, so
`request_of` draws the request it *would* have been posted with: the endpoint's required
fields and its subject, location, language, device and tag as the task already has them,
so the echo, the result and the listings tell one story. Drawn from the task id: the same
task always gets the same request.

One thing beyond "as posted", because the vendor's examples show it: a SERP echo names
the ``device`` and ``os`` the task ran with even when the caller left them to the
defaults (``desktop`` / ``windows``, ``mobile`` / ``android``).
"""

from __future__ import annotations

import base64
import random
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from . import vendor_shapes
from .dataset import EmuTask

__all__ = ["DEFAULT_OS", "echo", "request_of", "rng_of", "slug", "target_of"]

#: The ``os`` a SERP task runs on when none is posted, per device (the vendor's defaults).
DEFAULT_OS = {"desktop": "windows", "mobile": "android", "tablet": "android"}
#: ``model_name`` of a drawn LLM task, per engine (one current model of each vendor).
_MODELS = {
    "chat_gpt": "gpt-4o-mini",
    "claude": "claude-3-5-haiku-latest",
    "gemini": "gemini-2.0-flash",
}
#: Request fields of the live-only kinds the seeded account holds (the official client's
#: table covers task_post endpoints only): subject field and whether a place is taken.
_LIVE_FIELDS: dict[str, tuple[str, bool]] = {
    "dataforseo_labs/google/ranked_keywords": ("target", True),
    "dataforseo_labs/google/related_keywords": ("keyword", True),
    "dataforseo_labs/google/keyword_ideas": ("keywords", True),
    "backlinks/summary": ("target", False),
    "domain_analytics/technologies/domain_technologies": ("target", False),
    "content_analysis/search": ("keyword", False),
}
_WORDS = (
    "running shoes",
    "coffee beans",
    "gaming laptop",
    "garden tools",
    "city hotel",
    "road bike",
)
_NOT_ECHOED = frozenset({"api", "function", "se", "se_type"})


def rng_of(task_id: str, salt: str) -> random.Random:
    """A generator private to one task and one use: seeded by a string (hashed with
    SHA-512 by `random.Random`), so it is the same in every process and never touches
    the global random state."""
    return random.Random(f"{task_id}/{salt}")


def slug(text: str, *, limit: int = 40) -> str:
    """``text`` as a host label: ASCII letters, digits and single hyphens, never empty.

    Keywords hold spaces, commas, ``+``, ``%`` and non-Latin letters; a host made of them
    would not parse (or would parse as something else), so they are folded here once.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    label = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].strip("-")
    return label or f"q{zlib.crc32(text.encode()):08x}"


def target_of(task: EmuTask) -> str:
    """The domain a site-level task is about: its posted ``target`` (or ``domain`` /
    ``url`` host), else one drawn from its keyword and id."""
    posted = task.request or {}
    for name in ("target", "domain"):
        value = posted.get(name)
        if isinstance(value, str) and value:
            return value
    return f"{slug(task.keyword, limit=20)}-{task.id[:4]}.example.com"


def request_of(task: EmuTask) -> dict[str, Any]:
    """The fields ``task`` was posted with (nulls dropped), or the request drawn for a
    seeded task. A fresh dict: callers may change it."""
    if task.request is not None:
        return dict(task.request)
    return _drawn(task)


def echo(task: EmuTask, function: str) -> dict[str, Any]:
    """``data`` of a task_get answer (``function="task_get"``) or an id_list item's
    ``metadata`` (``"task_post"`` / ``"live"``) for ``task``."""
    data: dict[str, Any] = {"api": task.family, "function": function}
    if task.se:
        data["se"] = task.se
    if task.se_type:
        data["se_type"] = task.se_type
    request = request_of(task)
    data.update((k, v) for k, v in request.items() if k not in _NOT_ECHOED)
    if task.family == "serp":
        fields = vendor_shapes.post_fields(task.kind)
        if fields is None or "device" in fields:
            data.setdefault("device", "desktop")
        if fields is None or "os" in fields:
            device = data.get("device")
            data.setdefault(
                "os", DEFAULT_OS.get(device if isinstance(device, str) else "", "windows")
            )
    return data


# -- the request of a seeded task ---------------------------------------------------------


def _keywords(task: EmuTask, rng: random.Random) -> list[str]:
    """One to three keywords, the task's own first (so its listings and result agree)."""
    extra = [w for w in _WORDS if w != task.keyword]
    rng.shuffle(extra)
    return [task.keyword, *extra[: rng.randrange(3)]]


def _video_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(rng.choice(alphabet) for _ in range(11))


#: Drawn values of required subject fields, by field name.
_SUBJECTS: dict[str, Callable[[EmuTask, random.Random], Any]] = {
    "keyword": lambda t, r: t.keyword,
    "keywords": _keywords,
    "target": lambda t, r: target_of(t),
    "domain": lambda t, r: f"www.{slug(t.keyword, limit=20)}.com",
    "url": lambda t, r: f"https://{target_of(t)}/",
    "user_prompt": lambda t, r: f"What should I know before buying {t.keyword}?",
    "model_name": lambda t, r: _MODELS.get(t.se or "", "gpt-4o-mini"),
    "app_id": lambda t, r: (
        str(r.randrange(10**8, 10**10))
        if t.se == "apple"
        else f"com.{slug(t.keyword, limit=20).replace('-', '')}.app"
    ),
    "app_collection": lambda t, r: "top_free_iphone" if t.se == "apple" else "topselling_free",
    "asin": lambda t, r: (
        "B0" + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
    ),
    "product_id": lambda t, r: str(r.randrange(10**15, 10**16)),
    "video_id": lambda t, r: _video_id(r),
    "dataset_id": lambda t, r: base64.b64encode(f"/g/11{r.randrange(10**8):08d}".encode()).decode(),
    "image_url": lambda t, r: f"https://{target_of(t)}/images/{slug(t.keyword)}.jpg",
    "bid": lambda t, r: round(r.uniform(0.5, 5.0), 2),
    "match": lambda t, r: "exact",
    "max_crawl_pages": lambda t, r: r.choice((10, 25, 50, 100, 250, 500)),
}


def _drawn(task: EmuTask) -> dict[str, Any]:
    rng = rng_of(task.id, "request")
    fields: Mapping[str, tuple[str, bool]] | None = vendor_shapes.post_fields(task.kind)
    request: dict[str, Any] = {}
    if fields is None:
        subject, placed = _LIVE_FIELDS.get(task.kind, ("keyword", True))
        names: dict[str, tuple[str, bool]] = {subject: ("any", True)}
        if placed:
            names.update(location_code=("int", False), language_code=("str", False))
        if task.family == "serp":
            names.update(device=("str", False), os=("str", False))
        fields = names
    # The subject: every required field, and the one field the task is "about" when none
    # is required (Business Data Reviews takes a keyword, a cid or a place_id).
    wanted = [n for n, (_, required) in fields.items() if required]
    if not any(n in _SUBJECTS for n in wanted):
        wanted += [n for n in ("keyword", "keywords", "target", "product_id") if n in fields][:1]
    for name in wanted:
        make = _SUBJECTS.get(name)
        if make is not None:
            request[name] = make(task, rng)
    if "location_code" in fields and task.location is not None:
        request["location_code"] = task.location
    if "language_code" in fields and task.language is not None:
        request["language_code"] = task.language
    if "device" in fields:
        kind_ = fields["device"][0]
        request["device"] = [task.device] if kind_ == "list" else task.device
    if "os" in fields and task.family == "serp":
        request["os"] = DEFAULT_OS.get(task.device, "windows")
    # A tag the listings show was posted, so the echo holds it too, whatever the post
    # fields table says: tasks_ready lists a tag for every endpoint, Bing audience
    # estimation included (the official client's table lacks it there), and a kind the
    # table does not know (Yandex organic) takes one as every task_post does.
    if task.tag is not None:
        request["tag"] = task.tag
    return request
