"""The local API Gateway: runs a template's WebSocket API and its functions as API Gateway
and Lambda run them, failures included (docs/local-gateway.md).

It imports nothing of any application. Its folders are its layers, in the order data flows,
each importing only the ones below it (the contracts in ``.importlinter``, checked by
``make lint``):

- ``template/``: the template read as CloudFormation reads it (YAML and its short tags,
  intrinsics, parameters, the SAM transform in ``sam/``, roles and permissions in
  ``policies/``) into the read model;
- ``functions/``: functions as Lambda runs them (the runner, code packages, credentials,
  context, the in-process pool; containers, their bootstrap and egress in ``isolated/``);
- ``apigateway/``: API Gateway's semantics (routing, events, the authorizer's answer, the
  transport-free core) and the live connections with their outbox, which hold the sockets;
- ``aws/``: one model per AWS API the functions call (the Management API, Lambda's Invoke,
  DynamoDB, SigV4, the services not emulated), each with its HTTP face and, where an
  application's hook calls it, an in-process face;
- ``server/``: the aiohttp shell and composition (the WebSocket endpoint, TLS, --watch; the
  guards against hostile clients in ``guards/``, the hook's seam in ``app_hook/``).

What is imported from here is the public surface: what ``serve``, an application's hook and
tests use. The rest may move.
"""

from local_gateway.apigateway.chaos import Chaos, ChaosError
from local_gateway.apigateway.event_factory import ApiContext, ConnectionMeta, EventFactory
from local_gateway.apigateway.routing import SelectionExpressionError
from local_gateway.aws.management_api.in_process import InProcessCallbacks
from local_gateway.aws.management_api.model import ConnectionDetails
from local_gateway.errors import (
    AccessDeniedException,
    CannotListen,
    FunctionNotFound,
    GatewayClosing,
    GoneException,
    InvokeAccessDenied,
    LambdaApiError,
    LimitExceededException,
    ManagementApiError,
    PayloadTooLargeException,
    RequestTooLarge,
)
from local_gateway.functions.in_process import Handler, LocalApp
from local_gateway.functions.pool import DEFAULT_WORKERS
from local_gateway.server.app_hook.hook import Hook, HookError, LocalServices, load_hook
from local_gateway.server.config import GatewayConfig
from local_gateway.server.gateway import LocalGateway
from local_gateway.server.served_api import ServedApi
from local_gateway.server.tls import certificate_path
from local_gateway.template.cdk_assembly import cdk_stack
from local_gateway.template.cfn_yaml import TemplateError, dump_yaml, load_template
from local_gateway.template.model import FunctionSpec, read_api
from local_gateway.template.parameters import ParameterError, check_parameter
from local_gateway.template.specs import RouteSpec, WebSocketApiSpec

__all__ = [
    "DEFAULT_WORKERS",
    "AccessDeniedException",
    "ApiContext",
    "CannotListen",
    "Chaos",
    "ChaosError",
    "ConnectionDetails",
    "ConnectionMeta",
    "EventFactory",
    "FunctionNotFound",
    "FunctionSpec",
    "GatewayClosing",
    "GatewayConfig",
    "GoneException",
    "Handler",
    "Hook",
    "HookError",
    "InProcessCallbacks",
    "InvokeAccessDenied",
    "LambdaApiError",
    "LimitExceededException",
    "LocalApp",
    "LocalGateway",
    "LocalServices",
    "ManagementApiError",
    "ParameterError",
    "PayloadTooLargeException",
    "RequestTooLarge",
    "RouteSpec",
    "SelectionExpressionError",
    "ServedApi",
    "TemplateError",
    "WebSocketApiSpec",
    "cdk_stack",
    "certificate_path",
    "check_parameter",
    "dump_yaml",
    "load_hook",
    "load_template",
    "read_api",
]
