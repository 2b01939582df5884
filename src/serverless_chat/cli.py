"""serverless-chat: run the local gateway, chat from a terminal, deploy to AWS."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from serverless_chat import __version__
from serverless_chat.gateway.pool import DEFAULT_WORKERS

if TYPE_CHECKING:
    from serverless_chat.gateway.server import LocalGateway


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"--parameter wants NAME=VALUE, not {pair!r}")
        values[name] = value
    return values


# -- argument types: each refuses a bad value with one sentence ------------------------------
def _pair(text: str) -> str:
    name, sep, _ = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return text


def _number(kind: type[int] | type[float], low: float, high: float | None = None) -> Any:
    """A whole number (or a number) from ``low`` (inclusive) up to ``high``."""
    words = "a whole number" if kind is int else "a number"
    span = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {words}") from None
        if value != value or value < low or (high is not None and value > high):  # NaN too
            raise argparse.ArgumentTypeError(f"{text} is out of range: {words} {span}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its own messages
    return convert


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is out of range: more than 0 seconds")
    return value


def _duration(text: str) -> float:
    """Seconds from '20ms', '0.5s' or '0.02'; not negative."""
    try:
        seconds = float(text[:-2]) / 1000 if text.endswith("ms") else float(text.removesuffix("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 20ms") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is out of range: a duration of 0 or more")
    return seconds


def _url(schemes: tuple[str, ...], *, path: bool = True) -> Any:
    """A URL of one of ``schemes`` with a host (and, unless ``path``, nothing after the
    port): checked before anything starts."""
    from urllib.parse import urlsplit

    example = f"{schemes[0]}://HOST:PORT" + ("/…" if path and schemes[0].startswith("ws") else "")
    article = "an" if schemes[0].startswith("h") else "a"
    wanted = f"{article} {' or '.join(f'{scheme}://' for scheme in schemes)} URL such as {example}"

    def convert(text: str) -> str:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (raises ValueError when the port is not a number 0-65535)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {error}") from None
        if parts.scheme not in schemes or not parts.hostname:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}")
        if not path and (parts.path not in ("", "/") or parts.query or parts.fragment):
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted} (no path)")
        return text

    convert.__name__ = "URL"
    return convert


def _origin(text: str) -> str:
    return text if text == "*" else str(_url(("http", "https"), path=False)(text))


def _hook(text: str) -> str:
    module, sep, attribute = text.partition(":")
    if not sep or not module or not attribute:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODULE:CALLABLE")
    return text


def _chat_name(text: str) -> str:
    """A name the chat accepts (a token that carries another is refused at connect)."""
    from serverless_chat.chat.protocol import ProtocolError, validate_name

    try:
        return validate_name(text, None)
    except ProtocolError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {error.message}") from None


def _non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("it must not be empty")
    return text


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, when it has one worth saying."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and "default" not in text
            and default is not None
            and default is not False
            and default != []
            and default != argparse.SUPPRESS
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse that says a wrong argument in one line: what was wrong, where to look."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_DESCRIPTION = (
    "A WebSocket chat: run it on this machine (serve), chat from a terminal (connect),"
    " deploy it to AWS (deploy, outputs, destroy)."
)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="serverless-chat", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the template's WebSocket API on this machine")
    serve.add_argument(
        "--template", type=Path, default=Path("infra/template.yaml"), help="the template to run"
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument(
        "--port", type=_number(int, 0, 65535), default=8080, help="the port; 0 picks a free one"
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".serverless-chat"),
        help="where history, the TLS key and unpacked code are kept",
    )
    serve.add_argument(
        "--parameter",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    serve.add_argument(
        "--stack-name", default="serverless-chat", help="the stack name the functions see"
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
        "--callback-latency",
        type=_duration,
        default=0.0,
        metavar="DURATION",
        help="add this to every callback (PostToConnection …) call, e.g. 20ms, as on AWS",
    )
    serve.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        default=600.0,
        metavar="SECONDS",
        help="close a connection that has been silent this long (API Gateway: 10 min)",
    )
    serve.add_argument(
        "--max-connection-duration",
        type=_positive_seconds,
        default=7200.0,
        metavar="SECONDS",
        help="close a connection open this long (API Gateway: 2 h)",
    )
    serve.add_argument(
        "--max-frame-bytes",
        type=_number(int, 1),
        default=32 * 1024,
        metavar="BYTES",
        help="close with 1009 a client that sends a larger message (API Gateway: 32 KB)",
    )
    serve.add_argument(
        "--ping-interval",
        type=_number(float, 0),
        default=30.0,
        metavar="SECONDS",
        help="ping clients this often; one that misses a pong is disconnected (0: never)",
    )
    serve.add_argument(
        "--workers",
        type=_number(int, 1),
        default=DEFAULT_WORKERS,
        metavar="N",
        help="invocations that may run at once; one thread runs them while it keeps up, more"
        " only when one waits",
    )
    serve.add_argument(
        "--compress",
        action="store_true",
        help="accept permessage-deflate when a client offers it (off: ~90 KB per connection)",
    )
    serve.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        type=_url(("http", "https")),
        help="create the template's tables on this DynamoDB endpoint and use it (default: an"
        " embedded one, empty at every start)",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        type=_origin,
        default=[],
        metavar="ORIGIN",
        help="a web origin besides the gateway's own whose pages may connect, such as"
        " http://localhost:5173 (repeatable; '*' allows any site; default: none)",
    )
    serve.add_argument(
        "--max-connections",
        type=_number(int, 1),
        metavar="N",
        help="refuse new connections beyond N (default: what the open-file limit allows)",
    )
    serve.add_argument(
        "--hook",
        type=_hook,
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
        type=_number(int, 1),
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

    connect = commands.add_parser("connect", help="chat on a ws:// or wss:// URL")
    connect.add_argument(
        "url",
        type=_url(("ws", "wss")),
        help="the chat's URL, with ?room=…&name=… (and &token=… when signing in is on)",
    )
    connect.add_argument("--raw", action="store_true", help="send lines untouched, no commands")
    connect.add_argument(
        "--format",
        choices=["raw", "text", "json"],
        default="text",
        help="how frames are printed: the chat's readable lines, its bare texts or its json"
        " envelopes (a format named in the URL wins; default: text)",
    )
    connect.add_argument(
        "--wait",
        type=_number(float, 0),
        default=None,
        metavar="SECONDS",
        help="seconds to keep printing once every line is answered, after stdin ends"
        " (default: 1 for a pipe, 0 for a terminal)",
    )
    connect.add_argument(
        "--reconnect",
        action="store_true",
        help="when the connection drops, connect again (backoff up to 30 s), in the same room"
        " under the same name",
    )

    def aws_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--stack-name", default="stack-for-serverless-chat", help="the CloudFormation stack"
        )
        command.add_argument("--region", help="AWS region (default: from your AWS config)")
        command.add_argument("--profile", help="AWS profile (default: from your AWS config)")
        command.add_argument(
            "--endpoint-url",
            metavar="URL",
            help="send every AWS call to this AWS-compatible endpoint (an emulator such as"
            " MiniStack) instead of AWS (default: AWS)",
        )

    deploy = commands.add_parser("deploy", help="package, upload and deploy the stack to AWS")
    aws_options(deploy)
    deploy.add_argument(
        "--template", type=Path, default=Path("infra/template.yaml"), help="the template to deploy"
    )
    deploy.add_argument("--bucket", help="S3 bucket for the package (default: one made for you)")
    deploy.add_argument(
        "--parameter",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=VALUE",
        help="a stack parameter (repeatable)",
    )
    aws_options(commands.add_parser("destroy", help="delete the stack and wait until it is gone"))
    aws_options(commands.add_parser("outputs", help="print the stack's outputs"))

    template = commands.add_parser("template", help="write the CloudFormation template")
    template.add_argument(
        "--template", type=Path, default=Path("infra/template.yaml"), help="the template to read"
    )
    template.add_argument(
        "--standalone",
        action="store_true",
        help="one file with every function's code inline, for the CloudFormation console",
    )
    template.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    token = commands.add_parser(
        "token", help="mint a development token (HS256, signed with the secret serve uses)"
    )
    token.add_argument(
        "--name", required=True, type=_chat_name, help="the chat name the token carries"
    )
    token.add_argument("--sub", type=_non_empty, help="the subject (default: the name)")
    token.add_argument("--ttl", type=_number(int, 1), default=3600, help="seconds until it expires")

    # Its options are the benchmark's own (`serverless-chat bench --help` lists them),
    # passed through as they are: one list of them, in serverless_chat.loadgen.bench.
    commands.add_parser(
        "bench",
        help="the gateway's throughput against a minimal broadcast server",
        add_help=False,
    )

    export = commands.add_parser(
        "web-export", help="write the web chat page out for static hosting"
    )
    export.add_argument("directory", type=Path, help="the folder to write (made if missing)")
    export.add_argument(
        "--ws",
        metavar="URL",
        type=_url(("ws", "wss")),
        help="the WebSocket URL the page connects to (default: none; the page asks)",
    )
    return parser


class _PrintableFormatter(logging.Formatter):
    """The gateway's text log, where clients' and functions' words appear: their control
    characters (a newline that would forge a line, a terminal escape) are shown escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        return "".join(
            c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode() for c in text
        )


class _OncePerInterval(logging.Filter):
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


def _sentence(error: BaseException) -> str:
    """An error as one line: what it is and what it says."""
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _route_lines(gateway: LocalGateway) -> list[str]:
    """The routes and the function each runs, and where it runs (as serverless-offline
    lists its routes at start)."""
    lines = ["routes:"]
    width = max((len(key) for key in gateway.api.routes), default=0)
    for key, route in sorted(gateway.api.routes.items()):
        if route.function is None:
            lines.append(f"  {key:<{width}}  (no function: the caller gets an error)")
            continue
        placement = gateway.functions.placement(route.function.logical_id)
        where = f"in-process (hook {gateway.hook})" if placement == "in-process" else placement
        lines.append(f"  {key:<{width}}  {route.function.logical_id}: {where}")
    return lines


async def _serve(args: argparse.Namespace) -> int:
    from serverless_chat.gateway.cfn_yaml import TemplateError
    from serverless_chat.gateway.errors import CannotListen
    from serverless_chat.gateway.routing import SelectionExpressionError
    from serverless_chat.gateway.server import GatewayConfig, LocalGateway
    from serverless_chat.gateway.services import HookError

    try:
        config = GatewayConfig(
            template=args.template,
            host=args.host,
            port=args.port,
            state_dir=args.state_dir,
            parameters=_parameters(args.parameter),
            stack_name=args.stack_name,
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
            compress=args.compress,
            workers=args.workers,
        )
        gateway = LocalGateway(config)
    except (TemplateError, argparse.ArgumentTypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.log_function:
        problem = _log_functions(gateway, args.log_function)
        if problem:
            print(f"serverless-chat serve: error: {problem}", file=sys.stderr)
            return 2
    if gateway.api.not_emulated:
        print("not emulated (ignored): " + ", ".join(gateway.api.not_emulated), file=sys.stderr)
    for setting in gateway.api.settings_not_emulated:
        print(f"not emulated: {setting}", file=sys.stderr)
    for problem in gateway.api.problems:
        print(f"warning: {problem}", file=sys.stderr)
    _raise_open_file_limit()
    if not gateway.loopback:
        print(
            f"warning: listening on {args.host}, beyond this machine: anyone who reaches it may"
            " connect, post to any connection through the callback API and invoke the"
            " functions (on AWS those APIs need SigV4)",
            file=sys.stderr,
        )
    if "*" in args.allow_origin:
        print("warning: --allow-origin '*': any web page may open this chat", file=sys.stderr)
    try:
        url = await gateway.start()  # (a failed start stops what it started)
    except (CannotListen, HookError, SelectionExpressionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a state dir that cannot be made, a DynamoDB endpoint ...
        logging.getLogger("serverless_chat.gateway").debug("start failed", exc_info=True)
        print(f"error: the gateway could not start: {_sentence(error)}", file=sys.stderr)
        return 1
    for logical_id, reason in gateway.functions.load_errors.items():
        print(f"warning: function {logical_id} will fail: {reason}", file=sys.stderr)
    print(f"serverless-chat: {gateway.api.name} (stage {gateway.api.stage}) on {url}", flush=True)
    print(f"  and {gateway.tls_url} (TLS)", flush=True)
    print(f"callback API: {gateway.callback_url}/@connections/{{connectionId}}", flush=True)
    for line in _route_lines(gateway):
        print(line, flush=True)
    if gateway.dynamodb_endpoint:
        print(f"DynamoDB: {gateway.dynamodb_endpoint}", flush=True)
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


def _aws(args: argparse.Namespace) -> int:
    """deploy, destroy and outputs: one clear sentence on failure, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console
    from rich.markup import escape

    from serverless_chat.deploy import command
    from serverless_chat.deploy.console import RichReporter
    from serverless_chat.deploy.errors import DeployError, explain
    from serverless_chat.gateway.cfn_yaml import TemplateError

    target = command.Target(args.stack_name, args.region, args.profile, args.endpoint_url)
    reporter = RichReporter(Console(highlight=False, soft_wrap=True))
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if args.command == "outputs":
            for key, value in command.outputs(target, reporter).items():
                print(f"{key}\t{value}")
            return 0
        if args.command == "destroy":
            outcome = command.destroy(target, reporter)
        else:
            outcome = command.deploy(
                target, args.template, _parameters(args.parameter), reporter, args.bucket
            )
    except (DeployError, TemplateError, argparse.ArgumentTypeError) as error:
        err.print(f"[red]error:[/] {escape(str(error))}")
        return 1
    except (BotoCoreError, ClientError) as error:
        err.print(f"[red]error:[/] {escape(explain(error))}")
        return 1
    finally:
        reporter.close()
    if not outcome.ok:
        err.print(f"[red]failed:[/] {escape(str(outcome.failure))}")
        err.print(f"[red]final status:[/] {escape(str(outcome.status))}")
        return 1
    if args.command == "destroy":
        reporter.info(f"The stack {target.stack_name} is deleted.")
        return 0
    reporter.success("Deployed", f"{target.stack_name} ({outcome.status or 'unchanged'}).")
    for key, value in outcome.outputs.items():
        reporter.info(f"  {key}: {value}")
    if "WebSocketURL" in outcome.outputs:
        reporter.info(f"Chat: serverless-chat connect {outcome.outputs['WebSocketURL']}")
    return 0


def _websocket_apis(template: dict[str, Any]) -> list[str]:
    resources = template.get("Resources")
    apis = []
    for logical_id, resource in (resources if isinstance(resources, dict) else {}).items():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        props = resource.get("Properties")
        protocol = props.get("ProtocolType") if isinstance(props, dict) else None
        if kind == "AWS::Serverless::WebSocketApi" or (
            kind == "AWS::ApiGatewayV2::Api" and protocol == "WEBSOCKET"
        ):
            apis.append(str(logical_id))
    return apis


def _template(args: argparse.Namespace) -> int:
    from serverless_chat.deploy.standalone import dump_template, standalone_template
    from serverless_chat.gateway.cfn_yaml import TemplateError, load_template

    try:
        template = load_template(args.template)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not _websocket_apis(template):
        print(
            f"error: {args.template} has no WebSocket API (an AWS::ApiGatewayV2::Api with"
            " ProtocolType WEBSOCKET, or an AWS::Serverless::WebSocketApi): nothing to write",
            file=sys.stderr,
        )
        return 2
    if args.standalone:
        standalone = standalone_template(template)
        if standalone == template:
            print(
                f"error: no function in {args.template} has local code (Code: a folder) to"
                " put inline",
                file=sys.stderr,
            )
            return 2
        template = standalone
    text = dump_template(template)
    if args.output:
        try:
            args.output.write_text(text)
        except OSError as error:
            print(f"error: cannot write {args.output}: {_sentence(error)}", file=sys.stderr)
            return 1
        print(f"wrote {args.output} ({len(text) // 1024} KB)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _token(args: argparse.Namespace) -> int:
    import time

    import jwt

    from serverless_chat.devsecret import dev_secret

    now = int(time.time())
    claims = {"sub": args.sub or args.name, "name": args.name, "iat": now, "exp": now + args.ttl}
    try:
        secret = dev_secret()
    except OSError as error:
        print(
            f"error: cannot read or make the development secret: {_sentence(error)}",
            file=sys.stderr,
        )
        return 1
    print(jwt.encode(claims, secret, algorithm="HS256"))
    return 0


def _web_export(args: argparse.Namespace) -> int:
    from serverless_chat.web_assets import export_site

    try:
        written = export_site(args.directory, args.ws)
    except OSError as error:
        print(
            f"error: cannot write the page to {args.directory}: {_sentence(error)}", file=sys.stderr
        )
        return 1
    for path in written:
        print(path)
    return 0


def _state_dir(path: Path) -> str | None:
    """Why ``path`` cannot be the state folder, or None (it exists now, 0700 when new)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        return f"--state-dir {path}: cannot make the folder: {_sentence(error)}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"--state-dir {path}: the folder is not writable"
    return None


class _OrdinaryRefusals(logging.Filter):
    """A REQUEST authorizer refuses with ``Exception("Unauthorized")``, API Gateway's
    documented way to answer 401; the gateway then logs "handshake refused with 401" in
    one line, so the function's traceback for it is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (type(error) is Exception and error.args == ("Unauthorized",))


class _OneFunction(logging.Filter):
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
    known = {spec.logical_id: spec.name for spec in gateway.api.functions.values()}
    for want in wanted:
        matches = {
            name
            for logical_id, name in known.items()
            if want.lower() in (logical_id.lower(), name.lower())
        }
        if not matches:
            listed = ", ".join(sorted(known))
            return f"--log-function {want}: the template has no such function ({listed})"
        names |= matches
    logging.getLogger("serverless_chat.lambda").addFilter(_OneFunction(names))
    return None


def _main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        command = f"{parser.prog} {args.command}"
        print(
            f"{command}: error: unrecognized arguments: {' '.join(rest)} (see {command} --help)",
            file=sys.stderr,
        )
        return 2
    if args.command in {"deploy", "destroy", "outputs"}:
        return _aws(args)
    if args.command == "template":
        return _template(args)
    if args.command == "serve":
        problem = _state_dir(args.state_dir)
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
            handler.setFormatter(_PrintableFormatter("%(asctime)s %(name)s %(message)s"))
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        logging.getLogger("serverless_chat.lambda").addFilter(_OrdinaryRefusals())
        # At the open-file limit asyncio logs a traceback for every failed accept: once in
        # ten seconds is enough to say so.
        logging.getLogger("asyncio").addFilter(_OncePerInterval(10.0))
        return asyncio.run(_serve(args))
    if args.command == "bench":
        from serverless_chat.loadgen import bench as benchmark

        # Its own parser is a plain argparse one: its wrong arguments in one line too.
        plain_error = argparse.ArgumentParser.error
        setattr(argparse.ArgumentParser, "error", _Parser.error)  # noqa: B010
        try:
            return benchmark.main(rest)
        finally:
            setattr(argparse.ArgumentParser, "error", plain_error)  # noqa: B010
    if args.command == "token":
        return _token(args)
    if args.command == "web-export":
        return _web_export(args)
    from serverless_chat.client.terminal import run

    return run(args.url, raw=args.raw, wait=args.wait, fmt=args.format, reconnect=args.reconnect)


def main(argv: Sequence[str] | None = None) -> int:
    """Every command ends in a sentence: a broken pipe (``token | head -c 30``) ends
    quietly, Ctrl-C with 130, anything unforeseen with one line (the traceback when
    SERVERLESS_CHAT_TRACEBACK is set)."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a reader that left is a broken pipe caught below
        return status
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("SERVERLESS_CHAT_TRACEBACK"):
            raise
        print(
            f"error: {_sentence(error)} (SERVERLESS_CHAT_TRACEBACK=1 shows where)", file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
