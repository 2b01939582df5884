"""The deploy flow against moto: bucket, upload, create, no-change, update, outputs, destroy.

moto's CloudFormation does not create ApiGatewayV2 resources, so the stack-level checks
use a small template of their own; the real template is checked for what reaches S3."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from serverless_chat.deploy import command
from serverless_chat.deploy.console import RichReporter
from serverless_chat.deploy.package import build_package
from serverless_chat.deploy.stack import StackDeployer
from tests.conftest import TEMPLATE

SMALL = """
Parameters:
  Capacity: {Type: Number, Default: 1}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      ProvisionedThroughput: {ReadCapacityUnits: !Ref Capacity, WriteCapacityUnits: 1}
Outputs:
  TableName: {Value: !Ref Table}
"""
SECOND_TABLE = """
  Second:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
"""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


class Run:
    def __init__(self) -> None:
        self.out = io.StringIO()
        self.reporter = RichReporter(Console(file=self.out, width=200))

    def deploy(self, template: Path, **parameters: str) -> command.Outcome:
        return command.deploy(
            command.Target(stack_name="chat-test"),
            template,
            parameters,
            self.reporter,
            deployer_factory=lambda cfn, reporter: StackDeployer(
                cfn, reporter, sleep=lambda _: None
            ),
        )


def _bucket() -> str:
    (bucket,) = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    return bucket


def test_first_deploy_makes_a_private_encrypted_bucket_and_uploads(aws: None) -> None:
    run = Run()
    outcome = run.deploy(TEMPLATE)
    assert outcome.ok, outcome.failure
    s3 = boto3.client("s3")
    bucket = _bucket()
    assert bucket == "serverless-chat-artifacts-123456789012-eu-west-1"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    package = build_package()
    assert package.key in keys
    (template_key,) = [k for k in keys if "template-" in k]
    uploaded = json.loads(s3.get_object(Bucket=bucket, Key=template_key)["Body"].read())
    codes = [
        r["Properties"]["Code"]
        for r in uploaded["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    assert codes == [{"S3Bucket": bucket, "S3Key": package.key}] * 11
    assert "Created the artifact bucket" in run.out.getvalue()


def test_an_unchanged_deploy_uploads_nothing_and_changes_nothing(aws: None) -> None:
    Run().deploy(TEMPLATE)
    run = Run()
    outcome = run.deploy(TEMPLATE)
    assert outcome.ok
    assert outcome.changed is False
    text = run.out.getvalue()
    assert "unchanged, already uploaded" in text
    assert "No changes" in text
    assert "Created the artifact bucket" not in text


def test_create_update_and_outputs(aws: None, tmp_path: Path) -> None:
    template = tmp_path / "small.yaml"
    template.write_text(SMALL)
    created = Run().deploy(template)
    assert created.status == "CREATE_COMPLETE"
    # (moto computes no outputs for stacks made by change sets; Stubber tests cover them)
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert [t for t in tables if t.startswith("chat-test-Table")]
    template.write_text(SMALL.replace("Outputs:", SECOND_TABLE.strip("\n") + "\nOutputs:", 1))
    run = Run()
    updated = run.deploy(template)
    assert updated.ok
    assert updated.status == "UPDATE_COMPLETE"
    assert "Second" in run.out.getvalue()  # the change set summary names the new resource
    assert len(boto3.client("dynamodb").list_tables()["TableNames"]) == 2
    target = command.Target(stack_name="chat-test")
    assert command.outputs(target, run.reporter) == updated.outputs


def test_destroy_waits_until_the_stack_is_gone(aws: None, tmp_path: Path) -> None:
    template = tmp_path / "small.yaml"
    template.write_text(SMALL)
    Run().deploy(template)
    run = Run()
    outcome = command.destroy(
        command.Target(stack_name="chat-test"),
        run.reporter,
        deployer_factory=lambda cfn, reporter: StackDeployer(cfn, reporter, sleep=lambda _: None),
    )
    assert outcome.ok
    assert outcome.status == "DELETE_COMPLETE"
    stacks: list[dict[str, Any]] = boto3.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)


def test_a_parameter_the_template_does_not_declare_or_refuses_stops_before_any_upload() -> None:
    """CloudFormation answers an unknown parameter only once the template is uploaded, and a
    value outside AllowedValues ends a change set half-way ("Parameters", CloudFormation
    User Guide): deploy says both first, and lists the allowed values."""
    from local_gateway import TemplateError, load_template
    from serverless_chat.deploy.command import check_parameters
    from serverless_chat.infra import TEMPLATE

    template = load_template(TEMPLATE)
    check_parameters(template, {"Alarms": "disabled"})
    with pytest.raises(TemplateError, match=r"^unknown parameter\(s\): Nope \(the template"):
        check_parameters(template, {"Nope": "1"})
    with pytest.raises(TemplateError) as refused:
        check_parameters(template, {"Alarms": "sometimes"})
    assert str(refused.value) == (
        "Parameter 'Alarms' must be one of AllowedValues (enabled, disabled)"
    )


def test_destroy_of_a_stack_that_is_not_there_says_so_once(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """(issue 26) Nothing was deleted, so "nothing to delete" is the whole answer: not
    followed by "is deleted"."""
    from serverless_chat import cli

    assert cli.main(["destroy", "--stack-name", "never-made"]) == 0
    said = capsys.readouterr().out
    assert "There is no stack named never-made; nothing to delete." in said
    assert "is deleted" not in said
