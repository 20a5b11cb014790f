"""What an emulated result holds: items and per-keyword results, shaped per family.

A sandbox whose results are empty shells (``items: []``) or hold values no vendor sends
(a competition of ``"competition-29"``, an index of 419 on a 0-100 scale) passes type
checks and still misleads whoever tests a parser, a dashboard or a loader against it. So
each family gets the content its documented examples show, valued by the documented
rules and by what the task was posted with:

* SERP organic (Google, Bing, Yahoo, Baidu, Naver, Seznam, Yandex), Maps, News: items of
  the documented element type, ``rank_group``/``rank_absolute`` 1..N with N the posted
  ``depth`` (else the vendor's default for the device), hosts and urls that parse, a
  ``check_url`` whose query is percent-encoded;
* Keywords Data: one result per posted keyword (ideas for ``keywords_for_*``),
  ``competition`` HIGH/MEDIUM/LOW with ``competition_index`` 0-100 (Google Ads; Bing's
  competition is a 0-1 float), ``search_partners`` as posted, 12 months of searches;
* On-Page summary: never more pages crawled than ``max_crawl_pages``;
* DataForSEO Labs ranked / related keywords (live endpoints): keyword metrics on their
  documented scales, related keywords bounded by the posted ``depth`` and ``limit``;
* every other family: a non-empty ``items`` list of the element type its model parses,
  with the fields that identify an item (rank, title, url, rating, time).

``items_count`` always equals ``len(items)``. Values come from `result_values.Job`'s
per-task generators, so the same task always gives the same result. Each family's builder
lives in a module of its own (``content_*``); this one picks the builder for a task.
"""

from __future__ import annotations

from collections.abc import Callable

from . import content_ai_trends, content_items, content_keywords, content_onpage, content_serp
from .content_agree import agree
from .content_shared import ENGINES, Result
from .result_values import Job

__all__ = ["fill"]

_FAMILIES: dict[str, Callable[[Job, Result], list[Result]]] = {
    "serp/google/maps": content_serp.maps,
    "serp/google/news": content_serp.news,
    "on_page": content_onpage.on_page_summary,
    "ai_optimization/chat_gpt/llm_responses": content_ai_trends.llm_responses,
    "ai_optimization/claude/llm_responses": content_ai_trends.llm_responses,
    "ai_optimization/gemini/llm_responses": content_ai_trends.llm_responses,
    "keywords_data/google_trends/explore": content_ai_trends.trends,
}


def fill(job: Job, result: Result) -> list[Result]:
    """The ``result`` array of ``job``: ``result`` is the one item built from the
    documented shape (scalars valued), completed here with the family's content, its
    related fields then put in agreement (`content_agree`)."""
    filled: list[Result] = agree(job.task.done, _content(job, result))
    return filled


def _content(job: Job, result: Result) -> list[Result]:
    task = job.task
    if job.flavour == "html" and "items" in result:
        return [content_serp.html(job, result)]
    special = _FAMILIES.get(task.kind)
    if special is not None:
        return special(job, result)
    if task.family == "serp" and task.se_type == "organic" and job.se in ENGINES:
        return content_serp.organic(job, result)
    if task.family == "keywords_data":
        return content_keywords.keywords_data(job, result)
    if "items" in result:
        content_items.generic_items(job, result)
    return [result]
