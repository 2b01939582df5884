"""`serverless-chat deploy | destroy | outputs`: package, upload, change set, follow events.

Credentials and region come from boto3's usual chain (environment, profile, instance role);
``--profile`` and ``--region`` choose among them. ``--endpoint-url`` sends every call the
deploy makes (STS, S3, CloudFormation) to an AWS-compatible endpoint instead, such as an
emulator on this machine.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import NoRegionError, ProfileNotFound
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from local_gateway import ParameterError, TemplateError, check_parameter, load_template
from serverless_chat.deploy.artifacts import ArtifactBucket, default_bucket_name
from serverless_chat.deploy.errors import DeployError, unknown_profile
from serverless_chat.deploy.package import (
    LAMBDA_RUNTIME,
    LambdaPackage,
    build_package,
    runtime_interpreter,
)
from serverless_chat.deploy.stack import Outcome, Reporter, StackDeployer
from serverless_chat.infra import STACK_NAME

DEFAULT_STACK_NAME = STACK_NAME


@dataclass(frozen=True, slots=True)
class Target:
    """Where to deploy: which stack, in which account and region, with which credentials."""

    stack_name: str = DEFAULT_STACK_NAME
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # an AWS-compatible endpoint for every service


def checked_endpoint_url(text: str) -> str:
    """``text`` if it is an http(s) URL with a host that botocore accepts (a trailing slash
    dropped); otherwise a DeployError that says what is wanted, before any client is made
    (botocore would raise a bare ValueError, or fail on the first call)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or parts.netloc.endswith(":")
        or parts.query
        or parts.fragment
        or not (is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text))
    ):
        raise DeployError(
            "--endpoint-url wants an http:// or https:// URL with a host, such as "
            f"http://127.0.0.1:4566, not {text!r}."
        )
    return text.rstrip("/")


class AwsSession:
    """A boto3 session whose clients all go to ``endpoint_url`` when one is given (S3 then
    addressed path-style: emulators serve buckets under the endpoint, not as subdomains)."""

    def __init__(self, session: Any, endpoint_url: str | None = None) -> None:
        self._session = session
        self.endpoint_url = endpoint_url
        self.region_name: str = session.region_name

    def client(self, service: str) -> Any:
        if self.endpoint_url is None:
            return self._session.client(service)
        config = Config(s3={"addressing_style": "path"}) if service == "s3" else None
        return self._session.client(service, endpoint_url=self.endpoint_url, config=config)


def aws_session(target: Target) -> AwsSession:
    try:
        session = boto3.session.Session(profile_name=target.profile, region_name=target.region)
    except ProfileNotFound as error:
        # Where botocore reads profiles (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE or
        # their defaults), as a session without a profile sees them.
        files = botocore.session.Session()
        raise DeployError(
            unknown_profile(
                str(error.kwargs.get("profile", target.profile)),
                str(files.get_config_variable("config_file")),
                str(files.get_config_variable("credentials_file")),
                sorted(files.available_profiles),
            )
        ) from None
    if not session.region_name:
        raise NoRegionError()
    endpoint = checked_endpoint_url(target.endpoint_url) if target.endpoint_url else None
    return AwsSession(session, endpoint)


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


_EXECUTE_API_URL = re.compile(r"wss://([a-z0-9]+)\.execute-api\.[^/]+/([^/?#]+)")


def emulator_websocket_url(endpoint_url: str, websocket_url: str) -> str | None:
    """Where an AWS emulator at ``endpoint_url`` serves the stage that the stack's
    WebSocketURL output names on AWS's host: MiniStack (as LocalStack) serves every API at
    ``/_aws/execute-api/{apiId}/{stage}`` on its own port. None when the output is not an
    execute-api URL."""
    match = _EXECUTE_API_URL.fullmatch(websocket_url)
    if match is None:
        return None
    parts = urlsplit(endpoint_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/_aws/execute-api/{match.group(1)}/{match.group(2)}"


def check_parameters(template: dict[str, Any], given: dict[str, str]) -> None:
    """TemplateError, before anything is packaged or sent, for a --parameter the template
    does not declare, or a value CloudFormation would refuse (in its words, with the
    AllowedValues listed): CloudFormation answers an unknown name only after the upload,
    and a value it refuses ends the deployment half-way."""
    declared: dict[str, Any] = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(
            f"unknown parameter(s): {', '.join(unknown)} (the template declares:"
            f" {', '.join(sorted(declared)) or 'none'})"
        )
    for name, value in given.items():
        try:
            check_parameter(name, declared[name], value)
        except ParameterError as error:
            allowed = declared[name].get("AllowedValues")
            listed = f" ({', '.join(map(str, allowed))})" if isinstance(allowed, list) else ""
            raise TemplateError(f"{error}{listed}") from None


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
    check_parameters(template, parameters)
    session = session_factory(target)
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    bucket = ArtifactBucket(
        session.client("s3"),
        bucket_name or default_bucket_name(account, region),
        region,
        account,
        endpoint_url=getattr(session, "endpoint_url", None),
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
