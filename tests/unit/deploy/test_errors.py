import os
import subprocess
import sys
from pathlib import Path

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
    )
    clean.update(env)
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


@pytest.mark.parametrize("command", ["deploy", "destroy", "outputs"])
def test_an_unknown_profile_is_one_line_naming_it_and_where_profiles_are_read(
    command: str, tmp_path: Path
) -> None:
    """botocore's ProfileNotFound, said as where the profiles come from (the AWS CLI's
    "Configuration and credential file settings" page: ~/.aws/config and
    ~/.aws/credentials, moved by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE)."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n[profile dev]\nregion = eu-west-1\n")
    result = _cli(command, "--profile", "nosuchprofile", AWS_CONFIG_FILE=str(config))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: No AWS profile named 'nosuchprofile': profiles are read from {config} and"
        " /nonexistent (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move them); the"
        " profiles there: default, dev."
    ]
    assert result.stdout == ""
