"""What the gateway offers an application's hook (``LocalServices``): the stage's
@connections API and Lambda's asynchronous Invoke in-process, for the hook itself and as
each of its functions calls them. A function's calls are held to its role, decided when it
calls: its credentials and the access control exist from the gateway's start on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from local_gateway.aws.dynamodb.tables import dynamodb_client
from local_gateway.aws.iam.access import Authorize
from local_gateway.aws.iam.resources import (
    INVOKE_FUNCTION,
    MANAGE_CONNECTIONS,
    callback_resource,
    invoke_arn,
)
from local_gateway.aws.lambda_api.in_process import InProcessInvoke
from local_gateway.aws.lambda_api.model import LambdaService
from local_gateway.aws.management_api.in_process import InProcessCallbacks
from local_gateway.aws.management_api.model import ConnectionRegistry
from local_gateway.server.app_hook.hook import LocalServices
from local_gateway.server.config import GatewayConfig


class InProcessFaces:
    """The first API's @connections API and Lambda's asynchronous Invoke as a function of
    the hook's calls them (``credentials``: a function's, by logical id; ``authorize``: the
    access control's check)."""

    def __init__(
        self,
        registry: ConnectionRegistry,
        lambda_api: LambdaService,
        loop: asyncio.AbstractEventLoop,
        credentials: Callable[[str], dict[str, str]],
        authorize: Authorize,
        stage_arn: str,
        region: str,
    ) -> None:
        self._registry = registry
        self._lambda_api = lambda_api
        self._loop = loop
        self._credentials = credentials
        self._authorize = authorize
        self._stage_arn = stage_arn
        self._region = region

    def callbacks_for(self, logical_id: str) -> InProcessCallbacks:
        """The @connections API as function ``logical_id`` calls it in-process."""

        def denial(method: str) -> str | None:
            key = self._credentials(logical_id)["AWS_ACCESS_KEY_ID"]
            resource = callback_resource(self._stage_arn, method)
            denied = self._authorize(key, MANAGE_CONNECTIONS, resource)
            return denied.message if denied is not None else None

        return InProcessCallbacks(self._registry, self._loop, denial)

    def invoke_async_for(self, logical_id: str) -> Callable[[str, dict[str, Any]], None]:
        """Lambda's asynchronous Invoke as function ``logical_id`` calls it in-process."""

        def denial(reference: str) -> str | None:
            key = self._credentials(logical_id)["AWS_ACCESS_KEY_ID"]
            name = reference.split(":function:", 1)[-1].split(":", 1)[0]
            resource = invoke_arn(self._region, name)
            denied = self._authorize(key, INVOKE_FUNCTION, resource)
            return denied.message if denied is not None else None

        return InProcessInvoke(self._lambda_api, lambda: self._loop, denial)

    def services(
        self,
        config: GatewayConfig,
        invoke_async: Callable[[str, dict[str, Any]], None],
        stage: str,
        callback_url: str,
    ) -> LocalServices:
        """What the hook is handed: these faces (its own, unchecked, and as each function
        calls them), where the gateway keeps its state, the stage, and the template's
        tables on --dynamodb-endpoint when one is given."""
        endpoint = config.dynamodb_endpoint

        def tables_client() -> Any:
            """A client for the template's tables on --dynamodb-endpoint (what the hook's
            stores use), made when asked for."""
            return dynamodb_client(endpoint or "", config.region)

        return LocalServices(
            callbacks=InProcessCallbacks(self._registry, self._loop),
            invoke_async=invoke_async,
            callbacks_for=self.callbacks_for,
            invoke_async_for=self.invoke_async_for,
            state_dir=config.state_dir,
            region=config.region,
            stage=stage,
            callback_url=callback_url,
            dynamodb_endpoint=endpoint,
            dynamodb_client=tables_client if endpoint else None,
            options=config.hook_options,
        )
