"""``serverless-chat``: run the local gateway, chat from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat import __version__

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


def _duration(text: str) -> float:
    """Seconds from '20ms', '0.5s' or '0.02'."""
    try:
        if text.endswith("ms"):
            return float(text[:-2]) / 1000
        return float(text.removesuffix("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 20ms") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="serverless-chat", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the template's WebSocket API on this machine")
    serve.add_argument("--template", type=Path, default=Path("infra/template.yaml"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--state-dir", type=Path, default=Path(".serverless-chat"))
    serve.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter (repeatable)",
    )
    serve.add_argument("--stack-name", default="serverless-chat")
    serve.add_argument("--quiet", action="store_true", help="no per-invocation log lines")
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
    serve.add_argument("--idle-timeout", type=float, default=600.0, metavar="SECONDS")
    serve.add_argument("--max-connection-duration", type=float, default=7200.0, metavar="SECONDS")
    serve.add_argument("--max-frame-bytes", type=int, default=32 * 1024)
    serve.add_argument(
        "--ping-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="ping clients this often; one that misses a pong is disconnected (0: never)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=64,
        metavar="N",
        help="invocations that may run at once (default 64); one thread runs them while it"
        " keeps up, more only when one waits",
    )
    serve.add_argument(
        "--compress",
        action="store_true",
        help="accept permessage-deflate when a client offers it (off: ~90 KB per connection)",
    )
    serve.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        help="create the template's tables on this DynamoDB endpoint and use it",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin besides the gateway's own whose pages may connect, such as"
        " http://localhost:5173 (repeatable; '*' allows any site)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        metavar="N",
        help="refuse new connections beyond N (default: what the open-file limit allows)",
    )
    serve.add_argument(
        "--hook",
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
        type=int,
        default=10,
        metavar="N",
        help="containers one isolated function may run at once (default 10); more"
        " invocations wait for a free one",
    )
    serve.add_argument(
        "--connections-store",
        choices=["memory", "sqlite"],
        default="memory",
        help="keep connections in memory (the default, fast) or in the state dir's SQLite"
        " file beside the history, where other programs can read them",
    )

    connect = commands.add_parser("connect", help="chat on a ws:// or wss:// URL")
    connect.add_argument("url")
    connect.add_argument("--raw", action="store_true", help="send lines untouched")
    connect.add_argument(
        "--format",
        choices=["raw", "text", "json"],
        default="text",
        help="frames to ask the chat for (default text; ignored if the URL names one)",
    )
    connect.add_argument(
        "--wait",
        type=float,
        default=None,
        help="seconds to keep printing after stdin ends (default: 1 for a pipe, 0 for a terminal)",
    )

    def aws_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--stack-name", default="stack-for-serverless-chat")
        command.add_argument("--region", help="AWS region (default: from your AWS config)")
        command.add_argument("--profile", help="AWS profile (default: from your AWS config)")
        command.add_argument(
            "--endpoint-url",
            metavar="URL",
            help="send every AWS call to this AWS-compatible endpoint (an emulator such as"
            " MiniStack) instead of AWS",
        )

    deploy = commands.add_parser("deploy", help="package, upload and deploy the stack to AWS")
    aws_options(deploy)
    deploy.add_argument("--template", type=Path, default=Path("infra/template.yaml"))
    deploy.add_argument("--bucket", help="S3 bucket for the package (default: one made for you)")
    deploy.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a stack parameter (repeatable)",
    )
    aws_options(commands.add_parser("destroy", help="delete the stack and wait until it is gone"))
    aws_options(commands.add_parser("outputs", help="print the stack's outputs"))

    template = commands.add_parser("template", help="write the CloudFormation template")
    template.add_argument("--template", type=Path, default=Path("infra/template.yaml"))
    template.add_argument(
        "--standalone",
        action="store_true",
        help="one file with every function's code inline, for the CloudFormation console",
    )
    template.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    token = commands.add_parser(
        "token", help="mint a development token (HS256, the secret `serve` uses)"
    )
    token.add_argument("--name", required=True, help="the chat name the token carries")
    token.add_argument("--sub", help="the subject (default: the name)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")

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
    export.add_argument("directory", type=Path)
    export.add_argument("--ws", metavar="URL", help="the WebSocket URL the page connects to")
    return parser


class _PrintableFormatter(logging.Formatter):
    """The gateway's text log, where clients' and functions' words appear: their control
    characters (a newline that would forge a line, a terminal escape) are shown escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        return "".join(
            c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode()
            for c in text
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


def _template(args: argparse.Namespace) -> int:
    from serverless_chat.deploy.standalone import dump_template, standalone_template
    from serverless_chat.gateway.cfn_yaml import TemplateError, load_template

    try:
        template = load_template(args.template)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = dump_template(standalone_template(template) if args.standalone else template)
    if args.output:
        args.output.write_text(text)
        print(f"wrote {args.output} ({len(text) // 1024} KB)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command in {"deploy", "destroy", "outputs"}:
        return _aws(args)
    if args.command == "template":
        return _template(args)
    if args.command == "serve":
        logging.basicConfig(
            level=logging.WARNING if args.quiet else logging.INFO,
            format="%(asctime)s %(name)s %(message)s",
            stream=sys.stderr,
        )
        for handler in logging.getLogger().handlers:
            handler.setFormatter(_PrintableFormatter("%(asctime)s %(name)s %(message)s"))
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        # At the open-file limit asyncio logs a traceback for every failed accept: once in
        # ten seconds is enough to say so.
        logging.getLogger("asyncio").addFilter(_OncePerInterval(10.0))
        return asyncio.run(_serve(args))
    if args.command == "bench":
        from serverless_chat.loadgen import bench as benchmark

        return benchmark.main(rest)
    if args.command == "token":
        import time

        import jwt

        from serverless_chat.devsecret import dev_secret

        now = int(time.time())
        claims = {
            "sub": args.sub or args.name,
            "name": args.name,
            "iat": now,
            "exp": now + args.ttl,
        }
        print(jwt.encode(claims, dev_secret(), algorithm="HS256"))
        return 0
    if args.command == "web-export":
        from serverless_chat.site import export_site

        for path in export_site(args.directory, args.ws):
            print(path)
        return 0
    from serverless_chat.client.terminal import run

    return run(args.url, raw=args.raw, wait=args.wait, fmt=args.format)


if __name__ == "__main__":
    sys.exit(main())
