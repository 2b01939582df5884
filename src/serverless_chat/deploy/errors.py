"""What can go wrong in a deployment, in one sentence each, instead of a traceback."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from serverless_chat.adapters.aws_errors import error_code, error_message

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}


class DeployError(Exception):
    """A deployment stopped; the message says why, for a person."""


def unknown_profile(profile: str, config_file: str, credentials_file: str, known: list[str]) -> str:
    """The sentence for a profile (--profile or AWS_PROFILE) that neither file has."""
    there = f"the profiles there: {', '.join(known)}" if known else "there are none there"
    return (
        f"No AWS profile named {profile!r}: profiles are read from {config_file} and"
        f" {credentials_file} (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move them);"
        f" {there}."
    )


def explain(error: Exception) -> str:
    """One clear sentence for an SDK error that stops a deployment."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            "No AWS credentials found: run `aws configure`, set AWS_PROFILE or pass --profile, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    if isinstance(error, NoRegionError):
        return "No AWS region set: pass --region, or set AWS_REGION (or a region in your profile)."
    if isinstance(error, ClientError):
        code, message = error_code(error), error_message(error).rstrip(".")
        if code in _EXPIRED:
            return f"Your AWS session token has expired ({code}): sign in again and retry."
        if code in _BAD_CREDENTIALS:
            return f"AWS did not accept your credentials ({code}): check your profile or keys."
        if code in {"AccessDenied", "AccessDeniedException"}:
            return f"AWS denied the request: {message}. See the README for the permissions needed."
        return f"AWS refused the request ({code}): {message}."
    if isinstance(error, BotoCoreError):
        return f"Could not reach AWS: {error}."
    return str(error)
