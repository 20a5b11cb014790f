"""DataForSEO Labs content (live endpoints): ranked and related keywords, with keyword
metrics on their documented scales, related keywords bounded by the posted ``depth`` and
``limit``."""

from __future__ import annotations

import random
from datetime import timedelta
from urllib.parse import quote, urlencode

from .content_keywords import keyword_metrics
from .content_shared import CRUMB, MODIFIERS, Result, rank_fields, xpath
from .result_values import Job, level_of
from .task_echo import slug, target_of

__all__ = ["labs_ranked_keywords", "labs_related_keywords"]


def _keyword_data(job: Job, keyword: str) -> Result:
    """Labs' ``keyword_data``: the keyword's metrics on their documented scales
    (``competition`` 0-1 with its ``competition_level``, ``keyword_difficulty`` 0-100)."""
    rng = job.rng(f"labs:{keyword}")
    metrics = keyword_metrics(job, keyword, {"competition": "str"})
    index = metrics["competition_index"]
    updated = job.task.done_s
    return {
        "se_type": "google",
        "keyword": keyword,
        "location_code": job.task.location,
        "language_code": job.task.language,
        "keyword_info": {
            "se_type": "google",
            "last_updated_time": updated,
            "competition": round(index / 100, 2),
            "competition_level": level_of(index),
            "cpc": metrics["cpc"],
            "search_volume": metrics["search_volume"],
            "low_top_of_page_bid": metrics["low_top_of_page_bid"],
            "high_top_of_page_bid": metrics["high_top_of_page_bid"],
            "categories": [rng.randrange(10000, 14000)],
            "monthly_searches": metrics["monthly_searches"],
            "search_volume_trend": {
                "monthly": rng.randrange(-50, 51),
                "quarterly": rng.randrange(-50, 51),
                "yearly": rng.randrange(-80, 81),
            },
        },
        "keyword_properties": {
            "se_type": "google",
            "core_keyword": None,
            "synonym_clustering_algorithm": "text_processing",
            "keyword_difficulty": rng.randrange(101),
            "detected_language": job.language,
            "is_another_language": False,
            "words_count": len(keyword.split()),
        },
        "search_intent_info": {
            "se_type": "google",
            "main_intent": rng.choice(
                ("informational", "commercial", "transactional", "navigational")
            ),
            "foreign_intent": None,
            "last_updated_time": updated,
        },
    }


def _limit(job: Job) -> int:
    limit = job.request.get("limit")
    return limit if type(limit) is int and limit > 0 else 100


def labs_ranked_keywords(job: Job) -> list[Result]:
    """``ranked_keywords/live``: the keywords the target ranks for, at most ``limit``."""
    rng = job.rng("ranked")
    target = target_of(job.task)
    main = target.removeprefix("www.")
    words = [w for w in main.split(".")[0].split("-") if w] or ["site"]
    seed = " ".join(words)
    keywords = [seed] + [f"{seed} {m}" if i % 2 else f"{m} {seed}" for i, m in enumerate(MODIFIERS)]
    keywords += [f"{w} {m}" for w in words for m in MODIFIERS]
    total = len(keywords)
    chosen = keywords[: _limit(job)]
    items = []
    buckets = dict.fromkeys(
        (
            "pos_1",
            "pos_2_3",
            "pos_4_10",
            "pos_11_20",
            "pos_21_30",
            "pos_31_40",
            "pos_41_50",
            "pos_51_60",
            "pos_61_70",
            "pos_71_80",
            "pos_81_90",
            "pos_91_100",
        ),
        0,
    )
    etv = 0.0
    for keyword in chosen:
        rank = rng.randrange(1, 101)
        buckets[_bucket(rank)] += 1
        data = _keyword_data(job, keyword)
        traffic = round(data["keyword_info"]["search_volume"] * max(0.0, 0.3 - rank / 400), 2)
        etv += traffic
        path = f"{slug(keyword)}/"
        items.append(
            {
                "se_type": "google",
                "keyword_data": data,
                "ranked_serp_element": {
                    "se_type": "google",
                    "serp_item": {
                        "type": "organic",
                        "se_type": "google",
                        **rank_fields(rank),
                        "position": "left",
                        "xpath": xpath(rank),
                        "domain": target,
                        "title": f"{keyword.title()} | {main}",
                        "url": f"https://{target}/{path}",
                        "breadcrumb": f"https://{target}{CRUMB}{slug(keyword)}",
                        "website_name": main,
                        "is_image": False,
                        "is_video": False,
                        "is_featured_snippet": False,
                        "is_malicious": False,
                        "description": job.snippet(rng),
                        "main_domain": main,
                        "relative_url": f"/{path}",
                        "etv": traffic,
                        "estimated_paid_traffic_cost": round(
                            traffic * data["keyword_info"]["cpc"], 2
                        ),
                    },
                    "check_url": f"https://www.google.com/search?{urlencode({'q': keyword, 'hl': job.language, 'gl': job.place.country}, quote_via=quote)}",
                    "serp_item_types": ["organic"],
                    "se_results_count": rng.randrange(10_000, 500_000_000),
                    "keyword_difficulty": data["keyword_properties"]["keyword_difficulty"],
                    "is_lost": False,
                    "last_updated_time": job.task.done_s,
                    "previous_updated_time": job.before_done(rng, timedelta(days=60)),
                },
            }
        )
    organic = {
        **buckets,
        "etv": round(etv, 2),
        "count": len(items),
        "estimated_paid_traffic_cost": round(etv * 0.8, 2),
        "is_new": 0,
        "is_up": 0,
        "is_down": 0,
        "is_lost": 0,
    }
    result: Result = {
        "se_type": "google",
        "target": target,
        "location_code": job.task.location,
        "language_code": job.task.language,
        "total_count": total,
        "items_count": len(items),
        "metrics": {"organic": organic, "paid": None},
        "metrics_absolute": {"organic": organic, "paid": None},
        "items": items,
    }
    return [result]


def _bucket(rank: int) -> str:
    if rank == 1:
        return "pos_1"
    if rank <= 3:
        return "pos_2_3"
    if rank <= 10:
        return "pos_4_10"
    low = (rank - 1) // 10 * 10 + 1
    return f"pos_{low}_{low + 9}"


def labs_related_keywords(job: Job) -> list[Result]:
    """``related_keywords/live``: "searches related to" the seed, breadth first to the
    posted ``depth`` (0-4; the vendor: 1 keyword at depth 0, up to 8 more per keyword at
    each further level), at most ``limit`` items."""
    depth = job.request.get("depth")
    depth = depth if type(depth) is int and 0 <= depth <= 4 else 1
    limit = _limit(job)
    seed = job.keyword
    level = [seed]
    found: list[tuple[str, int]] = [(seed, 0)]
    seen = {seed}
    for d in range(1, depth + 1):
        nxt = []
        for word in level:
            for related in _related(word):
                if related not in seen:
                    seen.add(related)
                    nxt.append(related)
                    found.append((related, d))
        level = nxt
    total = len(found)
    items = [
        {
            "se_type": "google",
            "keyword_data": _keyword_data(job, word),
            "depth": d,
            "related_keywords": _related(word),
        }
        for word, d in found[:limit]
    ]
    seed_data = (
        _keyword_data(job, seed) if job.request.get("include_seed_keyword") is True else None
    )
    return [
        {
            "se_type": "google",
            "seed_keyword": seed,
            "seed_keyword_data": seed_data,
            "location_code": job.task.location,
            "language_code": job.task.language,
            "total_count": total,
            "items_count": len(items),
            "items": items,
        }
    ]


def _related(keyword: str) -> list[str]:
    """Up to 8 "searches related to" ``keyword`` (the same for the same keyword)."""
    rng = random.Random(f"related/{keyword}")
    picked = rng.sample(MODIFIERS, 8)
    return [f"{keyword} {m}" if i % 2 else f"{m} {keyword}" for i, m in enumerate(picked)]
