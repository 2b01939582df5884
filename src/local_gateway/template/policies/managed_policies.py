"""The AWS managed policies the local gateway evaluates, by name, with AWS's statements.

Each document is the policy's default version as AWS's "AWS Managed Policy Reference Guide"
prints it (docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.html). Where a policy
also grants services the gateway neither emulates nor asks about (application-autoscaling,
cloudwatch, datapipeline, ec2, iam, kms, sns, …), only its statements on the services it
does decide (dynamodb, dax, lambda, execute-api, logs) are kept: the others could allow
nothing the gateway asks. A managed policy not in this table is named at start as not
evaluated (``Role.not_evaluated``), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def _allow(actions: list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [_statement(actions, resource)]}


def _statement(actions: list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


# Name → (ARN path after arn:aws:iam::aws:policy/, document).
MANAGED_POLICIES: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": ("service-role/AWSLambdaBasicExecutionRole", _allow(_LOGS)),
    "AWSLambdaDynamoDBExecutionRole": (
        "service-role/AWSLambdaDynamoDBExecutionRole",
        _allow(
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                *_LOGS,
            ]
        ),
    ),
    "AWSLambdaInvocation-DynamoDB": (
        "AWSLambdaInvocation-DynamoDB",
        {
            "Version": "2012-10-17",
            "Statement": [
                _statement(["lambda:InvokeFunction"]),
                _statement(
                    [
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ]
                ),
            ],
        },
    ),
    "AWSLambdaRole": ("service-role/AWSLambdaRole", _allow(["lambda:InvokeFunction"], ["*"])),
    "AWSLambdaExecute": (
        "AWSLambdaExecute",
        {
            "Version": "2012-10-17",
            "Statement": [
                _statement(["logs:*"], "arn:aws:logs:*:*:*"),
                _statement(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::*"),
            ],
        },
    ),
    "AWSLambdaVPCAccessExecutionRole": (
        "service-role/AWSLambdaVPCAccessExecutionRole",
        # its ec2:*NetworkInterface* statements grant nothing the gateway decides
        _allow(_LOGS),
    ),
    # the lambda:* statement; its other statements (cloudformation, ec2, iam, kms, logs
    # reading, s3, sns, sqs, states, tag, xray, and iam:PassRole) are left out
    "AWSLambda_FullAccess": ("AWSLambda_FullAccess", _allow(["lambda:*"])),
    "AWSLambda_ReadOnlyAccess": (
        "AWSLambda_ReadOnlyAccess",
        _allow(["lambda:Get*", "lambda:List*"]),
    ),
    "AmazonAPIGatewayInvokeFullAccess": (
        "AmazonAPIGatewayInvokeFullAccess",
        _allow(
            ["execute-api:Invoke", "execute-api:ManageConnections"], "arn:aws:execute-api:*:*:*"
        ),
    ),
    "AmazonDynamoDBFullAccess": ("AmazonDynamoDBFullAccess", _allow(["dynamodb:*", "dax:*"])),
    "AmazonDynamoDBFullAccess_v2": (
        "AmazonDynamoDBFullAccess_v2",
        _allow(["dynamodb:*", "dax:*"]),
    ),
    "AmazonDynamoDBReadOnlyAccess": (
        "AmazonDynamoDBReadOnlyAccess",
        _allow(
            [
                "dynamodb:BatchGetItem",
                "dynamodb:Describe*",
                "dynamodb:List*",
                "dynamodb:GetAbacStatus",
                "dynamodb:GetItem",
                "dynamodb:GetResourcePolicy",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:PartiQLSelect",
                "dax:Describe*",
                "dax:List*",
                "dax:GetItem",
                "dax:BatchGetItem",
                "dax:Query",
                "dax:Scan",
            ]
        ),
    ),
    # every action on every resource: the gateway decides nothing it does not allow
    "AdministratorAccess": ("AdministratorAccess", _allow(["*"])),
    "PowerUserAccess": (
        "PowerUserAccess",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "NotAction": ["iam:*", "organizations:*", "account:*"],
                    "Resource": "*",
                }
            ],
        },
    ),
}

_ARN_PREFIX = "arn:aws:iam::aws:policy/"


def managed_policy_arn(name: str) -> str:
    """The ARN of the AWS managed policy ``name`` (its path when the table knows it, as SAM
    names a policy by its bare name)."""
    known = MANAGED_POLICIES.get(name)
    return _ARN_PREFIX + (known[0] if known else name)


def managed_policy(arn: str) -> tuple[str, Mapping[str, Any]] | None:
    """(name, document) of the AWS managed policy at ``arn``, when the table has it (any
    partition: arn:aws-cn:… and arn:aws-us-gov:… hold the same policies)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or parts[4] != "aws":
        return None
    name = parts[5].removeprefix("policy/").rsplit("/", 1)[-1]
    known = MANAGED_POLICIES.get(name)
    if known is None or parts[5] != "policy/" + known[0]:
        return None
    return name, known[1]
