"""Stack events, failures and rollbacks, through botocore's Stubber (exact AWS answers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from serverless_chat.deploy.errors import DeployError
from serverless_chat.deploy.stack import StackDeployer

STACK = "chat"
STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/chat/1"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.events: list[dict[str, Any]] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    def status(self, text: str) -> None:
        pass

    def changes(self, changes: list[dict[str, Any]]) -> None:
        self.lines += [f"{c['Action']} {c['LogicalResourceId']}" for c in changes]

    def event(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def _event(n: int, logical: str, status: str, reason: str = "", rtype: str = "") -> dict[str, Any]:
    return {
        "StackId": STACK_ID,
        "EventId": f"e{n}",
        "StackName": STACK,
        "LogicalResourceId": logical,
        "ResourceType": rtype
        or ("AWS::CloudFormation::Stack" if logical == STACK else "AWS::DynamoDB::Table"),
        "Timestamp": WHEN,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


def _stack(status: str, outputs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackId": STACK_ID,
                "CreationTime": WHEN,
                "StackStatus": status,
                "Outputs": outputs or [],
            }
        ]
    }


@pytest.fixture
def cfn() -> Any:
    return boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def _missing(stub: Stubber) -> None:
    stub.add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist", 400
    )


def _planned(stub: Stubber, changes: list[dict[str, Any]]) -> None:
    stub.add_response("create_change_set", {"Id": "cs", "StackId": STACK_ID})
    stub.add_response("describe_change_set", {"Status": "CREATE_PENDING", "ChangeSetName": "x"})
    stub.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "ChangeSetName": "x", "Changes": changes},
    )


ADD_TABLE = [
    {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Add",
            "LogicalResourceId": "ConnectionsTable",
            "ResourceType": "AWS::DynamoDB::Table",
        },
    }
]


def test_a_failed_create_reports_the_first_failing_resource_and_the_rollback(cfn: Any) -> None:
    reporter = Recorder()
    with Stubber(cfn) as stub:
        _missing(stub)
        _planned(stub, ADD_TABLE)
        stub.add_response("execute_change_set", {})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    _event(2, "ConnectionsTable", "CREATE_IN_PROGRESS"),
                    _event(1, STACK, "CREATE_IN_PROGRESS", "User Initiated"),
                ]
            },
        )
        stub.add_response("describe_stacks", _stack("CREATE_IN_PROGRESS"))
        # Newest first, over two pages, as DescribeStackEvents answers.
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    _event(6, STACK, "ROLLBACK_COMPLETE"),
                    _event(5, "ConnectionsTable", "DELETE_COMPLETE"),
                    _event(4, "Other", "CREATE_FAILED", "Resource creation cancelled"),
                ],
                "NextToken": "p2",
            },
        )
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    _event(3, "ConnectionsTable", "CREATE_FAILED", "Table already exists: chat"),
                    _event(2, "ConnectionsTable", "CREATE_IN_PROGRESS"),
                    _event(1, STACK, "CREATE_IN_PROGRESS", "User Initiated"),
                ]
            },
        )
        stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"))
        outcome = StackDeployer(cfn, reporter, sleep=lambda _: None).deploy(
            STACK, "https://bucket/template.json", {"StageName": "dev"}
        )
        stub.assert_no_pending_responses()
    assert not outcome.ok
    assert outcome.status == "ROLLBACK_COMPLETE"
    assert outcome.failure == (
        "ConnectionsTable (AWS::DynamoDB::Table): Table already exists: chat"
    )
    assert [e["EventId"] for e in reporter.events] == ["e1", "e2", "e3", "e4", "e5", "e6"]
    assert "Add ConnectionsTable" in reporter.lines


def test_a_successful_create_follows_events_and_returns_the_outputs(cfn: Any) -> None:
    reporter = Recorder()
    outputs = [
        {"OutputKey": "WebSocketURL", "OutputValue": "wss://abc.execute-api/production"},
        {"OutputKey": "CallbackURL", "OutputValue": "https://abc.execute-api/production"},
    ]
    with Stubber(cfn) as stub:
        _missing(stub)
        _planned(stub, ADD_TABLE)
        stub.add_response("execute_change_set", {})
        stub.add_response(
            "describe_stack_events",
            {"StackEvents": [_event(1, STACK, "CREATE_IN_PROGRESS", "User Initiated")]},
        )
        stub.add_response("describe_stacks", _stack("CREATE_IN_PROGRESS"))
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    _event(3, STACK, "CREATE_COMPLETE"),
                    _event(2, "ConnectionsTable", "CREATE_COMPLETE"),
                    _event(1, STACK, "CREATE_IN_PROGRESS", "User Initiated"),
                ]
            },
        )
        stub.add_response("describe_stacks", _stack("CREATE_COMPLETE", outputs))
        stub.add_response("describe_stacks", _stack("CREATE_COMPLETE", outputs))
        outcome = StackDeployer(cfn, reporter, sleep=lambda _: None).deploy(STACK, "u", {})
        stub.assert_no_pending_responses()
    assert outcome.ok
    assert outcome.status == "CREATE_COMPLETE"
    assert outcome.outputs["WebSocketURL"] == "wss://abc.execute-api/production"
    assert [e["EventId"] for e in reporter.events] == ["e1", "e2", "e3"]


def test_no_changes_is_a_clean_success(cfn: Any) -> None:
    reporter = Recorder()
    outputs = [{"OutputKey": "WebSocketURL", "OutputValue": "wss://x/production"}]
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"))
        stub.add_response("create_change_set", {"Id": "cs", "StackId": STACK_ID})
        stub.add_response(
            "describe_change_set",
            {
                "Status": "FAILED",
                "ChangeSetName": "x",
                "StatusReason": "The submitted information didn't contain changes. Submit "
                "different information to create a change set.",
            },
        )
        stub.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
        stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE", outputs))
        outcome = StackDeployer(cfn, reporter, sleep=lambda _: None).deploy(STACK, "u", {})
    assert outcome.ok
    assert not outcome.changed
    assert outcome.outputs == {"WebSocketURL": "wss://x/production"}
    assert "No changes: the stack is already up to date." in reporter.lines


def test_an_update_keeps_previous_parameters_not_given(cfn: Any) -> None:
    stack = _stack("UPDATE_COMPLETE")
    stack["Stacks"][0]["Parameters"] = [
        {"ParameterKey": "StageName", "ParameterValue": "production"},
        {"ParameterKey": "BillingMode", "ParameterValue": "PROVISIONED"},
    ]
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", stack)
        stub.add_response(
            "create_change_set",
            {"Id": "cs"},
            {
                "StackName": STACK,
                "ChangeSetName": ANY,
                "TemplateURL": "u",
                "Parameters": [
                    {"ParameterKey": "BillingMode", "ParameterValue": "PAY_PER_REQUEST"},
                    {"ParameterKey": "StageName", "UsePreviousValue": True},
                ],
                "Capabilities": ["CAPABILITY_IAM"],
                "ChangeSetType": "UPDATE",
                "Description": ANY,
            },
        )
        stub.add_response(
            "describe_change_set",
            {
                "Status": "FAILED",
                "ChangeSetName": "x",
                "StatusReason": "No updates are to be performed.",
            },
        )
        stub.add_response("delete_change_set", {})
        stub.add_response("describe_stacks", stack)
        StackDeployer(cfn, Recorder(), sleep=lambda _: None).deploy(
            STACK, "u", {"BillingMode": "PAY_PER_REQUEST"}
        )
        stub.assert_no_pending_responses()


def test_a_change_set_that_cannot_be_planned_is_an_error(cfn: Any) -> None:
    with Stubber(cfn) as stub:
        _missing(stub)
        stub.add_response("create_change_set", {"Id": "cs"})
        stub.add_response(
            "describe_change_set",
            {
                "Status": "FAILED",
                "ChangeSetName": "x",
                "StatusReason": "Template format error: Unresolved resource dependencies",
            },
        )
        with pytest.raises(DeployError, match="Unresolved resource dependencies"):
            StackDeployer(cfn, Recorder(), sleep=lambda _: None).deploy(STACK, "u", {})


def test_a_stack_stuck_in_rollback_complete_must_be_destroyed_first(cfn: Any) -> None:
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"))
        with pytest.raises(DeployError, match="serverless-chat destroy"):
            StackDeployer(cfn, Recorder(), sleep=lambda _: None).deploy(STACK, "u", {})


def test_a_failed_update_rolls_back_and_says_why(cfn: Any) -> None:
    reporter = Recorder()
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"))
        _planned(stub, ADD_TABLE)
        stub.add_response(
            "describe_stack_events", {"StackEvents": [_event(1, STACK, "CREATE_COMPLETE")]}
        )
        stub.add_response("execute_change_set", {})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    _event(4, STACK, "UPDATE_ROLLBACK_COMPLETE"),
                    _event(
                        3,
                        "SendMessageHandler",
                        "UPDATE_FAILED",
                        'Resource handler returned message: "Code storage limit exceeded"',
                        "AWS::Lambda::Function",
                    ),
                    _event(2, STACK, "UPDATE_IN_PROGRESS"),
                    _event(1, STACK, "CREATE_COMPLETE"),
                ]
            },
        )
        stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"))
        outcome = StackDeployer(cfn, reporter, sleep=lambda _: None).deploy(STACK, "u", {})
    assert outcome.status == "UPDATE_ROLLBACK_COMPLETE"
    assert outcome.failure is not None
    assert outcome.failure.startswith("SendMessageHandler (AWS::Lambda::Function)")
    assert [e["EventId"] for e in reporter.events] == ["e2", "e3", "e4"]  # only new ones
