"""Each benchmark under bench/ at a size that takes seconds: it runs, loses nothing and writes
its JSON. The figures themselves are for `make bench` to print, not for a timed test."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT


def _run(tmp_path: Path, script: str, *args: str) -> tuple[str, Any]:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads(out.read_text())


def test_fanout_posts_to_every_recipient_in_every_mode_and_pages(tmp_path: Path) -> None:
    printed, results = _run(tmp_path, "fanout.py", "--max", "100", "--page-size", "40")
    assert "missing or doubled" not in printed
    rooms = results["rooms"]
    assert set(rooms) == {"10", "100"}
    for size, modes in rooms.items():
        for row in modes.values():
            assert row["delivered"] == row["expected"] == int(size)
    assert rooms["100"]["paged"]["pages"] == 3  # 99 recipients in pages of 40


def test_readcost_reads_the_room_not_the_table(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "readcost.py", "--others", "300")
    assert set(results) == {"sqlite", "memory", "dynamodb"}
    for store in results.values():
        assert store == {"items_read_per_message": 10, "items_in_a_full_scan": 310}


def test_capacity_delivers_to_every_connection(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "capacity.py", "--connections", "300")
    assert results["connections"] == 300
    assert results["delivered"] == 299
    assert results["kb_per_connection"] > 0


def test_coldstart_measures_every_entry_module(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "coldstart.py", "--samples", "1")
    sources = results["sources_only"]
    assert {"serverless_chat.handlers.send_message", "serverless_chat.handlers.authorize"} <= set(
        sources
    )
    for figures in sources.values():
        assert figures["boto3_ms"] > 0
        assert set(figures) == {"boto3_ms", "extra_ms", "ratio"}


def test_coldstart_fork_measures_both_ways_in_the_same_run(tmp_path: Path) -> None:
    _, results = _run(tmp_path, "coldstart_fork.py", "--samples", "1", "--rounds", "1")
    for case in (results["alone"], results["ten_at_once"]):
        assert case["fork_ms"] > 0
        assert case["fresh_ms"] > 0
        # (the figures are stored rounded; the ratio is of the unrounded ones)
        assert case["ratio"] == pytest.approx(case["fork_ms"] / case["fresh_ms"], rel=0.02)


def test_foreign_chat_is_delivered_and_measured_against_its_bound(tmp_path: Path) -> None:
    printed, results = _run(
        tmp_path,
        "foreign.py",
        "--rounds",
        "1",
        "--clients",
        "6",
        "--senders",
        "1",
        "--messages",
        "4",
    )
    assert "foreign / bound" in printed
    assert results["lost"] == 0
    assert results["duplicates"] == 0
    assert results["foreign"]["delivered"] == 4 * 5
    assert results["bound_posts_per_second"] > 0


# -- DynamoDB capacity (bench/dynamodb_cost.py) -----------------------------------------------
@pytest.fixture(scope="module")
def dynamodb_cost(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One short run (rooms of 2 and 20) for the capacity targets and the role check."""
    _, results = _run(tmp_path_factory.mktemp("dynamodb"), "dynamodb_cost.py", "--rooms", "2,20")
    return results


def _priced(results: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    return {r["request"]: r["cost"] for r in results["requests"] if r["priced"]}


# What DynamoDB's rules make a request cost past 1 WCU, and why (docs/performance.md,
# "DynamoDB capacity"):
# a name is unique in a room only through a claim, an item of its own, so a connection that
# takes or drops a name writes two items of the ConnectionsTable; a join or a rename
# changes an index key (room, nameKey), which costs that index a delete and an insert.
BEYOND_ONE_WCU = {
    "$connect json, presence to 20 json": {"ConnectionsTable": 2},  # the row and its claim
    "$connect raw, room of 20 raw": {"ConnectionsTable": 2},
    "$disconnect json, presence to 19": {"ConnectionsTable": 2},  # both deleted
    # the token, the claim in the new room, the row moved, the old claim dropped
    "join (json, with history)": {
        "ConnectionsTable": 4,
        "ConnectionsTable/room-index": 2,
        "ConnectionsTable/presence-index": 2,
    },
    "setName": {"ConnectionsTable": 4, "ConnectionsTable/name-index": 2},
    # the token, and the guest's identity written in its row (once a connection)
    "resume (a new token, on connecting)": {"ConnectionsTable": 2},
}


def test_dynamodb_cost_meets_the_capacity_targets(dynamodb_cost: dict[str, Any]) -> None:
    """Issue 15: a message to a room of 20 (or 2) costs at most 1 WCU and 1 RCU on every
    table and index (issue 26: so does a direct message kept for both people, and a page of
    direct history), so the default stack (5/5 each) carries 5 messages a second; so does the
    sender's next message at once, and a refused one. Every other request costs at most
    1 WCU on every table and index but where a name claim or an index key changes, and
    there exactly what BEYOND_ONE_WCU says."""
    priced = _priced(dynamodb_cost)
    messages = [f"sendMessage {fmt}, room of {n}" for fmt in ("raw", "json") for n in (2, 20)]
    messages += [
        "sendMessage json, room of 20, the same sender again at once",
        "sendMessage, refused (RATE_LIMITED)",
        "sendMessage direct, no identities (kept for nobody)",
        "sendMessage direct, two guests (kept for both)",
    ]
    for request in messages:
        for resource, used in priced[request].items():
            assert used["wcu"] <= 1, (request, resource, used)
            assert used["rcu"] <= 1, (request, resource, used)
    rates = {r["request"]: r["per_second"] for r in dynamodb_cost["priced"]}
    for request in messages:
        assert rates[request] >= 5, (request, rates[request])
    assert set(BEYOND_ONE_WCU) < set(priced)
    for request, cost in priced.items():
        beyond = {k: v["wcu"] for k, v in cost.items() if v["wcu"] > 1}
        assert beyond == BEYOND_ONE_WCU.get(request, {}), request
    reads = ("history (a page of 20 messages)", "who (a room of 21)", "$default")
    reads += ("directHistory, all (20)", "directHistory, one conversation (20)")
    for request in reads:
        for resource, used in priced[request].items():
            assert used["wcu"] <= 1, (request, resource, used)
            assert used["rcu"] <= 1, (request, resource, used)


def test_rooms_writes_one_token_and_reads_room_index_alone(dynamodb_cost: dict[str, Any]) -> None:
    """rooms reads every connection, so it reads room-index alone (its entries are small; a
    Scan of the table would read the buckets and name claims too) and writes only the
    sender's token: about 0.007 RCU a connection (DynamoDB: a Scan costs the bytes it reads,
    rounded up per 4 KB, halved when eventually consistent: "DynamoDB read and write
    operations", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    read-write-operations.html)."""
    priced = _priced(dynamodb_cost)
    (request,) = [r for r in priced if r.startswith("rooms (")]
    used = {k: v for k, v in priced[request].items() if v["rcu"] or v["wcu"]}
    assert set(used) == {"ConnectionsTable", "ConnectionsTable/room-index"}, used
    assert used["ConnectionsTable"] == {"rcu": 0, "wcu": 1}
    connections = int(request.removeprefix("rooms (").split()[0])
    assert 0 < used["ConnectionsTable/room-index"]["rcu"] <= connections / 100


def _arn(resource: Any) -> tuple[str, str | None] | None:
    """(table logical id, index name or None, "*" for every index) of a table or index ARN
    written as the template writes them; None for anything else."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        return (logical_id, None) if attribute == "Arn" else None
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        found = re.fullmatch(r"\$\{(\w+)\.Arn\}/index/([\w.*-]+)", str(resource["Fn::Sub"]))
        return (found[1], found[2]) if found else None
    return None


def _grants(template: dict[str, Any]) -> dict[str, set[tuple[str, str, str | None]]]:
    """Entry module → the (action, table, index) its function's role allows."""
    resources = template["Resources"]
    grants: dict[str, set[tuple[str, str, str | None]]] = {}
    for function in resources.values():
        if function["Type"] != "AWS::Lambda::Function":
            continue
        module = function["Properties"]["Handler"].rsplit(".", 1)[0]
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        allowed = grants.setdefault(module, set())
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement or statement["Effect"] != "Allow":
                    continue
                actions, targets = statement["Action"], statement["Resource"]
                for action in actions if isinstance(actions, list) else [actions]:
                    for target in targets if isinstance(targets, list) else [targets]:
                        arn = _arn(target)
                        if arn is not None:
                            allowed.add((action, *arn))
    return grants


def test_every_dynamodb_call_is_allowed_by_its_functions_role(
    dynamodb_cost: dict[str, Any],
) -> None:
    """Every call each entry module made in the bench's recording (every request type, and
    the paths of a signed-in person's tabs, a taken name and a stale connection's 410) is
    granted by that function's role in infra/template.yaml: its action on its table's ARN,
    or on the index's ARN for a Query of an index."""
    from local_gateway.template.cfn_yaml import load_template

    grants = _grants(load_template(ROOT / "infra" / "template.yaml"))
    denied: set[tuple[str, str, str, str | None]] = set()
    checked = Counter[str]()
    for request in dynamodb_cost["requests"]:
        module = request["module"]
        for call in request["calls"]:
            need = (f"dynamodb:{call['operation']}", call["table_id"], call["index"])
            wildcard = (need[0], need[1], "*") if call["index"] else need
            if need not in grants[module] and wildcard not in grants[module]:
                denied.add((module, *need))
            checked[module] += 1
    assert not denied, sorted(denied)
    modules = {f"serverless_chat.handlers.{m}" for m in ("connect", "disconnect", "send_message")}
    modules |= {f"serverless_chat.handlers.{m}" for m in ("default", "join", "set_name")}
    modules |= {f"serverless_chat.handlers.{m}" for m in ("history", "who", "fanout")}
    assert set(checked) == modules, checked  # every entry module but the authorizer was heard
