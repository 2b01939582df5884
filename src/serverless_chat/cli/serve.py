"""serverless-chat serve: the template's WebSocket API on this machine, with its logs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import (
    STATE_DIR,
    add_command,
    chaos,
    duration,
    hook,
    host,
    number,
    origin,
    pair,
    parameters,
    positive_seconds,
    sentence,
    url,
)
from serverless_chat.cli.route_listing import route_lines
from serverless_chat.infra import STACK_NAME, TEMPLATE

if TYPE_CHECKING:
    from local_gateway import LocalGateway, ServedApi
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    serve = add_command(
        commands, "serve", run, help="run the template's WebSocket API on this machine"
    )
    serve.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE,
        help="the template to run (default: the chat's infra/template.yaml)",
    )
    serve.add_argument(
        "--cdk-out",
        type=Path,
        metavar="DIR",
        help="run a stack of this CDK cloud assembly (cdk synth's cdk.out) instead of"
        " --template (default: none, --template is run)",
    )
    serve.add_argument(
        "--stack",
        metavar="NAME",
        help="the --cdk-out stack to run (default: the one with a WebSocket API)",
    )
    serve.add_argument("--host", type=host, default="127.0.0.1", help="the address to listen on")
    serve.add_argument(
        "--port",
        type=number(int, 0, 65535),
        default=8080,
        help="the port (a template's further WebSocket APIs take the next ones, one each);"
        " 0 picks free ones",
    )
    serve.add_argument(
        "--tls-port",
        type=number(int, 0, 65535),
        default=0,
        help="the port for wss:// (and the callback API's https://), with the state dir's"
        " self-signed certificate (a template's further WebSocket APIs take the next ones;"
        " default: 0, free ones)",
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="where history, the TLS key and unpacked code are kept",
    )
    serve.add_argument(
        "--parameter",
        action="append",
        type=pair,
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    serve.add_argument(
        "--stack-name",
        help="the stack name the functions see (default: the CDK stack's, or serverless-chat)",
    )
    logs = serve.add_mutually_exclusive_group()
    logs.add_argument(
        "--quiet", action="store_true", help="no per-invocation log lines (--log-level warning)"
    )
    logs.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default=None,
        help="the least severe log lines shown (default: info, everything)",
    )
    serve.add_argument(
        "--log-function",
        metavar="NAME",
        action="append",
        default=[],
        help="show the invocations of this function only (its logical id or name;"
        " repeatable; default: every function's)",
    )
    serve.add_argument(
        "--watch",
        action="store_true",
        help="reload the functions when their code changes (connections stay open)",
    )
    serve.add_argument(
        "--iam",
        choices=["enforce", "warn"],
        default="enforce",
        help="enforce: a function's call its role does not allow is refused, as on AWS; warn:"
        " let it through and log what AWS would say (default: enforce)",
    )
    serve.add_argument(
        "--callback-latency",
        type=duration,
        default=0.0,
        metavar="DURATION",
        help="add this to every callback (PostToConnection …) call, e.g. 20ms, as on AWS",
    )
    serve.add_argument(
        "--chaos",
        type=chaos,
        metavar="MODE=VALUE,...",
        help="AWS's non-guarantees on demand, seeded: drop-disconnect=SHARE (0-1),"
        " callback-rate=CALLS_A_SECOND (then 429), callback-latency=DURATION,"
        " integration-latency=DURATION, lambda-concurrency=N (the account's; then 429),"
        " seed=N (docs/local-gateway.md; default: none)",
    )
    serve.add_argument(
        "--quota-new-connections-per-second",
        type=number(int, 500),
        default=500,
        metavar="N",
        help="API Gateway's quota of new connections a second, as raised by a quota increase"
        " (at least 500; a handshake over it is refused 429; default: AWS's 500)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=positive_seconds,
        default=600.0,
        metavar="SECONDS",
        help="close a connection that has been silent this long (API Gateway: 10 min)",
    )
    serve.add_argument(
        "--max-connection-duration",
        type=positive_seconds,
        default=7200.0,
        metavar="SECONDS",
        help="close a connection open this long (API Gateway: 2 h)",
    )
    serve.add_argument(
        "--max-frame-bytes",
        type=number(int, 1),
        default=32 * 1024,
        metavar="BYTES",
        help="close with 1009 a client that sends a larger message (API Gateway: 32 KB)",
    )
    serve.add_argument(
        "--ping-interval",
        type=number(float, 0),
        default=30.0,
        metavar="SECONDS",
        help="ping clients this often; one that misses a pong is disconnected (0: never)",
    )
    serve.add_argument(
        "--workers",
        type=number(int, 1),
        metavar="N",
        help="invocations that may run at once; one thread runs them while it keeps up, more"
        " only when one waits (default: the gateway's own)",
    )
    serve.add_argument(
        "--compress",
        action="store_true",
        help="accept permessage-deflate when a client offers it (off: ~90 KB per connection)",
    )
    serve.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        type=url(("http", "https")),
        help="create the template's tables on this DynamoDB endpoint and use it (default: an"
        " embedded one, empty at every start)",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        type=origin,
        default=[],
        metavar="ORIGIN",
        help="a web origin besides the gateway's own whose pages may connect, such as"
        " http://localhost:5173 (repeatable; '*' allows any site; default: none)",
    )
    serve.add_argument(
        "--max-connections",
        type=number(int, 1),
        metavar="N",
        help="refuse new connections beyond N (default: what the open-file limit allows)",
    )
    serve.add_argument(
        "--hook",
        type=hook,
        metavar="MODULE:CALLABLE",
        help="the application's hook that wires some functions in-process (default: the"
        " template's Metadata: LocalGateway: Hook)",
    )
    serve.add_argument(
        "--no-hook",
        action="store_true",
        help="run every function isolated, as Lambda runs it, even those a hook would wire",
    )
    serve.add_argument(
        "--max-containers",
        type=number(int, 1),
        default=10,
        metavar="N",
        help="containers one isolated function may run at once; more invocations wait for a"
        " free one",
    )
    serve.add_argument(
        "--connections-store",
        choices=["memory", "sqlite"],
        default="memory",
        help="keep connections in memory (fast) or in the state dir's SQLite file beside the"
        " history, where other programs can read them",
    )


def run(args: argparse.Namespace) -> int:
    """Check the state folder, set up the text log, serve until SIGINT or SIGTERM."""
    problem = state_dir(args.state_dir)
    if problem:
        print(f"serverless-chat serve: error: {problem}", file=sys.stderr)
        return 2
    level = args.log_level or ("warning" if args.quiet else "info")
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(PrintableFormatter("%(asctime)s %(name)s %(message)s"))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("local_gateway.lambda").addFilter(OrdinaryRefusals())
    # At the open-file limit asyncio logs a traceback for every failed accept: once in
    # ten seconds is enough to say so.
    logging.getLogger("asyncio").addFilter(OncePerInterval(10.0))
    # A malformed HTTP request (a NUL in a header, a broken request line) is the client's:
    # one line naming it, at most once in ten seconds, not aiohttp's traceback each time.
    server_log = logging.getLogger("aiohttp.server")
    server_log.addFilter(MalformedRequests())
    server_log.addFilter(OncePerInterval(10.0))
    return asyncio.run(_serve(args))


class PrintableFormatter(logging.Formatter):
    """The gateway's text log, where clients' and functions' words appear: their control
    characters (a newline that would forge a line, a terminal escape) are shown escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        return "".join(
            c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode() for c in text
        )


class OncePerInterval(logging.Filter):
    """Lets a message through once per ``seconds`` (by its text before any arguments)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self._seconds = seconds
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        import time

        now = time.monotonic()
        key = str(record.msg)
        if now - self._last.get(key, -self._seconds) < self._seconds:
            return False
        self._last[key] = now
        return True


def _raise_open_file_limit() -> None:
    """Each connection is a file: the soft limit goes up to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _api_lines(gateway: LocalGateway, served: ServedApi) -> list[str]:
    """Where one API is (its URLs, its callback API) and its routes."""
    return [
        f"serverless-chat: {served.spec.name} (stage {served.spec.stage}) on {served.url}",
        f"  and {served.tls_url} (TLS)",
        f"callback API: {served.callback_url}/@connections/{{connectionId}}",
        *route_lines(served.spec, gateway.functions.placement, gateway.hook),
    ]


def _runtime_lines(gateway: LocalGateway) -> list[str]:
    """The Python each runtime's isolated functions run on (Lambda runs python3.12 on
    3.12: a function whose version is not on this machine runs on the gateway's own)."""
    lines = []
    for runtime, interpreter in sorted(gateway.functions.interpreters.items()):
        major, minor = interpreter.version
        if runtime == f"python{major}.{minor}":
            lines.append(f"{runtime} functions run on {interpreter.executable}")
        else:
            lines.append(
                f"warning: {runtime} functions run on this gateway's Python"
                f" {interpreter.full_version} (no {runtime} on this machine)"
            )
    own = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    hooked = sorted(
        {
            spec.runtime
            for logical_id, spec in gateway.api.functions.items()
            if gateway.functions.placement(logical_id) == "in-process" and spec.runtime != own
        }
    )
    if hooked:
        lines.append(
            f"note: the hook's in-process functions ({', '.join(hooked)}) run on this"
            f" gateway's Python {sys.version.split()[0]}, and are not frozen between"
            " invocations (--no-hook runs them isolated)"
        )
    return lines


async def _serve(args: argparse.Namespace) -> int:
    from local_gateway import (
        CannotListen,
        GatewayConfig,
        HookError,
        LocalGateway,
        SelectionExpressionError,
        TemplateError,
        cdk_stack,
    )

    try:
        template, stack_name = args.template, args.stack_name or STACK_NAME
        if args.stack and not args.cdk_out:
            raise TemplateError("--stack names a stack of --cdk-out, which is not given")
        if args.cdk_out:
            stack = cdk_stack(args.cdk_out, args.stack)
            template, stack_name = stack.template, args.stack_name or stack.stack_name
        config = GatewayConfig(
            template=template,
            host=args.host,
            port=args.port,
            tls_port=args.tls_port,
            state_dir=args.state_dir,
            parameters=parameters(args.parameter),
            stack_name=stack_name,
            watch=args.watch,
            dynamodb_endpoint=args.dynamodb_endpoint,
            hook="" if args.no_hook else args.hook,
            allow_origins=tuple(args.allow_origin),
            max_connections=args.max_connections,
            hook_options={"connections-store": args.connections_store},
            max_containers=args.max_containers,
            idle_timeout=args.idle_timeout,
            max_connection_duration=args.max_connection_duration,
            max_frame_bytes=args.max_frame_bytes,
            ping_interval=args.ping_interval or None,
            callback_latency=args.callback_latency,
            chaos=args.chaos,
            new_connections_per_second=args.quota_new_connections_per_second,
            iam=args.iam,
            compress=args.compress,
        )
        if args.workers is not None:
            config = dataclasses.replace(config, workers=args.workers)
        gateway = LocalGateway(config)
    except (TemplateError, argparse.ArgumentTypeError) as error:
        print(f"serverless-chat serve: error: {error}", file=sys.stderr)
        return 2
    if args.log_function:
        problem = _log_functions(gateway, args.log_function)
        if problem:
            print(f"serverless-chat serve: error: {problem}", file=sys.stderr)
            return 2
    for line in _start_warnings(gateway):
        print(line, file=sys.stderr)
    _raise_open_file_limit()
    if "*" in args.allow_origin:
        print("warning: --allow-origin '*': any web page may open this chat", file=sys.stderr)
    try:
        await gateway.start()  # (a failed start stops what it started)
    except (CannotListen, HookError, SelectionExpressionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a state dir that cannot be made, a DynamoDB endpoint ...
        logging.getLogger("local_gateway").debug("start failed", exc_info=True)
        print(f"error: the gateway could not start: {sentence(error)}", file=sys.stderr)
        return 1
    if not gateway.loopback:  # said once it listens there (a host it cannot have fails first)
        print(
            f"warning: listening on {args.host}, beyond this machine: anyone who reaches it may"
            " open a WebSocket and run the functions its routes reach (the callback and Invoke"
            " APIs still need SigV4, as on AWS)",
            file=sys.stderr,
        )
    for logical_id, reason in gateway.functions.load_errors.items():
        reason = reason.removeprefix(f"{logical_id}: ")  # (the reason names it too)
        print(f"warning: function {logical_id} will fail: {reason}", file=sys.stderr)
    # The first API's URL first: scripts read it from the first line (loadgen/process.py).
    for served in gateway.apis:
        for line in _api_lines(gateway, served):
            print(line, flush=True)
    for line in _runtime_lines(gateway):
        print(line, flush=True)
    if gateway.dynamodb_endpoint:
        print(f"DynamoDB: {gateway.dynamodb_endpoint}", flush=True)
    if gateway.embedded_dynamodb:
        keys = gateway.tools_access_keys
        print(
            f"  signed requests only: the functions', or your AWS credentials here"
            f" ({', '.join(keys)}), e.g. aws dynamodb list-tables --endpoint-url"
            f" {gateway.dynamodb_endpoint}"
            if keys
            else "  signed requests only: the functions' (boto3 finds no AWS credentials here"
            " for your own scripts)",
            flush=True,
        )
    if gateway.app is not None and gateway.app.web_routes():
        print(f"web chat: {gateway.page_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    print("shutting down: closing connections", file=sys.stderr, flush=True)
    await gateway.stop()
    return 0


def _start_warnings(gateway: LocalGateway) -> list[str]:
    """What is not emulated, not evaluated or would fail on AWS, and the API keys made at
    start; each said once, a problem of one API among several with that API's name."""
    api = gateway.api
    several = len(gateway.apis) > 1
    lines = ["not emulated (ignored): " + ", ".join(api.not_emulated)] if api.not_emulated else []
    settings = {s: None for served in gateway.apis for s in served.spec.settings_not_emulated}
    lines += [f"not emulated: {setting}" for setting in settings]
    lines += [f"IAM: not evaluated: {policy}" for policy in api.policies_not_evaluated]
    for served in gateway.apis:
        named = f"API {served.spec.logical_id}: " if several else ""
        lines += [f"warning: {named}{problem}" for problem in served.spec.problems]
    made = {k.logical_id: k for s in gateway.apis for k in s.spec.api_keys if k.generated}
    lines += [f"API key {k.logical_id} (no Value: made at start): {k.value}" for k in made.values()]
    return lines


def state_dir(path: Path) -> str | None:
    """Why ``path`` cannot be the state folder, or None (it exists now, 0700 when new).

    The gateway runs what it finds there (a package unpacked, a template's inline code,
    each under ``code/`` by its digest) and serves its certificate, so a folder someone
    else may write in, or that is not the user's, is refused: whoever could write there
    could plant code the functions would run."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        return f"--state-dir {path}: cannot make the folder: {sentence(error)}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"--state-dir {path}: the folder is not writable"
    found = path.stat()
    if found.st_uid != os.getuid() or found.st_mode & 0o022:
        return (
            f"--state-dir {path}: someone else may write in it (the gateway runs code it"
            " keeps there); name a folder of your own that only you can write"
        )
    return None


class OrdinaryRefusals(logging.Filter):
    """A REQUEST authorizer refuses with ``Exception("Unauthorized")``, API Gateway's
    documented way to answer 401; the gateway then logs "handshake refused with 401" in
    one line, so the function's traceback for it is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (type(error) is Exception and error.args == ("Unauthorized",))


class MalformedRequests(logging.Filter):
    """aiohttp answers a request it cannot parse with 400 and logs its traceback; what the
    client sent wrong is in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            words = " ".join(str(error.message).split())
            record.msg, record.args = "malformed request refused with %s: %s", (error.code, words)
            record.exc_info, record.exc_text = None, None
        return True


class OneFunction(logging.Filter):
    """Per-invocation lines (START, END, REPORT, a container's output) of some functions only."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self._names = names
        self._requests: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if text.startswith("START RequestId") and len(args) >= 2:
            if str(args[1]) in self._names:
                self._requests.add(str(args[0]))
                return True
            return False
        if text.startswith(("END RequestId", "REPORT RequestId")) and args:
            keep = str(args[0]) in self._requests
            if text.startswith("REPORT"):
                self._requests.discard(str(args[0]))
            return keep
        if text.startswith("[%s]") and args:
            return str(args[0]) in self._names
        return True


def _log_functions(gateway: LocalGateway, wanted: list[str]) -> str | None:
    """Keep only ``wanted`` functions' invocation lines; the problem, if one is unknown."""
    names: set[str] = set()
    known = {spec.logical_id: spec for spec in gateway.api.functions.values()}
    for want in wanted:
        matches = {
            spec.label  # how the log lines name it
            for spec in known.values()
            if want.lower() in (spec.logical_id.lower(), spec.name.lower(), spec.cdk_path.lower())
        }
        if not matches:
            listed = ", ".join(sorted(known))
            return f"--log-function {want}: the template has no such function ({listed})"
        names |= matches
    logging.getLogger("local_gateway.lambda").addFilter(OneFunction(names))
    return None
