"""On-Page content: the summary of a finished crawl, never more pages crawled than the
posted ``max_crawl_pages``."""

from __future__ import annotations

from datetime import timedelta

from .content_shared import Result
from .dataset import format_time
from .result_values import Job
from .task_echo import target_of


def on_page_summary(job: Job, result: Result) -> list[Result]:
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
