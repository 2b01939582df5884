"""Write the figures of docs/performance.md (and the README's summary of them) from the
benchmarks' results in bench/results/, as the last step of `make bench`.

Only the parts between the ``<!-- figures -->`` markers are written; the prose around them
is kept by hand. A result that has not been measured yet is said to be missing.

    python scripts/performance_report.py [--check]   (--check: fail if a file would change)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
X = "\u00d7"  # the multiplication sign of a ratio
BEGIN, END = "<!-- figures: made by scripts/performance_report.py -->", "<!-- /figures -->"


def _load(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _throughput_row(label: str, data: Any) -> str:
    if data is None:
        return f"| {label} | (not measured yet) | | |"
    r = data["ratios"]
    base, gateway = data["results"]
    return (
        f"| {label} | {gateway['deliveries_per_second']:,.0f}"
        f" / {base['deliveries_per_second']:,.0f}"
        f" = **{X}{r['deliveries_per_second']}** | **{X}{r['cpu_per_delivery']}**"
        f" | {gateway['lost']} / {gateway['duplicates']} |"
    )


def summary() -> list[str]:
    """One line a benchmark: its headline figure, its target, whether it is met."""
    rows = ["| benchmark | figure | target | |", "|---|---|---|---|"]
    throughput = _load("throughput")
    if throughput:
        r = throughput["ratios"]
        ok = r["deliveries_per_second"] >= 0.8 and r["cpu_per_delivery"] <= 3
        rows.append(
            f"| chat through the gateway, against a bare broadcast server"
            f" (`serverless-chat bench`) | {X}{r['deliveries_per_second']} deliveries/s,"
            f" {X}{r['cpu_per_delivery']} CPU per delivery | ≥ {X}0.8, ≤ {X}3 | {_met(ok)} |"
        )
    foreign = _load("foreign")
    if foreign:
        rows.append(
            f"| a chat in the samples' shape, isolated, against one boto3 process's bound"
            f" (`bench/foreign.py`) | {X}{foreign['ratio']} | ≥ {X}0.5 |"
            f" {_met(foreign['ratio'] >= 0.5 and foreign['lost'] == 0)} |"
        )
    cold = _load("coldstart")
    if cold:
        worst = max(f["ratio"] for f in cold["with_bytecode"].values())
        rows.append(
            f"| cold start over boto3's import, package with bytecode (`bench/coldstart.py`)"
            f" | {X}{worst} at most | ≤ {X}1.10 | {_met(worst <= 1.10)} |"
        )
    fork = _load("coldstart-fork")
    if fork:
        alone, ten = fork["alone"], fork["ten_at_once"]
        ok = max(alone["ratio"], ten["ratio"]) <= fork["target"]
        rows.append(
            f"| cold start of a function that builds a boto3 client, forked, against a fresh"
            f" interpreter (`bench/coldstart_fork.py`) | {X}{alone['ratio']} alone,"
            f" {X}{ten['ratio']} ten at once | ≤ {X}{fork['target']} | {_met(ok)} |"
        )
    capacity = _load("capacity")
    if capacity:
        kb = max(capacity["kb_per_connection"], capacity["kb_per_connection_after_message"])
        rows.append(
            f"| memory a connection, {capacity['connections']:,} idle in one room"
            f" (`bench/capacity.py`) | {capacity['kb_per_connection']} KB,"
            f" {capacity['kb_per_connection_after_message']} KB after a message to all"
            f" | ≤ 20 KB | {_met(kb <= 20)} |"
        )
    fanout = _load("fanout")
    if fanout:
        rooms = fanout["rooms"]
        thousand = rooms.get("1000", {}).get("signed-http", {}).get("handler_seconds")
        paged = rooms.get("10000", {}).get("paged", {}).get("all_delivered_seconds")
        if thousand is not None:
            rows.append(
                f"| 1,000 recipients at 20 ms a post (`bench/fanout.py`) | {thousand} s"
                f" | < 0.5 s | {_met(thousand < 0.5)} |"
            )
        if paged is not None:
            rows.append(
                f"| 10,000 recipients, paged (`bench/fanout.py --max 10000`) | {paged} s"
                f" | < 3 s | {_met(paged < 3)} |"
            )
    cost = _load("dynamodb-cost")
    if cost:
        request = next(
            r for r in cost["requests"] if r["request"] == "sendMessage json, room of 20"
        )
        rcu = max(v["rcu"] for v in request["cost"].values())
        wcu = max(v["wcu"] for v in request["cost"].values())
        rate = min(
            cost["capacity"][k][unit] / v[unit]
            for k, v in request["cost"].items()
            for unit in ("rcu", "wcu")
            if v[unit]
        )
        rows.append(
            f"| DynamoDB, a message to a room of 20 (`bench/dynamodb_cost.py`) | at most"
            f" {rcu:g} RCU / {wcu:g} WCU on any table or index: the default stack carries"
            f" {rate:g} a second | ≤ 1 / ≤ 1, 5 a second | {_met(rcu <= 1 and wcu <= 1)} |"
        )
    readcost = _load("readcost")
    if readcost:
        store = readcost["dynamodb"]
        rows.append(
            f"| items read for a message to a room of 10 among"
            f" {store['items_in_a_full_scan'] - 10:,} others (`bench/readcost.py`)"
            f" | {store['items_read_per_message']} (a Scan: {store['items_in_a_full_scan']:,})"
            f" | the room only | {_met(store['items_read_per_message'] <= 10)} |"
        )
    return rows


def details() -> list[str]:
    lines = [
        "### Throughput (`serverless-chat bench --clients 100 --senders 5 --messages 200`)",
        "",
        "| run | gateway / baseline deliveries a second | CPU a delivery | lost / dup |",
        "|---|---|---|---|",
        _throughput_row("the chat (no deflate)", _load("throughput")),
        _throughput_row("both with permessage-deflate (`--compress`)", _load("throughput-deflate")),
        _throughput_row(
            "a storeless function (`--template bench/ceiling/template.yaml`)",
            _load("throughput-ceiling"),
        ),
        _throughput_row(
            "against a coalescing baseline (`--baseline coalescing`)",
            _load("throughput-coalescing"),
        ),
    ]
    foreign = _load("foreign")
    if foreign:
        f = foreign["foreign"]
        lines += [
            "",
            "### A chat in the samples' shape (`python bench/foreign.py`)",
            "",
            f"One boto3 process posts {foreign['bound_posts_per_second']:,.0f} a second to a"
            f" null HTTPS endpoint (rounds {foreign['bounds']}); the chat through the gateway"
            f" delivered {f['deliveries_per_second']:,.0f} a second, **{X}{foreign['ratio']}**,"
            f" lost {foreign['lost']}, duplicates {foreign['duplicates']}, at"
            f" {f['cpu_ms_per_1000_deliveries']:,.0f} ms of CPU per 1,000 deliveries for the"
            " gateway and its containers together.",
        ]
    cold = _load("coldstart")
    if cold:
        lines += ["", "### Cold start (`python bench/coldstart.py`)", ""]
        lines += ["| entry module | with bytecode | sources only |", "|---|---|---|"]
        for module, figures in sorted(cold["with_bytecode"].items()):
            source = cold["sources_only"].get(module, {})
            lines.append(
                f"| `{module.rsplit('.', 1)[-1]}` | +{figures['extra_ms']} ms {X}{figures['ratio']}"
                f" | +{source.get('extra_ms', '?')} ms {X}{source.get('ratio', '?')} |"
            )
    fork = _load("coldstart-fork")
    if fork:
        alone, ten = fork["alone"], fork["ten_at_once"]
        lines += [
            "",
            "### Cold start, forked (`python bench/coldstart_fork.py`)",
            "",
            f"A function that builds a boto3 client at import, on Python {fork['python']}"
            f" (the fork server was ready in {fork['fork_server_start_ms']:,.0f} ms, once):",
            "",
            "| | forked | fresh interpreter | ratio |",
            "|---|---|---|---|",
            f"| one function, Init Duration (median of {alone['samples']}) |"
            f" {alone['fork_ms']} ms | {alone['fresh_ms']} ms | **{X}{alone['ratio']}** |",
            f"| ten at once, until the last answered (median of {ten['rounds']} rounds) |"
            f" {ten['fork_ms']} ms | {ten['fresh_ms']} ms | **{X}{ten['ratio']}** |",
        ]
    fanout = _load("fanout")
    if fanout:
        lines += [
            "",
            f"### Fan-out at {fanout['latency']} a post (`python bench/fanout.py --max 10000`)",
            "",
            "| recipients | boto3 | signed HTTP | paged: send / slowest page / last recipient |",
            "|---|---|---|---|",
        ]
        for size, modes in sorted(fanout["rooms"].items(), key=lambda kv: int(kv[0])):
            paged = modes.get("paged")
            paged_text = (
                f"{paged['handler_seconds']} s / {paged['slowest_page_seconds']} s /"
                f" {paged['all_delivered_seconds']} s ({paged['pages']} pages)"
                if paged
                else "(one page)"
            )
            lines.append(
                f"| {int(size):,} | {modes['boto3']['handler_seconds']} s"
                f" | {modes['signed-http']['handler_seconds']} s | {paged_text} |"
            )
    cost = _load("dynamodb-cost")
    if cost:
        lines += [
            "",
            "### DynamoDB per request (`python bench/dynamodb_cost.py`), RCU / WCU",
            "",
            "| request | " + " | ".join(cost["capacity"]) + " |",
            "|---|" + "---|" * len(cost["capacity"]),
        ]
        for request in cost["requests"]:
            if not request["priced"]:
                continue
            cells = []
            for name in cost["capacity"]:
                used = request["cost"].get(name, {"rcu": 0, "wcu": 0})
                cells.append(f"{used['rcu']:g} / {used['wcu']:g}")
            lines.append(f"| {request['request']} | " + " | ".join(cells) + " |")
        prices = cost["prices"]
        lines += [
            "",
            f"A million messages on PAY_PER_REQUEST (${prices['wru_per_million']} a million"
            f" write units, ${prices['rru_per_million']} a million read units):",
            "",
            "| messages | per million |",
            "|---|---|",
        ]
        for name, dollars in cost["pay_per_request_per_million_messages"].items():
            lines.append(f"| {name} | ${dollars:.2f} |")
    capacity = _load("capacity")
    if capacity:
        lines += [
            "",
            f"### Capacity (`python bench/capacity.py --connections {capacity['connections']}`)",
            "",
            f"{capacity['connections']:,} idle connections in one room at"
            f" {capacity['kb_per_connection']} KB each (resident memory"
            f" {capacity['gateway_rss_empty_mb']} MB empty → {capacity['gateway_rss_full_mb']} MB),"
            f" opened at {capacity['connects_per_second']:,.0f} a second; one message to all"
            f" {capacity['delivered']:,} others in {capacity['deliver_to_all_seconds']} s, then"
            f" {capacity['kb_per_connection_after_message']} KB a connection.",
        ]
    return lines


def _replace(text: str, block: list[str]) -> str:
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"no {BEGIN} ... {END} block to write")
    return pattern.sub(lambda _m: "\n".join([BEGIN, *block, END]), text)


TARGETS: dict[Path, Callable[[], list[str]]] = {
    ROOT / "docs" / "performance.md": lambda: [*summary(), "", *details()],
    ROOT / "README.md": summary,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a file would change")
    args = parser.parse_args()
    stale = []
    for path, block in TARGETS.items():
        text = path.read_text()
        new = _replace(text, block())
        if new != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        print(f"out of date with bench/results: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
