"""AI Optimization and Google Trends content: an LLM's answer to the posted prompt, a
year of weekly interest in the posted keywords."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, urlencode

from .content_shared import Result, finish
from .result_values import Job


def llm_responses(job: Job, result: Result) -> list[Result]:
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
    finish(result, [item])
    return [result]


def trends(job: Job, result: Result) -> list[Result]:
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
    finish(result, [item])
    return [result]
