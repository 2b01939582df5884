"""Every scenario run on one target at once (they are independent: each has connections of its
own, found by a probe of its own), so that a target's waits for what it will never do overlap
instead of adding up; what each found, as the table's cell."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus, WebSocketException

from tests.targets import table
from tests.targets.observed import Observed, Stop
from tests.targets.scenarios import Scenario
from tests.targets.targets import Target

# What a target may answer instead of what AWS does: written down as a difference, by its
# kind only (messages carry ids that change from run to run).
REFUSALS = (OSError, TimeoutError, WebSocketException, ClientError)

Looked = Callable[[Scenario, Target], None]


async def observe(scenario: Scenario, target: Target) -> str:
    """What ``scenario`` finds on ``target``: "as documented", or its differences."""
    seen = Observed()
    try:
        await scenario.run(target, seen)
    except Stop:
        pass
    except InvalidStatus as refused:
        seen.differences.append(f"handshake refused with {refused.response.status_code}")
    except REFUSALS as error:
        seen.differences.append(f"{type(error).__name__} raised")
    return table.as_cell(seen.summary())


async def observe_all(
    scenarios: Sequence[Scenario], target: Target, looked: Looked | None = None
) -> dict[str, str]:
    """Each scenario's cell on ``target``, the scenarios run concurrently; ``looked`` is
    called with each scenario and the view of the target it ran on (what it recorded)."""

    async def one(scenario: Scenario) -> str:
        view = target.for_scenario()
        cell = await observe(scenario, view)
        if looked is not None:
            looked(scenario, view)
        return cell

    cells = await asyncio.gather(*(one(s) for s in scenarios))
    return {s.id: cell for s, cell in zip(scenarios, cells, strict=True)}
