"""The three targets, each serving tests/fixtures/recorder once a session: ``serve`` (the
local gateway, through the pytest plugin), MiniStack (its CloudFormation, a stack made from
the same template), and a deployed stage (opt-in: SERVERLESS_CHAT_AWS_TESTS=1 with AWS
credentials; a stack made and deleted). A target that cannot run here is skipped with the
reason; the table keeps its committed column."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_gateway.testing.plugin import Factory
from tests import ministack
from tests.conftest import ROOT
from tests.targets import table
from tests.targets.deployable import RECORDER, recorder_template
from tests.targets.scenarios import SCENARIOS
from tests.targets.targets import AWS, MINISTACK, SERVE, TARGETS, FileEvents, TableEvents, Target

DOCUMENT = ROOT / "docs" / "local-gateway.md"
FOUND = pytest.StashKey[table.Cells]()
# What MiniStack 1.5.33's CloudFormation refuses ("Unrecognized resource types"): the
# recorder's two-way route is made without its route response there.
MINISTACK_UNSUPPORTED = ("AWS::ApiGatewayV2::RouteResponse",)
MINISTACK_PATIENCE = 15.0  # what it will not do costs this much a scenario
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
                MINISTACK_PATIENCE,
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


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, serve_record: Path) -> Target:
    """Each target in turn; ``recorded`` empty for each test."""
    name: str = request.param
    if name == SERVE:
        factory: Factory = request.getfixturevalue("websocket_api_factory")
        api = factory(RECORDER, {"RecordFile": str(serve_record)})
        return Target(SERVE, api.url, api.management_client, FileEvents(serve_record))
    chosen: Target = request.getfixturevalue(f"{name}_target")
    chosen.recorded.clear()
    return chosen
