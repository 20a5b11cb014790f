"""``tasks_fixed``, over raw HTTP: the SERP endpoints' list of re-parsed tasks not yet
collected again ("you can re-collect the fixed results using the 'Task GET' endpoint",
the vendor's Tasks Fixed page).

The vendor's client (`dataforseo-client`) offers it on 20 SERP endpoints, a GET with no
parameters answered in the ``tasks_ready`` envelope. The emulator re-parses nothing, so
its list is always empty, but it is there: a pipeline that polls it must get an empty
list, not the 404 of an unknown endpoint.
"""

from __future__ import annotations

import pytest

from .contentkit import Vendor

#: The endpoints the official client (2.1.10) has a ``*_tasks_fixed`` method for.
FIXED = (
    "baidu/organic",
    "bing/organic",
    "google/ai_mode",
    "google/autocomplete",
    "google/dataset_info",
    "google/dataset_search",
    "google/images",
    "google/jobs",
    "google/local_finder",
    "google/maps",
    "google/news",
    "google/organic",
    "google/search_by_image",
    "naver/organic",
    "seznam/organic",
    "yahoo/organic",
    "youtube/organic",
    "youtube/video_comments",
    "youtube/video_info",
    "youtube/video_subtitles",
)


@pytest.mark.parametrize("endpoint", FIXED)
def test_tasks_fixed_answers_an_empty_list(vendor: Vendor, endpoint: str) -> None:
    se, se_type = endpoint.split("/")
    if endpoint == "google/organic":  # a completed task, ready but not fixed
        vendor.post(
            f"serp/{endpoint}", {"keyword": "k", "location_code": 2840, "language_code": "en"}
        )
        vendor.done()
    body = vendor.call("GET", f"/v3/serp/{endpoint}/tasks_fixed")
    assert (body["status_code"], body["tasks_count"], body["tasks_error"]) == (20000, 1, 0)
    [task] = body["tasks"]
    assert (task["status_code"], task["result"], task["result_count"]) == (20000, [], 0)
    assert task["path"] == ["v3", "serp", se, se_type, "tasks_fixed"]
    assert task["data"] == {"api": "serp", "function": "tasks_fixed", "se": se, "se_type": se_type}


@pytest.mark.parametrize(
    "path",
    [
        "/v3/serp/google/finance_quote/tasks_fixed",
        "/v3/serp/tasks_fixed",
        "/v3/keywords_data/google_ads/search_volume/tasks_fixed",
    ],
)
def test_tasks_fixed_is_not_found_where_the_vendor_has_none(vendor: Vendor, path: str) -> None:
    answer = vendor.http.request("GET", vendor.emu.url + path, headers=vendor.headers)
    assert answer.status == 404
