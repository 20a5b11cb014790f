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
per-task generators, so the same task always gives the same result.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from .dataset import format_time
from .result_values import Job, Site, level_of
from .task_echo import slug, target_of

__all__ = ["fill", "labs_ranked_keywords", "labs_related_keywords"]

Result = dict[str, Any]

#: Per engine: the search page's host and the name of its query parameter.
_ENGINES = {
    "google": ("www.google.com", "q"),
    "bing": ("www.bing.com", "q"),
    "yahoo": ("search.yahoo.com", "p"),
    "baidu": ("www.baidu.com", "wd"),
    "naver": ("search.naver.com", "query"),
    "seznam": ("search.seznam.cz", "q"),
    "yandex": ("yandex.com", "text"),
}
#: What the vendor puts between a breadcrumb's parts (a single right-pointing angle quote).
_CRUMB = " \u203a "
_MODIFIERS = (
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


def fill(job: Job, result: Result) -> list[Result]:
    """The ``result`` array of ``job``: ``result`` is the one item built from the
    documented shape (scalars valued), completed here with the family's content."""
    task = job.task
    if job.flavour == "html" and "items" in result:
        return [_html(job, result)]
    special = _FAMILIES.get(task.kind)
    if special is not None:
        return special(job, result)
    if task.family == "serp" and task.se_type == "organic" and job.se in _ENGINES:
        return _organic(job, result)
    if task.family == "keywords_data":
        return _keywords_data(job, result)
    if "items" in result:
        _generic_items(job, result)
    return [result]


def _finish(result: Result, items: list[Any]) -> None:
    result["items"] = items
    if "items_count" in result:
        result["items_count"] = len(items)


def _rank_fields(n: int) -> dict[str, Any]:
    return {"rank_group": n, "rank_absolute": n}


def _xpath(n: int) -> str:
    return f"/html[1]/body[1]/div[3]/div[1]/div[13]/div[1]/div[2]/div[{n}]/div[1]/div[1]"


# -- SERP ---------------------------------------------------------------------------------


def _se_domain(job: Job) -> str:
    return job.se_domain


def _search_url(job: Job, **extra: str | int) -> str:
    host, param = _ENGINES.get(job.se, (job.se_host, "q"))
    if isinstance(job.request.get("se_domain"), str):  # the search engine domain asked for
        host = job.se_host
    query: dict[str, str | int] = {param: job.keyword, **extra}
    return f"https://{host}/search?{urlencode(query, quote_via=quote)}"


def _organic(job: Job, result: Result) -> list[Result]:
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
            **_rank_fields(n),
            "page": (n - 1) // 10 + 1,
            "position": "left",
            "xpath": _xpath(n),
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
        result["check_url"] = _search_url(job, **query)
    _finish(result, items)
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


def _maps(job: Job, result: Result) -> list[Result]:
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
                **_rank_fields(n),
                "domain": site.domain,
                "title": site.name,
                "url": site.url,
                "rating": _rating(rng, votes),
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
    _finish(result, items)
    return [result]


def _news(job: Job, result: Result) -> list[Result]:
    """Google News: ``news_search`` articles published before the task completed."""
    count = job.depth(10)
    rng = job.rng("news")
    items = []
    for n, site in enumerate(job.sites(count, "news"), 1):
        hours = rng.randrange(1, 72)
        items.append(
            {
                "type": "news_search",
                **_rank_fields(n),
                "xpath": _xpath(n),
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
        result["check_url"] = _search_url(
            job, tbm="nws", num=count, hl=job.language, gl=job.place.country
        )
    _finish(result, items)
    return [result]


def _html(job: Job, result: Result) -> Result:
    """The raw pages of a result: one item per SERP page the depth spans."""
    pages = max(1, math.ceil(job.depth(10) / 10))
    title = job.keyword.replace("&", "&amp;").replace("<", "&lt;")
    items = [
        {
            "page": page,
            "date": job.task.done_s,
            "html": f"<!doctype html><html><head><title>{title} - Search</title></head>"
            f'<body><div id="search" data-page="{page}"></div></body></html>',
        }
        for page in range(1, pages + 1)
    ]
    for name in ("se_domain",):
        if name in result:
            result[name] = _se_domain(job)
    _finish(result, items)
    return result


def _rating(rng: random.Random, votes: int) -> Result:
    return {
        "rating_type": "Max5",
        "value": round(rng.uniform(3.0, 5.0), 1),
        "votes_count": votes,
        "rating_max": 5,
    }


def _distribution(rng: random.Random, votes: int) -> dict[str, int]:
    """Votes per star, summing to ``votes``."""
    weights = [rng.random() * (star**2) for star in range(1, 6)]
    total = sum(weights)
    counts = [int(votes * w / total) for w in weights]
    counts[-1] += votes - sum(counts)
    return {str(star): counts[star - 1] for star in range(1, 6)}


# -- Keywords Data ------------------------------------------------------------------------


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


def _keywords_data(job: Job, base: Result) -> list[Result]:
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
            _generic_items(job, base)
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
        for modifier in _MODIFIERS:
            ideas.append(
                f"{seed} {modifier}"
                if modifier in ("near me", "reviews", "for sale", "online")
                else f"{modifier} {seed}"
            )
    return ideas


# -- On-Page ------------------------------------------------------------------------------


def _on_page_summary(job: Job, result: Result) -> list[Result]:
    """A finished crawl that kept within ``max_crawl_pages``."""
    rng = job.rng("on_page")
    posted = job.request.get("max_crawl_pages")
    limit = posted if type(posted) is int and posted > 0 else 100
    crawled = limit if rng.random() < 0.6 else rng.randint(max(1, limit // 3), limit)
    target = target_of(job.task)
    main = target.removeprefix("www.")

    def share(most: float) -> int:
        return rng.randint(0, max(0, int(crawled * most)))

    result.update(
        crawl_progress="finished",
        crawl_status={"max_crawl_pages": limit, "pages_in_queue": 0, "pages_crawled": crawled},
        crawl_gateway_address="168.119.141.170",
        crawl_stop_reason="limit_exceeded" if crawled == limit else "empty_queue",
        domain_info={
            "name": target,
            "cms": rng.choice(("wordpress", "shopify", None)),
            "ip": f"93.184.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "server": rng.choice(("nginx", "cloudflare", "Apache")),
            "crawl_start": job.task.posted_s,
            "crawl_end": job.task.done_s,
            "extended_crawl_status": "no_errors",
            "ssl_info": {
                "valid_certificate": True,
                "certificate_issuer": "CN=R3,O=Let's Encrypt,C=US",
                "certificate_subject": f"CN={main}",
                "certificate_version": 3,
                "certificate_hash": f"{rng.getrandbits(160):040X}",
                "certificate_expiration_date": format_time(
                    job.done + timedelta(days=rng.randrange(10, 90))
                ),
            },
            "checks": {
                "sitemap": True,
                "robots_txt": True,
                "start_page_deny_flag": False,
                "ssl": True,
                "http2": rng.random() < 0.7,
                "test_canonicalization": True,
                "test_www_redirect": True,
                "test_hidden_server_signature": False,
                "test_page_not_found": True,
                "test_directory_browsing": False,
                "test_https_redirect": True,
            },
            "total_pages": crawled + (rng.randrange(0, 5 * limit) if crawled == limit else 0),
            "page_not_found_status_code": 404,
            "canonicalization_status_code": 301,
            "directory_browsing_status_code": 403,
            "www_redirect_status_code": 301,
            "main_domain": main,
            "total_uncrawlable_resources": share(0.1),
        },
        page_metrics={
            "links_external": rng.randrange(0, 40 * crawled + 1),
            "links_internal": rng.randrange(crawled, 80 * crawled + 1),
            "duplicate_title": share(0.2),
            "duplicate_description": share(0.2),
            "duplicate_content": share(0.1),
            "broken_links": share(0.1),
            "broken_resources": share(0.1),
            "links_relation_conflict": share(0.05),
            "redirect_loop": 0,
            "onpage_score": round(rng.uniform(55, 99), 2),
            "non_indexable": share(0.2),
            "checks": {
                "canonical": share(1.0),
                "no_description": share(0.3),
                "no_h1_tag": share(0.3),
                "is_https": crawled,
                "is_http": 0,
                "large_page_size": share(0.1),
                "title_too_long": share(0.3),
            },
        },
    )
    return [result]


# -- AI Optimization, Trends --------------------------------------------------------------


def _llm_responses(job: Job, result: Result) -> list[Result]:
    """An LLM's answer to the posted prompt, as the model named in the request."""
    rng = job.rng("llm")
    prompt = job.request.get("user_prompt")
    prompt = prompt if isinstance(prompt, str) else job.keyword
    answer = (
        f'Here is a short answer to "{prompt}": compare a few options, read recent '
        f"reviews and check the return policy before you decide."
    )
    model = job.request.get("model_name")
    result.update(
        model_name=model if isinstance(model, str) else result.get("model_name"),
        input_tokens=len(prompt.split()) + 12,
        output_tokens=len(answer.split()) + rng.randrange(5, 40),
        reasoning_tokens=0,
        web_search=job.request.get("web_search") is True,
        money_spent=round(rng.uniform(0.0001, 0.01), 6),
        fan_out_queries=[],
    )
    item = {"type": "message", "sections": [{"type": "text", "text": answer, "annotations": None}]}
    _finish(result, [item])
    return [result]


def _trends(job: Job, result: Result) -> list[Result]:
    """Google Trends explore: one ``google_trends_graph`` of weekly interest (0-100)."""
    rng = job.rng("trends")
    words = job.keywords
    start = job.done - timedelta(weeks=52)
    points: list[Result] = []
    series: list[list[int]] = []
    for week in range(52):
        day = start + timedelta(weeks=week)
        end = day + timedelta(days=6)
        values = [rng.randrange(0, 101) for _ in words]
        series.append(values)
        points.append(
            {
                "date_from": day.strftime("%Y-%m-%d"),
                "date_to": end.strftime("%Y-%m-%d"),
                "timestamp": int(day.timestamp()),
                "missing_data": False,
                "values": values,
            }
        )
    averages = [round(sum(v[i] for v in series) / len(series), 1) for i in range(len(words))]
    item = {
        "type": "google_trends_graph",
        "position": 1,
        "title": "Interest over time",
        "keywords": words,
        "data": points,
        "averages": averages,
    }
    if "keywords" in result:
        result["keywords"] = words
    if "check_url" in result:
        result["check_url"] = "https://trends.google.com/trends/explore?" + urlencode(
            {"q": ",".join(words), "geo": job.place.country, "hl": job.language}, quote_via=quote
        )
    _finish(result, [item])
    return [result]


# -- every other family: a template per item type -----------------------------------------

#: Every other family's items, one line per kind: ``kind element-type count field...``.
#: ``count`` is how many items (``-``: the posted depth, else 10); a field is
#: ``name:code`` (``name`` alone when the code is the name; ``rank`` is ``rank_group``
#: and ``rank_absolute``, both the item's 1-based place), the codes are `_FIELD_CODES`.
#: The element types are those of the vendor's examples; the field names are each element
#: model's (the contract suite parses every answer with the official models).
_TEMPLATE_TABLE = """
ai_optimization/chat_gpt/llm_scraper chat_gpt_text 1 rank markdown
ai_optimization/gemini/llm_scraper gemini_text 1 rank markdown original_text:text
app_data/apple/app_info app_store_info_organic 1 rank position:left app_id title url icon:image description:text reviews_count:count rating is_free:true main_category:category developer:name version released_date:time last_update_date:time
app_data/apple/app_list app_store_search_organic - rank position:left app_id title url icon:image reviews_count:count rating is_free:true price
app_data/apple/app_searches app_store_search_organic - rank position:left app_id title url icon:image reviews_count:count rating is_free:true price
app_data/apple/app_reviews app_store_review_search - rank position:left version rating timestamp:time id title review_text:text user_profile:profile
app_data/google/app_info google_play_info_organic 1 rank position:left app_id title url icon:image description:text reviews_count:count rating is_free:true main_category:category installs installs_count:count developer:name version released_date:time last_update_date:time
app_data/google/app_list google_play_search_organic - rank position:left app_id title url icon:image reviews_count:count rating is_free:true price developer:name developer_url:url
app_data/google/app_searches google_play_search_organic - rank position:left app_id title url icon:image reviews_count:count rating is_free:true price developer:name developer_url:url
app_data/google/app_reviews google_play_review_search - rank position:left version rating timestamp:time id helpful_count:count title review_text:text user_profile:profile
business_data/google/extended_reviews google_extended_review_search - rank position:left xpath review_text:text time_ago:ago timestamp:time rating profile_name:name profile_url:url review_url:url review_id:id
business_data/google/hotel_searches hotel_search_item - hotel_identifier:id title stars is_paid:false location:gps overview_images:images
business_data/google/my_business_info google_business_info 1 rank position:left title description:text category cid:id address place_id:id phone url domain:host total_photos:count latitude:lat longitude:lon is_claimed:true rating
business_data/google/my_business_updates google_business_post - rank position:left xpath author:name snippet:text post_text:text url post_date:ago timestamp:time
business_data/google/questions_and_answers google_business_question_item - rank question_id:id url profile_name:name question_text:question time_ago:ago timestamp:time
business_data/google/reviews google_reviews_search - rank position:left xpath review_text:text time_ago:ago timestamp:time rating reviews_count:count local_guide:false profile_name:name profile_url:url review_url:url review_id:id
business_data/tripadvisor/reviews tripadvisor_review_search - rank position:left url rating date_of_visit:time timestamp:time review_id:id title review_text:text language:lang user_profile:user
business_data/tripadvisor/search tripadvisor_search_organic - rank title url_path:path is_sponsored:false reviews_count:count category price_rate:price_text rating
business_data/trustpilot/reviews trustpilot_review_search - rank position:left url rating verified:true language:lang timestamp:time title review_text:text user_profile:user
business_data/trustpilot/search trustpilot_search_organic - rank title domain:host url reviews_count:count rating
merchant/amazon/asin amazon_product_info 1 rank position:left xpath title details:text image_url:image data_asin:asin price_from:money price_to:money currency:usd is_amazon_choice:false rating:rating_el description:text is_available:true
merchant/amazon/products amazon_serp - rank xpath domain:host title url image_url:image price_from:money price_to:money currency:usd data_asin:asin rating:rating_el is_amazon_choice:false is_best_seller:false
merchant/google/product_info shopping_product_info 1 rank position:left product_id:id title description:text url images features:words rating:rating_el
merchant/google/products google_shopping_serp - rank position:left xpath domain:host title description:text url shopping_url:url price:money currency:usd product_id:id seller:name reviews_count:count product_rating:rating_el
merchant/google/sellers shops_list - rank position:left xpath domain:host title url base_price:money tax:money shipping_price:money total_price:money currency:usd seller_name:name rating:rating_el
serp/google/ads_advertisers ads_advertiser 10 rank title:name advertiser_id:advertiser location:country verified:true approx_ads_count:count
serp/google/ads_search ads_search - rank advertiser_id:advertiser creative_id:creative title:name url verified:true format:ad_format preview_url:url first_shown:time last_shown:time
serp/google/ai_mode ai_overview 1 rank page:one position:left xpath markdown
serp/google/autocomplete autocomplete 10 rank relevance suggestion suggestion_type:query_type search_query_url:search_url highlighted:words
serp/google/dataset_info dataset 1 rank position:left xpath dataset_id:id title image_url:image scholarly_citations_count:count updated_date:time area_covered:country_list
serp/google/dataset_search dataset - rank position:left xpath dataset_id:id title image_url:image scholarly_citations_count:count updated_date:time area_covered:country_list
serp/google/finance_explore google_finance_explore_market_trends 5 rank title sub_title:text url
serp/google/finance_markets google_finance_market_trends 5 rank
serp/google/finance_quote google_finance_about 1 rank displayed_name:name description:text description_source_url:url ceo:person founded:year_text headquarters:city website:url employees:count
serp/google/finance_ticker_search google_finance_market_instrument 10 rank identifier:ticker_id displayed_name:name url location:country trend timestamp:time percentage_delta:delta ticker price:money price_delta:delta price_currency:usd
serp/google/images images_search - rank xpath title alt:title url source_url:image
serp/google/jobs google_jobs_item - rank position:left xpath job_id:id title:job_title employer_name:name employer_url:url location:city source_name:host source_url:url salary contract_type:contract timestamp:time time_ago:ago
serp/google/local_finder local_pack - rank position:left xpath title:name description:address domain:host phone url is_paid:false rating cid:id
serp/google/search_by_image organic - rank page position:left xpath title url domain:host breadcrumb description:text
serp/youtube/organic youtube_video - rank block_rank:n block_name:none channel_id:channel url:video_url title video_id:video thumbnail_url:image channel_name:name channel_url:url description:text views_count:count publication_date:ago timestamp:time duration_time:duration duration_time_seconds:seconds is_live:false is_shorts:false
serp/youtube/video_comments youtube_comment - rank author_name:name author_thumbnail:image author_url:url text publication_date:ago timestamp:time likes_count:count reply_count:small
serp/youtube/video_info youtube_video_info 1 rank video_id:video title url:video_url thumbnail_url:image channel_id:channel channel_name:name channel_url:url description:text views_count:count likes_count:count comments_count:count publication_date:ago timestamp:time category is_live:false duration_time:duration duration_time_seconds:seconds
serp/youtube/video_subtitles youtube_subtitles 20 rank text start_time:start end_time:end duration_time:span
"""


def _templates(table: str) -> dict[str, tuple[str, dict[str, str], int | None]]:
    parsed: dict[str, tuple[str, dict[str, str], int | None]] = {}
    for line in table.strip().splitlines():
        kind, kind_type, count, *names = line.split()
        fields: dict[str, str] = {}
        for name in names:
            if name == "rank":
                fields.update(rank_group="n", rank_absolute="n")
            else:
                field, _, code = name.partition(":")
                fields[field] = code or field
        parsed[kind] = (kind_type, fields, None if count == "-" else int(count))
    return parsed


_TEMPLATES = _templates(_TEMPLATE_TABLE)


#: Kinds whose items stay empty: the official client 2.1.10 cannot read a single element
#: of them (both Amazon Sellers element models reference ``AmazonApplicableVouchersItem``
#: without resolving it: every validation raises PydanticUserError "not fully
#: defined"), so an answer with items would fail every caller of that client. The vendor
#: does send items; revisit when the client is fixed.
UNREADABLE_ITEMS = frozenset({"merchant/amazon/sellers"})


def _generic_items(job: Job, result: Result) -> None:
    """A non-empty ``items`` list for a family without a builder of its own."""
    kind = job.task.kind
    if kind in UNREADABLE_ITEMS:
        _finish(result, [])
        return
    template = _TEMPLATES.get(kind)
    if template is None:
        # An element model the emulator has no template for: the documented base
        # fields it does have (`vendor_shapes`), ranked.
        _finish(
            result, [{"type": job.task.se_type or "item", **_rank_fields(n)} for n in range(1, 11)]
        )
        return
    kind_type, fields, fixed = template
    count = fixed if fixed is not None else job.depth(10)
    rng = job.rng(f"items:{kind}")
    sites = job.sites(count, "items")
    items = []
    for n, site in enumerate(sites, 1):
        item: Result = {"type": kind_type}
        for name, code in fields.items():
            item[name] = _field(job, code, n, site, rng)
        items.append(item)
    if "item_types" in result:
        result["item_types"] = [kind_type]
    if "check_url" in result and job.task.family == "serp" and "keyword" in job.request:
        result["check_url"] = _search_url(job, hl=job.language, gl=job.place.country)
    for name in ("spell", "refinement_chips"):
        if name in result:
            result[name] = None
    if "se_results_count" in result:
        result["se_results_count"] = count + rng.randrange(1000, 10_000_000)
    _finish(result, items)


def _field(job: Job, code: str, n: int, site: Site, rng: random.Random) -> Any:
    """The value of one template field (``code`` says what it is)."""
    make = _FIELD_CODES.get(code)
    if make is None:
        raise KeyError(f"unknown template field code {code!r}")
    return make(job, n, site, rng)


def _time_ago(rng: random.Random) -> str:
    return f"{rng.randrange(1, 30)} days ago"


_FIELD_CODES: dict[str, Callable[[Job, int, Site, random.Random], Any]] = {
    "n": lambda j, n, s, r: n,
    "one": lambda j, n, s, r: 1,
    "page": lambda j, n, s, r: (n - 1) // 10 + 1,
    "small": lambda j, n, s, r: r.randrange(0, 20),
    "count": lambda j, n, s, r: r.randrange(1, 50_000),
    "relevance": lambda j, n, s, r: max(1, 1300 - 50 * n),
    "stars": lambda j, n, s, r: r.randrange(2, 6),
    "seconds": lambda j, n, s, r: 60 + (n * 37) % 1200,
    "left": lambda j, n, s, r: "left",
    "none": lambda j, n, s, r: None,
    "true": lambda j, n, s, r: True,
    "false": lambda j, n, s, r: False,
    "xpath": lambda j, n, s, r: _xpath(n),
    "title": lambda j, n, s, r: j.title(r, s),
    "job_title": lambda j, n, s, r: f"{j.keyword.title()} Specialist",
    "text": lambda j, n, s, r: j.snippet(r),
    "question": lambda j, n, s, r: f"Where can I find {j.keyword}?",
    "markdown": lambda j, n, s, r: f"**{j.keyword.title()}**\n\n{j.snippet(r)}",
    "url": lambda j, n, s, r: s.url,
    "host": lambda j, n, s, r: s.host,
    "path": lambda j, n, s, r: "/" + s.path,
    "breadcrumb": lambda j, n, s, r: s.breadcrumb,
    "image": lambda j, n, s, r: f"https://{s.host}/images/{slug(j.keyword)}-{n}.jpg",
    "images": lambda j, n, s, r: [
        f"https://{s.host}/images/{slug(j.keyword)}-{i}.jpg" for i in (1, 2)
    ],
    "video_url": lambda j, n, s, r: f"https://www.youtube.com/watch?v={_token(r, 11)}",
    "search_url": lambda j, n, s, r: _search_url(j) + f"&oq={quote(j.keyword)}",
    "time": lambda j, n, s, r: j.before_done(r, timedelta(days=90)),
    "ago": lambda j, n, s, r: _time_ago(r),
    "name": lambda j, n, s, r: s.name,
    "person": lambda j, n, s, r: r.choice(("Alex Morgan", "Sam Lee", "Chris Novak", "Dana Weiss")),
    "category": lambda j, n, s, r: j.keyword.title(),
    "words": lambda j, n, s, r: j.keyword.split(),
    "id": lambda j, n, s, r: _token(r, 20),
    "app_id": lambda j, n, s, r: f"com.{slug(s.name).replace('-', '')}.app",
    "asin": lambda j, n, s, r: "B0" + _token(r, 8).upper(),
    "advertiser": lambda j, n, s, r: f"AR{r.randrange(10**19, 10**20)}",
    "creative": lambda j, n, s, r: f"CR{r.randrange(10**19, 10**20)}",
    "channel": lambda j, n, s, r: "UC" + _token(r, 22),
    "video": lambda j, n, s, r: _token(r, 11),
    "ticker": lambda j, n, s, r: slug(s.name)[:4].upper().replace("-", "") or "TICK",
    "ticker_id": lambda j, n, s, r: f"{slug(s.name)[:4].upper().replace('-', '')}:NASDAQ",
    "version": lambda j, n, s, r: f"{r.randrange(1, 9)}.{r.randrange(0, 20)}.{r.randrange(0, 9)}",
    "installs": lambda j, n, s, r: r.choice(("1,000+", "100,000+", "1,000,000+")),
    "lang": lambda j, n, s, r: j.language,
    "country": lambda j, n, s, r: j.place.country,
    "country_list": lambda j, n, s, r: [j.place.country],
    "city": lambda j, n, s, r: j.place.city,
    "address": lambda j, n, s, r: f"{r.randrange(1, 400)} Main St, {j.place.city}",
    "phone": lambda j, n, s, r: f"+1{r.randrange(2000000000, 9999999999)}",
    "lat": lambda j, n, s, r: round(j.place.latitude + r.uniform(-0.05, 0.05), 7),
    "lon": lambda j, n, s, r: round(j.place.longitude + r.uniform(-0.05, 0.05), 7),
    "gps": lambda j, n, s, r: {
        "latitude": round(j.place.latitude + r.uniform(-0.05, 0.05), 7),
        "longitude": round(j.place.longitude + r.uniform(-0.05, 0.05), 7),
    },
    "usd": lambda j, n, s, r: "USD",
    "money": lambda j, n, s, r: round(r.uniform(5, 500), 2),
    "delta": lambda j, n, s, r: round(r.uniform(-5, 5), 2),
    "trend": lambda j, n, s, r: r.choice(("up", "down")),
    "price": lambda j, n, s, r: _price(r),
    "price_text": lambda j, n, s, r: r.choice(("$", "$$ - $$$", "$$$$")),
    "salary": lambda j, n, s, r: f"{r.randrange(40, 90)}K-{r.randrange(90, 160)}K a year",
    "contract": lambda j, n, s, r: r.choice(("Full-time", "Part-time", "Contractor")),
    "condition": lambda j, n, s, r: r.choice(("New", "Used - Like New")),
    "ad_format": lambda j, n, s, r: r.choice(("text", "image", "video")),
    "query_type": lambda j, n, s, r: "QUERY",
    "suggestion": lambda j, n, s, r: f"{j.keyword} {_MODIFIERS[(n - 1) % len(_MODIFIERS)]}",
    "year_text": lambda j, n, s, r: str(r.randrange(1950, 2015)),
    "duration": lambda j, n, s, r: (
        f"{(60 + (n * 37) % 1200) // 60}:{(60 + (n * 37) % 1200) % 60:02d}"
    ),
    "start": lambda j, n, s, r: float(4 * (n - 1)),
    "end": lambda j, n, s, r: float(4 * n),
    "span": lambda j, n, s, r: 4.0,
    "rating": lambda j, n, s, r: _rating(r, r.randrange(1, 5000)),
    "rating_el": lambda j, n, s, r: {
        "type": "rating_element",
        "position": "left",
        **_rating(r, r.randrange(1, 5000)),
    },
    "profile": lambda j, n, s, r: {
        "profile_name": s.name,
        "profile_image_url": f"https://{s.host}/avatar.png",
    },
    "user": lambda j, n, s, r: {
        "name": s.name,
        "url": s.url,
        "image_url": f"https://{s.host}/avatar.png",
        "location": j.place.city,
        "reviews_count": r.randrange(1, 300),
    },
}


def _token(rng: random.Random, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _price(rng: random.Random) -> Result:
    current = round(rng.uniform(0.99, 49.99), 2)
    return {
        "current": current,
        "regular": current,
        "max_value": current,
        "currency": "USD",
        "is_price_range": False,
        "displayed_price": f"${current}",
    }


# -- DataForSEO Labs (live) ---------------------------------------------------------------


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
    keywords = [seed] + [
        f"{seed} {m}" if i % 2 else f"{m} {seed}" for i, m in enumerate(_MODIFIERS)
    ]
    keywords += [f"{w} {m}" for w in words for m in _MODIFIERS]
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
                        **_rank_fields(rank),
                        "position": "left",
                        "xpath": _xpath(rank),
                        "domain": target,
                        "title": f"{keyword.title()} | {main}",
                        "url": f"https://{target}/{path}",
                        "breadcrumb": f"https://{target}{_CRUMB}{slug(keyword)}",
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
    picked = rng.sample(_MODIFIERS, 8)
    return [f"{keyword} {m}" if i % 2 else f"{m} {keyword}" for i, m in enumerate(picked)]


_FAMILIES: dict[str, Callable[[Job, Result], list[Result]]] = {
    "serp/google/maps": _maps,
    "serp/google/news": _news,
    "on_page": _on_page_summary,
    "ai_optimization/chat_gpt/llm_responses": _llm_responses,
    "ai_optimization/claude/llm_responses": _llm_responses,
    "ai_optimization/gemini/llm_responses": _llm_responses,
    "keywords_data/google_trends/explore": _trends,
}
