"""Running a target's scenarios: what a scenario finds becomes its cell, a refusal the target
answers instead of AWS's behaviour is written down by its kind, and the scenarios of one target
run together (so that its waits overlap). Fake scenarios and a fake target: no socket."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from tests.targets.observed import AS_DOCUMENTED, Observed
from tests.targets.observing import observe, observe_all
from tests.targets.scenarios import Scenario
from tests.targets.targets import Target


class NoEvents:
    def events(self) -> list[dict[str, Any]]:
        return []


TARGET = Target("fake", "ws://127.0.0.1:9/test", lambda: None, NoEvents())


def _scenario(run: Any, name: str = "s") -> Scenario:
    return Scenario(name, "documented", "https://docs.aws.amazon.com/x", run)


async def test_a_scenario_that_finds_nothing_amiss_is_as_documented() -> None:
    async def fine(target: Target, seen: Observed) -> None:
        seen.expect("close code", 1003, 1003)

    assert await observe(_scenario(fine), TARGET) == AS_DOCUMENTED


async def test_a_stop_keeps_the_differences_found_before_it() -> None:
    async def stops(target: Target, seen: Observed) -> None:
        seen.expect("close code", 1000, 1003)
        raise seen.stop("no reply within 30 s")

    assert await observe(_scenario(stops), TARGET) == (
        "close code: 1000 (AWS: 1003); no reply within 30 s"
    )


async def test_a_refused_handshake_and_a_refused_socket_are_written_down_by_kind() -> None:
    async def refused(target: Target, seen: Observed) -> None:
        raise InvalidStatus(Response(403, "Forbidden", Headers()))

    async def unreachable(target: Target, seen: Observed) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")

    assert await observe(_scenario(refused), TARGET) == "handshake refused with 403"
    assert await observe(_scenario(unreachable), TARGET) == "ConnectionRefusedError raised"


async def test_a_targets_scenarios_run_together_each_on_a_view_of_its_own() -> None:
    """Each scenario waits for the other's signal: they finish only if both run at once."""
    first_ran, second_ran = asyncio.Event(), asyncio.Event()
    views: list[Target] = []

    async def first(target: Target, seen: Observed) -> None:
        first_ran.set()
        await asyncio.wait_for(second_ran.wait(), 30)
        target.recorded.append({"requestContext": {"connectionId": "a"}})

    async def second(target: Target, seen: Observed) -> None:
        second_ran.set()
        await asyncio.wait_for(first_ran.wait(), 30)

    cells = await observe_all(
        [_scenario(first, "first"), _scenario(second, "second")],
        TARGET,
        lambda scenario, view: views.append(view),
    )
    assert cells == {"first": AS_DOCUMENTED, "second": AS_DOCUMENTED}
    assert sorted(len(v.recorded) for v in views) == [0, 1]
    assert TARGET.recorded == []
