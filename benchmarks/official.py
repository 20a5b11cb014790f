"""The official ``dataforseo-client`` model parse, run inside the benchmark venv.

`run.py` creates ``benchmarks/.venv`` (``pip install -r benchmarks/requirements.txt``)
so the official client and its pydantic never enter the project's environment, and
runs this file there with the page files to parse. It times what the official API
client does with a response body: ``<ResponseModel>.from_json(text)`` (``json.loads``
plus a pydantic model per item, dates left as strings), seotasks' own path on the same
bytes (`ours.py`; seotasks is installed in that venv too) and ``json.loads`` alone, all
in this one process with their repeats interleaved, so the ratio does not depend on how
busy the machine was at two different moments. Prints JSON.
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
    from ours import seotasks_history, seotasks_ready

    quick = "--quick" in sys.argv
    models = {"ready": SerpTasksReadyResponseInfo, "history": SerpIdListResponseInfo}
    ours = {"ready": seotasks_ready, "history": seotasks_history}
    out = {}
    for name, model in models.items():
        data = Path(sys.argv[sys.argv.index(f"--{name}") + 1]).read_bytes()
        text = data.decode()
        parsed = model.from_json(text)
        assert parsed is not None and len(parsed.tasks[0].result) == 1000
        assert len(ours[name](data)) == 1000
        timings = measure_together(
            {
                "official": lambda m=model, t=text: m.from_json(t),
                "seotasks": lambda f=ours[name], d=data: f(d),
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
