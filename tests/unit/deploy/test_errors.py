import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from serverless_chat.deploy.errors import explain


def _client_error(code: str, message: str = "m") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateChangeSet")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (NoCredentialsError(), "No AWS credentials found"),
        (NoRegionError(), "No AWS region set"),
        (_client_error("ExpiredToken"), "session token has expired"),
        (_client_error("ExpiredTokenException"), "session token has expired"),
        (_client_error("InvalidClientTokenId"), "did not accept your credentials"),
        (_client_error("AccessDenied", "not allowed"), "denied the request: not allowed"),
        (_client_error("Throttling", "slow down"), "refused the request (Throttling)"),
    ],
)
def test_each_error_is_one_clear_sentence(error: Exception, words: str) -> None:
    assert words in explain(error)


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    clean.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "serverless_chat.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
    )


def test_deploy_without_credentials_says_so_without_a_traceback() -> None:
    result = _cli("deploy", "--region", "eu-west-1")
    assert result.returncode == 1
    assert "No AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_without_a_region_says_so() -> None:
    result = _cli("outputs", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    assert result.returncode == 1
    assert "No AWS region set" in result.stderr
    assert "Traceback" not in result.stderr
