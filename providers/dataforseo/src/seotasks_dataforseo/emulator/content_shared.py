"""What every family's emulated content shares: the result type, the search engines'
hosts, the ranks and xpaths of items, the search urls and the ratings.

One place for them, so that each family's builder (`content_serp`, `content_keywords`,
`content_items`, ...) says only what is its own.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote, urlencode

from .result_values import Job

Result = dict[str, Any]

#: Per engine: the search page's host and the name of its query parameter.
ENGINES = {
    "google": ("www.google.com", "q"),
    "bing": ("www.bing.com", "q"),
    "yahoo": ("search.yahoo.com", "p"),
    "baidu": ("www.baidu.com", "wd"),
    "naver": ("search.naver.com", "query"),
    "seznam": ("search.seznam.cz", "q"),
    "yandex": ("yandex.com", "text"),
}
#: What the vendor puts between a breadcrumb's parts (a single right-pointing angle quote).
CRUMB = " \u203a "
MODIFIERS = (
    "best",
    "cheap",
    "near me",
    "reviews",
    "for sale",
    "buy",
    "online",
    "vs",
    "how to choose",
)


def finish(result: Result, items: list[Any]) -> None:
    result["items"] = items
    if "items_count" in result:
        result["items_count"] = len(items)


def rank_fields(n: int) -> dict[str, Any]:
    return {"rank_group": n, "rank_absolute": n}


def xpath(n: int) -> str:
    return f"/html[1]/body[1]/div[3]/div[1]/div[13]/div[1]/div[2]/div[{n}]/div[1]/div[1]"


def search_url(job: Job, **extra: str | int) -> str:
    host, param = ENGINES.get(job.se, (job.se_host, "q"))
    if isinstance(job.request.get("se_domain"), str):  # the search engine domain asked for
        host = job.se_host
    query: dict[str, str | int] = {param: job.keyword, **extra}
    return f"https://{host}/search?{urlencode(query, quote_via=quote)}"


def rating(rng: random.Random, votes: int) -> Result:
    return {
        "rating_type": "Max5",
        "value": round(rng.uniform(3.0, 5.0), 1),
        "votes_count": votes,
        "rating_max": 5,
    }
