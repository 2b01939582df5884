"""The local gateway, composed: the template, the functions, the application's hook and
the services offered to it (``in_process_faces``), and the aiohttp apps that serve them all
(``applications``): each WebSocket API of the template on ports of its own (``served_api``:
the WebSocket at /{stage} through ``websocket``, its callback API, its TLS port), and on the
first API's port Lambda's Invoke API and the services not emulated; the functions' network
(``function_network``: the certificate, the egress proxy), an embedded DynamoDB. Its
lifecycle: ``start`` and ``stop``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiohttp import web

from local_gateway.apigateway.core import GatewayCore
from local_gateway.apigateway.event_factory import ApiContext, EventFactory
from local_gateway.apigateway.integrations import compile_api
from local_gateway.aws import not_emulated
from local_gateway.aws.callers import tools_signing_keys
from local_gateway.aws.dynamodb.tables import empty_tables, provision
from local_gateway.aws.iam.access import AccessControl, access_control
from local_gateway.aws.lambda_api.http import LambdaApi
from local_gateway.aws.lambda_api.in_process import InProcessInvoke
from local_gateway.aws.lambda_api.model import LambdaService
from local_gateway.aws.management_api.model import ConnectionRegistry
from local_gateway.functions.concurrency import reservation_refusal
from local_gateway.functions.credentials import SigningKey, issue_credentials
from local_gateway.functions.in_process import LocalApp, forget_modules
from local_gateway.functions.runner import FunctionRunner, RunnerConfig
from local_gateway.server.app_hook.hook import load_hook
from local_gateway.server.app_hook.in_process_faces import InProcessFaces
from local_gateway.server.applications import api_application, gateway_guard, is_loopback
from local_gateway.server.config import GatewayConfig
from local_gateway.server.dynamodb_port import DynamoDbPort
from local_gateway.server.function_network import FunctionNetwork
from local_gateway.server.guards.admission import Admission, ConnectionRate, connection_ceiling
from local_gateway.server.guards.guard import Guard
from local_gateway.server.http_backend import AiohttpBackend
from local_gateway.server.listening import private_folder
from local_gateway.server.served_api import ServedApi
from local_gateway.server.tls import server_context
from local_gateway.server.watch import watch
from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.intrinsics import ACCOUNT_ID
from local_gateway.template.model import WebSocketApiSpec, check_code, read_apis

log = logging.getLogger("local_gateway")


class LocalGateway:
    """The WebSocket APIs of a template, each served on ports of its own (``apis``; the
    first is ``api``, at ``url``), and the functions, tables and services they share."""

    def __init__(self, config: GatewayConfig) -> None:
        # Absolute: the containers run in their code folder, as Lambda in /var/task, and
        # find the runtime's packages, the certificate and their caches by these paths.
        self.config = replace(config, state_dir=config.state_dir.absolute())
        specs = read_apis(config.template, config.parameters, config.stack_name, config.region)
        for spec in specs:
            compile_api(spec)  # a mapping template that cannot run stops it here
        check_code(specs[0])  # so does a function whose code is not where the tool left it
        reserved = {lid: f.reserved_concurrency for lid, f in specs[0].functions.items()}
        if (refused := reservation_refusal(reserved)) is not None:  # as a deploy would be
            raise TemplateError(refused)
        self.apis: tuple[ServedApi, ...] = tuple(
            ServedApi(
                spec,
                config.host,
                config.region,
                ConnectionRegistry(config.callback_latency, config.chaos),
            )
            for spec in specs
        )
        self.api: WebSocketApiSpec = specs[0]
        self.registry = self.apis[0].registry
        self._http = AiohttpBackend()
        self._functions: FunctionRunner | None = None
        self._app: LocalApp | None = None
        self._access: AccessControl | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[None] | None = None  # the fork servers' start
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dynamodb: DynamoDbPort | None = None
        self._host_modules: set[str] = set()
        self.admission = Admission(
            connection_ceiling(config.max_connections),
            lambda: sum(len(served.registry) for served in self.apis),
        )
        self.connection_rate = ConnectionRate(config.new_connections_per_second)
        self.lambda_api = LambdaService(
            self.api.functions, lambda: self._functions, config.region, ACCOUNT_ID
        )
        # Lambda's asynchronous Invoke for the hook, from worker threads (LocalServices).
        self.invoke_async = InProcessInvoke(self.lambda_api, lambda: self._loop)
        self._signing_keys = {
            key: SigningKey(secret) for key, secret in config.signing_keys.items()
        }
        self.network = FunctionNetwork(
            self.config, self.apis, self.api.functions, lambda: self.dynamodb_endpoint
        )
        # The gateway's own, for what it does itself on its services (making the tables).
        self._own_credentials = issue_credentials()
        self._signing_keys[self._own_credentials["AWS_ACCESS_KEY_ID"]] = SigningKey(
            self._own_credentials["AWS_SECRET_ACCESS_KEY"],
            self._own_credentials["AWS_SESSION_TOKEN"],
        )

    # -- lifecycle -------------------------------------------------------------
    @property
    def url(self) -> str:
        """The first API's ws:// URL (``served(name).url`` for any)."""
        return self.apis[0].url

    @property
    def page_url(self) -> str:
        return f"http://{self.config.host}:{self.apis[0].port}/"

    @property
    def callback_url(self) -> str:
        """The first API's callback API (``served(name).callback_url`` for any)."""
        return self.apis[0].callback_url

    def served(self, name: str) -> ServedApi:
        """An API of the template by its logical id, Name or local API id; KeyError, naming
        the template's APIs, when none is so named."""
        for served in self.apis:
            if served.named(name):
                return served
        known = ", ".join(served.spec.logical_id for served in self.apis)
        raise KeyError(f"no WebSocket API {name!r} in the template (its APIs: {known})")

    def signing_key(self, access_key_id: str) -> SigningKey | None:
        """What the gateway knows of a key allowed to sign calls to the callback and Invoke
        APIs: a function's, or the tools'."""
        if self._functions is not None:
            found = self._functions.signing_key(access_key_id)
            if found is not None:
                return found
        return self._signing_keys.get(access_key_id)

    @property
    def max_connections(self) -> int:
        """--max-connections, or what the open-file limit leaves room for."""
        return self.admission.ceiling

    @property
    def loopback(self) -> bool:
        """Whether it listens on loopback only (the usual case, and the safe one)."""
        return is_loopback(self.config.host)

    def guard(self) -> Guard:
        """Who may reach the gateway: its names and every API's listeners."""
        return gateway_guard(self.config, self.apis)

    @property
    def execute_api_host(self) -> str:
        """The first API's own host name, as on AWS: requestContext.domainName. Functions
        reach each API's through the gateway's proxy, which carries it to its TLS port."""
        return self.apis[0].execute_api_host

    @property
    def tls_url(self) -> str:
        return self.apis[0].tls_url

    @property
    def dynamodb_endpoint(self) -> str | None:
        """Where the template's tables are: --dynamodb-endpoint, the embedded one, or none."""
        if self.config.dynamodb_endpoint:
            return self.config.dynamodb_endpoint
        return self._dynamodb.url if self._dynamodb is not None else None

    @property
    def _stage_arn(self) -> str:
        """The first API's arn:aws:execute-api:REGION:ACCOUNT:API/STAGE."""
        return self.apis[0].stage_arn

    @property
    def tools_access_keys(self) -> list[str]:
        """The access keys, besides the functions', that may sign calls to the gateway's
        services (boto3's own credentials here, and GatewayConfig.signing_keys)."""
        own = self._own_credentials["AWS_ACCESS_KEY_ID"]
        return sorted(key for key in self._signing_keys if key != own)

    @property
    def embedded_dynamodb(self) -> bool:
        """Whether the tables are on the gateway's own DynamoDB port."""
        return self._dynamodb is not None

    @property
    def functions(self) -> FunctionRunner:
        assert self._functions is not None, "the gateway is not started"
        return self._functions

    @property
    def access(self) -> AccessControl:
        """Who may call what, by the signing key's role (--iam)."""
        assert self._access is not None, "the gateway is not started"
        return self._access

    @property
    def app(self) -> LocalApp | None:
        """What the application's hook made, when one is in use."""
        return self._app

    @property
    def core(self) -> GatewayCore:
        """The first API's core."""
        assert self.apis[0].core is not None, "the gateway is not started"
        return self.apis[0].core

    @property
    def hook(self) -> str:
        """The hook in use ("" when every function runs isolated)."""
        return self.api.hook or "" if self.config.hook is None else self.config.hook

    async def start(self) -> str:
        """Listen, wire the functions, start their services, serve; returns the ws:// URL.
        If any of it fails, what was started is stopped and the error is raised."""
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> str:
        self._loop = asyncio.get_running_loop()
        self._signing_keys.update(await asyncio.to_thread(tools_signing_keys))
        for index, served in enumerate(self.apis):
            served.listen(*self.config.ports(index))
        private_folder(self.config.state_dir)
        cert, key = await self.network.start()
        faces = InProcessFaces(
            self.registry,
            self.lambda_api,
            self._loop,
            lambda logical_id: self.functions.credentials(logical_id),
            lambda key, action, resource: self.access.check(key, action, resource),
            self._stage_arn,
            self.config.region,
        )
        services = faces.services(self.config, self.invoke_async, self.api.stage, self.callback_url)
        if self.config.dynamodb_endpoint and self.api.tables:  # before the hook uses them
            await asyncio.to_thread(
                provision,
                self.config.dynamodb_endpoint,
                self.config.region,
                self.api.tables.values(),
            )
        if self.hook:
            hook = load_hook(self.hook, self.config.template.parent)
            self._host_modules = set(sys.modules)
            self._app = await asyncio.to_thread(hook, services)
        self._functions = await asyncio.to_thread(
            FunctionRunner,
            self.api.functions,
            self._app,
            RunnerConfig(
                region=self.config.region,
                workers=self.config.workers,
                max_containers=self.config.max_containers,
                state_dir=self.config.state_dir,
                environment=self.network.environment,
                account_concurrency=self.config.account_concurrency,
            ),
        )
        self._warming = asyncio.create_task(self.functions.warm())
        self._access = access_control(self.config.iam, self.api.functions, self.functions)
        await self._start_embedded_tables()
        for served in self.apis:
            api = ApiContext(served.spec.api_id, served.spec.stage, served.execute_api_host)
            served.core = GatewayCore(
                served.spec,
                self.functions,
                EventFactory(api, region=self.config.region),
                served.registry.connecting,
                self._http,
                self.config.chaos,
            )
        made = {k.logical_id: k for s in self.apis for k in s.spec.api_keys if k.generated}
        for api_key in made.values():
            log.warning("API key %s (made at start): %s", api_key.logical_id, api_key.value)
        # A client must finish its request's head within handshake_timeout: silent and
        # trickling connections are closed (aiohttp's keep-alive timer runs from the start of
        # a connection until a request's head is in, and between requests).
        tls = server_context(cert, key)
        for served in self.apis:
            await served.serve(self.application(served), tls, self.config.handshake_timeout)
        if self.config.watch:
            self._watch_task = asyncio.create_task(self._watch())
        return self.url

    async def _start_embedded_tables(self) -> None:
        """With no --dynamodb-endpoint, when isolated functions may call DynamoDB themselves,
        the template's tables on the embedded endpoint (moto's server)."""
        if not self.api.tables or self.config.dynamodb_endpoint or not self.functions.isolated:
            return
        names = [self.config.host, *(["localhost", "127.0.0.1", "::1"] if self.loopback else [])]
        self._dynamodb = DynamoDbPort(
            self.config.host,
            names,
            self.config.state_dir,
            self.config.region,
            self.signing_key,
            any_host=not self.loopback,
            authorize=self.access.check,
        )
        await self._dynamodb.start(self.api.tables.values(), self._own_credentials)

    def application(self, served: ServedApi | None = None) -> web.Application:
        """The app of one API's ports (the first's by default): its WebSocket and callback
        API; on the first API's, Lambda's Invoke API, the services not emulated and the
        hook's pages too."""
        served = served or self.apis[0]
        routes: list[web.RouteDef] = []
        if served is self.apis[0]:
            routes += LambdaApi(self.lambda_api, self.access.check, self.config.region).routes()
            routes += not_emulated.routes(self.functions.function_for_key, self.signing_key)
            if self._app is not None:
                routes += self._app.web_routes()
        return api_application(
            served,
            self.config,
            self.guard(),
            self.signing_key,
            self.access.check,
            self.admission.refusal,
            self.connection_rate.take,
            routes,
        )

    async def _watch(self) -> None:
        """Reload the functions when a .py file under their Code folders changes; the
        connections stay open."""
        folders = {f.code_dir for f in self.api.functions.values() if f.code_dir is not None}
        forget = functools.partial(forget_modules, folders, self._host_modules)
        await watch(folders, self.config.watch_interval, lambda: self.functions.reload(forget))

    async def stop(self) -> None:
        """Refuse new clients, close every open one with 1001 and run their $disconnects
        (at once, while the services their functions call still answer), then stop the
        listeners, the functions and the services. Safe to call after a failed start."""
        self.admission.stopping = True
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("closing the connections", self._close_all),
            ("stopping the listeners", self._stop_listeners),
            ("stopping the functions", self._stop_functions),
            ("stopping the proxy", self.network.stop),
            ("closing the HTTP integrations' client", self._http.close),
            ("stopping DynamoDB", self._dynamodb.stop if self._dynamodb else _nothing),
        ]
        for what, step in steps:
            try:
                await step()
            except Exception as error:  # one failing step never keeps the others from running
                log.error("while %s: %s", what, error)
        if self._app is not None:
            try:
                self._app.close()
            except Exception as error:
                log.error("while closing the hook's app: %s", error)
            self._app = None

    async def reset(self) -> None:
        """Back to a just-started state without a restart (a test suite's step between
        tests): every connection closed with 1001 and its $disconnect run, then the
        template's tables emptied. Functions stay warm, as Lambda keeps them; what an
        application's hook holds is its own."""
        await self._close_all()
        endpoint = self.dynamodb_endpoint
        if endpoint is not None and self.api.tables:
            credentials = self._own_credentials if self.embedded_dynamodb else {}
            await asyncio.to_thread(
                empty_tables,
                endpoint,
                self.config.region,
                self.api.tables.values(),
                *([credentials] if credentials else []),
            )

    async def _stop_listeners(self) -> None:
        for served in self.apis:
            await served.stop_listening()

    async def _stop_functions(self) -> None:
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
            self._warming = None
        if self._functions is not None:
            await self._functions.shutdown()
        for served in self.apis:  # messages still in flight end with their functions
            await served.drain()

    async def _close_all(self) -> None:
        await asyncio.gather(*(served.close_all() for served in self.apis))


async def _nothing() -> None:
    pass
