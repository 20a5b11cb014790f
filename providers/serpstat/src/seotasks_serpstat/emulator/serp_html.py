"""``tasks.getKeywordSerp``'s raw SERP: one keyword's results page as HTML.

The reference (docs/vendors/serpstat.md, "tasks.getKeywordSerp") documents the answer as
``{date: "YYYY-MM-DD", serp: "<raw HTML>"}``, its example starting
``<!doctype html><html itemscope="" itemtype="http://schema.org/SearchResultsPage"``.
The emulator renders the page from the keyword's ``keyword_data`` (`dataset.keyword_data`),
so the raw SERP shows the same ads and organic results, in the same order, that
``tasks.getTaskResult`` parsed from it. Standard library only.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render"]


def _result(item: dict[str, Any], *, ad: bool) -> str:
    label = '<span class="ad">Sponsored</span>' if ad else ""
    text = item.get("snippet") or item.get("text") or ""
    return (
        f'<div class="{"uEierd" if ad else "g"}" data-position="{item["position"]}">{label}'
        f'<a href="{escape(item["url"])}"><h3>{escape(item["title"])}</h3>'
        f"<cite>{escape(item['breadcrumbs'])}</cite></a>"
        f'<div class="VwiC3b">{escape(text)}</div></div>'
    )


def render(keyword: str, data: dict[str, Any]) -> str:
    """The raw results page of ``keyword`` whose parsed form is ``data``."""
    ads = data["ads"]
    parts = [
        '<!doctype html><html itemscope="" itemtype="http://schema.org/SearchResultsPage">'
        f'<head><meta charset="UTF-8"><title>{escape(keyword)} - Google Search</title></head>'
        f'<body><form action="/search"><input name="q" value="{escape(keyword)}"></form>'
        f'<div id="result-stats">About {data["results"]:,} results</div>',
        '<div id="tads">',
        *(_result(item, ad=True) for item in ads.get("1", [])),
        '</div><div id="search"><div id="rso">',
        *(_result(item, ad=False) for item in data["top"]),
        '</div></div><div id="bottomads">',
        *(_result(item, ad=True) for item in [*ads.get("2", []), *ads.get("3", [])]),
        "</div></body></html>",
    ]
    return "".join(parts)
