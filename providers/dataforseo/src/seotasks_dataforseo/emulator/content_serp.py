"""SERP content: organic results (Google, Bing, Yahoo, Baidu, Naver, Seznam, Yandex),
Google Maps and News, and the raw HTML pages of a result.

Items of the documented element type, ``rank_group``/``rank_absolute`` 1..N with N the
posted ``depth`` (else the vendor's default for the device), hosts and urls that parse, a
``check_url`` whose query is percent-encoded.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from html import escape
from urllib.parse import quote, urlencode

from .content_shared import Result, finish, rank_fields, rating, search_url, xpath
from .dataset import format_time
from .result_values import Job
from .task_echo import slug


def _se_domain(job: Job) -> str:
    return job.se_domain


def organic(job: Job, result: Result) -> list[Result]:
    """Organic results: Google's documented ``organic`` element (Bing's and the other
    engines' share its fields), N = the posted depth, within ``max_crawl_pages`` pages."""
    count = job.depth(10)
    pages = job.request.get("max_crawl_pages")
    if type(pages) is int and pages > 0:
        count = min(count, 10 * pages)
    rng = job.rng("organic")
    advanced = job.flavour != "regular"
    rectangles = job.request.get("calculate_rectangles") is True
    words = job.keyword.split()
    items = []
    for n, site in enumerate(job.sites(count, "organic"), 1):
        item: Result = {
            "type": "organic",
            **rank_fields(n),
            "page": (n - 1) // 10 + 1,
            "position": "left",
            "xpath": xpath(n),
            "domain": site.domain,
            "title": job.title(rng, site),
            "url": site.url,
            "breadcrumb": site.breadcrumb,
            "description": job.snippet(rng),
        }
        if advanced:
            item.update(
                website_name=site.name,
                is_image=False,
                is_video=False,
                is_featured_snippet=False,
                is_malicious=False,
                is_web_story=False,
                highlighted=words,
                amp_version=False,
                rating=None,
            )
        if rectangles:
            item["rectangle"] = {
                "x": 180.0,
                "y": 150.0 + 110.0 * (n - 1),
                "width": 600.0,
                "height": 90.0,
            }
        items.append(item)
    _serp_head(job, result, rng, ["organic"], count)
    if "pages_count" in result:
        result["pages_count"] = max(1, math.ceil(count / 10))
    query: dict[str, str | int] = {"num": count, "hl": job.language, "gl": job.place.country}
    if job.se == "bing":
        query = {"count": count, "setlang": job.language, "cc": job.place.country}
    if "check_url" in result:
        result["check_url"] = search_url(job, **query)
    finish(result, items)
    return [result]


def _serp_head(job: Job, result: Result, rng: random.Random, types: list[str], count: int) -> None:
    """The fields every SERP result shares, valued for this result."""
    if "se_domain" in result:
        result["se_domain"] = _se_domain(job)
    if "item_types" in result:
        result["item_types"] = types
    if "se_results_count" in result:
        result["se_results_count"] = count + rng.randrange(10_000, 500_000_000)
    for name in ("spell", "refinement_chips"):
        if name in result:
            result[name] = None


def maps(job: Job, result: Result) -> list[Result]:
    """Google Maps: ``maps_search`` places near the posted location."""
    count = job.depth(100)
    rng = job.rng("maps")
    place = job.place
    items = []
    for n, site in enumerate(job.sites(count, "maps"), 1):
        votes = rng.randrange(5, 3000)
        spread = _distribution(rng, votes)
        street = f"{rng.randrange(1, 400)} {rng.choice(('Main', 'Oak', 'Park', 'Lake', 'Hill'))} St"
        items.append(
            {
                "type": "maps_search",
                **rank_fields(n),
                "domain": site.domain,
                "title": site.name,
                "url": site.url,
                "rating": rating(rng, votes),
                "rating_distribution": spread,
                "snippet": f"{street}, {place.city}",
                "address": f"{street}, {place.city}, {place.zip}",
                "address_info": {
                    "borough": None,
                    "address": street,
                    "city": place.city,
                    "zip": place.zip,
                    "region": place.region,
                    "country_code": place.country,
                },
                "place_id": "ChIJ"
                + "".join(
                    rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk0123456789") for _ in range(23)
                ),
                "phone": f"+1{rng.randrange(2000000000, 9999999999)}",
                "main_image": f"https://lh5.googleusercontent.com/p/{slug(site.name)}",
                "total_photos": rng.randrange(0, 500),
                "category": job.keyword.title(),
                "additional_categories": None,
                "category_ids": [slug(job.keyword).replace("-", "_")],
                "cid": str(rng.randrange(10**18, 10**19)),
                "feature_id": f"0x{rng.getrandbits(60):x}:0x{rng.getrandbits(60):x}",
                "latitude": round(place.latitude + rng.uniform(-0.05, 0.05), 7),
                "longitude": round(place.longitude + rng.uniform(-0.05, 0.05), 7),
                "is_claimed": rng.random() < 0.8,
                "is_directory_item": False,
            }
        )
    _serp_head(job, result, rng, ["maps_search"], count)
    if "check_url" in result:
        at = f"@{place.latitude},{place.longitude},14z"
        query = urlencode({"hl": job.language, "gl": job.place.country}, quote_via=quote)
        result["check_url"] = (
            f"https://www.google.com/maps/search/{quote(job.keyword)}/{at}?{query}"
        )
    finish(result, items)
    return [result]


def news(job: Job, result: Result) -> list[Result]:
    """Google News: ``news_search`` articles published before the task completed."""
    count = job.depth(10)
    rng = job.rng("news")
    items = []
    for n, site in enumerate(job.sites(count, "news"), 1):
        hours = rng.randrange(1, 72)
        items.append(
            {
                "type": "news_search",
                **rank_fields(n),
                "xpath": xpath(n),
                "title": job.title(rng, site),
                "rectangle": None,
                "domain": site.domain,
                "url": site.url,
                "image_url": f"https://{site.host}/images/{slug(job.keyword)}.jpg",
                "snippet": job.snippet(rng),
                "time_published": f"{hours} hours ago",
                "timestamp": format_time(job.done - timedelta(hours=hours)),
            }
        )
    _serp_head(job, result, rng, ["news_search"], count)
    if "includes_non_news_search_results" in result:
        result["includes_non_news_search_results"] = False
    if "check_url" in result:
        result["check_url"] = search_url(
            job, tbm="nws", num=count, hl=job.language, gl=job.place.country
        )
    finish(result, items)
    return [result]


def html(job: Job, result: Result) -> Result:
    """The raw pages of a result: one item per SERP page the depth spans, each page's
    markup holding the organic results the advanced flavour lists for it (same ranks,
    titles, urls and snippets), so a parser tested on it meets results, not a shell."""
    [ranked] = organic(job, {"items": []})
    by_page: dict[int, list[Result]] = {}
    for item in ranked["items"]:
        by_page.setdefault(item["page"], []).append(item)
    pages = max(1, math.ceil(job.depth(10) / 10))
    title = escape(job.keyword)
    items = [
        {
            "page": page,
            "date": job.task.done_s,
            "html": f"<!doctype html><html><head><title>{title} - Search</title></head>"
            f'<body><div id="search" data-page="{page}">'
            + "".join(_html_result(item) for item in by_page.get(page, []))
            + "</div></body></html>",
        }
        for page in range(1, pages + 1)
    ]
    for name in ("se_domain",):
        if name in result:
            result[name] = _se_domain(job)
    finish(result, items)
    return result


def _html_result(item: Result) -> str:
    """One organic result as a search page marks it up: link, title, address, snippet."""
    return (
        f'<div class="g" data-rank="{item["rank_absolute"]}">'
        f'<a href="{escape(item["url"])}"><h3>{escape(item["title"])}</h3></a>'
        f"<cite>{escape(item['breadcrumb'])}</cite>"
        f'<div class="snippet">{escape(item["description"])}</div></div>'
    )


def _distribution(rng: random.Random, votes: int) -> dict[str, int]:
    """Votes per star, summing to ``votes``."""
    weights = [rng.random() * (star**2) for star in range(1, 6)]
    total = sum(weights)
    counts = [int(votes * w / total) for w in weights]
    counts[-1] += votes - sum(counts)
    return {str(star): counts[star - 1] for star in range(1, 6)}
