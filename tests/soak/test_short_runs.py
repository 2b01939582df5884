"""The short versions of `make soak`, run by `make test`: a 20 s fuzz of a live gateway and a
200-connection, 20 s soak. Both print their figures (pytest -s shows them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_chat.loadgen import fuzz, soak
from serverless_chat.loadgen.bench import UNLIMITED
from serverless_chat.loadgen.process import GatewayProcess

FUZZ_SECONDS = float(os.environ.get("SERVERLESS_CHAT_FUZZ_SECONDS", "20"))
SOAK_SECONDS = float(os.environ.get("SERVERLESS_CHAT_SOAK_SECONDS", "20"))

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway() -> Iterator[GatewayProcess]:
    process = GatewayProcess("MessagesPerSecond=10000", "MessageBurst=10000")
    yield process
    process.stop()


async def test_fuzzing_a_live_gateway_loses_nothing(gateway: GatewayProcess) -> None:
    report = await fuzz.run(gateway.url, FUZZ_SECONDS)
    report.gateway_alive = gateway.alive
    print("\n".join(report.lines()))
    assert report.chaos_frames > 100
    assert report.lookalikes_asked > 10  # look-alikes of a taken name, each refused
    assert report.ok, report.lines()


async def test_200_connections_for_a_short_soak(gateway: GatewayProcess) -> None:
    report = await soak.run(
        gateway.url, 200, SOAK_SECONDS, room_size=20, interval=2.0, rss=gateway.rss_kb
    )
    print("\n".join(report.lines()))
    assert report.sent > 0
    assert report.ok, report.lines()


async def test_the_bench_compares_both_servers_and_loses_nothing() -> None:
    from serverless_chat.loadgen.bench import bench

    report = await bench(clients=20, senders=2, messages=20)
    baseline, gateway = report["results"]
    assert (baseline["server"], gateway["server"]) == ("baseline", "gateway")
    for result in report["results"]:
        assert result["lost"] == 0
        assert result["duplicates"] == 0
        assert result["deliveries_per_second"] > 0
    assert set(report["ratios"]) == {"deliveries_per_second", "cpu_per_delivery"}


async def test_the_coalescing_baseline_delivers_everything_too() -> None:
    from serverless_chat.loadgen.bench import bench

    report = await bench(clients=10, senders=3, messages=30, baseline_kind="coalescing")
    assert report["baseline"] == "coalescing"
    for result in report["results"]:
        assert (result["lost"], result["duplicates"]) == (0, 0)
        assert result["delivered"] == 3 * 30 * 9


async def test_the_bench_runs_the_storeless_ceiling_probe_too() -> None:
    from serverless_chat.loadgen.bench import bench

    ceiling = Path(__file__).resolve().parents[2] / "bench" / "ceiling" / "template.yaml"
    report = await bench(clients=10, senders=2, messages=10, template=ceiling)
    gateway = report["results"][1]
    assert (gateway["lost"], gateway["duplicates"]) == (0, 0)
    assert gateway["delivered"] == 2 * 10 * 9


async def test_the_bench_measures_a_gateway_already_running() -> None:
    from serverless_chat.loadgen.bench import bench

    running = GatewayProcess(*UNLIMITED)
    try:
        report = await bench(
            clients=20, senders=2, messages=100, url=running.url, pid=running.process.pid
        )
        gateway = report["results"][1]
        assert (gateway["lost"], gateway["duplicates"]) == (0, 0)
        # its CPU, read through --pid (in clock ticks: the load is sized to take several)
        assert gateway["cpu_ms_per_1000_deliveries"] > 0
        assert running.alive  # measured, not stopped
    finally:
        running.stop()


async def test_the_bench_says_when_the_gateway_refused_messages() -> None:
    """A gateway started with the template's own rate limit (10 a second, bursts of 20)
    refuses most of a benchmark's messages: the bench counts the refusals by code and says
    how to start the gateway instead of only reporting them lost."""
    from serverless_chat.loadgen.bench import bench, table

    running = GatewayProcess()
    try:
        report = await bench(clients=3, senders=1, messages=60, url=running.url, rounds_count=1)
        gateway = report["results"][1]
        assert gateway["refused"]["RATE_LIMITED"] >= 30
        assert gateway["lost"] >= 2 * 30  # each refused message is lost to both others
        printed = table(report["results"], report["ratios"])
        assert "gateway refused messages:" in printed
        assert "MessagesPerSecond=100000" in printed
    finally:
        running.stop()
