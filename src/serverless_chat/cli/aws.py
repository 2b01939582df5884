"""serverless-chat deploy, destroy and outputs: the stack on AWS (or an AWS-compatible
endpoint), one clear sentence on failure, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import add_command, pair, parameters
from serverless_chat.infra import STACK_NAME, TEMPLATE

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    deploy = add_command(
        commands, "deploy", run, help="package, upload and deploy the stack to AWS"
    )
    _target_options(deploy)
    deploy.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE,
        help="the template to deploy (default: the chat's infra/template.yaml)",
    )
    deploy.add_argument("--bucket", help="S3 bucket for the package (default: one made for you)")
    deploy.add_argument(
        "--parameter",
        action="append",
        type=pair,
        default=[],
        metavar="NAME=VALUE",
        help="a stack parameter (repeatable)",
    )
    _target_options(
        add_command(commands, "destroy", run, help="delete the stack and wait until it is gone")
    )
    _target_options(add_command(commands, "outputs", run, help="print the stack's outputs"))


def _target_options(command: argparse.ArgumentParser) -> None:
    """Which stack, where: the options deploy, destroy and outputs share."""
    command.add_argument(
        "--stack-name", default=STACK_NAME, help="the CloudFormation stack (default: %(default)s)"
    )
    command.add_argument("--region", help="AWS region (default: from your AWS config)")
    command.add_argument("--profile", help="AWS profile (default: from your AWS config)")
    command.add_argument(
        "--endpoint-url",
        metavar="URL",
        type=_endpoint_url,
        help="send every AWS call to this AWS-compatible endpoint (an emulator such as"
        " MiniStack) instead of AWS (default: AWS)",
    )


def _endpoint_url(text: str) -> str:
    """Checked as the parser reads it, so that a bad URL is said before anything else (a
    missing region, say)."""
    from serverless_chat.deploy.command import checked_endpoint_url
    from serverless_chat.deploy.errors import DeployError

    try:
        return checked_endpoint_url(text)
    except DeployError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--endpoint-url ")) from None


def run(args: argparse.Namespace) -> int:
    """deploy, destroy and outputs: one clear sentence on failure, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console

    from local_gateway import TemplateError
    from serverless_chat.chat.frames import shown
    from serverless_chat.deploy import command
    from serverless_chat.deploy.console import RichReporter, escape
    from serverless_chat.deploy.errors import DeployError, explain

    target = command.Target(args.stack_name, args.region, args.profile, args.endpoint_url)
    reporter = RichReporter(Console(highlight=False, soft_wrap=True))
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if args.command == "outputs":
            for key, value in command.outputs(target, reporter).items():
                line = f"{key}\t{value}"  # a pipe gets them as they are; a terminal, escaped
                print(shown(line) if sys.stdout.isatty() else line)
            return 0
        if args.command == "destroy":
            outcome = command.destroy(target, reporter)
        else:
            outcome = command.deploy(
                target, args.template, parameters(args.parameter), reporter, args.bucket
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
        if outcome.changed:  # (a stack not there: "nothing to delete" is said)
            reporter.info(f"The stack {target.stack_name} is deleted.")
        return 0
    reporter.success("Deployed", f"{target.stack_name} ({outcome.status or 'unchanged'}).")
    for key, value in outcome.outputs.items():
        reporter.info(f"  {key}: {value}")
    url = outcome.outputs.get("WebSocketURL")
    if url and args.endpoint_url:
        served = command.emulator_websocket_url(args.endpoint_url, url)
        if served:
            reporter.info(f"On the emulator at {args.endpoint_url}, the API is at {served}")
            url = served
    if url:
        reporter.info(f"Chat: serverless-chat connect {url}")
    return 0
