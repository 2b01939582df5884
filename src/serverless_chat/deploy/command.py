"""`serverless-chat deploy | destroy | outputs`: package, upload, change set, follow events.

Credentials and region come from boto3's usual chain (environment, profile, instance role);
``--profile`` and ``--region`` choose among them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import NoRegionError

from serverless_chat.deploy.artifacts import ArtifactBucket, default_bucket_name
from serverless_chat.deploy.package import (
    LAMBDA_RUNTIME,
    LambdaPackage,
    build_package,
    runtime_interpreter,
)
from serverless_chat.deploy.stack import Outcome, Reporter, StackDeployer
from serverless_chat.gateway.cfn_yaml import load_template

DEFAULT_STACK_NAME = "stack-for-serverless-chat"


@dataclass(frozen=True, slots=True)
class Target:
    """Where to deploy: which stack, in which account and region, with which credentials."""

    stack_name: str = DEFAULT_STACK_NAME
    region: str | None = None
    profile: str | None = None


def aws_session(target: Target) -> Any:
    session = boto3.session.Session(profile_name=target.profile, region_name=target.region)
    if not session.region_name:
        raise NoRegionError()
    return session


def packaged_template(
    template: dict[str, Any], bucket: str, package: LambdaPackage
) -> dict[str, Any]:
    """The template with each function's local Code folder replaced by the uploaded package."""
    result = copy.deepcopy(template)
    for resource in result["Resources"].values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            props["Code"] = {"S3Bucket": bucket, "S3Key": package.key}
            _drop_lint_exception(resource)
    return result


def deploy(
    target: Target,
    template_path: Path,
    parameters: dict[str, str],
    reporter: Reporter,
    bucket_name: str | None = None,
    session_factory: Callable[[Target], Any] = aws_session,
    deployer_factory: Callable[[Any, Reporter], StackDeployer] = StackDeployer,
) -> Outcome:
    """Package, upload (only what changed), then create or update the stack."""
    template = load_template(template_path)
    session = session_factory(target)
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    bucket = ArtifactBucket(
        session.client("s3"), bucket_name or default_bucket_name(account, region), region, account
    )
    if bucket.ensure():
        reporter.info(f"Created the artifact bucket {bucket.name} (encrypted, not public).")
    interpreter = runtime_interpreter()
    if interpreter is None:
        reporter.info(
            f"No {LAMBDA_RUNTIME} here: the package ships sources only, and each cold start"
            " compiles them (about 10 ms). Install Python 3.13 to ship bytecode."
        )
    package = build_package(interpreter=interpreter)
    uploaded = bucket.upload(package.key, package.data)
    reporter.info(
        f"Lambda package {package.key} ({len(package.data) // 1024} KB)"
        + (" uploaded." if uploaded else " unchanged, already uploaded.")
    )
    body = json.dumps(packaged_template(template, bucket.name, package), sort_keys=True).encode()
    template_key = f"serverless-chat/template-{hashlib.sha256(body).hexdigest()[:32]}.json"
    bucket.upload(template_key, body)
    deployer = deployer_factory(session.client("cloudformation"), reporter)
    return deployer.deploy(target.stack_name, bucket.url(template_key), parameters)


def destroy(
    target: Target,
    reporter: Reporter,
    session_factory: Callable[[Target], Any] = aws_session,
    deployer_factory: Callable[[Any, Reporter], StackDeployer] = StackDeployer,
) -> Outcome:
    session = session_factory(target)
    return deployer_factory(session.client("cloudformation"), reporter).destroy(target.stack_name)


def outputs(
    target: Target,
    reporter: Reporter,
    session_factory: Callable[[Target], Any] = aws_session,
) -> dict[str, str]:
    session = session_factory(target)
    return StackDeployer(session.client("cloudformation"), reporter).outputs(target.stack_name)


def _drop_lint_exception(resource: dict[str, Any]) -> None:
    """The cfn-lint exception for a local Code folder no longer applies; checkov's stay."""
    metadata = resource.get("Metadata", {})
    metadata.pop("cfn-lint", None)
    if not metadata:
        resource.pop("Metadata", None)
