"""The AWS-behaviour scenarios (scenarios.py), each run on every target (conftest.py): what a
target does is compared with the committed table in docs/local-gateway.md ("Where each target
differs from AWS"), cell by cell. A target that differs from AWS's documentation where the
table says so passes; a cell that no longer says what the suite finds fails, until the table
is regenerated (``--regenerate-targets-table``) and the change reviewed in the diff.

Sources: each scenario's own (scenarios.py), shown in the table's source column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus, WebSocketException

from tests.targets import capture, table
from tests.targets.conftest import DOCUMENT, found
from tests.targets.observed import Observed, Stop
from tests.targets.scenarios import SCENARIOS, Scenario
from tests.targets.targets import AWS, Target

# What a target may answer instead of what AWS does: written down as a difference, by its
# kind only (messages carry ids that change from run to run).
REFUSALS = (OSError, TimeoutError, WebSocketException, ClientError)


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


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_scenario(scenario: Scenario, target: Target, request: pytest.FixtureRequest) -> None:
    result = await observe(scenario, target)
    found(request.config).setdefault(scenario.id, {})[target.name] = result
    if target.name == AWS and request.config.getoption("capture_events"):
        capture.capture(target, scenario.id, datetime.now(UTC).date())
    if request.config.getoption("regenerate_targets_table"):
        return
    committed = table.read_cells(DOCUMENT.read_text()).get(scenario.id, {})
    expected = committed.get(target.name, table.NOT_RUN)
    assert result == expected, (
        f"{scenario.id} on {target.name}: the suite finds {result!r}, the table in"
        f" {DOCUMENT.name} says {expected!r}; run pytest tests/targets"
        " --regenerate-targets-table and review the diff"
    )
