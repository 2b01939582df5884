"""serverless-chat invoke: one function of a template run once, as Lambda runs it (its own
container, environment, role and Timeout, the gateway's services around it), on an event
built by the gateway's own event factory, in the shapes of API Gateway's captures;
``--print-event`` prints the event alone (what ``sam local generate-event`` has no
WebSocket events for)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from serverless_chat.cli.arguments import add_command, pair, parameters, sentence

if TYPE_CHECKING:
    from local_gateway import FunctionSpec, WebSocketApiSpec
    from serverless_chat.cli.arguments import Commands

EVENTS = ("connect", "message", "disconnect", "authorizer")
# What a close without a status sends, and what API Gateway then reports ($disconnect).
NO_STATUS = (1005, "Client-side close frame status not set")


class InvokeError(ValueError):
    """An argument that does not fit the template or the event (said in one line, exit 2)."""


def header(text: str) -> str:
    name, sep, _ = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:VALUE")
    return text


def register(commands: Commands) -> None:
    invoke = add_command(
        commands,
        "invoke",
        run,
        help="run one function of the template once, as Lambda would, on an API Gateway event",
    )
    invoke.add_argument("function", help="the function: its logical id or its FunctionName")
    invoke.add_argument(
        "--template", type=Path, default=Path("infra/template.yaml"), help="the template"
    )
    invoke.add_argument(
        "--event", required=True, choices=EVENTS, help="the kind of event API Gateway sends"
    )
    invoke.add_argument("--body", help="a message event's body (default: {} for a message event)")
    invoke.add_argument(
        "--route",
        help="a message event's route key (default: the route whose integration is FUNCTION)",
    )
    invoke.add_argument(
        "--header",
        action="append",
        default=[],
        type=header,
        metavar="NAME:VALUE",
        help="a handshake header of a connect or authorizer event (repeatable)",
    )
    invoke.add_argument(
        "--query",
        action="append",
        default=[],
        type=pair,
        metavar="NAME=VALUE",
        help="a query string parameter of a connect or authorizer event (repeatable)",
    )
    invoke.add_argument(
        "--parameter",
        action="append",
        default=[],
        type=pair,
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    invoke.add_argument(
        "--stack-name", default="serverless-chat", help="the stack name the functions see"
    )
    invoke.add_argument(
        "--print-event", action="store_true", help="print the event and run nothing"
    )


def run(args: argparse.Namespace) -> int:
    from local_gateway import TemplateError, read_api

    prog = "serverless-chat invoke"
    try:
        api = read_api(args.template, parameters(args.parameter), args.stack_name, "us-east-1")
        spec = function_named(api, args.function)
        event = build_event(api, spec, args)
    except InvokeError as error:
        print(f"{prog}: error: {error} (see {prog} --help)", file=sys.stderr)
        return 2
    except (TemplateError, OSError) as error:
        print(f"{prog}: error: {sentence(error)}", file=sys.stderr)
        return 2
    if args.print_event:
        print(json.dumps(event, indent=2))
        return 0
    return _invoke(args, spec, event)


def function_named(api: WebSocketApiSpec, name: str) -> FunctionSpec:
    """A function of the template by logical id or FunctionName."""
    for spec in api.functions.values():
        if name in (spec.logical_id, spec.name):
            return spec
    known = ", ".join(sorted(api.functions)) or "none"
    raise InvokeError(f"the template has no function {name!r} (its functions: {known})")


def build_event(api: WebSocketApiSpec, spec: FunctionSpec, args: argparse.Namespace) -> Any:
    """The event API Gateway would send ``spec`` for ``args.event``, built by the gateway's
    event factory, for a new connection from 127.0.0.1."""
    from local_gateway import ApiContext, ConnectionMeta, EventFactory

    handshake = args.event in ("connect", "authorizer")
    if not handshake and (args.header or args.query):
        raise InvokeError(f"--header and --query are a handshake's: not in a {args.event} event")
    if args.event != "message" and (args.body is not None or args.route is not None):
        raise InvokeError(f"--body and --route are a message's: not in a {args.event} event")
    domain = f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    factory = EventFactory(ApiContext(api.api_id, api.stage, domain))
    headers = [("Host", domain), *_split(args.header, ":")]
    meta = ConnectionMeta(
        connection_id=factory.new_connection_id(),
        connected_at=factory.now_ms() - (0 if handshake else 1000),
        source_ip="127.0.0.1",
        headers=tuple(headers),
        query=tuple(_split(args.query, "=")),
    )
    if args.event == "connect":
        return factory.connect(meta)
    if args.event == "authorizer":
        return factory.authorizer(meta)
    if args.event == "disconnect":
        return factory.disconnect(meta, *NO_STATUS)
    route = args.route or _route_of(api, spec)
    return factory.message(meta, route, "{}" if args.body is None else args.body)


def _split(pairs: Sequence[str], separator: str) -> list[tuple[str, str]]:
    return [
        (name.strip(), value.strip())
        for name, _, value in (text.partition(separator) for text in pairs)
    ]


def _route_of(api: WebSocketApiSpec, spec: FunctionSpec) -> str:
    routes = sorted(
        key
        for key, route in api.routes.items()
        if route.function is not None
        and route.function.logical_id == spec.logical_id
        and key not in ("$connect", "$disconnect")
    )
    if len(routes) != 1:
        which = f"it serves {', '.join(routes)}" if routes else "no message route serves it"
        raise InvokeError(f"give --route for {spec.logical_id}: {which}")
    return routes[0]


def _invoke(args: argparse.Namespace, spec: FunctionSpec, event: Any) -> int:
    import asyncio
    import logging
    import tempfile

    from local_gateway import GatewayConfig, LocalGateway

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    # One handler, on the gateway's logger: its Lambda logger's lines reach it by propagation
    # (a handler on both would print each of them twice).
    lambda_log = logging.getLogger("local_gateway.lambda")
    lambda_log.setLevel(logging.INFO)
    logging.getLogger("local_gateway").addHandler(handler)

    async def once(state_dir: Path) -> Any:
        gateway = LocalGateway(
            GatewayConfig(
                template=args.template,
                port=0,
                state_dir=state_dir,
                parameters=parameters(args.parameter),
                stack_name=args.stack_name,
                hook="",  # every function in a container of its own, as on Lambda
            )
        )
        await gateway.start()
        running = _Running()
        gateway.functions.observers.append(running)
        try:
            invocation = await gateway.functions.invoke(
                gateway.api.functions[spec.logical_id], event
            )
            await running.settled(60.0)  # what it invoked asynchronously, to its end too
            return invocation
        finally:
            await gateway.stop()

    try:
        with tempfile.TemporaryDirectory(prefix="serverless-chat-invoke-") as state:
            invocation = asyncio.run(once(Path(state)))
    finally:
        # Called in-process (tests, the plugin's users), the command leaves no handler
        # behind on a stream its caller may close.
        logging.getLogger("local_gateway").removeHandler(handler)
    if invocation.ok:
        print(json.dumps(invocation.result, indent=2))
        return 0
    print(json.dumps(invocation.error_body, indent=2))
    return 1


class _Running:
    """The invocations not yet answered (the runner's InvocationObserver)."""

    def __init__(self) -> None:
        self.pending: set[str] = set()

    def invoked(self, spec: FunctionSpec, request_id: str, event: Any) -> None:
        self.pending.add(request_id)

    def answered(self, spec: FunctionSpec, invocation: Any) -> None:
        self.pending.discard(invocation.request_id)

    async def settled(self, timeout: float) -> None:
        import asyncio

        async with asyncio.timeout(timeout):
            while self.pending:
                await asyncio.sleep(0.02)
