"""The official ``dataforseo-client`` model parse, run inside the benchmark venv.

`run.py` creates ``benchmarks/.venv`` (``pip install -r benchmarks/requirements.txt``)
so the official client and its pydantic never enter the project's environment, and
runs this file there with the page files to parse. It times what the official API
client does with a response body: ``<ResponseModel>.from_json(text)`` (``json.loads``
plus a pydantic model per item, dates left as strings), and ``json.loads`` alone in the
same process, so its figures can be set against ours. Prints JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import measure_together


def main() -> None:
    from dataforseo_client.models.serp_id_list_response_info import SerpIdListResponseInfo
    from dataforseo_client.models.serp_tasks_ready_response_info import (
        SerpTasksReadyResponseInfo,
    )

    quick = "--quick" in sys.argv
    models = {"ready": SerpTasksReadyResponseInfo, "history": SerpIdListResponseInfo}
    out = {}
    for name, model in models.items():
        text = Path(sys.argv[sys.argv.index(f"--{name}") + 1]).read_text()
        parsed = model.from_json(text)
        assert parsed is not None and len(parsed.tasks[0].result) == 1000
        timings = measure_together(
            {
                "official": lambda m=model, t=text: m.from_json(t),
                "json.loads": lambda t=text: json.loads(t),
            },
            quick=quick,
        )
        out[name] = {key: timing.best for key, timing in timings.items()}
    from importlib.metadata import version

    out["versions"] = {p: version(p) for p in ("dataforseo-client", "pydantic")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
