"""The AWS-behaviour scenarios (scenarios.py), each run on every target (conftest.py): what a
target does is compared with the committed table in docs/local-gateway.md ("Where each target
differs from AWS"), cell by cell. A target that differs from AWS's documentation where the
table says so passes; a cell that no longer says what the suite finds fails, until the table
is regenerated (``--regenerate-targets-table``) and the change reviewed in the diff. A
target's scenarios run once a session, together (observing.py); each test here is one cell.

Sources: each scenario's own (scenarios.py), shown in the table's source column."""

from __future__ import annotations

import pytest

from tests.targets import table
from tests.targets.conftest import DOCUMENT
from tests.targets.scenarios import SCENARIOS, Scenario
from tests.targets.targets import TARGETS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
@pytest.mark.parametrize("target_name", TARGETS)
def test_scenario(
    scenario: Scenario,
    target_name: str,
    observations: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    result = observations[scenario.id]
    if request.config.getoption("regenerate_targets_table"):
        return
    committed = table.read_cells(DOCUMENT.read_text()).get(scenario.id, {})
    expected = committed.get(target_name, table.NOT_RUN)
    assert result == expected, (
        f"{scenario.id} on {target_name}: the suite finds {result!r}, the table in"
        f" {DOCUMENT.name} says {expected!r}; run pytest tests/targets"
        " --regenerate-targets-table and review the diff"
    )
