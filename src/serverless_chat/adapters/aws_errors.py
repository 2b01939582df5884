"""What an AWS call's error says, read from botocore's ClientError in one place.

A ClientError carries AWS's answer as ``response``: ``Error.Code`` (the name callers branch
on, ``ConditionalCheckFailedException``), ``Error.Message``, and the HTTP status in
``ResponseMetadata``. Any other exception has none of them: "" and 0.
"""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: BaseException) -> str:
    """AWS's error code, or "" when ``error`` is not an AWS error response."""
    if not isinstance(error, ClientError):
        return ""
    return str(error.response.get("Error", {}).get("Code") or "")


def error_message(error: BaseException) -> str:
    """AWS's message for the error, or ""."""
    if not isinstance(error, ClientError):
        return ""
    return str(error.response.get("Error", {}).get("Message") or "")


def error_status(error: BaseException) -> int:
    """The HTTP status AWS answered with, or 0 when there was no answer."""
    if not isinstance(error, ClientError):
        return 0
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def describe(error: BaseException) -> str:
    """``Code: Message`` for an AWS error response; the exception's text for anything else."""
    if not isinstance(error, ClientError):
        return str(error)
    return f"{error_code(error) or 'Unknown'}: {error_message(error)}".rstrip(": ")
