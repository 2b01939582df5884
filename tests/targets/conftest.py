"""The three targets, each serving tests/fixtures/recorder once a session: ``serve`` (the
local gateway, through the pytest plugin), MiniStack (its CloudFormation, a stack made from
the same template), and a deployed stage (opt-in: SERVERLESS_CHAT_AWS_TESTS=1 with AWS
credentials; a stack made and deleted). A target that cannot run here is skipped with the
reason; the table keeps its committed column."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_gateway.testing.plugin import GatewayPool
from tests import ministack
from tests.conftest import ROOT
from tests.targets import capture, table
from tests.targets.deployable import RECORDER, recorder_template
from tests.targets.observing import observe_all
from tests.targets.scenarios import SCENARIOS, Scenario
from tests.targets.targets import AWS, MINISTACK, SERVE, FileEvents, TableEvents, Target

DOCUMENT = ROOT / "docs" / "local-gateway.md"
FOUND = pytest.StashKey[table.Cells]()
# What MiniStack 1.5.33's CloudFormation refuses ("Unrecognized resource types"): the
# recorder's two-way route is made without its route response there.
MINISTACK_UNSUPPORTED = ("AWS::ApiGatewayV2::RouteResponse",)
STACK_SECONDS = 300.0


def found(config: pytest.Config) -> table.Cells:
    """What the session's scenarios found, by scenario and target."""
    return config.stash.setdefault(FOUND, {})


def pytest_sessionfinish(session: pytest.Session) -> None:
    cells = session.config.stash.get(FOUND, {})
    if session.config.getoption("regenerate_targets_table") and cells:
        text = DOCUMENT.read_text()
        DOCUMENT.write_text(table.rewrite(text, SCENARIOS, cells))


@pytest.fixture(scope="session")
def serve_record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-record") / "events.jsonl"


@pytest.fixture(scope="session")
def ministack_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    home = tmp_path_factory.mktemp("ministack")
    record = home / "events.jsonl"
    try:
        with ministack.running_ministack(home) as endpoint:
            api_id = _create_stack(
                ministack.client(endpoint, "cloudformation"),
                "recorder",
                recorder_template(MINISTACK_UNSUPPORTED),
                {"RecordFile": str(record)},
            )["ApiId"]
            stage = f"{endpoint}/_aws/execute-api/{api_id}/test"
            yield Target(
                MINISTACK,
                "ws" + stage.removeprefix("http"),
                lambda: ministack.client(stage, "apigatewaymanagementapi"),
                FileEvents(record),
                ministack.REGION,
            )
    except ministack.MiniStackDidNotStart as error:
        pytest.skip(f"MiniStack cannot start on this machine: {error}")


@pytest.fixture(scope="session")
def aws_target() -> Iterator[Target]:
    if os.environ.get("SERVERLESS_CHAT_AWS_TESTS") != "1" or not _aws_credentials():
        pytest.skip("the deployed stage is opt-in: SERVERLESS_CHAT_AWS_TESTS=1 with credentials")
    session = boto3.session.Session()
    region = session.region_name or "us-east-1"
    cloudformation = session.client("cloudformation", region_name=region)
    name = f"serverless-chat-targets-{secrets.token_hex(4)}"
    try:
        outputs = _create_stack(cloudformation, name, recorder_template(), {})
        callback = outputs["CallbackURL"]
        yield Target(
            AWS,
            outputs["WebSocketURL"],
            lambda: session.client(
                "apigatewaymanagementapi", endpoint_url=callback, region_name=region
            ),
            TableEvents(session.client("dynamodb", region_name=region), outputs["RecordTable"]),
            region,
            poll=0.5,  # each look is a Scan, and the scenarios look together
        )
    finally:
        cloudformation.delete_stack(StackName=name)


def _aws_credentials() -> bool:
    try:
        return boto3.session.Session().get_credentials() is not None
    except Exception:
        return False


def _create_stack(
    cloudformation: Any, name: str, template: dict[str, Any], parameters: dict[str, str]
) -> dict[str, str]:
    """Create the stack and wait for it; its outputs. A failure names the resources that
    failed and why."""
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + STACK_SECONDS
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"stack {name} still {stack['StackStatus']} after {STACK_SECONDS} s")
        time.sleep(1.0)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        failed = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in events
            if e["ResourceStatus"].endswith("_FAILED")
        ]
        pytest.fail(f"stack {name} is {stack['StackStatus']}: {'; '.join(failed)}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@pytest.fixture(scope="session")
def serve_target(websocket_api_pool: GatewayPool, serve_record: Path) -> Target:
    """The local gateway, served by the pytest plugin's pool (stopped at the session's end)."""
    api = websocket_api_pool.get(RECORDER, {"RecordFile": str(serve_record)}, {}, reuse=True)
    return Target(SERVE, api.url, api.management_client, FileEvents(serve_record))


@pytest.fixture
def observations(request: pytest.FixtureRequest) -> dict[str, str]:
    """What every scenario found on the test's target (its ``target_name`` parameter), by
    scenario: observed once a session, all scenarios together; a target that cannot run
    here skips the test with its reason."""
    name: str = request.getfixturevalue("target_name")
    config = request.config
    cells = found(config)
    if not any(name in by_target for by_target in cells.values()):
        target: Target = request.getfixturevalue(f"{name}_target")
        capturing = name == AWS and config.getoption("capture_events")
        day = datetime.now(UTC).date()

        def looked(scenario: Scenario, view: Target) -> None:
            if capturing:
                capture.capture(view, scenario.id, day)

        for scenario_id, cell in asyncio.run(observe_all(SCENARIOS, target, looked)).items():
            cells.setdefault(scenario_id, {})[name] = cell
    return {scenario_id: by_target[name] for scenario_id, by_target in cells.items()}
