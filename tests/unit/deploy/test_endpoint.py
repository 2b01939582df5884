"""`--endpoint-url`: every client the deploy makes goes there, S3 path-style; a bad URL is one
line. (Against a real engine: tests/integration/test_ministack_deploy.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from serverless_chat.deploy import command
from serverless_chat.deploy.artifacts import ArtifactBucket
from serverless_chat.deploy.errors import DeployError
from serverless_chat.deploy.stack import Outcome, Reporter
from tests.conftest import ROOT

ENDPOINT = "http://127.0.0.1:4566"


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566"),
        ("http://localhost:4566/", "http://localhost:4566"),
        ("https://aws.internal.example.com", "https://aws.internal.example.com"),
        ("http://[::1]:4566", "http://[::1]:4566"),
        ("http://127.0.0.1:4566/prefix", "http://127.0.0.1:4566/prefix"),
    ],
)
def test_an_endpoint_is_an_http_url_with_a_host(given: str, kept: str) -> None:
    assert command.checked_endpoint_url(given) == kept


@pytest.mark.parametrize(
    "given",
    [
        "127.0.0.1:4566",
        "localhost",
        "ftp://127.0.0.1",
        "http://",
        "http://bad host",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "http://127.0.0.1:",
        "http://127.0.0.1/?x=1",
        "",
    ],
)
def test_anything_else_is_refused_in_one_sentence(given: str) -> None:
    with pytest.raises(DeployError) as refused:
        command.checked_endpoint_url(given)
    assert str(refused.value).startswith("--endpoint-url wants an http:// or https:// URL")
    assert repr(given) in str(refused.value)


def test_every_client_goes_to_the_endpoint_and_s3_is_path_style(fake_credentials: None) -> None:
    session = command.aws_session(command.Target(region="eu-west-1", endpoint_url=ENDPOINT + "/"))
    assert session.endpoint_url == ENDPOINT
    assert session.region_name == "eu-west-1"
    for service in ("sts", "s3", "cloudformation"):
        assert session.client(service).meta.endpoint_url == ENDPOINT
    assert session.client("s3").meta.config.s3 == {"addressing_style": "path"}


def test_without_an_endpoint_the_clients_are_aws_own(fake_credentials: None) -> None:
    session = command.aws_session(command.Target(region="eu-west-1"))
    assert session.endpoint_url is None
    assert session.client("cloudformation").meta.endpoint_url == (
        "https://cloudformation.eu-west-1.amazonaws.com"
    )
    assert not (session.client("s3").meta.config.s3 or {}).get("addressing_style")


def test_a_template_url_is_path_style_under_an_endpoint() -> None:
    on_aws = ArtifactBucket(None, "b", "eu-west-1", "1")
    assert on_aws.url("k/t.json") == "https://b.s3.eu-west-1.amazonaws.com/k/t.json"
    emulated = ArtifactBucket(None, "b", "eu-west-1", "1", endpoint_url=ENDPOINT)
    assert emulated.url("k/t.json") == f"{ENDPOINT}/b/k/t.json"


class _Recorded:
    """A session whose clients record the calls the deploy makes, answering just enough."""

    def __init__(self, endpoint_url: str | None) -> None:
        self.endpoint_url = endpoint_url
        self.region_name = "eu-west-1"
        self.services: list[str] = []
        self.uploads: list[str] = []

    def client(self, service: str) -> Any:
        self.services.append(service)
        recorded = self

        class Client:
            def get_caller_identity(self) -> dict[str, str]:
                return {"Account": "000000000000"}

            def head_bucket(self, **_: Any) -> None:
                return None

            def head_object(self, **_: Any) -> None:
                from botocore.exceptions import ClientError

                raise ClientError({"ResponseMetadata": {"HTTPStatusCode": 404}}, "HeadObject")

            def put_object(self, Key: str, **_: Any) -> None:
                recorded.uploads.append(Key)

        return Client()


class _Deployer:
    urls: list[str] = []

    def __init__(self, cloudformation: Any, reporter: Reporter) -> None:
        pass

    def deploy(self, stack_name: str, template_url: str, parameters: dict[str, str]) -> Outcome:
        self.urls.append(template_url)
        return Outcome(stack_name, "CREATE_COMPLETE", True)


class _Quiet:
    def info(self, text: str) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def changes(self, changes: list[dict[str, Any]]) -> None:
        pass

    def event(self, event: dict[str, Any]) -> None:
        pass


@pytest.mark.parametrize("endpoint", [ENDPOINT, None])
def test_the_deploy_hands_cloudformation_a_url_it_can_read(endpoint: str | None) -> None:
    session = _Recorded(endpoint)
    _Deployer.urls = []
    command.deploy(
        command.Target(endpoint_url=endpoint),
        ROOT / "infra" / "template.yaml",
        {},
        _Quiet(),
        session_factory=lambda _: session,
        deployer_factory=_Deployer,  # type: ignore[arg-type]
    )
    assert set(session.services) == {"sts", "s3", "cloudformation"}
    (template_key,) = [k for k in session.uploads if "template-" in k]
    bucket = "serverless-chat-artifacts-000000000000-eu-west-1"
    expected = (
        f"{ENDPOINT}/{bucket}/{template_key}"
        if endpoint
        else f"https://{bucket}.s3.eu-west-1.amazonaws.com/{template_key}"
    )
    assert _Deployer.urls == [expected]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    return subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize("command_name", ["deploy", "destroy", "outputs"])
def test_a_bad_endpoint_is_one_line_without_a_traceback(command_name: str) -> None:
    result = _cli(command_name, "--region", "us-east-1", "--endpoint-url", "localhost:4566")
    assert result.returncode == 2  # a wrong argument, said as the parser reads it
    assert result.stderr.strip().splitlines() == [
        f"serverless-chat {command_name}: error: argument --endpoint-url: wants an http:// or"
        " https:// URL with a host, such as http://127.0.0.1:4566, not 'localhost:4566'."
        f" (see serverless-chat {command_name} --help)"
    ]
    assert result.stdout == ""


def test_the_url_an_emulator_serves_the_stage_at() -> None:
    """MiniStack serves a WebSocket API at /_aws/execute-api/{apiId}/{stage} on its own port
    (tests/integration/test_ministack_deploy.py connects there), not at the AWS host the
    stack's output names."""
    from serverless_chat.deploy.command import emulator_websocket_url

    aws = "wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/production"
    assert emulator_websocket_url("http://127.0.0.1:4566", aws) == (
        "ws://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/production"
    )
    assert emulator_websocket_url("https://emulator.local:4566", aws) == (
        "wss://emulator.local:4566/_aws/execute-api/a1b2c3d4e5/production"
    )
    assert emulator_websocket_url("http://127.0.0.1:4566", "not a url") is None
