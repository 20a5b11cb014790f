"""Every other family's content: a non-empty ``items`` list of the element type its
model parses, with the fields that identify an item (rank, title, url, rating, time),
from one template line per kind."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from .content_shared import MODIFIERS, Result, finish, rank_fields, rating, search_url, xpath
from .result_values import Job, Site
from .task_echo import slug

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


def generic_items(job: Job, result: Result) -> None:
    """A non-empty ``items`` list for a family without a builder of its own."""
    kind = job.task.kind
    if kind in UNREADABLE_ITEMS:
        finish(result, [])
        return
    template = _TEMPLATES.get(kind)
    if template is None:
        # An element model the emulator has no template for: the documented base
        # fields it does have (`vendor_shapes`), ranked.
        finish(
            result, [{"type": job.task.se_type or "item", **rank_fields(n)} for n in range(1, 11)]
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
        result["check_url"] = search_url(job, hl=job.language, gl=job.place.country)
    for name in ("spell", "refinement_chips"):
        if name in result:
            result[name] = None
    if "se_results_count" in result:
        result["se_results_count"] = count + rng.randrange(1000, 10_000_000)
    finish(result, items)


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
    "xpath": lambda j, n, s, r: xpath(n),
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
    "search_url": lambda j, n, s, r: search_url(j) + f"&oq={quote(j.keyword)}",
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
    "suggestion": lambda j, n, s, r: f"{j.keyword} {MODIFIERS[(n - 1) % len(MODIFIERS)]}",
    "year_text": lambda j, n, s, r: str(r.randrange(1950, 2015)),
    "duration": lambda j, n, s, r: (
        f"{(60 + (n * 37) % 1200) // 60}:{(60 + (n * 37) % 1200) % 60:02d}"
    ),
    "start": lambda j, n, s, r: float(4 * (n - 1)),
    "end": lambda j, n, s, r: float(4 * n),
    "span": lambda j, n, s, r: 4.0,
    "rating": lambda j, n, s, r: rating(r, r.randrange(1, 5000)),
    "rating_el": lambda j, n, s, r: {
        "type": "rating_element",
        "position": "left",
        **rating(r, r.randrange(1, 5000)),
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
