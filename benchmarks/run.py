"""Run every benchmark and print one table of ratios: ``python benchmarks/run.py [--quick]``.

Each figure is set against its baseline measured in the same run on the same seeded
input (see the module of each benchmark). Ratios are "seotasks / baseline" for times
(lower is better) unless the row says otherwise. ``--quick`` runs smaller and shorter
versions for a smoke test; ``--only NAME`` runs one of normalize, floors, paging,
streaming, startup, pacing, dlt, collecting, merging, report, load; ``--json FILE`` also
writes the raw figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


#: The table's rows: what is measured, against what, the figures, the ratio.
Rows = list[tuple[str, str, str, str]]


def _measure(module: str, quick: bool, raw: dict[str, Any], key: str | None = None) -> Any:
    """``run(quick)`` of the benchmark ``benchmarks/<module>.py``; its raw figures are kept
    under ``raw[key or module]`` for ``--json`` before the caller turns them into rows."""
    results = importlib.import_module(module).run(quick)
    raw[key or module] = results
    return results


def bench_normalize(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    import normalize
    from benchvenv import official_figures

    pages = normalize.pages()
    results = normalize.run(quick)
    # The fastest of the repeats, not the median: on a shared machine noise only ever
    # adds time, and the medians of back-to-back runs moved by up to 60 % between runs.
    official = official_figures(pages, quick)
    raw["normalize"] = {k: {n: t.best for n, t in v.items()} for k, v in results.items()}
    raw["official"] = official
    for kind, r in results.items():
        ours = r["seotasks"].best
        label = f"1 normalize {normalize.LABELS[kind]}"
        rows.append((label, "seotasks", _ms(ours), ""))
        for base in ("json.loads", "orjson.loads", "msgspec"):
            rows.append(("", f"vs {base} alone", _ms(r[base].best), f"{ours / r[base].best:.2f}x"))
        if kind in ("ready", "history"):
            if official is None:
                rows.append(("", "vs dataforseo-client", "unavailable", "-"))
            else:
                # Both timed in the benchmark venv's one process, repeats interleaved;
                # seotasks' time there differs from the row above only as two moments of
                # a drifting machine do (checked: importing the client changes nothing).
                theirs, ours_there = official[kind]["official"], official[kind]["seotasks"]
                rows.append(
                    (
                        "",
                        "dataforseo-client model vs seotasks, one process",
                        f"{_ms(theirs)} vs {_ms(ours_there)}",
                        f"{theirs / ours_there:.2f}x faster",
                    )
                )


def bench_floors(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    import normalize

    results = _measure("floors", quick, raw)
    for kind, r in results.items():
        if kind == "versions":
            continue
        label = f"1b floor {normalize.LABELS[kind]}"
        if not r["available"]:
            rows.append((label, r["floor"], "unavailable", "-"))
            continue
        runs = len(r["ratios"])
        rows.append(
            (
                label,
                f"{r['floor']}, median of {runs} processes (min-max)",
                f"{r['median']:.2f}x ({r['min']:.2f}x-{r['max']:.2f}x)",
                "met" if r["met"] else "NOT met",
            )
        )


def bench_paging(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    results = _measure("paging", quick, raw)
    for vendor, r in results.items():
        rows.append(
            (
                f"2 paging {vendor} ({int(r['tasks'])} tasks, {int(r['pages'])} pages)",
                "client.tasks() vs urllib3+json",
                f"{r['seotasks_tps']:,.0f} vs {r['plain_tps']:,.0f} tasks/s",
                f"{r['plain_tps'] / r['seotasks_tps']:.2f}x slower",
            )
        )


def bench_streaming(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    results = _measure("streaming", quick, raw)
    small, full = results["small"], results["full"]
    rows.append(
        (
            f"3 stream jsonl {int(full['tasks']):,} tasks",
            "throughput",
            f"{full['tasks_per_s']:,.0f} tasks/s ({full['seconds']:.1f} s)",
            "",
        )
    )
    rows.append(
        (
            "",
            f"peak RSS {int(full['tasks']):,} vs {int(small['tasks']):,}",
            f"{full['peak_rss_mib']:.1f} vs {small['peak_rss_mib']:.1f} MiB",
            f"{full['peak_rss_mib'] / small['peak_rss_mib']:.3f}x: "
            f"{'flat' if full['peak_rss_mib'] <= small['peak_rss_mib'] * 1.1 else 'NOT flat'}",
        )
    )


def bench_startup(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    r = _measure("startup", quick, raw)
    rows.append(
        (
            "4 start-up",
            "seotasks --help vs python -c pass",
            f"{r['help_s'] * 1e3:.0f} vs {r['python_s'] * 1e3:.0f} ms",
            f"{r['help_s'] / r['python_s']:.1f}x; < 150 ms: "
            f"{'met' if r['help_s'] < 0.150 else 'NOT met'}",
        )
    )
    rows.append(("", "seotasks providers", f"{r['providers_s'] * 1e3:.0f} ms", ""))


def bench_pacing(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    results = _measure("pacing", quick, raw)
    for source, r in results.items():
        rows.append(
            (
                f"5 pacing {source} ({r['clock_minutes']:.0f} clock min, {int(r['calls'])} calls)",
                f"sustained vs {int(r['limit_per_min'])}/min documented",
                f"{r['sustained_per_min']:.2f}/min, {int(r['rate_limited'])} refused",
                f"{r['share'] * 100:.1f} %",
            )
        )


def bench_dlt(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    try:
        import seotasks_dlt  # noqa: F401
    except ImportError:
        rows.append(("6 dlt load into DuckDB", "-", "unavailable (make dlt)", "-"))
        return
    r = _measure("dltload", quick, raw, key="dlt")
    rows.append(
        (
            f"6 seotasks load, {int(r['tasks'])} Serpstat tasks -> DuckDB",
            "tasks loaded a second",
            f"{r['tasks_per_s']:.0f}/s ({r['total_s']:.1f} s)",
            f"seotasks {r['seotasks_share'] * 100:.0f} % / dlt {100 - r['seotasks_share'] * 100:.0f} %",
        )
    )
    rows.append(
        (
            "6 dlt's steps (extract includes the listing)",
            "extract / normalize / load",
            f"{r['extract_s']:.1f} / {r['normalize_s']:.1f} / {r['load_s']:.1f} s",
            f"listing alone {r['seotasks_s']:.1f} s",
        )
    )
    rows.append(
        (
            "6 the same first load with dlt's default INSERT files",
            "time",
            f"{r['insert_values_s']:.1f} s",
            f"jsonl {r['insert_values_s'] / r['total_s']:.1f}x faster",
        )
    )
    rows.append(
        (
            "6 the next run (nothing new)",
            "time, rows read again",
            f"{r['second_s']:.1f} s, {int(r['second_rows'])} rows",
            f"{r['second_s'] / r['total_s'] * 100:.0f} % of the first",
        )
    )


def bench_collecting(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    results = _measure("collecting", quick, raw)
    t = results["throughput"]
    many, one, official = t["workers=8"], t["workers=1"], t.get("official")
    limit = t["limit_per_min"]
    rows.append(
        (
            f"7 collect_many task_get ({t['latency_ms']:.0f} ms latency, "
            f"{int(many['tasks'])} tasks, {many['clock_minutes']:.1f} clock min)",
            f"workers=8 vs {limit}/min documented",
            f"{many['sustained_per_min']:.0f}/min, max {many['max_in_60s']} in 60 s, "
            f"{many['rate_limited']} refused",
            f"{many['sustained_per_min'] / limit * 100:.1f} %",
        )
    )
    journalled, cost = t["journal"], results["journal_cost"]
    rows.append(
        (
            "",
            "collect --to with the journal (streamed files) vs documented",
            f"{journalled['sustained_per_min']:.0f}/min, {journalled['rate_limited']} refused; "
            f"entry {cost['record_ms']:.2f} ms + removal {cost['ack_ms']:.2f} ms",
            f"{journalled['sustained_per_min'] / limit * 100:.1f} %",
        )
    )
    rows.append(
        (
            "",
            "workers=8 vs workers=1 (sequential)",
            f"{many['sustained_per_min']:.0f} vs {one['sustained_per_min']:.0f}/min",
            f"{many['sustained_per_min'] / one['sustained_per_min']:.2f}x faster",
        )
    )
    if official is None:
        rows.append(("", "vs dataforseo-client task_get loop", "unavailable", "-"))
    else:
        rows.append(
            (
                "",
                "workers=8 vs dataforseo-client task_get loop",
                f"{many['sustained_per_min']:.0f} vs {official['sustained_per_min']:.0f}/min",
                f"{many['sustained_per_min'] / official['sustained_per_min']:.2f}x faster",
            )
        )
    m = results["memory"]
    small, large = m["small"], m["large"]
    rows.append(
        (
            f"  collect_many peak RSS {int(large['tasks']):,} vs {int(small['tasks']):,}",
            "over loopback, emulator in another process",
            f"{large['peak_rss_mib']:.1f} vs {small['peak_rss_mib']:.1f} MiB "
            f"({large['tasks'] / large['seconds']:,.0f} results/s)",
            f"{large['peak_rss_mib'] / small['peak_rss_mib']:.3f}x",
        )
    )
    big, small_result = results["big_result"]["big"], results["big_result"]["small"]
    rows.append(
        (
            f"  collect --to peak RSS, one {big['result_mib']:.0f} MiB result",
            f"vs one {small_result['result_mib']:.0f} MiB result; bound 1.5 x result + 60 MB",
            f"{big['peak_rss_mib']:.1f} vs {small_result['peak_rss_mib']:.1f} MiB "
            f"(bound {1.5 * big['result_mib'] + 60:.0f} MiB)",
            f"{big['peak_rss_mib'] / small_result['peak_rss_mib']:.2f}x",
        )
    )
    r = results["receiver"]
    rows.append(
        (
            f"8 receive postbacks ({int(r['tasks_per_envelope'])}-task envelopes, gzip)",
            "durable files via HTTP vs ResultStore direct",
            f"{r['postbacks_per_s']:.2f} postbacks/s = {r['tasks_per_s']:,.0f} vs "
            f"{r['direct_tasks_per_s']:,.0f} tasks/s",
            f"{r['tasks_per_s'] / r['direct_tasks_per_s'] * 100:.0f} %",
        )
    )


def bench_merging(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    r = _measure("merging", quick, raw)
    base = r["declared"]
    total = int(base["tasks"])
    small = r["reversed_small"]
    label = f"9 merged 2 sources, {total:,} tasks"
    for case, what in (("reversed", "newest first, unordered"), ("sorted", "in order, unordered")):
        c = r[case]
        rows.append(
            (
                label,
                f"{what} vs in order declared: time",
                f"{c['seconds']:.1f} vs {base['seconds']:.1f} s",
                f"{c['seconds'] / base['seconds']:.2f}x",
            )
        )
        rows.append(
            (
                "",
                f"{what} vs in order declared: peak RSS",
                f"{c['peak_rss_mib']:.0f} vs {base['peak_rss_mib']:.0f} MiB",
                f"{c['peak_rss_mib'] / base['peak_rss_mib']:.2f}x",
            )
        )
        label = ""
    rows.append(
        (
            "",
            f"newest first: peak RSS {total:,} vs {int(small['tasks']):,} tasks",
            f"{r['reversed']['peak_rss_mib']:.0f} vs {small['peak_rss_mib']:.0f} MiB",
            f"{r['reversed']['peak_rss_mib'] / small['peak_rss_mib']:.3f}x",
        )
    )
    made = r["produce"]["seconds"]
    own = {c: (r[c]["seconds"] - made) / total * 1e6 for c in ("reversed", "sorted", "declared")}
    rows.append(
        (
            "",
            "merge's own cost (less making the tasks)",
            f"newest first {own['reversed']:.1f}, in order {own['sorted']:.1f}, "
            f"declared {own['declared']:.1f} us/task",
            f"making: {made / total * 1e6:.1f} us/task",
        )
    )
    rows.append(
        (
            "",
            "first task after: declared vs newest first",
            f"{base['first_s'] * 1e3:.0f} ms vs {r['reversed']['first_s']:.1f} s",
            "",
        )
    )


def bench_report(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    try:
        import seotasks_dlt  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        rows.append(("10 seotasks report", "-", "unavailable (make dlt, seotasks[report])", "-"))
        return
    r = _measure("reporting", quick, raw, key="report")
    met = r["html_s"] < 5 and r["html_bytes"] < 5 * 1024 * 1024
    busy = (
        f" (load average {r['load_average']:.1f} on {r['cores']} cores)"
        if r["load_average"] > r["cores"]
        else ""
    )
    rows.append(
        (
            f"10 seotasks report, {int(r['tasks']):,} tasks (DuckDB store){busy}",
            "HTML, whole command vs the figures' DuckDB queries alone",
            f"{r['html_s']:.2f} s (CPU {r['html_cpu_s']:.2f} s), {r['html_bytes'] / 1e6:.2f} MB "
            f"vs {r['figures_s']:.2f} s",
            f"{r['html_s'] / r['figures_s']:.1f}x; < 5 s and < 5 MB: {'met' if met else 'NOT met'}",
        )
    )
    rows.append(
        (
            "",
            "--format json, whole command",
            f"{r['json_s']:.2f} s (CPU {r['json_cpu_s']:.2f} s), {r['json_bytes'] / 1e6:.2f} MB",
            f"{r['json_s'] / r['figures_s']:.1f}x",
        )
    )


def bench_load(quick: bool, rows: Rows, raw: dict[str, Any]) -> None:
    import loadcli

    rows.extend(loadcli.table(_measure("loadcli", quick, raw, key="load")))


BENCHES = {
    "normalize": bench_normalize,
    "floors": bench_floors,
    "paging": bench_paging,
    "streaming": bench_streaming,
    "startup": bench_startup,
    "pacing": bench_pacing,
    "dlt": bench_dlt,
    "collecting": bench_collecting,
    "merging": bench_merging,
    "report": bench_report,
    "load": bench_load,
}


def _versions() -> str:
    from importlib.metadata import version

    names = ("seotasks", "attrs", "cattrs", "urllib3", "orjson", "msgspec")
    return ", ".join(f"{n} {version(n)}" for n in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, short runs")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    rows: Rows = []
    raw: dict[str, Any] = {}
    print(
        f"# Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores; {_versions()}",
        flush=True,
    )
    failed: list[str] = []
    for name in args.only or list(BENCHES):
        print(f"# running {name}...", file=sys.stderr, flush=True)
        try:
            BENCHES[name](args.quick, rows, raw)
        except Exception:  # the others still run: a full run takes half an hour
            traceback.print_exc()
            failed.append(name)
            rows.append((name, "FAILED", "see the traceback above", "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2, default=str))
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
