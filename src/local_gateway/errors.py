"""The local gateway's own errors: what its services refuse, in AWS's words.

The gateway imports nothing of the application it runs, so what its in-process services
raise is its own, named as API Gateway's Management API and Lambda's Invoke API name their
errors. An application's hook translates them into its own errors at its adapter, as an
adapter of boto3 translates a ClientError.

Tree::

    GatewayError
     ├── ManagementApiError          the @connections API refused a call
     │    ├── BadRequestException          400: not a connection id
     │    ├── ForbiddenException           403: no such stage, or the request is not allowed
     │    ├── AccessDeniedException        403: the caller's role does not allow it
     │    ├── GoneException                410: the connection is closed or never existed
     │    ├── PayloadTooLargeException     413: the data is over 128 KB
     │    └── LimitExceededException       429: the client's buffer is full
     ├── LambdaApiError              Lambda's Invoke API refused a call
     │    ├── InvalidRequestContent        400: the payload is not JSON
     │    ├── InvalidParameterValue        400: an invocation type Lambda does not have
     │    ├── InvokeAccessDenied           403: the caller's role does not allow it
     │    ├── FunctionNotFound             404: no such function (a LookupError)
     │    ├── RequestTooLarge              413: the payload is over Lambda's limit
     │    └── TooManyRequests              429: the function's concurrency is exhausted
     ├── GatewayClosing              the gateway is shutting down (a RuntimeError)
     └── CannotListen                a port the gateway was asked for cannot be had
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error the local gateway raises on purpose."""


class ManagementApiError(GatewayError):
    """A @connections call for ``connection_id`` was refused with HTTP ``status``; ``code``
    is the error code API Gateway gives (the ``x-amzn-ErrorType`` of the HTTP answer)."""

    status = 500
    code = "InternalServerErrorException"

    def __init__(self, connection_id: str, message: str = "") -> None:
        super().__init__(f"{self.code} ({self.status}) for connection {connection_id}: {message}")
        self.connection_id = connection_id
        self.message = message


class BadRequestException(ManagementApiError):
    status = 400
    code = "BadRequestException"


class ForbiddenException(ManagementApiError):
    status = 403
    code = "ForbiddenException"


class AccessDeniedException(ManagementApiError):
    status = 403
    code = "AccessDeniedException"


class GoneException(ManagementApiError):
    status = 410
    code = "GoneException"


class PayloadTooLargeException(ManagementApiError):
    status = 413
    code = "PayloadTooLargeException"


class LimitExceededException(ManagementApiError):
    status = 429
    code = "LimitExceededException"


class LambdaApiError(GatewayError):
    """An Invoke was refused with HTTP ``status``; ``code`` is Lambda's error code (the
    ``x-amzn-ErrorType`` of the HTTP answer) and ``message`` its text."""

    status = 500
    code = "ServiceException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestContent(LambdaApiError):
    status = 400
    code = "InvalidRequestContentException"


class InvalidParameterValue(LambdaApiError):
    status = 400
    code = "InvalidParameterValueException"


class InvokeAccessDenied(LambdaApiError):
    status = 403
    code = "AccessDeniedException"


class FunctionNotFound(LambdaApiError, LookupError):
    """Lambda's ResourceNotFoundException: the template has no function of that name."""

    status = 404
    code = "ResourceNotFoundException"


class RequestTooLarge(LambdaApiError):
    """Lambda's RequestTooLargeException: the payload is over what an invocation takes."""

    status = 413
    code = "RequestTooLargeException"


class TooManyRequests(LambdaApiError):
    """Lambda's TooManyRequestsException: the function (or the account) runs as many
    invocations as its concurrency allows; ``reason`` is Lambda's ``Reason``."""

    status = 429
    code = "TooManyRequestsException"


class GatewayClosing(GatewayError, RuntimeError):
    """The gateway is shutting down: nothing more is invoked or delivered."""


class CannotListen(GatewayError):
    """The gateway cannot listen where it was asked to (``address``); ``reason`` says why."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot listen on {address}: {reason}")
        self.address = address
        self.reason = reason
