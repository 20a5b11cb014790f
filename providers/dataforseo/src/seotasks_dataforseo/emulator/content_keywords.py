"""Keywords Data content: one result per posted keyword (ideas for ``keywords_for_*``),
``competition`` HIGH/MEDIUM/LOW with ``competition_index`` 0-100 (Google Ads; Bing's
competition is a 0-1 float), ``search_partners`` as posted, 12 months of searches; Bing's
search volume history and keyword performance per device asked (`content_bing`).
"""

from __future__ import annotations

import random

from . import content_bing
from .content_items import generic_items
from .content_shared import MODIFIERS, Result
from .result_values import Job, level_of
from .task_echo import target_of


def _months(job: Job, rng: random.Random, volume: int) -> list[Result]:
    """The 12 months before the one the task completed in, newest first (as the vendor
    orders them), around ``volume`` searches a month."""
    year, month = job.done.year, job.done.month
    months = []
    for _ in range(12):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        searches = max(0, int(volume * rng.uniform(0.7, 1.3)))
        months.append({"year": year, "month": month, "search_volume": searches})
    return months


_BING_COMPETITION = {"LOW": 0.1, "MEDIUM": 0.5, "HIGH": 0.9}


def keyword_metrics(job: Job, keyword: str, shape: Result) -> Result:
    """One keyword's Keywords Data result: the fields ``shape`` has, on their scales."""
    rng = job.rng(f"keyword:{keyword}")
    months = _months(job, rng, rng.choice((10, 90, 320, 1900, 8100, 40500)))
    volume = round(sum(m["search_volume"] for m in months) / len(months))
    index = rng.randrange(101)
    low = round(rng.uniform(0.05, 3.0), 2)
    high = round(low * rng.uniform(1.5, 5.0), 2)
    partners = job.request.get("search_partners")
    # Bing's competition is a float of three values ("Possible values: `0.1`, `0.5`,
    # `0.9`": low, medium, high) and its device, when none is posted, the documented
    # default `all` (the only families with a float competition or a one-device field).
    device = job.request.get("device")
    values: Result = {
        "keyword": keyword,
        "spell": None,
        "location_code": job.task.location,
        "language_code": job.task.language,
        "search_partners": partners if isinstance(partners, bool) else False,
        "competition": level_of(index)
        if shape.get("competition") == "str"
        else _BING_COMPETITION[level_of(index)],
        "competition_index": index,
        "search_volume": volume,
        "low_top_of_page_bid": low,
        "high_top_of_page_bid": high,
        "cpc": round(rng.uniform(low, high), 2),
        "monthly_searches": months,
        "device": (device if isinstance(device, str) else "all")
        if shape.get("device") == "str"
        else _devices(job),
        "categories": None,
    }
    return values


def _devices(job: Job) -> list[str]:
    posted = job.request.get("device")
    return list(posted) if isinstance(posted, list) else [job.device]


def keywords_data(job: Job, base: Result) -> list[Result]:
    """One result per posted keyword (``*_for_keywords`` / ``*_for_site``: per idea)."""
    from . import vendor_shapes

    kind = job.task.kind
    shape = vendor_shapes.result_shape(kind, "") or {}
    words = (
        _ideas(job)
        if kind.endswith(("keywords_for_keywords", "keywords_for_site"))
        else job.keywords
    )
    if "keyword" not in shape:
        if "keywords" in base:
            base["keywords"] = job.keywords
        if "items" in base:
            generic_items(job, base)
        return [base]
    results = []
    for word in words:
        metrics = keyword_metrics(job, word, shape)
        one = dict(base)
        one.update((k, v) for k, v in metrics.items() if k in shape)
        if "match" in shape:
            one["match"] = job.request.get("match", "exact")
        if "bid" in shape:
            bid = job.request.get("bid")
            one["bid"] = float(bid) if isinstance(bid, int | float) else 1.0
        content_bing.fill(job, one, word)
        results.append(one)
    return results


def _ideas(job: Job) -> list[str]:
    """Keyword ideas: each seed (or the target's name) with the usual modifiers."""
    if "target" in job.request and "keywords" not in job.request:
        seeds = [target_of(job.task).split(".")[0].replace("-", " ")]
    else:
        seeds = job.keywords
    ideas: list[str] = []
    for seed in seeds:
        ideas.append(seed)
        for modifier in MODIFIERS:
            ideas.append(
                f"{seed} {modifier}"
                if modifier in ("near me", "reviews", "for sale", "online")
                else f"{modifier} {seed}"
            )
    return ideas
